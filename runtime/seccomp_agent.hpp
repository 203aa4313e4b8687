// SCMP_ACT_NOTIFY with linux.seccomp.listenerPath: the init's seccomp
// notify fd goes to the agent listening there, as the runtime-spec says.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/state.hpp"
#include "spec/config.hpp"

namespace dkr {

// Connects to listenerPath (a SOCK_STREAM unix socket) and sends, in one
// message, the container process state as JSON ({"ociVersion", "fds":
// ["seccompFd"], "pid", "metadata", "state"}) with notify_fd as SCM_RIGHTS.
// `pid` is the process that loaded the filter: the init, or an exec'd one.
void send_to_seccomp_agent(const spec::Seccomp& seccomp, int notify_fd, const OciState& state, pid_t pid);

}  // namespace dkr
