#include "runtime/sync.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/fd_passing.hpp"

namespace dkr {

std::pair<sys::Fd, sys::Fd> make_sync_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        throw sys_error("socketpair", "", errno);
    return {sys::Fd(fds[0]), sys::Fd(fds[1])};
}

void sync_send(int fd, SyncMsg type, std::string_view payload) {
    std::string msg(1, static_cast<char>(type));
    msg += payload;
    ssize_t n;
    do {
        n = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("send", "sync socket", errno);
}

namespace {

std::optional<std::pair<SyncMsg, std::string>> receive(int fd, int flags) {
    char buf[4096];
    ssize_t n;
    do {
        n = ::recv(fd, buf, sizeof buf, flags);
    } while (n < 0 && errno == EINTR);
    // ECONNRESET: the peer exited with a message of ours unread.
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return std::pair{SyncMsg::Eof, std::string()};
    if (n < 0 && errno == EAGAIN && (flags & MSG_DONTWAIT)) return std::nullopt;
    if (n < 0) throw sys_error("recv", "sync socket", errno);
    return std::pair{static_cast<SyncMsg>(buf[0]), std::string(buf + 1, static_cast<size_t>(n - 1))};
}

}  // namespace

std::pair<SyncMsg, std::string> sync_recv(int fd) { return *receive(fd, 0); }

std::optional<std::pair<SyncMsg, std::string>> sync_recv_nowait(int fd) { return receive(fd, MSG_DONTWAIT); }

void sync_send_fd(int sock, SyncMsg type, int fd) {
    char tag = static_cast<char>(type);
    sys::send_with_fd(sock, std::string_view(&tag, 1), fd, "sync socket");
}

SyncMsgWithFd sync_recv_fd(int sock) {
    char buf[4096];
    SyncMsgWithFd out{SyncMsg::Eof, {}, {}};
    size_t n = sys::recv_with_fd(sock, buf, sizeof buf, out.fd, "sync socket");
    if (n == 0) return out;
    out.type = static_cast<SyncMsg>(buf[0]);
    out.payload.assign(buf + 1, n - 1);
    return out;
}

}  // namespace dkr
