#include "runtime/sys/fd_passing.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"

namespace dkr::sys {
namespace {

// A msghdr over one buffer with room for one fd.
struct Message {
    struct iovec iov;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    struct msghdr msg = {};

    Message(void* data, size_t size) : iov{data, size} {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
};

}  // namespace

Fd connect_unix(const std::string& path) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error(path + ": path too long", ENAMETOOLONG);
    std::memcpy(addr.sun_path, path.data(), path.size());
    Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw sys_error("socket", path, errno);
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw sys_error("connect", path, errno);
    return sock;
}

size_t send_with_fd(int sock, std::string_view data, int fd, const std::string& what) {
    Message m(const_cast<char*>(data.data()), data.size());
    struct cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do {
        n = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("sendmsg", what, errno);
    return static_cast<size_t>(n);
}

size_t recv_with_fd(int sock, char* buf, size_t size, Fd& fd, const std::string& what) {
    Message m(buf, size);
    ssize_t n;
    do {
        n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("recvmsg", what, errno);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&m.msg); c; c = CMSG_NXTHDR(&m.msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int received;
        std::memcpy(&received, CMSG_DATA(c), sizeof received);
        fd = Fd(received);
    }
    return static_cast<size_t>(n);
}

}  // namespace dkr::sys
