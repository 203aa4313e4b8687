// `dkr image pull REF DIR`: an image from a registry into an OCI image
// layout, ready for `dkr image unpack DIR BUNDLE`.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "runtime/image/registry.hpp"

namespace dkr::image {

struct PullOptions {
    std::string reference;   // docker.io/library/busybox:latest, 127.0.0.1:5000/test:1, busybox
    std::string layout_dir;  // made if missing; an existing layout gains the image
    bool plain_http = false;
    std::optional<Credentials> credentials;
    std::ostream* progress = nullptr;
    bool progress_tty = false;  // redraw progress lines in place
};

// Fetches the manifest (for an index or manifest list, the one for this
// machine's platform), the config and the layers, each checked against its
// digest and size before it is moved into blobs/, and records the manifest
// in index.json under the tag. Blobs already in the layout are not fetched
// again. Returns the manifest's digest.
std::string pull(const PullOptions& opts);

}  // namespace dkr::image
