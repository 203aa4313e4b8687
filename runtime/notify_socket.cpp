#include "runtime/notify_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

constexpr const char* kDir = "notify";
constexpr const char* kInContainer = "/run/notify";
constexpr const char* kSocketName = "notify.sock";

struct UnixAddress {
    struct sockaddr_un addr = {};
    socklen_t len = 0;
};

UnixAddress unix_address(const std::string& path) {
    UnixAddress a;
    a.addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.addr.sun_path) throw Error("notify socket \"" + path + "\": bad path");
    std::memcpy(a.addr.sun_path, path.c_str(), path.size());
    a.len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size());
    // systemd writes an abstract socket's name with a leading '@'.
    if (path[0] == '@')
        a.addr.sun_path[0] = '\0';
    else
        a.len += 1;
    return a;
}

void send_to(int fd, const UnixAddress& to, const std::string& data) {
    ssize_t n;
    do {
        n = ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<const struct sockaddr*>(&to.addr),
                     to.len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("send to NOTIFY_SOCKET", notify_socket_host(), errno);
}

}  // namespace

std::string notify_socket_host() {
    const char* v = std::getenv("NOTIFY_SOCKET");
    return v ? v : "";
}

void add_notify_socket(spec::Config& config, const std::string& state_dir) {
    std::string dir = sys::join(state_dir, kDir);
    if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) throw sys_error("mkdir", dir, errno);
    config.mounts.push_back({kInContainer, "bind", dir, {"bind", "nosuid", "noexec", "nodev", "ro"}, {}, {}});
    config.process->env.push_back(std::string("NOTIFY_SOCKET=") + kInContainer + "/" + kSocketName);
}

bool has_notify_socket(const std::string& state_dir) {
    return sys::path_exists(sys::join(state_dir, kDir));
}

NotifySocket::NotifySocket(const std::string& state_dir, std::string host) : host_(std::move(host)) {
    std::string path = sys::join(sys::join(state_dir, kDir), kSocketName);
    socket_ = sys::Fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket_) throw sys_error("socket", path, errno);
    UnixAddress addr = unix_address(path);
    ::unlink(path.c_str());
    if (::bind(socket_.get(), reinterpret_cast<struct sockaddr*>(&addr.addr), addr.len) < 0)
        throw sys_error("bind", path, errno);
    if (::chmod(path.c_str(), 0777) < 0) throw sys_error("chmod", path, errno);
}

bool NotifySocket::relay(pid_t main_pid) {
    char buf[4096];
    ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
    if (n <= 0) return false;
    std::string msg(buf, static_cast<size_t>(n));
    // One datagram holds the whole state string; pass on its READY= line.
    size_t start = 0;
    std::string ready;
    while (start < msg.size()) {
        size_t end = msg.find('\n', start);
        if (end == std::string::npos) end = msg.size();
        if (msg.compare(start, 6, "READY=") == 0) ready = msg.substr(start, end - start);
        start = end + 1;
    }
    if (ready.empty()) return false;

    UnixAddress host = unix_address(host_);
    sys::Fd client(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!client) throw sys_error("socket", host_, errno);
    send_to(client.get(), host, ready + "\n");
    send_to(client.get(), host, "MAINPID=" + std::to_string(main_pid) + "\n");
    return true;
}

void NotifySocket::wait_ready(pid_t main_pid, int pidfd) {
    for (;;) {
        struct pollfd p[2] = {{socket_.get(), POLLIN, 0}, {pidfd, POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw sys_error("poll", "notify socket", errno);
        }
        if (p[0].revents && relay(main_pid)) return;
        if (p[1].revents) return;
    }
}

}  // namespace dkr
