// The container process's identity, environment and program, set up inside
// the container root just before exec.
#pragma once

#include <string>
#include <vector>

#include "spec/config.hpp"

namespace dkr {

// Resolves args[0] against PATH from `env` (not the runtime's own), as execvp
// would. Errors read like runc's: exec: "x": executable file not found in $PATH
std::string find_executable(const std::string& arg0, const std::vector<std::string>& env);

// HOME from /etc/passwd for `uid`, "/" when there is no entry.
std::string home_for_uid(uint32_t uid);

// The environment to exec with: `env` plus HOME when it lacks one.
std::vector<std::string> process_env(const spec::Process& p);

// setgroups, setresgid, setresuid. Call with PR_SET_KEEPCAPS set so that the
// capabilities can be applied afterwards.
void switch_user(const spec::User& user);

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits);

}  // namespace dkr
