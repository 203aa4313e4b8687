// What a container sees of itself, for comparing what two runtimes made of
// the same engine's defaults: its credentials, capabilities and seccomp
// mode, its mounts, devices, rlimits, identity, environment, cgroups, and a
// few process attributes, in sections.
#pragma once

#include <string>

#include "tests/e2e/compare.hpp"

namespace dkr_e2e {

// A busybox sh script that prints the fingerprint.
const std::string& fingerprint_script();

// Adds each section of the script's output to seen, with every occurrence of
// container_id replaced by "ID" (it shows in cgroup paths and the hostname).
void observe_fingerprint(const std::string& output, const std::string& container_id, Observations& seen);

}  // namespace dkr_e2e
