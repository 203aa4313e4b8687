// The child side of `exec`: the process `dkr exec` clones (already in the
// container's pid and time namespaces, which the parent set for its
// children, and in its cgroup) joins the container's other namespaces
// through a pidfd of the init, takes the terminal if asked, drops to the
// process's identity and execs. No re-exec of the dkr binary.
#pragma once

#include <string>

#include <vector>

#include "runtime/process.hpp"
#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

struct ExecInitContext {
    const spec::Process& process;
    std::string id;            // names the session keyring
    int init_pidfd = -1;       // the container's init
    int ns_flags = 0;          // namespaces to join here (not pid/time)
    int sync_fd = -1;          // the child's end: Error with the message, or EOF at exec
    bool wait_for_go = false;  // the parent moves us into the cgroup first (no CLONE_INTO_CGROUP)
    std::vector<sys::Fd> cgroup_tasks;  // v1 `tasks` files to join (cgroup::join_self)
    int console_fd = -1;       // process.terminal: the pty master goes here
    bool console_relayed = false;  // ... to dkr itself (foreground)
    int keep_fds = 0;          // fds 3 .. 3+N-1 stay open
    bool new_keyring = true;
    LsmExec lsm;               // labels to exec into (empty where the host lacks the LSM)
    SeccompProgram seccomp;
    int explain_fd = -1;       // --explain: a close-on-exec dup of dkr's stderr above keep_fds; -1: off
};

// Never returns: execs the program, or reports the error on sync_fd and _exits.
[[noreturn]] void exec_init(ExecInitContext& ctx) noexcept;

}  // namespace dkr
