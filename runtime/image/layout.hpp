// An OCI image layout directory: oci-layout, index.json, blobs/ALG/HEX.
// Unpack reads it; pull writes it.
#pragma once

#include <string>

#include "runtime/image/model.hpp"

namespace dkr::image {

class Layout {
public:
    explicit Layout(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }

    std::string blob_path(const Digest& d) const;
    // A small blob (index, manifest, config) read whole; its size and digest
    // must be the descriptor's.
    std::string read_blob(const Descriptor& d) const;
    Index index() const;

    // The manifest that `ref` names (the org.opencontainers.image.ref.name
    // annotation in index.json; "" when the layout holds one image), going
    // through a nested index to this machine's platform.
    Descriptor find_manifest(const std::string& ref) const;

    // Writing (pull): makes oci-layout, blobs/sha256 and an empty index.json
    // where missing.
    void init() const;
    bool has_blob(const Descriptor& d) const;
    // Stores `data` as the blob `d` (written beside and renamed into place).
    void put_blob(const Descriptor& d, const std::string& data) const;
    // Records `manifest` in index.json under the name `ref` (replacing an
    // entry of the same name).
    void add_manifest(const Descriptor& manifest, const std::string& ref) const;

private:
    std::string dir_;
};

}  // namespace dkr::image
