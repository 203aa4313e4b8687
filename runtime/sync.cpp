#include "runtime/sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

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

// The next message whole, whatever its size (an error message can be a
// hook's long output); nullopt when MSG_DONTWAIT finds none.
std::optional<SyncMsgWithFd> receive(int fd, int flags) {
    SyncMsgWithFd out{SyncMsg::Eof, {}, {}};
    char peek;
    ssize_t size;
    do {
        size = ::recv(fd, &peek, 1, MSG_PEEK | MSG_TRUNC | flags);
    } while (size < 0 && errno == EINTR);
    // ECONNRESET: the peer exited with a message of ours unread.
    if (size == 0 || (size < 0 && errno == ECONNRESET)) return out;
    if (size < 0 && errno == EAGAIN && (flags & MSG_DONTWAIT)) return std::nullopt;
    if (size < 0) throw sys_error("recv", "sync socket", errno);
    std::string buf(static_cast<size_t>(size), '\0');
    size_t n = sys::recv_with_fd(fd, buf.data(), buf.size(), out.fd, "sync socket");
    if (n == 0) return out;
    out.type = static_cast<SyncMsg>(buf[0]);
    out.payload.assign(buf, 1, n - 1);
    return out;
}

}  // namespace

std::pair<SyncMsg, std::string> sync_recv(int fd) {
    SyncMsgWithFd m = *receive(fd, 0);
    return {m.type, std::move(m.payload)};
}

std::optional<std::pair<SyncMsg, std::string>> sync_recv_nowait(int fd) {
    std::optional<SyncMsgWithFd> m = receive(fd, MSG_DONTWAIT);
    if (!m) return std::nullopt;
    return std::pair{m->type, std::move(m->payload)};
}

void sync_send_fd(int sock, SyncMsg type, int fd) {
    char tag = static_cast<char>(type);
    sys::send_with_fd(sock, std::string_view(&tag, 1), fd, "sync socket");
}

SyncMsgWithFd sync_recv_fd(int sock) { return std::move(*receive(sock, 0)); }

void sync_fail(int fd, const char* what) noexcept {
    try {
        sync_send(fd, SyncMsg::Error, what);
    } catch (...) {
        std::string line = std::string("dkr init: ") + what + "\n";
        ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
        (void)ignored;
    }
    ::_exit(127);
}

}  // namespace dkr
