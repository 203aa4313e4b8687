// NOTIFY_SOCKET (systemd's sd_notify) proxied as runc 1.1 does it. When dkr
// is started with $NOTIFY_SOCKET:
//   create/run  the container gets --root/ID/notify bind-mounted read-only at
//               /run/notify and NOTIFY_SOCKET=/run/notify/notify.sock;
//   start/run   bind a datagram socket at --root/ID/notify/notify.sock before
//               the program runs, wait for its READY=..., and pass that on to
//               the host's socket followed by MAINPID.
// `start` and `run -d` return once READY came (or the container stopped);
// a foreground `run` relays it while it waits for the program.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

// $NOTIFY_SOCKET, "" when unset.
std::string notify_socket_host();

// create/run: makes STATE_DIR/notify and adds its mount and the env to the config.
void add_notify_socket(spec::Config& config, const std::string& state_dir);
// Whether create did that for this container.
bool has_notify_socket(const std::string& state_dir);

class NotifySocket {
public:
    // Binds STATE_DIR/notify/notify.sock (mode 0777: any container user may notify).
    NotifySocket(const std::string& state_dir, std::string host);

    int fd() const { return socket_.get(); }
    // Reads one datagram; when it says READY=..., tells the host (MAINPID=main_pid) and returns true.
    bool relay(pid_t main_pid);
    // Waits for READY=... and relays it; returns early when `pidfd`'s process exits.
    void wait_ready(pid_t main_pid, int pidfd);

private:
    sys::Fd socket_;
    std::string host_;
};

}  // namespace dkr
