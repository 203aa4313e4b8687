// An image to unpack, whatever it came in: an OCI image layout or the
// contents of a `docker save` archive (its manifest.json).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/image/model.hpp"

namespace dkr::image {

struct LayerBlob {
    std::string path;                     // the file holding the layer
    std::optional<Descriptor> stored_as;  // digest and size of the file, when the source records them
    Digest diff_id;                       // digest of the uncompressed tar, from the image config
};

struct ImageSource {
    std::string name;  // for messages
    ImageConfig config;
    std::vector<LayerBlob> layers;  // lowest first
};

// The image in directory `dir`: an OCI image layout if it has index.json,
// else a `docker save` archive's contents (manifest.json). `ref` picks one of
// several images: the layout's ref.name annotation, or one of the archive's
// RepoTags. The config's digest is checked here; layers are checked as they
// are applied.
ImageSource open_image(const std::string& dir, const std::string& ref);

// Unpacks an archive file (tar, any compression) holding an image layout or
// a `docker save` into the existing directory `into` (an absolute path
// without symlinks): regular files and directories only, with no path
// leading outside it.
void extract_archive(const std::string& file, const std::string& into);

}  // namespace dkr::image
