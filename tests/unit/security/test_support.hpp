// Helpers for the security tests: run code in a forked child and wait for it
// with a deadline (never a fixed sleep), and self-cleaning temp directories.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "runtime/sys/file.hpp"

namespace dkr::testing {

// Thrown in a child to report a failed expectation (gtest asserts must not run there).
inline void require(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what);
}

inline std::string errno_str(int err) { return std::to_string(err) + " (" + std::strerror(err) + ")"; }

struct ChildResult {
    bool timed_out = false;
    bool exited = false;
    int exit_code = -1;
    int signal = 0;
    std::string message;  // what() of an exception thrown in the child

    std::string describe() const {
        std::string s = timed_out ? "timed out" : exited ? "exit " + std::to_string(exit_code)
                                                         : "signal " + std::to_string(signal);
        if (!message.empty()) s += ": " + message;
        return s;
    }
    bool ok() const { return !timed_out && exited && exit_code == 0; }
};

// A forked child running fn: exit 0 when fn returns, exit 1 (with what()
// reported to the parent) when it throws. The destructor kills and reaps a
// child that was not waited for, so a failing test leaves no process behind.
class Child {
public:
    explicit Child(const std::function<void()>& fn) {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) < 0) throw std::runtime_error("pipe2 failed");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(p[0]);
            int code = 0;
            try {
                fn();
            } catch (const std::exception& e) {
                std::string msg = e.what();
                [[maybe_unused]] ssize_t n = ::write(p[1], msg.data(), msg.size());
                code = 1;
            } catch (...) {
                code = 2;
            }
            ::_exit(code);
        }
        ::close(p[1]);
        pipe_ = p[0];
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        if (pipe_ >= 0) ::close(pipe_);
        if (pidfd_ >= 0) ::close(pidfd_);
    }

    pid_t pid() const { return pid_; }

    ChildResult wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        ChildResult r;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        bool pipe_open = true, done = false;
        while (!done) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                              std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            struct pollfd fds[2] = {{pidfd_, POLLIN, 0}, {pipe_open ? pipe_ : -1, POLLIN, 0}};
            int n = ::poll(fds, 2, static_cast<int>(left.count()));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            if (fds[1].revents) {
                char buf[4096];
                ssize_t k = ::read(pipe_, buf, sizeof buf);
                if (k > 0)
                    r.message.append(buf, static_cast<size_t>(k));
                else
                    pipe_open = false;
            }
            if (fds[0].revents) done = true;
        }
        if (!done) {
            r.timed_out = true;
            ::kill(pid_, SIGKILL);
        }
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        // Anything still buffered in the pipe (the child has exited: no blocking).
        for (char buf[4096];;) {
            ssize_t k = ::read(pipe_, buf, sizeof buf);
            if (k <= 0) break;
            r.message.append(buf, static_cast<size_t>(k));
        }
        if (WIFEXITED(st)) {
            r.exited = true;
            r.exit_code = WEXITSTATUS(st);
        } else if (WIFSIGNALED(st)) {
            r.signal = WTERMSIG(st);
        }
        return r;
    }

private:
    pid_t pid_ = -1;
    int pipe_ = -1;
    int pidfd_ = -1;
};

inline ChildResult run_in_child(const std::function<void()>& fn,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Child c(fn);
    return c.wait(timeout);
}

// mkdtemp under /tmp, removed (recursively, symlinks not followed) on destruction.
class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/dkr-sec-test-XXXXXX";
        if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        try {
            sys::remove_all(path_);
        } catch (...) {
        }
    }
    const std::string& path() const { return path_; }
    std::string operator/(std::string_view rel) const { return sys::join(path_, rel); }

private:
    std::string path_;
};

}  // namespace dkr::testing
