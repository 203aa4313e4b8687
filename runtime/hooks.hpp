// OCI hooks: each runs with the container's state JSON on stdin, its own
// args and env (the runtime's when it has none) and an optional timeout.
// Where and when each kind runs is the caller's business (see docs/architecture.md):
//   prestart, createRuntime   parent, after the init made its namespaces and mounts
//   createContainer           the init, in the container namespaces, before pivot_root
//   startContainer            the init, after `start`, just before exec of the program
//   poststart                 parent, once the program runs (failures: warnings)
//   poststop                  delete, once the container is gone (failures: warnings)
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/log.hpp"
#include "spec/config.hpp"

namespace dkr {

// The state a hook reads on stdin: the OCI state document (no runc extras).
struct HookState {
    std::string id;
    std::string status;  // creating, created, running, stopped
    pid_t pid = 0;       // as seen from the host; left out when 0 (stopped)
    std::string bundle;
    std::map<std::string, std::string> annotations;
};
std::string hook_state_json(const HookState& s);

// Runs the hooks in order and stops at the first failure, which it throws as
// "error running createRuntime hook #0 (/path): exit status 3, stdout: ..., stderr: ...".
// `kind` names the list in messages. `cwd`: where the hook runs; "" keeps
// ours (as runc, whose hooks in the runtime's namespaces run where it was
// started).
void run_hooks(const char* kind, const std::vector<spec::Hook>& hooks, const std::string& state_json,
               const std::string& cwd);

// The same for poststart and poststop: a failure is logged as a warning and
// the remaining hooks still run.
void run_hooks_warn(const char* kind, const std::vector<spec::Hook>& hooks, const std::string& state_json,
                    const std::string& cwd, const Logger& log);

}  // namespace dkr
