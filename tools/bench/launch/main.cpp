// dkr-bench-launch: starts one program, waits for it and reports its wall
// time and peak RSS. dkr-bench runs every command through it.
//
// Why a separate, small program: the kernel counts the memory a process had
// before exec into its peak RSS (ru_maxrss). A child of dkr-bench itself
// would start from the tool's own RSS; a fork of this launcher starts from
// the launcher's few anonymous pages (fork does not copy file-backed page
// tables), so the figure is the program's own.
//
// Usage: dkr-bench-launch RESULT_FD MNTNS_FD NS_FLAGS CHROOT CWD PROGRAM [ARG...]
//   MNTNS_FD  -1, or a mount namespace to enter before exec
//   NS_FLAGS  CLONE_NEW* flags (decimal) for the child
//   CHROOT    "-", or a directory to chroot into (mounts made private first)
//   CWD       "-", or a directory to change to before exec
// Writes "STATUS MS MAXRSS_KIB\n" to RESULT_FD: the wait status, the time
// from fork to reaped exit, and ru_maxrss of the program (which covers the
// children it waited for).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

double now_ms() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

[[noreturn]] void child(int mntns, const char* root, const char* cwd, char** argv) {
    if (mntns >= 0 && setns(mntns, CLONE_NEWNS) < 0) _exit(126);
    if (root) {
        // As unshare(1) does before it changes root: no mount events leak out.
        if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) _exit(126);
        if (chroot(root) < 0 || chdir("/") < 0) _exit(126);
    }
    if (cwd && chdir(cwd) < 0) _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: dkr-bench-launch RESULT_FD MNTNS_FD NS_FLAGS CHROOT CWD PROGRAM [ARG...]\n");
        return 2;
    }
    int result = atoi(argv[1]);
    int mntns = atoi(argv[2]);
    unsigned long flags = strtoul(argv[3], nullptr, 10);
    const char* root = strcmp(argv[4], "-") == 0 ? nullptr : argv[4];
    const char* cwd = strcmp(argv[5], "-") == 0 ? nullptr : argv[5];
    // Neither fd is for the program.
    if (fcntl(result, F_SETFD, FD_CLOEXEC) < 0 || (mntns >= 0 && fcntl(mntns, F_SETFD, FD_CLOEXEC) < 0)) return 2;

    double start = now_ms();
    // fork semantics (no CLONE_VM), with the namespaces asked for.
    long pid = syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) {
        fprintf(stderr, "dkr-bench-launch: clone: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) child(mntns, root, cwd, argv + 6);
    int status = 0;
    struct rusage ru {};
    while (wait4(static_cast<pid_t>(pid), &status, 0, &ru) < 0)
        if (errno != EINTR) return 2;
    double ms = now_ms() - start;
    dprintf(result, "%d %.6f %ld\n", status, ms, ru.ru_maxrss);
    return 0;
}
