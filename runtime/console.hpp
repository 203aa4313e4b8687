// The container's terminal (process.terminal): a pty made inside the
// container, from its own devpts instance, so that it belongs to the
// container and not to the host. Its master goes to whoever holds the
// terminal over a unix socket with SCM_RIGHTS (runc's --console-socket
// protocol: one message, the fd plus its name as payload); the slave
// becomes the process's controlling terminal and stdio, and for the init
// also /dev/console.
#pragma once

#include <optional>
#include <string>

#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

// Connects to a --console-socket (a SOCK_STREAM unix socket), before the
// container process is made, while the host's paths are reachable.
sys::Fd connect_console_socket(const std::string& path);

struct Pty {
    sys::Fd master, slave;
};

// Inside the container (after the root switch, or after setns into its
// mount namespace): a new pty from /dev/pts/ptmx with consoleSize applied.
// `relayed`: dkr itself relays it (foreground run/exec), and as runc it then
// turns off ONLCR: \n stays \n, whether dkr's stdout is a terminal or not.
Pty open_pty(int root_fd, const std::optional<spec::ConsoleSize>& size, bool relayed);

// Bind-mounts the slave onto /dev/console of the container root (the init only).
void mount_console(int root_fd, int slave_fd);

// Sends the master over the socket.
void send_console(int socket_fd, int master_fd);
// Receives a master sent by send_console (the foreground side of run/exec).
sys::Fd recv_console(int socket_fd);

// In a new session, the slave becomes the controlling terminal and fds 0-2.
void use_as_terminal(int slave_fd);

}  // namespace dkr
