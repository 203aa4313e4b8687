#include "runtime/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/fd_passing.hpp"
#include "runtime/sys/mount_api.hpp"

namespace dkr {
namespace {

// What runc sends as the message's payload: the master's name.
constexpr char kMasterName[] = "/dev/ptmx";

}  // namespace

sys::Fd connect_console_socket(const std::string& path) {
    try {
        return sys::connect_unix(path);
    } catch (...) {
        rethrow_with("console socket");
    }
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
    sys::send_with_fd(socket_fd, kMasterName, master_fd, "console socket");
}

sys::Fd recv_console(int socket_fd) {
    char name[256];
    sys::Fd master;
    sys::recv_with_fd(socket_fd, name, sizeof name, master, "console socket");
    if (!master) throw Error("console socket: no pty master received");
    return master;
}

void use_as_terminal(int slave_fd) {
    if (::setsid() < 0) throw sys_error("setsid", "", errno);
    if (::ioctl(slave_fd, TIOCSCTTY, 0) < 0) throw sys_error("make the pty the controlling terminal", "", errno);
    for (int fd = 0; fd < 3; ++fd)
        if (::dup2(slave_fd, fd) < 0) throw sys_error("dup2", "pty slave", errno);
}

}  // namespace dkr
