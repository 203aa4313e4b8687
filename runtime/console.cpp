#include "runtime/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/mount_api.hpp"
#include "runtime/sys/unix_socket.hpp"

namespace dkr {
namespace {

// What runc sends as the message's payload: the master's name.
constexpr char kMasterName[] = "/dev/ptmx";

}  // namespace

sys::Fd connect_console_socket(const std::string& path) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error("console socket " + path + ": path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    sys::Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw sys_error("socket", "console socket", errno);
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw sys_error("connect to console socket", path, errno);
    return fd;
}

Pty open_pty(int root_fd, const std::optional<spec::ConsoleSize>& size, bool relayed) {
    // The devpts instance's own ptmx (not whatever /dev/ptmx is in this rootfs).
    Pty pty;
    pty.master = security::open_in_root(root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
    struct stat st;
    if (::fstat(pty.master.get(), &st) < 0) throw sys_error("stat", "/dev/pts/ptmx", errno);
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
        throw Error("/dev/pts/ptmx in the container is not a pty multiplexer (is devpts mounted on /dev/pts?)");
    int unlock = 0;
    if (::ioctl(pty.master.get(), TIOCSPTLCK, &unlock) < 0) throw sys_error("unlock pty", "/dev/pts/ptmx", errno);
    // The slave through the master, never through a path the container could swap.
    pty.slave = sys::Fd(::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.slave) throw sys_error("open pty slave", "/dev/pts/ptmx", errno);
    if (size) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(size->height);
        ws.ws_col = static_cast<unsigned short>(size->width);
        if (::ioctl(pty.master.get(), TIOCSWINSZ, &ws) < 0) throw sys_error("set console size", "", errno);
    }
    if (relayed) {
        struct termios t;
        if (::tcgetattr(pty.master.get(), &t) < 0) throw sys_error("tcgetattr", "pty", errno);
        t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
        if (::tcsetattr(pty.master.get(), TCSANOW, &t) < 0) throw sys_error("tcsetattr", "pty", errno);
    }
    return pty;
}

void mount_console(int root_fd, int slave_fd) {
    sys::Fd target = security::create_file_in_root(root_fd, "/dev/console", 0600);
    sys::Fd tree = sys::clone_tree(slave_fd, "", false, "/dev/console");
    sys::attach_tree(tree.get(), target.get(), "the pty on /dev/console");
}

void send_console(int socket_fd, int master_fd) {
    sys::send_message(socket_fd, kMasterName, master_fd, nullptr, 0, "console socket");
}

sys::Fd recv_console(int socket_fd) {
    char name[256];
    char control[CMSG_SPACE(sizeof(int))] = {};
    struct iovec iov = {name, sizeof name};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("receive the pty master", "console socket", errno);
    struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
        throw Error("console socket: no pty master received");
    int fd;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return sys::Fd(fd);
}

void use_as_terminal(int slave_fd) {
    if (::setsid() < 0) throw sys_error("setsid", "", errno);
    if (::ioctl(slave_fd, TIOCSCTTY, 0) < 0) throw sys_error("make the pty the controlling terminal", "", errno);
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave_fd, fd) < 0) throw sys_error("dup2", "pty slave", errno);
}

}  // namespace dkr
