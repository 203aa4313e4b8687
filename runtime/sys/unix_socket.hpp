// Messages on unix sockets that may carry a file descriptor (SCM_RIGHTS).
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

namespace dkr::sys {

// sendmsg(2) of `data`, with `pass_fd` attached when >= 0, to `to` when the
// socket is not connected (to == nullptr otherwise). Never raises SIGPIPE.
// Errors name `what`.
void send_message(int socket, std::string_view data, int pass_fd, const struct sockaddr* to, socklen_t to_len,
                  const std::string& what);

}  // namespace dkr::sys
