// Passing one file descriptor over a unix socket (SCM_RIGHTS).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "runtime/sys/fd.hpp"

namespace dkr::sys {

// A SOCK_STREAM unix socket connected to `path` (a listener that takes fds:
// a --console-socket, a seccomp agent).
Fd connect_unix(const std::string& path);

// sendmsg of `data` (not empty) with `fd` attached; retries EINTR. Returns
// the bytes sent; errors are dkr::Error naming `what`.
size_t send_with_fd(int sock, std::string_view data, int fd, const std::string& what);

// recvmsg into buf (at most `size` bytes); an attached fd (O_CLOEXEC) is
// stored in `fd`. Returns the bytes received, 0 at EOF.
size_t recv_with_fd(int sock, char* buf, size_t size, Fd& fd, const std::string& what);

}  // namespace dkr::sys
