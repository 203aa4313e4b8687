#include "runtime/sys/process.hpp"

#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace dkr::sys {

pid_t clone_process(int ns_flags, int cgroup_fd, bool& into_cgroup) {
    struct clone_args args;
    std::memset(&args, 0, sizeof args);
    args.flags = static_cast<uint64_t>(ns_flags);
    // With CLONE_PARENT the kernel wants 0 and uses the parent's own exit signal.
    args.exit_signal = (ns_flags & CLONE_PARENT) ? 0 : SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    into_cgroup = cgroup_fd >= 0;
    if (pid < 0 && errno == ENOSYS) {
        into_cgroup = false;
        pid = ::syscall(SYS_clone, static_cast<unsigned long>(ns_flags) | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    }
    if (pid < 0) throw sys_error("clone", "container init", errno);
    return static_cast<pid_t>(pid);
}

// Raw syscalls: glibc 2.36's <sys/pidfd.h> lacks C++ linkage.
Fd open_pidfd(pid_t pid) { return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

bool signal_pidfd(int pidfd, int sig) {
    return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

}  // namespace dkr::sys
