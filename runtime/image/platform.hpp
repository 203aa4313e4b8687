// Which image of a multi-platform index runs here.
#pragma once

#include <string>

#include "runtime/image/model.hpp"

namespace dkr::image {

// This machine in the image-spec's (GOOS/GOARCH) words: linux/amd64, linux/arm64/v8, ...
Platform host_platform();
std::string platform_str(const Platform& p);

// The manifest of `index` for `want`: os and architecture must match; a
// variant is compared when both name one. Descriptors without a platform are
// taken only when no descriptor names one (a single-image index). Throws,
// listing what the index offers, when nothing fits.
const Descriptor& choose_manifest(const Index& index, const Platform& want, const std::string& where);

}  // namespace dkr::image
