// Foreground `run` and `exec`: dkr stays with the container process until it
// exits, forwards signals to it, relays its terminal when dkr holds the pty
// master (a terminal and no --console-socket), and passes READY from
// NOTIFY_SOCKET on to the host. The result is the process's exit code,
// 128+N when signal N killed it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "runtime/explain.hpp"
#include "runtime/notify_socket.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr {

// Blocks the signals dkr forwards (and SIGCHLD) while it exists, so that
// none is lost between the start of the process and the wait. A child made
// in the meantime must call unblock_signals() before it execs.
class ForwardedSignals {
public:
    ForwardedSignals();
    ~ForwardedSignals();
    ForwardedSignals(const ForwardedSignals&) = delete;
    ForwardedSignals& operator=(const ForwardedSignals&) = delete;
    const sigset_t& set() const { return set_; }

private:
    sigset_t set_, old_;
};

void unblock_signals();

// 128+N for a signal, else the exit status.
int exit_code(int wait_status);

struct Foreground {
    pid_t pid = 0;
    sys::Fd pty_master;             // valid: relay it to our stdin/stdout
    NotifySocket* notify = nullptr;  // relay READY=... (MAINPID: our own pid)
    bool reap_all = false;          // a subreaper: reap every child, not only pid
    Explainer explain;              // --explain: how long the program ran
};

// Waits for f.pid to exit doing all of the above; returns its exit code.
int wait_foreground(Foreground& f, const ForwardedSignals& signals);

}  // namespace dkr
