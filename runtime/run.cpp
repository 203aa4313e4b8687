// run: create + start, then wait in the foreground and forward signals.
#include "runtime/container.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/launch.hpp"
#include "runtime/sync.hpp"

namespace dkr {
namespace {

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

// Signals the parent forwards to the container process in `run`.
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};

}  // namespace

int Runtime::run(const CreateOptions& opts, bool detach) {
    if (detach) {
        create(opts);
        start(opts.id);
        return 0;
    }
    sigset_t forwarded, old;
    sigemptyset(&forwarded);
    for (int s : kForwarded) sigaddset(&forwarded, s);
    sigaddset(&forwarded, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &forwarded, &old);
    Launch l = launch(opts, true);
    ContainerState state = l.state;
    // Until exec the init may still report a failure on the sync socket.
    auto [msg, text] = sync_recv(l.sync.get());
    l.dir.reset();  // releases the lock: other commands may now act on the container
    int status = 0;
    if (msg == SyncMsg::Error) {
        ::waitpid(l.pid, &status, 0);
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        destroy(dir, state);
        throw Error(text);
    }
    sys::Fd sfd(::signalfd(-1, &forwarded, SFD_CLOEXEC));
    if (!sfd) throw sys_error("signalfd", "", errno);
    for (;;) {
        pid_t r = ::waitpid(l.pid, &status, WNOHANG);
        if (r == l.pid) break;
        struct signalfd_siginfo si;
        ssize_t n = ::read(sfd.get(), &si, sizeof si);
        if (n == static_cast<ssize_t>(sizeof si) && si.ssi_signo != SIGCHLD)
            ::kill(l.pid, static_cast<int>(si.ssi_signo));
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    try {
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        dir.lock();
        destroy(dir, state);
    } catch (const Error& e) {
        log_.warn(std::string("remove container after run: ") + e.what());
    }
    return exit_code(status);
}

}  // namespace dkr
