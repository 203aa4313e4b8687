// The floors: the kernel's cost of the same namespaces with no runtime at all.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/spawn.hpp"

namespace dkr::bench {

inline constexpr const char* kFloorUnshare = "unshare+chroot";
inline constexpr const char* kFloorClone = "clone+chroot";

struct Floor {
    std::string name;
    std::string description;
    Command command;
};

// `namespaces` are the config's namespace types ("pid", "network", ...).
// unshare(1) of them with --root=ROOTFS running /bin/true (when unshare is
// installed), and the same done by the tool itself: clone with the
// namespace flags, mounts made private, chroot, execve.
std::vector<Floor> make_floors(const std::vector<std::string>& namespaces, const std::string& rootfs);

}  // namespace dkr::bench
