// The container init: the code the cloned child runs, from clone to exec of
// the user's program. No re-exec of the dkr binary: the child goes straight
// on from clone, so there is no second program start-up to pay for.
#pragma once

#include <string>
#include <vector>

#include "runtime/idmapped_mounts.hpp"
#include "runtime/process.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

struct InitContext {
    const spec::Config& config;
    std::string id;
    std::string bundle;        // absolute
    std::string rootfs;        // absolute
    int sync_fd = -1;          // the child's end of the sync socketpair
    int state_dir_fd = -1;     // --root/ID: the exec fifo is opened relative to it
    int console_fd = -1;       // process.terminal: the pty master goes here
    bool console_relayed = false;  // ... to dkr itself (foreground run)
    bool no_pivot = false;
    bool in_user_ns = false;   // new or joined: the init becomes its root to set up
    bool new_keyring = true;
    int preserve_fds = 0;      // fds 3 .. 3+N-1 are passed to the program
    SeccompProgram seccomp;
    LsmExec lsm;               // labels to exec into (empty where the host lacks the LSM)
    const IdmappedMounts* idmapped = nullptr;  // detached idmapped mounts made by the parent
    std::vector<sys::Fd> cgroup_tasks;  // v1 `tasks` files to join (cgroup::join_self)
    // --explain: a close-on-exec dup of dkr's stderr (our fd 2 is the
    // container's), above the passed fds; closed once dkr is gone. -1: off.
    int explain_fd = -1;
};

// Never returns: execs the program or _exits. Setup errors go to the parent
// over the sync socket, one line each; a failing startContainer hook after
// `create` goes to `start` through the exec fifo.
[[noreturn]] void container_init(InitContext& ctx) noexcept;

}  // namespace dkr
