#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "runtime/error.hpp"
#include "runtime/process.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/state.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"

extern char** environ;

namespace dkr {
namespace {

// The state on stdin comes from a memfd: the hook may read it or not, and
// nothing can block or raise SIGPIPE on our side.
sys::Fd state_input(const std::string& state_json) {
    sys::Fd fd(::memfd_create("dkr-hook-state", MFD_CLOEXEC));
    if (!fd) throw sys_error("memfd_create", "hook state", errno);
    sys::write_all(fd.get(), state_json, "hook state");
    if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw sys_error("lseek", "hook state", errno);
    return fd;
}

std::pair<sys::Fd, sys::Fd> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw sys_error("pipe", "hook output", errno);
    return {sys::Fd(fds[0]), sys::Fd(fds[1])};
}

[[noreturn]] void exec_hook(const spec::Hook& hook, int in, int out, int err, const std::string& cwd) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
    security::close_fds_from(3);
    if (!cwd.empty() && ::chdir(cwd.c_str()) < 0) {
        std::string msg = "chdir " + cwd + ": " + std::strerror(errno) + "\n";
        ssize_t ignored = ::write(2, msg.data(), msg.size());
        (void)ignored;
        ::_exit(127);
    }
    std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    std::vector<std::string> env = hook.env;
    std::vector<char*> argv = c_strings(args), envp = c_strings(env);
    // No env in the config: the hook inherits ours, as runc does.
    ::execve(hook.path.c_str(), argv.data(), hook.env.empty() ? environ : envp.data());
    std::string msg = "exec " + hook.path + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = ::write(2, msg.data(), msg.size());
    (void)ignored;
    ::_exit(127);
}

// Appends what is there to read; false once the pipe is at EOF.
bool drain(int fd, std::string& into) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && errno == EAGAIN;
    }
}

// A hook's output in an error message: enough to see why, never unbounded.
std::string excerpt(const std::string& output) {
    constexpr size_t kMax = 4096;
    return output.size() <= kMax ? output : output.substr(0, kMax) + "...";
}

std::string exit_description(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal: ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

// Runs one hook to completion; returns "" on success, else why it failed.
std::string run_one(const spec::Hook& hook, const std::string& state_json, const std::string& cwd) {
    sys::Fd in = state_input(state_json);
    auto [out_r, out_w] = make_pipe();
    auto [err_r, err_w] = make_pipe();
    pid_t pid = ::fork();
    if (pid < 0) throw sys_error("fork", "hook " + hook.path, errno);
    if (pid == 0) exec_hook(hook, in.get(), out_w.get(), err_w.get(), cwd);
    out_w.reset();
    err_w.reset();
    sys::Fd pidfd = sys::open_pidfd(pid);
    if (!pidfd) {
        int err = errno;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        throw sys_error("pidfd_open", "hook " + hook.path, err);
    }
    ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(err_r.get(), F_SETFL, O_NONBLOCK);

    using Clock = std::chrono::steady_clock;
    const bool timed = hook.timeout.has_value();
    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(hook.timeout.value_or(0));
    std::string out, err;
    bool out_open = true, err_open = true, timed_out = false;
    for (;;) {
        struct pollfd p[3] = {{pidfd.get(), POLLIN, 0},
                              {out_open ? out_r.get() : -1, POLLIN, 0},
                              {err_open ? err_r.get() : -1, POLLIN, 0}};
        int wait_ms = -1;
        if (timed) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            wait_ms = left > 0 ? static_cast<int>(left) : 0;
        }
        int rc = ::poll(p, 3, wait_ms);
        if (rc < 0 && errno != EINTR) throw sys_error("poll", "hook " + hook.path, errno);
        if (out_open && p[1].revents) out_open = drain(out_r.get(), out);
        if (err_open && p[2].revents) err_open = drain(err_r.get(), err);
        // The hook may leave a daemon holding its stdout: its exit ends the wait.
        if (p[0].revents) break;
        if (rc == 0 && timed) {
            sys::signal_pidfd(pidfd.get(), SIGKILL);
            timed_out = true;
            break;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (out_open) drain(out_r.get(), out);
    if (err_open) drain(err_r.get(), err);
    if (timed_out) return "timed out after " + std::to_string(*hook.timeout) + "s";
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return exit_description(status) + ", stdout: " + excerpt(out) + ", stderr: " + excerpt(err);
}

std::string hook_error(const char* kind, size_t i, const spec::Hook& hook, const std::string& why) {
    return std::string("error running ") + kind + " hook #" + std::to_string(i) + " (" + hook.path + "): " + why;
}

}  // namespace

std::string hook_state_json(const HookState& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto str = [&w](const char* key, const std::string& v) {
        w.Key(key);
        w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartObject();
    str("ociVersion", kOciVersion);
    str("id", s.id);
    str("status", s.status);
    if (s.pid > 0) {
        w.Key("pid");
        w.Int(s.pid);
    }
    str("bundle", s.bundle);
    if (!s.annotations.empty()) {
        w.Key("annotations");
        w.StartObject();
        for (const auto& [k, v] : s.annotations) str(k.c_str(), v);
        w.EndObject();
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

void run_hooks(const char* kind, const std::vector<spec::Hook>& hooks, const std::string& state_json,
               const std::string& cwd) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        std::string why;
        try {
            why = run_one(hooks[i], state_json, cwd);
        } catch (const Error& e) {
            why = e.what();
        }
        if (!why.empty()) throw Error(hook_error(kind, i, hooks[i], why));
    }
}

void run_hooks_warn(const char* kind, const std::vector<spec::Hook>& hooks, const std::string& state_json,
                    const std::string& cwd, const Logger& log) {
    for (size_t i = 0; i < hooks.size(); ++i) {
        try {
            std::string why = run_one(hooks[i], state_json, cwd);
            if (!why.empty()) log.warn(hook_error(kind, i, hooks[i], why));
        } catch (const Error& e) {
            log.warn(hook_error(kind, i, hooks[i], e.what()));
        }
    }
}

}  // namespace dkr
