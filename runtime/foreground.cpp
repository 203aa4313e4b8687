#include "runtime/foreground.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "runtime/error.hpp"

namespace dkr {
namespace {

constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};
// After the process exits, its last output may still be on its way through
// the pty: read until the pty is closed or quiet for this long.
constexpr int kPtyDrainQuietMs = 200;

// Our stdin terminal in raw mode while the container's pty is relayed
// (the container's line discipline does the editing); restored at the end.
// Output processing stays on, as runc leaves it: the container's pty does
// not add \r before \n instead (console.hpp: relayed ptys), so that the
// output is the same on a terminal and in a pipe.
class RawTerminal {
public:
    RawTerminal() {
        struct termios t;
        if (::tcgetattr(STDIN_FILENO, &t) < 0) return;  // not a terminal: nothing to do
        saved_ = t;
        ::cfmakeraw(&t);
        t.c_oflag |= OPOST;
        ::tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    ~RawTerminal() {
        if (saved_) ::tcsetattr(STDIN_FILENO, TCSANOW, &*saved_);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    std::optional<struct termios> saved_;
};

void copy_window_size(int master) {
    struct winsize ws;
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

void write_out(int fd, const char* data, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;  // our stdout is gone: the output has nowhere to go
        data += w;
        n -= static_cast<size_t>(w);
    }
}

// The relay's state: what came from stdin waits in `pending` until the pty takes it.
struct Relay {
    int master = -1;
    bool stdin_open = true;
    bool master_open = true;
    std::string pending;

    void read_stdin() {
        char buf[4096];
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n > 0) pending.append(buf, static_cast<size_t>(n));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN)) stdin_open = false;
    }
    void write_master() {
        ssize_t n = ::write(master, pending.data(), pending.size());
        if (n > 0) pending.erase(0, static_cast<size_t>(n));
        else if (n < 0 && errno != EINTR && errno != EAGAIN) pending.clear();
    }
    // False at EOF/EIO: the pty's last user closed it.
    bool read_master() {
        char buf[8192];
        ssize_t n = ::read(master, buf, sizeof buf);
        if (n > 0) {
            write_out(STDOUT_FILENO, buf, static_cast<size_t>(n));
            return true;
        }
        return n < 0 && (errno == EINTR || errno == EAGAIN);
    }
    void drain() {
        while (master_open) {
            struct pollfd p = {master, POLLIN, 0};
            if (::poll(&p, 1, kPtyDrainQuietMs) <= 0) return;
            master_open = read_master();
        }
    }
};

}  // namespace

ForwardedSignals::ForwardedSignals() {
    sigemptyset(&set_);
    for (int s : kForwarded) sigaddset(&set_, s);
    sigaddset(&set_, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }

void unblock_signals() {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

int wait_foreground(Foreground& f, const ForwardedSignals& signals) {
    // First, so that its line comes once the terminal is out of raw mode.
    int code = -1;
    Step step(f.explain, [&] {
        return StepText{"poll, waitpid(" + std::to_string(f.pid) + ")",
                        "the program ran until it exited with code " + std::to_string(code)};
    });
    sys::Fd sfd(::signalfd(-1, &signals.set(), SFD_CLOEXEC));
    if (!sfd) throw sys_error("signalfd", "", errno);
    Relay relay;
    std::optional<RawTerminal> raw;
    if (f.pty_master) {
        relay.master = f.pty_master.get();
        ::fcntl(relay.master, F_SETFL, ::fcntl(relay.master, F_GETFL) | O_NONBLOCK);
        raw.emplace();
        copy_window_size(relay.master);
    }
    const bool tty = f.pty_master.valid();
    for (;;) {
        int status;
        pid_t r;
        while ((r = ::waitpid(f.reap_all ? -1 : f.pid, &status, WNOHANG)) > 0)
            if (r == f.pid) {
                if (tty) relay.drain();
                return code = exit_code(status);
            }

        enum { kSignals, kStdin, kMasterIn, kMasterOut, kNotify, kCount };
        struct pollfd p[kCount] = {
            {sfd.get(), POLLIN, 0},
            {tty && relay.stdin_open && relay.pending.empty() ? STDIN_FILENO : -1, POLLIN, 0},
            {tty && relay.master_open ? relay.master : -1, POLLIN, 0},
            {tty && !relay.pending.empty() ? relay.master : -1, POLLOUT, 0},
            {f.notify ? f.notify->fd() : -1, POLLIN, 0},
        };
        if (::poll(p, kCount, -1) < 0) {
            if (errno == EINTR) continue;
            throw sys_error("poll", "foreground process", errno);
        }
        if (p[kStdin].revents) relay.read_stdin();
        if (p[kMasterOut].revents) relay.write_master();
        if (p[kMasterIn].revents) relay.master_open = relay.read_master();
        if (p[kNotify].revents && f.notify->relay(::getpid())) f.notify = nullptr;
        if (p[kSignals].revents) {
            struct signalfd_siginfo si;
            if (::read(sfd.get(), &si, sizeof si) != static_cast<ssize_t>(sizeof si)) continue;
            int sig = static_cast<int>(si.ssi_signo);
            if (sig == SIGCHLD) continue;
            if (sig == SIGWINCH && tty)
                copy_window_size(relay.master);
            else
                ::kill(f.pid, sig);
        }
    }
}

}  // namespace dkr
