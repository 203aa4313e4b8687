// Go's duration syntax (time.ParseDuration), which runc's flags use: "5s", "1m30s", "250ms", "1.5h".
#pragma once

#include <chrono>
#include <string>

namespace dkr {

// Units: ns, us (or µs), ms, s, m, h; a sign and fractions allowed; "0" alone
// needs no unit. Throws dkr::Error "invalid duration \"<s>\"".
std::chrono::nanoseconds parse_duration(const std::string& s);

}  // namespace dkr
