// crun 1.8.1 refuses hybrid cgroup hierarchies ("cgroups in hybrid mode not
// supported"). To compare with it on such a host, it runs in a private mount
// namespace where an empty tmpfs covers /sys/fs/cgroup/unified, so that it
// sees cgroup v1 only. The host's mounts are not touched.
#pragma once

#include "runtime/sys/fd.hpp"

namespace dkr::bench {

// True when v1 controllers are mounted under /sys/fs/cgroup with a cgroup2
// mount at /sys/fs/cgroup/unified.
bool hybrid_cgroups();

// An fd of a new mount namespace (a slave copy of the tool's) in which an
// empty tmpfs is mounted on /sys/fs/cgroup/unified.
sys::Fd mount_ns_without_unified();

}  // namespace dkr::bench
