// Signal names and numbers as `kill` accepts them.
#pragma once

#include <string_view>

namespace dkr {

// Accepts "KILL", "SIGKILL", "kill", "9" and real-time forms like "RTMIN+3".
// Throws dkr::Error `unknown signal "X"`.
int parse_signal(std::string_view text);

}  // namespace dkr
