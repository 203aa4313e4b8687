#include "runtime/cgroup/cgfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup::fs {

namespace {

using Clock = std::chrono::steady_clock;

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Subdirectories (child cgroups) of dir; empty if dir is gone.
std::vector<std::string> child_cgroups(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        throw sys_error("opendir", dir, errno);
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            is_dir = ::lstat(sys::join(dir, name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (is_dir) out.push_back(sys::join(dir, name));
    }
    ::closedir(d);
    return out;
}

std::string hint(const Write& w, const std::string& dir, int err, bool v2) {
    if (err == ENOENT)
        return v2 ? " (is the " + w.controller + " controller enabled in the parent's cgroup.subtree_control?)"
                  : " (not supported by this kernel)";
    if (!v2 && err == EBUSY && w.file == "memory.limit_in_bytes") {
        try {
            auto usage = try_read(sys::join(dir, "memory.usage_in_bytes"));
            auto peak = try_read(sys::join(dir, "memory.max_usage_in_bytes"));
            return " (current usage: " + trim(usage.value_or("?")) + ", peak usage: " + trim(peak.value_or("?")) +
                   ")";
        } catch (const Error&) {
            return " (the limit is below the current usage)";
        }
    }
    return "";
}

}  // namespace

std::optional<std::string> try_read(const std::string& path) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw sys_error("open", path, errno);
    }
    sys::Fd f(fd);
    try {
        return sys::read_fd(f.get());
    } catch (...) {
        rethrow_with("read " + path);
    }
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void write(const std::string& dir, const std::string& file, std::string_view value) {
    std::string path = sys::join(dir, file);
    int fd;
    do {
        // O_TRUNC as runc opens them: nothing to cgroupfs, and a plain file
        // (a fake tree in the tests) then holds just the value.
        fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw sys_error("open", path, errno);
    sys::Fd f(fd);
    ssize_t n;
    do {
        n = ::write(f.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("write " + std::string(value) + " to", path, errno);
}

void execute(const std::vector<Write>& writes, const std::function<std::string(const std::string&)>& dir_of, bool v2,
             bool restore) {
    struct Saved {
        std::string dir, file, value;
    };
    std::vector<Saved> saved;
    auto save = [&](const std::string& dir, const std::string& file) {
        for (const auto& s : saved)
            if (s.dir == dir && s.file == file) return;
        std::optional<std::string> value;
        try {
            value = try_read(sys::join(dir, file));
        } catch (const Error&) {
            return;  // the write will say what is wrong
        }
        std::string v = trim(value.value_or(""));
        if (!v.empty() && v.find('\n') == std::string::npos) saved.push_back({dir, file, v});
    };
    std::vector<const Write*> deferred;
    auto attempt = [&](const Write& w, bool may_defer) {
        std::string dir = dir_of(w.controller);
        if (restore) save(dir, w.file);
        try {
            write(dir, w.file, w.value);
        } catch (const Error& e) {
            if (may_defer && w.retry_on_einval && e.code() == EINVAL) {
                deferred.push_back(&w);
                return;
            }
            throw Error(
                "cgroup: cannot set " + w.file + " to \"" + w.value + "\": " + e.what() + hint(w, dir, e.code(), v2),
                e.code());
        }
    };
    try {
        for (const auto& w : writes) attempt(w, true);
        for (const Write* w : deferred) attempt(*w, false);
    } catch (const Error&) {
        // Best effort: the failure is what gets reported.
        for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
            try {
                write(it->dir, it->file, it->value);
            } catch (const Error&) {
            }
        }
        throw;
    }
}

void mkdir_tracked(const std::string& mountpoint, const std::string& rel, std::vector<std::string>& created) {
    std::string cur = mountpoint;
    size_t i = 0;
    while (i < rel.size()) {
        size_t j = rel.find('/', i);
        if (j == std::string::npos) j = rel.size();
        if (j > i) {
            cur = sys::join(cur, rel.substr(i, j - i));
            if (::mkdir(cur.c_str(), 0755) == 0)
                created.push_back(cur);
            else if (errno != EEXIST)
                throw sys_error("mkdir", cur, errno);
        }
        i = j + 1;
    }
}

void undo_mkdirs(const std::vector<std::string>& created) {
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
}

std::vector<pid_t> procs_recursive(const std::string& dir) {
    std::vector<pid_t> out;
    std::vector<std::string> todo{dir};
    while (!todo.empty()) {
        std::string d = std::move(todo.back());
        todo.pop_back();
        std::optional<std::string> procs;
        try {
            procs = try_read(sys::join(d, "cgroup.procs"));
        } catch (const Error& e) {
            if (e.code() != EOPNOTSUPP || d == dir) throw;  // threaded child cgroups have no process list
        }
        if (!procs) continue;  // removed meanwhile
        const char* p = procs->c_str();
        while (*p) {
            char* end;
            long v = std::strtol(p, &end, 10);
            if (end == p) {
                ++p;
                continue;
            }
            out.push_back(static_cast<pid_t>(v));
            p = end;
        }
        for (auto& c : child_cgroups(d)) todo.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

bool poll_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    auto interval = std::chrono::microseconds(50);
    for (;;) {
        if (cond()) return true;
        auto now = Clock::now();
        if (now >= deadline) return false;
        std::this_thread::sleep_for(std::min<Clock::duration>(interval, deadline - now));
        interval = std::min<std::chrono::microseconds>(interval * 2, std::chrono::milliseconds(10));
    }
}

std::optional<std::string> keyed_value(std::string_view content, std::string_view key) {
    size_t pos = 0;
    while (pos < content.size()) {
        size_t eol = content.find('\n', pos);
        if (eol == std::string_view::npos) eol = content.size();
        std::string_view line = content.substr(pos, eol - pos);
        if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
            return std::string(line.substr(key.size() + 1));
        pos = eol + 1;
    }
    return std::nullopt;
}

bool wait_event(const std::string& dir, std::string_view key, std::string_view value,
                std::chrono::milliseconds timeout) {
    std::string path = sys::join(dir, "cgroup.events");
    sys::Fd fd = sys::open_file(path, O_RDONLY);
    auto deadline = Clock::now() + timeout;
    for (;;) {
        if (::lseek(fd.get(), 0, SEEK_SET) < 0) throw sys_error("lseek", path, errno);
        std::string content = sys::read_fd(fd.get());  // also re-arms the poll
        if (keyed_value(content, key) == value) return true;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        struct pollfd p = {fd.get(), POLLPRI, 0};
        // Capped so that a missed wakeup costs little.
        int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100)));
        if (r < 0 && errno != EINTR) throw sys_error("poll", path, errno);
    }
}

void remove_tree(const std::string& dir, bool v2, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::function<void(const std::string&)> remove = [&](const std::string& d) {
        auto interval = std::chrono::microseconds(100);
        for (;;) {
            // Most cgroups have no child: rmdir first, and list the
            // directory only when it is busy (ENOTEMPTY: a fake tree).
            if (::rmdir(d.c_str()) == 0 || errno == ENOENT) return;
            int err = errno;
            if (err == EBUSY || err == ENOTEMPTY) {
                std::vector<std::string> children = child_cgroups(d);
                if (!children.empty()) {
                    for (const auto& c : children) remove(c);
                    continue;
                }
            }
            auto now = Clock::now();
            if (err != EBUSY || now >= deadline) throw sys_error("rmdir", d, err);
            if (v2) {
                // Processes still exiting: wait for the cgroup to empty.
                try {
                    wait_event(d, "populated", "0",
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms);
                } catch (const Error& e) {
                    if (e.code() != ENOENT) throw;
                }
                now = Clock::now();
                if (now >= deadline) continue;  // one last attempt
            }
            // v1 has no event for it; on v2 the cgroup may be empty yet still
            // briefly busy. Back off, growing from 100us to 20ms.
            std::this_thread::sleep_for(std::min<Clock::duration>(interval, deadline - now));
            interval = std::min<std::chrono::microseconds>(interval * 2, std::chrono::milliseconds(20));
        }
    };
    remove(dir);
}

}  // namespace dkr::cgroup::fs
