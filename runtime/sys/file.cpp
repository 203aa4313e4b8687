#include "runtime/sys/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "runtime/error.hpp"

namespace dkr::sys {

Fd open_file(const std::string& path, int flags, mode_t mode) {
    return open_at(AT_FDCWD, path, flags, mode);
}

Fd open_at(int dirfd, const std::string& path, int flags, mode_t mode) {
    int fd;
    do {
        fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw sys_error("open", path, errno);
    return Fd(fd);
}

std::string read_fd(int fd) {
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("read", "fd " + std::to_string(fd), errno);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::string read_file(const std::string& path) {
    Fd fd = open_file(path, O_RDONLY);
    try {
        return read_fd(fd.get());
    } catch (...) {
        rethrow_with("read " + path);
    }
}

std::optional<std::string> read_file_if_exists(const std::string& path) {
    int fd;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return std::nullopt;
    Fd guard(fd);
    try {
        return read_fd(fd);
    } catch (...) {
        rethrow_with("read " + path);
    }
}

void write_all(int fd, std::string_view data, const std::string& what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("write", what, errno);
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_file(const std::string& path, std::string_view data) {
    Fd fd = open_file(path, O_WRONLY | O_TRUNC);
    write_all(fd.get(), data, path);
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
    // A name of its own per writer: concurrent writers of one path must not share a temp file.
    // Errors name `path`: the temp file is ours, the caller asked for `path`.
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd) throw sys_error("write", path, errno);
    try {
        write_all(fd.get(), data, path);
        if (::fsync(fd.get()) < 0) throw sys_error("fsync", path, errno);
        fd.reset();
        if (::rename(tmp.c_str(), path.c_str()) < 0) throw sys_error("write", path, errno);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
}

std::string read_link(const std::string& path) {
    std::string buf(PATH_MAX, '\0');
    ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) throw sys_error("readlink", path, errno);
    if (static_cast<size_t>(n) >= buf.size()) throw sys_error("readlink", path, ENAMETOOLONG);
    buf.resize(static_cast<size_t>(n));
    return buf;
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

void mkdir_all(const std::string& path, mode_t mode) {
    if (path.empty()) return;
    for (size_t pos = 1;; ++pos) {
        pos = path.find('/', pos);
        std::string part = path.substr(0, pos);
        if (::mkdir(part.c_str(), mode) < 0 && errno != EEXIST) throw sys_error("mkdir", part, errno);
        if (pos == std::string::npos) break;
    }
}

void remove_all(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return;
        throw sys_error("stat", path, errno);
    }
    if (S_ISDIR(st.st_mode)) {
        DIR* dir = ::opendir(path.c_str());
        if (!dir) throw sys_error("opendir", path, errno);
        while (struct dirent* ent = ::readdir(dir)) {
            std::string name = ent->d_name;
            if (name == "." || name == "..") continue;
            try {
                remove_all(join(path, name));
            } catch (...) {
                ::closedir(dir);
                throw;
            }
        }
        ::closedir(dir);
        if (::rmdir(path.c_str()) < 0 && errno != ENOENT) throw sys_error("rmdir", path, errno);
    } else if (::unlink(path.c_str()) < 0 && errno != ENOENT) {
        throw sys_error("unlink", path, errno);
    }
}

std::string absolute_path(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) throw sys_error("getcwd", "", errno);
    return path.empty() || path == "." ? std::string(cwd) : sys::join(cwd, path);
}

std::string join(std::string_view a, std::string_view b) {
    std::string out(a);
    while (!out.empty() && out.back() == '/') out.pop_back();
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    out += '/';
    out += b;
    return out;
}

}  // namespace dkr::sys
