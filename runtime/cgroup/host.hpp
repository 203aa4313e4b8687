// Which cgroup hierarchies this host has, where they are mounted, and where
// the calling process sits in each (from /proc/self/mountinfo and
// /proc/self/cgroup). Parsing is pure so that tests can feed fake trees.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dkr::cgroup {

struct Hierarchy {
    std::vector<std::string> controllers;  // v1: {"cpu"}, {"cpu","cpuacct"}, {"name=systemd"}; cgroup2: {}
    std::string mountpoint;                // "/sys/fs/cgroup/memory"
    std::string mount_root = "/";          // the mount's root inside the hierarchy (not "/" in a cgroupns)
    std::string own_path = "/";            // the caller's cgroup, as in /proc/self/cgroup

    bool has(std::string_view controller) const;
    // The controllers field of /proc/self/cgroup: "cpu,cpuacct"; "" for cgroup2.
    std::string key() const;
    // The caller's cgroup relative to the mount point ("/" if outside it).
    std::string own_relative() const;
};

struct Host {
    bool unified = false;         // pure cgroup v2 host
    std::vector<Hierarchy> v1;    // v1 hierarchies to join (empty on a v2 host)
    std::optional<Hierarchy> v2;  // the cgroup2 mount: the only hierarchy on v2,
                                  // the "unified" mirror on a hybrid host
    // v2: controllers to enable in the ancestors' cgroup.subtree_control.
    // nullopt: all of the root's cgroup.controllers (runc). Tests set {}.
    std::optional<std::vector<std::string>> v2_enable;

    const Hierarchy* find_v1(std::string_view controller) const;
};

// The v1 controllers (and named hierarchies) a container joins, as runc does.
bool is_joined_v1_controller(std::string_view name);

// One /proc/self/mountinfo record, the fields we use.
struct MountInfo {
    std::string root, mountpoint, fstype, super_options;
};
std::vector<MountInfo> parse_mountinfo(std::string_view text);

// unified: the host is pure v2 (statfs of /sys/fs/cgroup said cgroup2).
Host parse_host(std::string_view mountinfo, std::string_view proc_self_cgroup, bool unified);
// The real host: statfs("/sys/fs/cgroup"), /proc/self/mountinfo, /proc/self/cgroup.
Host detect_host();

}  // namespace dkr::cgroup
