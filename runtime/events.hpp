// `events`: runc's event lines. One JSON object per line:
//   {"type":"stats","id":"c1","data":{...}}   runc's types.Stats, field for field
//   {"type":"oom","id":"c1"}
#pragma once

#include <string>

#include "runtime/cgroup/manager.hpp"

namespace dkr {

// Fields that runc marks omitempty are left out when zero or empty, as Go's
// encoder does; map keys are sorted. intel_rdt is {} and network_interfaces
// null: dkr manages neither.
std::string stats_event_json(const std::string& id, const cgroup::Stats& s);
std::string oom_event_json(const std::string& id);

}  // namespace dkr
