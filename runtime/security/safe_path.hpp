// Path resolution that cannot escape the container root, and fd hygiene for
// the container init (CVE-2019-18837, CVE-2021-30465, CVE-2024-45310,
// CVE-2019-16884, CVE-2019-19921, CVE-2024-21626, CVE-2025-31133).
//
// Every resolver treats `root_fd` (a directory fd, O_PATH is fine) as "/":
// absolute and relative paths both start there, ".." at the root stays at the
// root, and symlinks (absolute or relative) are resolved relative to it, so
// a hostile rootfs cannot redirect a mount target or a created file outside.
// To act on a verified object, use its fd: mount(src, fd_path(fd).c_str(), ...)
// (this needs a /proc at /proc: the host's before pivot_root).
//
// Errors are dkr::Error carrying errno (code()): ENOENT, ENOTDIR, ELOOP, ...
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "runtime/sys/fd.hpp"

namespace dkr::security {

// Largest number of symlinks followed in one resolution (Linux's MAXSYMLINKS).
inline constexpr int kMaxSymlinks = 40;

// Opens `path` inside root_fd with openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS);
// O_CLOEXEC is always added; `mode` is used with O_CREAT. When openat2 is
// unavailable (probed once; ENOSYS or refused by an outer seccomp profile)
// open_in_root_fallback() is used instead.
// "" means the root itself.
sys::Fd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// open_in_root, but a path that does not exist (ENOENT) gives an invalid Fd
// instead of an error: for the callers to whom absence is normal (masked
// paths, mkdir -p). Exceptions are for failures: the first one thrown in a
// static binary sorts every unwind table entry (some 18 million
// instructions), which the container init would otherwise pay on each start.
sys::Fd open_in_root_if_exists(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// The user-space resolver behind open_in_root (public for tests): walks one
// component at a time with O_PATH|O_NOFOLLOW, expands symlinks itself with
// the root as the limit (at most kMaxSymlinks, else ELOOP), and opens the
// final component with `flags`|O_NOFOLLOW relative to its verified parent.
// Differences from openat2: magic links (/proc/PID/fd/N, ...) are read as
// ordinary symlinks scoped to the root instead of being refused with ELOOP.
sys::Fd open_in_root_fallback(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// mkdir -p inside the root: each missing component is created with mkdirat
// (`mode`, subject to the umask) and then opened with O_NOFOLLOW; a symlink
// component is followed through the scoped resolver (and its missing target
// directories are created inside the root). Returns an O_PATH fd of the final
// directory; ENOTDIR if some component exists and is not a directory.
sys::Fd mkdir_all_in_root(int root_fd, std::string_view path, mode_t mode);

// Makes the parent directories (0755) and, if the final component does not
// exist, creates it as an empty regular file (`mode`, no O_CREAT on a
// followed symlink; a dangling symlink in the root has its target created
// inside the root). Returns an O_PATH fd of whatever now exists there (a
// bind-mount target for a file or a device node).
sys::Fd create_file_in_root(int root_fd, std::string_view path, mode_t mode);

// "/proc/self/fd/N": the way to name an fd for mount(2) and friends.
std::string fd_path(int fd);

// The fd must be the real /dev/null: a character device 1:3 (CVE-2025-31133:
// maskedPaths are bind-mounted from it, so it must not be a rootfs file).
void check_fd_is_dev_null(int fd);

// The fd must be on procfs (fstatfs magic PROC_SUPER_MAGIC): before writing
// to /proc/self/attr/..., /proc/sys/... (CVE-2019-16884, CVE-2019-19921).
void check_is_procfs(int fd);

// close_range(first, ~0U, 0); falls back to closing what /proc/self/fd lists
// (or every fd below RLIMIT_NOFILE without /proc).
void close_fds_from(int first);
// close_range(first, ~0U, CLOSE_RANGE_CLOEXEC): call right before execve so
// no runtime/host fd leaks into the container (CVE-2024-21626).
void mark_cloexec_from(int first);

// After chdir(process.cwd): the kernel's getcwd must succeed and name a path
// reachable from the current root (not "(unreachable)/..."), else dkr::Error
// (CVE-2024-21626: a leaked host directory fd as cwd).
void check_cwd_inside();

namespace detail {
// The /proc/self/fd fallbacks of close_fds_from / mark_cloexec_from (tests).
void close_fds_from_fallback(int first);
void mark_cloexec_from_fallback(int first);
}  // namespace detail

}  // namespace dkr::security
