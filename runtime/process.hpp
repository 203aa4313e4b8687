// The container process's identity, environment and program, set up inside
// the container root just before exec (by the init and by `exec`).
#pragma once

#include <string>
#include <vector>

#include "runtime/explain.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/sys/fd.hpp"
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

// A compiled seccomp filter (security/seccomp.hpp) and how to load it.
struct SeccompProgram {
    std::string bpf;  // empty: no filter
    std::vector<std::string> flags;
    bool notify = false;
};

// The program, found while the caller was still in the container root with
// the process's identity.
struct PreparedProcess {
    std::string path;
    std::vector<std::string> args, env;
};

// The last steps in the container before exec, shared by the init and
// `exec`, in the order capabilities.hpp requires: rlimits, bounding set,
// user, capabilities, umask, cwd (made when missing with create_cwd, as
// runc's init does; exec needs it to exist), the program's lookup, the LSM
// label to exec into, no_new_privs and the seccomp filter last. Without
// noNewPrivileges the filter is loaded first instead, as runc does: loading
// it then takes CAP_SYS_ADMIN, which the process may be about to drop. A
// notify fd goes to the parent over sync_fd at once (a syscall it traps may
// come before exec), for the agent at listenerPath.
PreparedProcess prepare_process(const spec::Process& p, const LsmExec& lsm, const SeccompProgram& seccomp,
                                bool create_cwd, int sync_fd, Explainer ex);

// Marks every fd from 3 + keep_fds close-on-exec, then execve. Throws if
// the exec fails. An explain fd must be close-on-exec and above 3 + keep_fds.
[[noreturn]] void exec_prepared(PreparedProcess& p, int keep_fds, Explainer ex);

// NULL-terminated pointers into `v`, for execve.
std::vector<char*> c_strings(std::vector<std::string>& v);

}  // namespace dkr
