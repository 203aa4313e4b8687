#include "runtime/sys/mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"

namespace dkr::sys {

Fd clone_tree(int dirfd, const std::string& path, bool recursive, const std::string& what) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    if (path.empty()) flags |= AT_EMPTY_PATH;
    int fd = ::open_tree(dirfd, path.c_str(), flags);
    if (fd < 0) throw sys_error("open_tree", what, errno);
    return Fd(fd);
}

void attach_tree(int tree_fd, int target_fd, const std::string& what) {
    if (::move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw sys_error("mount", what, errno);
}

void set_mount_attrs(int fd, uint64_t set, uint64_t clear, uint64_t propagation, bool recursive,
                     const std::string& what) {
    struct mount_attr attr = {};
    attr.attr_set = set;
    attr.attr_clr = clear;
    // Setting one atime mode means clearing the others first.
    if (set & MOUNT_ATTR__ATIME) attr.attr_clr |= MOUNT_ATTR__ATIME;
    attr.propagation = propagation;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(fd, "", flags, &attr, sizeof attr) < 0)
        throw sys_error("mount_setattr", what, errno);
}

Fd new_mount(const std::string& fstype, const std::string& data, uint64_t attrs, const std::string& what) {
    Fd fs(::fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs) throw sys_error("fsopen " + fstype, what, errno);
    // The source /proc/mounts shows ("none" if unset), named as runc names it.
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "source", fstype.c_str(), 0) < 0)
        throw sys_error("mount source " + fstype, what, errno);
    size_t start = 0;
    while (start < data.size()) {
        size_t end = data.find(',', start);
        if (end == std::string::npos) end = data.size();
        std::string opt = data.substr(start, end - start);
        size_t eq = opt.find('=');
        int rc = eq == std::string::npos
                     ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, opt.c_str(), nullptr, 0)
                     : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, opt.substr(0, eq).c_str(),
                                  opt.c_str() + eq + 1, 0);
        if (rc < 0) throw sys_error("mount option " + opt, what, errno);
        start = end + 1;
    }
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        throw sys_error("mount " + fstype, what, errno);
    int mfd = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs));
    if (mfd < 0) throw sys_error("fsmount " + fstype, what, errno);
    return Fd(mfd);
}

uint64_t mount_attrs_from_flags(unsigned long ms) {
    uint64_t a = 0;
    if (ms & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
    if (ms & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
    if (ms & MS_NODEV) a |= MOUNT_ATTR_NODEV;
    if (ms & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
    if (ms & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
    if (ms & MS_NOSYMFOLLOW) a |= MOUNT_ATTR_NOSYMFOLLOW;
    if (ms & MS_NOATIME)
        a |= MOUNT_ATTR_NOATIME;
    else if (ms & MS_STRICTATIME)
        a |= MOUNT_ATTR_STRICTATIME;
    else if (ms & MS_RELATIME)
        a |= MOUNT_ATTR_RELATIME;
    return a;
}

}  // namespace dkr::sys
