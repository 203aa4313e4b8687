#include "runtime/sys/unix_socket.hpp"

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace dkr::sys {

void send_message(int socket, std::string_view data, int pass_fd, const struct sockaddr* to, socklen_t to_len,
                  const std::string& what) {
    struct iovec iov = {const_cast<char*>(data.data()), data.size()};
    struct msghdr msg = {};
    msg.msg_name = const_cast<struct sockaddr*>(to);
    msg.msg_namelen = to ? to_len : 0;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    char control[CMSG_SPACE(sizeof(int))] = {};
    if (pass_fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
    }
    ssize_t n;
    do {
        n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("send to", what, errno);
}

}  // namespace dkr::sys
