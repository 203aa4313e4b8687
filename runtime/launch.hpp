// What create and run share: the result of launching a container init.
#pragma once

#include <memory>

#include "runtime/container.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr {

// What launch() leaves for create/run: the container dir (locked), its
// state, the cgroup and the init's pid with its sync socket.
struct Runtime::Launch {
    std::unique_ptr<ContainerDir> dir;
    ContainerState state;
    pid_t pid = 0;
    sys::Fd sync;
};

}  // namespace dkr
