// Helpers for the cgroup tests: child processes that block on a pipe,
// temporary directories, condition polling.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dkr::cgroup::test {

using namespace std::chrono_literals;

inline std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

inline std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

inline void spit(const std::string& path, const std::string& content) {
    std::ofstream f(path, std::ios::trunc);
    f << content;
}

inline bool is_dir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Polls cond (growing interval) for up to timeout.
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto interval = std::chrono::microseconds(100);
    while (!cond()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(interval);
        interval = std::min<std::chrono::microseconds>(interval * 2, std::chrono::milliseconds(20));
    }
    return true;
}

// Allocates and touches `bytes` of memory: a child action that a memory
// limit below that ends in an OOM kill.
inline int touch_memory(size_t bytes) {
    // volatile: the optimizer may otherwise drop the stores and the malloc with them.
    volatile char* p = static_cast<char*>(std::malloc(bytes));
    for (size_t i = 0; p && i < bytes; i += 4096) p[i] = 1;
    return p ? 0 : -1;
}

// A unique name per process and call, for cgroups and temp dirs.
inline std::string unique_name(const std::string& what) {
    static int counter = 0;
    return "dkr-cgtest-" + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(++counter);
}

// Removes empty leftovers "dkr-cgtest-<pid>-*" of test processes that are
// gone (killed by a timeout, say) directly under root. Best-effort.
inline void sweep_stale(const std::string& root) {
    DIR* d = ::opendir(root.c_str());
    if (!d) return;
    std::vector<std::string> stale;
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        const std::string prefix = "dkr-cgtest-";
        if (name.rfind(prefix, 0) != 0) continue;
        long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) < 0 && errno == ESRCH)
            stale.push_back(root + "/" + name);
    }
    ::closedir(d);
    for (const auto& dir : stale) {
        // Depth-first rmdir; a cgroup that still holds processes stays.
        std::string cmd = "find '" + dir + "' -depth -type d -exec rmdir {} + 2>/dev/null";
        if (std::system(cmd.c_str()) != 0) {
        }
    }
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/dkr-cgtest-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::string cmd = "rm -rf '" + path_ + "'";
        if (std::system(cmd.c_str()) != 0) {
        }
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// A forked child that waits for go(), then runs `action` (if any) and
// reports its int result through a pipe, then blocks until killed or
// released. Destruction kills and reaps it.
class Child {
public:
    explicit Child(std::function<int()> action = {}, std::function<void()> prelude = {}) {
        int go[2], res[2];
        if (::pipe2(go, O_CLOEXEC) < 0 || ::pipe2(res, O_CLOEXEC) < 0) std::abort();
        pid_ = ::fork();
        if (pid_ < 0) std::abort();
        if (pid_ == 0) {
            ::close(go[1]);
            ::close(res[0]);
            if (prelude) prelude();
            char c;
            if (::read(go[0], &c, 1) == 1) {
                int r = action ? action() : 0;
                if (::write(res[1], &r, sizeof r) != sizeof r) ::_exit(2);
                // Block until the parent releases us (closes go) or kills us.
                while (::read(go[0], &c, 1) > 0) {
                }
            }
            ::_exit(0);
        }
        ::close(go[0]);
        ::close(res[1]);
        go_ = go[1];
        res_ = res[0];
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        if (go_ >= 0) ::close(go_);
        if (res_ >= 0) ::close(res_);
    }

    pid_t pid() const { return pid_; }
    // Lets the child run its action; returns the action's result.
    int go() {
        char c = 'g';
        if (::write(go_, &c, 1) != 1) return -1000;
        int r = -1000;
        if (::read(res_, &r, sizeof r) != sizeof r) return -1001;
        return r;
    }
    // Waits (bounded) for the child to end; returns the wait status, or -1
    // after killing it if it did not end within the timeout.
    int wait(std::chrono::milliseconds timeout = 10s) {
        if (pid_ < 0) return status_;
        if (!eventually([&] { return exited(); }, timeout)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status_, 0);
            pid_ = -1;
            return -1;
        }
        return status_;
    }
    // Returns true once the child has exited (reaping it).
    bool exited() {
        int st;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = st;
            pid_ = -1;
            return true;
        }
        return pid_ < 0;
    }
    int status() const { return status_; }

private:
    pid_t pid_ = -1;
    int go_ = -1, res_ = -1;
    int status_ = 0;
};

}  // namespace dkr::cgroup::test
