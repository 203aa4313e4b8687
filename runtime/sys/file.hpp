// Thin file and path helpers: errno becomes dkr::Error naming the operation and path.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "runtime/sys/fd.hpp"

namespace dkr::sys {

// open(2)/openat(2); O_CLOEXEC is always added.
Fd open_file(const std::string& path, int flags, mode_t mode = 0);
Fd open_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);

std::string read_file(const std::string& path);
// read_file, but nullopt when the file cannot be opened (missing, no access).
std::optional<std::string> read_file_if_exists(const std::string& path);
std::string read_fd(int fd);
// Writes all of `data`, retrying on EINTR and short writes.
void write_all(int fd, std::string_view data, const std::string& what);
// Opens with O_WRONLY|O_TRUNC (no O_CREAT) and writes: for /proc and cgroup files.
void write_file(const std::string& path, std::string_view data);
// Writes `data` to `path` atomically: temp file in the same directory, fsync, rename.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);

bool path_exists(const std::string& path);
// readlink(2) of a symlink (or a /proc magic link).
std::string read_link(const std::string& path);
// mkdir -p; existing directories are fine.
void mkdir_all(const std::string& path, mode_t mode = 0755);
// rm -rf of a directory tree that holds no mount points.
void remove_all(const std::string& path);

// `path` made absolute against the current directory ("." and "" give it).
std::string absolute_path(const std::string& path);

// Path joining that keeps exactly one '/' between parts.
std::string join(std::string_view a, std::string_view b);

}  // namespace dkr::sys
