#include "runtime/security/sealed_exe.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

extern char** environ;

namespace dkr::security {
namespace {

constexpr const char* kSelf = "/proc/self/exe";

// A detached filesystem mount (fsopen + fsconfig + fsmount).
sys::Fd detached_fs(const char* type, const std::string& lowerdir) {
    sys::Fd fs(static_cast<int>(::syscall(SYS_fsopen, type, FSOPEN_CLOEXEC)));
    if (!fs) throw sys_error("fsopen", type, errno);
    if (!lowerdir.empty() &&
        ::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, "lowerdir", lowerdir.c_str(), 0) < 0)
        throw sys_error("fsconfig lowerdir", lowerdir, errno);
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        throw sys_error("fsconfig create", type, errno);
    sys::Fd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC,
                                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID)));
    if (!mnt) throw sys_error("fsmount", type, errno);
    return mnt;
}

// overlayfs splits lowerdir at ':' and takes '\\' as its escape.
std::string escape_layer(const std::string& dir) {
    std::string out;
    for (char c : dir) {
        if (c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

bool exe_is_sealed() {
    sys::Fd exe = sys::open_file(kSelf, O_RDONLY);
    struct statvfs sv;
    if (::fstatvfs(exe.get(), &sv) < 0) throw sys_error("statvfs", kSelf, errno);
    if (sv.f_flag & ST_RDONLY) return true;
    int seals = ::fcntl(exe.get(), F_GET_SEALS);
    return seals >= 0 && (seals & F_SEAL_WRITE);
}

sys::Fd sealed_overlay_exe() {
    std::string path = sys::read_link(kSelf);
    size_t slash = path.rfind('/');
    // A binary replaced since it started shows " (deleted)": the directory now holds another one.
    if (path.empty() || path[0] != '/' || path.ends_with(" (deleted)"))
        throw Error("the running binary is not in a directory: " + std::string(kSelf) + " is \"" + path + "\"",
                    ENOENT);
    // overlayfs needs two lower layers without an upper one: an empty tmpfs is the second.
    sys::Fd empty = detached_fs("tmpfs", "");
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    sys::Fd overlay = detached_fs("overlay", escape_layer(dir) + ":/proc/self/fd/" + std::to_string(empty.get()));
    return sys::open_at(overlay.get(), path.substr(slash + 1), O_PATH);
}

sys::Fd sealed_memfd_exe() {
    sys::Fd src = sys::open_file(kSelf, O_RDONLY);
    sys::Fd copy(::memfd_create("dkr", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!copy) throw sys_error("memfd_create", "copy of the dkr binary", errno);
    struct stat st;
    if (::fstat(src.get(), &st) < 0) throw sys_error("stat", kSelf, errno);
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::sendfile(copy.get(), src.get(), nullptr, static_cast<size_t>(left));
        if (n <= 0) throw sys_error("copy the dkr binary", kSelf, n < 0 ? errno : EIO);
        left -= n;
    }
    if (::fcntl(copy.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        throw sys_error("seal", "copy of the dkr binary", errno);
    return copy;
}

void reexec_sealed(char** argv) {
    try {
        if (exe_is_sealed()) return;
        sys::Fd exe;
        try {
            exe = sealed_overlay_exe();
        } catch (const Error& e) {
            // No overlayfs, a directory it refuses, or a binary replaced on disk.
            if (e.code() != ENODEV && e.code() != EINVAL && e.code() != ENOENT) throw;
            exe = sealed_memfd_exe();
        }
        ::syscall(SYS_execveat, exe.get(), "", argv, environ, AT_EMPTY_PATH);
        throw sys_error("execveat", "sealed copy of the dkr binary", errno);
    } catch (...) {
        rethrow_with("protect the dkr binary from the container (CVE-2019-5736)");
    }
}

}  // namespace dkr::security
