// Process syscalls: clone3 and pidfds.
#pragma once

#include <sys/types.h>

#include "runtime/sys/fd.hpp"

namespace dkr::sys {

// Returns 0 in the child, the child's pid in the parent. `cgroup_fd` < 0: no
// CLONE_INTO_CGROUP. Falls back to clone(2) where clone3 is missing, in which
// case the caller must move the child into its cgroup itself (`into_cgroup`
// is set false).
// clone3 without a new stack: fork semantics plus namespace flags and, on
// cgroup v2, birth directly inside the container's cgroup.
pid_t clone_process(int ns_flags, int cgroup_fd, bool& into_cgroup);

// A pidfd for `pid`; invalid when the process is gone. Unlike a pid, it
// cannot come to name another process.
Fd open_pidfd(pid_t pid);
// pidfd_send_signal; false (errno set) when it failed.
bool signal_pidfd(int pidfd, int sig);

}  // namespace dkr::sys
