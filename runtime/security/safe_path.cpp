#include "runtime/security/safe_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <vector>

#include "runtime/error.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace dkr::security {

namespace {

std::atomic<bool> g_no_openat2{false};

// openat2 may be missing (ENOSYS before 5.6) or refused by a seccomp profile
// around us (older container profiles return EPERM): probe once with a
// lookup that cannot fail otherwise, and use the user-space walk if it does.
bool openat2_usable() {
    static const bool usable = [] {
        struct open_how how {};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_NO_MAGICLINKS;
        long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
        if (fd < 0) return false;
        ::close(static_cast<int>(fd));
        return true;
    }();
    return usable && !g_no_openat2.load(std::memory_order_relaxed);
}

// Components of a path; a trailing '/' adds "." so the result must be a directory.
std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        if (j > i) out.emplace_back(path.substr(i, j - i));
        i = j + 1;
    }
    if (!path.empty() && path.back() == '/') out.emplace_back(".");
    return out;
}

void check_no_nul(std::string_view path, const char* op) {
    if (path.find('\0') != std::string_view::npos) throw Error(std::string(op) + ": path contains a NUL byte", EINVAL);
}

int xopenat(int dirfd, const char* name, int flags, mode_t mode = 0) {
    int fd;
    do {
        fd = ::openat(dirfd, name, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

enum class Mode { Open, MkdirAll, CreateFile };

const char* op_name(Mode m) {
    switch (m) {
        case Mode::Open: return "open in root";
        case Mode::MkdirAll: return "mkdir in root";
        case Mode::CreateFile: return "create in root";
    }
    return "";
}

// The scoped resolver. Directories entered are kept as a stack of O_PATH fds
// below the root, so ".." never touches the filesystem: it pops (and stays at
// the root when the stack is empty).
class Walker {
public:
    Walker(int root, std::string_view path, Mode mode, int flags, mode_t perm)
        : root_(root), path_(path), mode_(mode), flags_(flags), perm_(perm) {}

    sys::Fd run() {
        check_no_nul(path_, op_name(mode_));
        std::vector<std::string> first = split(path_);
        std::deque<std::string> todo(first.begin(), first.end());
        int links = 0;
        int retries = 0;  // creations of the current component (reset once it opens)

        while (!todo.empty()) {
            std::string comp = std::move(todo.front());
            todo.pop_front();
            const bool last = todo.empty();

            if (comp == "." || comp == "..") {
                if (comp == ".." && !stack_.empty()) stack_.pop_back();
                if (last) return open_current();
                continue;
            }

            int fd = xopenat(cur(), comp.c_str(), O_PATH | O_NOFOLLOW);
            if (fd < 0) {
                int err = errno;
                if (err != ENOENT) fail(err);
                if (mode_ == Mode::Open) {
                    // Only the final component may be created, by the caller's O_CREAT.
                    if (!last || !(flags_ & O_CREAT)) fail(ENOENT);
                    return open_final(comp);
                }
                if (++retries > 8) fail(EAGAIN);  // something keeps removing what we create
                create(comp, last);
                todo.push_front(std::move(comp));  // look again: it may not be what we made
                continue;
            }
            sys::Fd node(fd);
            retries = 0;
            struct stat st;
            if (::fstat(fd, &st) < 0) fail(errno);

            if (S_ISLNK(st.st_mode)) {
                // Kernel semantics: O_NOFOLLOW, and O_CREAT|O_EXCL, do not follow a final symlink.
                if (last && mode_ == Mode::Open &&
                    ((flags_ & O_NOFOLLOW) || ((flags_ & O_CREAT) && (flags_ & O_EXCL))))
                    return open_final(comp);
                if (++links > kMaxSymlinks) fail(ELOOP);
                std::string target = read_link(fd);
                if (target.empty()) fail(ENOENT);
                if (target.front() == '/') stack_.clear();
                std::vector<std::string> parts = split(target);
                todo.insert(todo.begin(), parts.begin(), parts.end());
                continue;
            }

            if (!last) {
                if (!S_ISDIR(st.st_mode)) fail(ENOTDIR);
                stack_.push_back(std::move(node));
                continue;
            }

            switch (mode_) {
                case Mode::Open: return open_final(comp);
                case Mode::MkdirAll:
                    if (!S_ISDIR(st.st_mode)) fail(ENOTDIR);
                    return node;
                case Mode::CreateFile: return node;
            }
        }
        return open_current();
    }

private:
    int cur() const { return stack_.empty() ? root_ : stack_.back().get(); }

    [[noreturn]] void fail(int err) const { throw sys_error(op_name(mode_), std::string(path_), err); }

    std::string read_link(int fd) const {
        std::string buf(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(fd, "", buf.data(), buf.size());
        if (n < 0) fail(errno);
        if (static_cast<size_t>(n) >= buf.size()) fail(ENAMETOOLONG);
        buf.resize(static_cast<size_t>(n));
        return buf;
    }

    // The walk ended on a directory already on the stack (".", "..", "", "/").
    sys::Fd open_current() const {
        int fd = mode_ == Mode::Open ? xopenat(cur(), ".", flags_, perm_)
                                     : xopenat(cur(), ".", O_PATH | O_DIRECTORY);
        if (fd < 0) fail(errno);
        return sys::Fd(fd);
    }

    // The final component, not a symlink when checked: O_NOFOLLOW keeps a
    // symlink swapped in since then from being followed.
    sys::Fd open_final(const std::string& name) const {
        int fd = xopenat(cur(), name.c_str(), flags_ | O_NOFOLLOW, (flags_ & O_CREAT) ? perm_ : 0);
        if (fd < 0) fail(errno);
        return sys::Fd(fd);
    }

    void create(const std::string& name, bool last) const {
        int r;
        if (mode_ == Mode::CreateFile && last)
            r = ::mknodat(cur(), name.c_str(), S_IFREG | (perm_ & 07777), 0);
        else
            r = ::mkdirat(cur(), name.c_str(), mode_ == Mode::MkdirAll ? perm_ : 0755);
        if (r < 0 && errno != EEXIST) fail(errno);
    }

    int root_;
    std::string_view path_;
    Mode mode_;
    int flags_;
    mode_t perm_;
    std::vector<sys::Fd> stack_;
};

bool code_is(const Error& e, int err) { return e.code() == err; }

// Walks /proc/self/fd calling fn(fd) for each fd >= first; false without /proc.
template <typename Fn>
bool for_each_open_fd(int first, Fn fn) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return false;
    std::vector<int> fds;
    const int self = ::dirfd(dir);
    while (struct dirent* ent = ::readdir(dir)) {
        char* end = nullptr;
        long v = std::strtol(ent->d_name, &end, 10);
        if (end == ent->d_name || *end != '\0') continue;
        if (v >= first && v != self && v <= INT_MAX) fds.push_back(static_cast<int>(v));
    }
    ::closedir(dir);
    for (int fd : fds) fn(fd);
    return true;
}

int fd_limit() {
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20))
        return 1 << 20;
    return static_cast<int>(rl.rlim_cur);
}

}  // namespace

sys::Fd open_in_root_if_exists(int root_fd, std::string_view path, int flags, mode_t mode) {
    check_no_nul(path, "open in root");
    if (openat2_usable()) {
        std::string p = path.empty() ? std::string(".") : std::string(path);
        struct open_how how {};
        how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
        how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        for (int attempt = 0; attempt < 16; ++attempt) {
            long fd = ::syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
            if (fd >= 0) return sys::Fd(static_cast<int>(fd));
            int err = errno;
            // EAGAIN: a concurrent rename/mount made the kernel give up on the
            // scoped lookup; retry, then let the user-space walk decide.
            if (err == EINTR || err == EAGAIN) continue;
            if (err == ENOENT) return sys::Fd();
            if (err == ENOSYS) {
                g_no_openat2.store(true, std::memory_order_relaxed);
                break;
            }
            throw sys_error("open in root", std::string(path), err);
        }
    }
    // Kernels without openat2 only: the walk reports absence by throwing.
    try {
        return open_in_root_fallback(root_fd, path, flags, mode);
    } catch (const Error& e) {
        if (!code_is(e, ENOENT)) throw;
    }
    return sys::Fd();
}

sys::Fd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
    sys::Fd fd = open_in_root_if_exists(root_fd, path, flags, mode);
    if (!fd) throw sys_error("open in root", std::string(path), ENOENT);
    return fd;
}

sys::Fd open_in_root_fallback(int root_fd, std::string_view path, int flags, mode_t mode) {
    return Walker(root_fd, path, Mode::Open, flags, mode).run();
}

sys::Fd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode) {
    // Common case: it exists.
    if (sys::Fd fd = open_in_root_if_exists(root_fd, path, O_PATH | O_DIRECTORY)) return fd;
    return Walker(root_fd, path, Mode::MkdirAll, 0, mode).run();
}

sys::Fd create_file_in_root(int root_fd, std::string_view path, mode_t mode) {
    if (sys::Fd fd = open_in_root_if_exists(root_fd, path, O_PATH)) return fd;
    return Walker(root_fd, path, Mode::CreateFile, 0, mode).run();
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

void check_fd_is_dev_null(int fd) {
    struct stat st;
    if (::fstat(fd, &st) < 0) throw sys_error("fstat", fd_path(fd), errno);
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        throw Error("/dev/null is not the null device (char 1:3): refusing to use it for masking", EINVAL);
}

void check_is_procfs(int fd) {
    struct statfs sfs;
    int r;
    do {
        r = ::fstatfs(fd, &sfs);
    } while (r < 0 && errno == EINTR);
    if (r < 0) throw sys_error("fstatfs", fd_path(fd), errno);
    if (static_cast<unsigned long>(sfs.f_type) != PROC_SUPER_MAGIC)
        throw Error("fd " + std::to_string(fd) + " is not on procfs (f_type 0x" +
                        [&] {
                            char buf[32];
                            std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(sfs.f_type));
                            return std::string(buf);
                        }() +
                        ")",
                    EINVAL);
}

namespace detail {

void close_fds_from_fallback(int first) {
    if (for_each_open_fd(first, [](int fd) { ::close(fd); })) return;
    for (int fd = first, end = fd_limit(); fd < end; ++fd) ::close(fd);
}

void mark_cloexec_from_fallback(int first) {
    auto mark = [](int fd) {
        int fl = ::fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC) && ::fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
            throw sys_error("fcntl(F_SETFD, FD_CLOEXEC)", "fd " + std::to_string(fd), errno);
    };
    if (for_each_open_fd(first, mark)) return;
    for (int fd = first, end = fd_limit(); fd < end; ++fd) mark(fd);
}

}  // namespace detail

void close_fds_from(int first) {
    if (first < 0) throw Error("close_fds_from: negative fd", EINVAL);
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
    if (errno != ENOSYS && errno != EINVAL) throw sys_error("close_range", "", errno);
    detail::close_fds_from_fallback(first);
}

void mark_cloexec_from(int first) {
    if (first < 0) throw Error("mark_cloexec_from: negative fd", EINVAL);
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // ENOSYS before 5.9, EINVAL for CLOSE_RANGE_CLOEXEC before 5.11.
    if (errno != ENOSYS && errno != EINVAL) throw sys_error("close_range(CLOSE_RANGE_CLOEXEC)", "", errno);
    detail::mark_cloexec_from_fallback(first);
}

void check_cwd_inside() {
    // The raw syscall: glibc's getcwd() hides "(unreachable)" behind ENOENT.
    char buf[PATH_MAX + 1];
    long n = ::syscall(SYS_getcwd, buf, sizeof buf);
    if (n < 0) throw sys_error("getcwd", "", errno);
    std::string_view cwd(buf, n > 0 ? static_cast<size_t>(n) - 1 : 0);
    if (cwd.empty() || cwd.front() != '/')
        throw Error("current working directory \"" + std::string(cwd) +
                        "\" is outside the container root (a leaked host directory?)",
                    ENOENT);
}

}  // namespace dkr::security
