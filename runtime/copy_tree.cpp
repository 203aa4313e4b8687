#include "runtime/copy_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

std::vector<std::string> entries(int dir_fd) {
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw sys_error("open", "directory to copy", errno);
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
        ::close(fd);
        throw sys_error("fdopendir", "directory to copy", errno);
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
}

void copy_contents(int from_dir, int to_dir, const std::string& name, const struct stat& st) {
    sys::Fd in = sys::open_at(from_dir, name, O_RDONLY | O_NOFOLLOW);
    sys::Fd out = sys::open_at(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, st.st_mode & 07777);
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
        if (n < 0) throw sys_error("copy", name, errno);
        if (n == 0) break;  // the file shrank meanwhile
        left -= n;
    }
}

void copy_entry(int from_dir, int to_dir, const std::string& name) {
    struct stat st;
    if (::fstatat(from_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) throw sys_error("stat", name, errno);
    if (S_ISDIR(st.st_mode)) {
        if (::mkdirat(to_dir, name.c_str(), st.st_mode & 07777) < 0) throw sys_error("mkdir", name, errno);
        sys::Fd from = sys::open_at(from_dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        sys::Fd to = sys::open_at(to_dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
        copy_tree(from.get(), to.get());
    } else if (S_ISREG(st.st_mode)) {
        copy_contents(from_dir, to_dir, name, st);
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlinkat(from_dir, name.c_str(), target.data(), target.size());
        if (n < 0) throw sys_error("readlink", name, errno);
        target.resize(static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), to_dir, name.c_str()) < 0) throw sys_error("symlink", name, errno);
    } else if (::mknodat(to_dir, name.c_str(), st.st_mode, st.st_rdev) < 0) {
        throw sys_error("mknod", name, errno);
    }
    if (::fchownat(to_dir, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        throw sys_error("chown", name, errno);
    if (!S_ISLNK(st.st_mode) && ::fchmodat(to_dir, name.c_str(), st.st_mode & 07777, 0) < 0)
        throw sys_error("chmod", name, errno);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(to_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0) throw sys_error("utimes", name, errno);
}

}  // namespace

void copy_tree(int from_dir, int to_dir) {
    for (const std::string& name : entries(from_dir)) copy_entry(from_dir, to_dir, name);
}

}  // namespace dkr
