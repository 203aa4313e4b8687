// The container's filesystem view, built by the init in its own mount
// namespace: mounts from config.json, /dev, the switch of root, and the
// masked and read-only paths. Every path inside the rootfs is resolved
// through file descriptors confined to it (see security/safe_path.hpp).
#pragma once

#include <string>

#include "runtime/explain.hpp"
#include "runtime/idmapped_mounts.hpp"
#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

struct RootfsContext {
    const spec::Config& config;
    std::string bundle;   // absolute; relative bind sources are resolved against it
    std::string rootfs;   // absolute host path of root.path
    bool in_user_ns = false;  // device nodes are bind-mounted, not made with mknod
    const IdmappedMounts* idmapped = nullptr;  // made by the parent; attached instead of a plain bind
    Explainer explain;
};

// Before the switch: mount propagation, the rootfs bind, config mounts and
// /dev. Returns an O_PATH fd of the rootfs mount.
sys::Fd prepare_rootfs(const RootfsContext& ctx);

// pivot_root into `root_fd` (or MS_MOVE + chroot with no_pivot) and detach the old root.
void switch_root(int root_fd, bool no_pivot, Explainer ex);

// After the switch: masked paths (covered with the host's /dev/null, a
// detached clone of which the caller made before the switch, or an empty
// read-only tmpfs), read-only paths, sysctl, and a read-only root when asked.
void finish_rootfs(const spec::Config& config, sys::Fd host_devnull_tree, Explainer ex);

}  // namespace dkr
