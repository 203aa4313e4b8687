// The config.json of a bundle made from an image: dkr's default spec (the
// one `dkr spec` writes) with the image config's parts filled in, as the
// image-spec's conversion rules map them:
//   Entrypoint + Cmd -> process.args (the default "sh" when both are empty)
//   Env              -> process.env (over the default PATH and TERM, by name)
//   WorkingDir       -> process.cwd
//   User             -> process.user: "name", "uid", "name:group", "uid:gid",
//                       names looked up in the rootfs's /etc/passwd and
//                       /etc/group, plus the user's supplementary groups
//   Labels, ExposedPorts, StopSignal, author, created, os, architecture
//                    -> annotations (org.opencontainers.image.*)
// and, unlike the default, process.terminal false (an image's program is
// usually a service) and a writable root (the rootfs is this bundle's own copy).
// Volumes are not mounted.
#pragma once

#include <string>

#include "runtime/image/model.hpp"
#include "spec/config.hpp"

namespace dkr::image {

// `rootfs_fd`: the unpacked root, for user and group names.
std::string runtime_config(const ImageConfig& image, int rootfs_fd);

// process.user for an image's User string; errors name the user that is not found.
spec::User resolve_user(const std::string& user, int rootfs_fd);

}  // namespace dkr::image
