// The two OomWatch implementations (internal to the cgroup library).
#pragma once

#include <memory>
#include <string>

#include "runtime/cgroup/manager.hpp"

namespace dkr::cgroup {

// dir: the container's directory in the v1 memory hierarchy. Its eventfd is
// also signalled when the cgroup is removed, which read() reports as gone.
std::unique_ptr<OomWatch> watch_oom_v1(const std::string& dir);
// dir: the container's v2 cgroup. Only OOM kills after the call are counted.
std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir);

}  // namespace dkr::cgroup
