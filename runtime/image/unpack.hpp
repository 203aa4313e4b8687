// `dkr image unpack SRC BUNDLE`: an OCI bundle (rootfs/ and config.json)
// from an OCI image layout or a `docker save` archive.
#pragma once

#include <ostream>
#include <string>

namespace dkr::image {

struct UnpackOptions {
    std::string source;  // a layout or unpacked docker save directory, or an archive file of either
    std::string bundle;  // made if missing; must not hold rootfs/ or config.json yet
    std::string ref;     // which image, when the source holds several
    std::ostream* progress = nullptr;  // one line per layer, or nothing
};

// Applies the image's layers in order into BUNDLE/rootfs, checking every
// layer's digests (as stored and uncompressed), and writes BUNDLE/config.json
// from the image config (runtime_config.hpp). On failure nothing it made is
// left: no rootfs, no config.json, no bundle directory it created.
void unpack(const UnpackOptions& opts);

}  // namespace dkr::image
