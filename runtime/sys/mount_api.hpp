// The fd-based mount API (open_tree, move_mount, mount_setattr, fsopen):
// mounts are made on verified fds, never on re-resolved path strings, and
// need no /proc inside the container.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/sys/fd.hpp"

namespace dkr::sys {

// A detached copy of the mount tree at `path` (relative to dirfd; "" = dirfd itself).
Fd clone_tree(int dirfd, const std::string& path, bool recursive, const std::string& what);

// Attaches a detached tree (or a mount fd from new_mount) onto the object `target_fd` refers to.
void attach_tree(int tree_fd, int target_fd, const std::string& what);

// mount_setattr on the mount `fd` refers to. propagation: 0 or MS_PRIVATE/SHARED/SLAVE/UNBINDABLE.
void set_mount_attrs(int fd, uint64_t set, uint64_t clear, uint64_t propagation, bool recursive,
                     const std::string& what);

// A new, detached filesystem mount (fsopen + fsconfig + fsmount) with mount
// attributes; its source is fstype ("tmpfs", "cgroup").
Fd new_mount(const std::string& fstype, const std::string& data, uint64_t attrs, const std::string& what);

// MS_* per-mount flags -> MOUNT_ATTR_* (for mount_setattr).
uint64_t mount_attrs_from_flags(unsigned long ms_flags);

}  // namespace dkr::sys
