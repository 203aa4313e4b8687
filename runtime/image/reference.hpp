// Image references as Docker spells them: [registry/]repository[:tag][@digest].
#pragma once

#include <string>
#include <string_view>

namespace dkr::image {

struct Reference {
    std::string registry;    // "docker.io", "127.0.0.1:5000", "quay.io"
    std::string repository;  // "library/busybox"
    std::string tag;         // "latest" unless a digest alone was given
    std::string digest;      // "sha256:..." or ""

    // The host to talk to: Docker Hub's API lives at registry-1.docker.io.
    std::string api_host() const;
    std::string str() const;  // the normalized reference
};

// "busybox" -> docker.io/library/busybox:latest; the first component is a
// registry when it has a '.' or a ':' or is "localhost". Errors name the text.
Reference parse_reference(std::string_view text);

}  // namespace dkr::image
