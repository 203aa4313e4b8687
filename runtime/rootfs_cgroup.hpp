// The "cgroup" mount of config.json: the container's own cgroups, seen at
// /sys/fs/cgroup inside it, on cgroup v1, v2 and hybrid hosts.
#pragma once

#include <string>

#include "runtime/mount_options.hpp"
#include "spec/config.hpp"

namespace dkr {

// Runs in the init after it joined its cgroups and before the root switch.
// v2 host: a fresh cgroup2 mount with a new cgroup namespace, else a bind of
// the container's cgroup directory. v1/hybrid: a tmpfs with one bind per
// hierarchy of the container's directory in it, as runc lays it out.
void mount_cgroup_tree(int root_fd, const std::string& dest, const MountOptions& opts,
                       const spec::Config& config);

}  // namespace dkr
