// The OCI image-spec documents (and Docker's equivalents) that unpack and
// pull read: index / manifest list, manifest, image config, and the
// manifest.json of a `docker save` archive. Parse errors name the document
// (`where`: a file or a URL) and the JSON pointer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/image/digest.hpp"

namespace dkr::image {

namespace media {
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

bool is_index(const std::string& media_type);
bool is_manifest(const std::string& media_type);
}  // namespace media

inline constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct Platform {
    std::string os, architecture, variant;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
};

struct Index {
    std::vector<Descriptor> manifests;
};

struct Manifest {
    Descriptor config;
    std::vector<Descriptor> layers;
};

struct ImageConfig {
    Platform platform;
    std::string author, created;
    std::string user, working_dir, stop_signal;
    std::vector<std::string> env, entrypoint, cmd, exposed_ports;
    std::map<std::string, std::string> labels;
    std::vector<Digest> diff_ids;  // digests of the uncompressed layers, in order
};

// One image of a `docker save` archive's manifest.json; paths are relative
// to the archive's root.
struct DockerSaveImage {
    std::string config;
    std::vector<std::string> repo_tags;
    std::vector<std::string> layers;
};

// The media type a document declares ("mediaType"), or "" when it has none.
std::string declared_media_type(const std::string& json, const std::string& where);
Index parse_index(const std::string& json, const std::string& where);
Manifest parse_manifest(const std::string& json, const std::string& where);
ImageConfig parse_image_config(const std::string& json, const std::string& where);
std::vector<DockerSaveImage> parse_docker_save_manifest(const std::string& json, const std::string& where);

}  // namespace dkr::image
