// What create and run share: the result of launching a container init.
#pragma once

#include <memory>

#include "runtime/container.hpp"
#include "runtime/notify_socket.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr {

// What launch() leaves for create/run: the container dir (locked), its
// state, the init's pid with its sync socket and, for a foreground run,
// its end of the console socket and the bound notify socket.
struct Runtime::Launch {
    std::unique_ptr<ContainerDir> dir;
    ContainerState state;
    pid_t pid = 0;
    sys::Fd sync;
    sys::Fd console;                      // process.terminal in the foreground: the master arrives here
    std::unique_ptr<NotifySocket> notify;  // $NOTIFY_SOCKET in the foreground
};

}  // namespace dkr
