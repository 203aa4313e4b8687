// cgroupsPath resolution (runc 1.1, cgroupfs driver) and the saved form of
// a resolved path. Pure functions over a Host.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroup/host.hpp"

namespace dkr::cgroup {

// Where the container's cgroup is, relative to each mount point.
struct Paths {
    std::vector<std::string> v1;  // index-aligned with Host::v1
    std::string v2;               // the v2 cgroup, or the hybrid unified mirror; "" if no cgroup2 mount
};

// runc's utils.CleanPath: lexical clean; a relative path cannot climb out
// ("../../x" -> "x"); absolute stays absolute. "" stays "".
std::string clean_path(std::string_view path);

// "slice:prefix:name": the systemd driver's form.
bool is_systemd_path(std::string_view path);

// Throws dkr::Error for the systemd form, an empty container id with an
// empty path, or a path that resolves to a hierarchy root or to the caller's
// own cgroup or an ancestor of it.
Paths resolve_paths(const Host& host, const std::string& cgroups_path, const std::string& container_id);

// Manager::path(): the most common path, then ";<controllers>:<path>" for
// every hierarchy that differs (the unified mirror's key is empty).
std::string encode_paths(const Host& host, const Paths& paths);
Paths decode_paths(const Host& host, const std::string& saved);

}  // namespace dkr::cgroup
