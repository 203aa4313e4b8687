// Which kernel namespace a sysctl belongs to: a container may only set the
// sysctls of namespaces it has its own of, or it would change the host's.
#pragma once

#include <string_view>

namespace dkr::spec {

// "ipc", "network" or "uts" (the OCI namespace type), or "" for a sysctl
// that no namespace isolates. kernel.hostname counts as "" here: the OCI
// hostname field sets it.
std::string_view sysctl_namespace(std::string_view key);

}  // namespace dkr::spec
