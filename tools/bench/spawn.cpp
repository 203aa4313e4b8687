#include "tools/bench/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

extern char** environ;

namespace dkr::bench {
namespace {

constexpr size_t kChildStack = 64 * 1024;

// What the child needs, prepared by the parent: the child shares the
// parent's memory until it execs, so it only makes syscalls.
struct ChildArgs {
    const char* path;
    char* const* argv;
    int fds[5];  // become 0..4: stdin, stdout, stderr, the result, the mount namespace (or -1)
};

int child_main(void* p) {
    const auto* a = static_cast<const ChildArgs*>(p);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // main blocks SIGINT and SIGTERM for itself only
    // Out of the way of 0..4 first, so that no dup2 overwrites a source still needed.
    int high[5];
    for (int i = 0; i < 5; ++i)
        if (a->fds[i] >= 0 && (high[i] = ::fcntl(a->fds[i], F_DUPFD_CLOEXEC, 10)) < 0) ::_exit(126);
    for (int i = 0; i < 5; ++i)
        if (a->fds[i] >= 0 && ::dup2(high[i], i) < 0) ::_exit(126);
    ::execve(a->path, a->argv, environ);
    ::_exit(127);
}

std::string first_line(const std::string& s) {
    size_t start = s.find_first_not_of(" \n");
    if (start == std::string::npos) return "";
    return s.substr(start, s.find('\n', start) - start);
}

sys::Fd memfd(const char* name) {
    sys::Fd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd) throw sys_error("memfd_create", name, errno);
    return fd;
}

void rewind(int fd, bool truncate) {
    if ((truncate && ::ftruncate(fd, 0) < 0) || ::lseek(fd, 0, SEEK_SET) < 0) throw sys_error("rewind", "memfd", errno);
}

}  // namespace

bool Outcome::ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string Outcome::describe() const {
    std::string how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                      : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                            : "status " + std::to_string(status);
    std::string line = first_line(err);
    return line.empty() ? how : how + ": " + line;
}

Spawner::Spawner()
    : devnull_(sys::open_file("/dev/null", O_RDWR)),
      stderr_(memfd("dkr-bench-stderr")),
      result_(memfd("dkr-bench-result")),
      stack_(kChildStack) {}

Outcome Spawner::run(const Command& cmd) {
    std::vector<std::string> args = {DKR_BENCH_LAUNCH,
                                     "3",
                                     cmd.mntns >= 0 ? "4" : "-1",
                                     std::to_string(cmd.ns_flags),
                                     cmd.chroot.empty() ? "-" : cmd.chroot,
                                     cmd.cwd.empty() ? "-" : cmd.cwd};
    args.insert(args.end(), cmd.argv.begin(), cmd.argv.end());
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    rewind(stderr_.get(), true);
    rewind(result_.get(), true);
    ChildArgs child{argv[0], argv.data(),
                    {devnull_.get(), cmd.stdout_fd >= 0 ? cmd.stdout_fd : devnull_.get(), stderr_.get(), result_.get(),
                     cmd.mntns}};
    // CLONE_VFORK: the parent resumes once the child has exec'd (or exited).
    pid_t pid = ::clone(child_main, stack_.data() + stack_.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &child);
    if (pid < 0) throw sys_error("clone", DKR_BENCH_LAUNCH, errno);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw sys_error("waitpid", DKR_BENCH_LAUNCH, errno);

    Outcome o;
    rewind(stderr_.get(), false);
    o.err = sys::read_fd(stderr_.get());
    rewind(result_.get(), false);
    std::string result = sys::read_fd(result_.get());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        std::sscanf(result.c_str(), "%d %lf %ld", &o.status, &o.ms, &o.maxrss_kib) != 3)
        throw Error(std::string(DKR_BENCH_LAUNCH) + " failed for " + cmd.argv.at(0) + ": " + o.err);
    if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == 126)
        o.err = "could not set up the child for " + cmd.argv[0];
    if (WIFEXITED(o.status) && WEXITSTATUS(o.status) == 127 && o.err.empty())
        o.err = "could not exec " + cmd.argv[0];
    return o;
}

Outcome Spawner::run_capturing(Command cmd, std::string& out) {
    sys::Fd fd = memfd("dkr-bench-stdout");
    cmd.stdout_fd = fd.get();
    Outcome o = run(cmd);
    rewind(fd.get(), false);
    out = sys::read_fd(fd.get());
    return o;
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? sys::absolute_path(name) : "";
    const char* path = ::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    // root's PATH may lack the sbin directories where runc lives.
    dirs += ":/usr/local/sbin:/usr/sbin:/sbin";
    size_t pos = 0;
    while (pos <= dirs.size()) {
        size_t end = dirs.find(':', pos);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(pos, end - pos);
        pos = end + 1;
        if (dir.empty()) continue;
        std::string candidate = sys::join(dir, name);
        struct stat st;
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return "";
}

void reap_zombies() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
}

}  // namespace dkr::bench
