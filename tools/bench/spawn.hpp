// Starting one program and measuring it: the wall time from spawn until it
// is reaped, and the peak RSS the kernel reports for it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/sys/fd.hpp"

namespace dkr::bench {

struct Command {
    explicit Command(std::vector<std::string> args = {}) : argv(std::move(args)) {}

    std::vector<std::string> argv;  // argv[0] is an absolute path
    std::string cwd;                // "" = the tool's
    int mntns = -1;                 // mount namespace to enter before exec; -1: the tool's
    int ns_flags = 0;               // CLONE_NEW* flags the child is born with
    std::string chroot;             // chroot here (after making mounts private) before exec
    int stdout_fd = -1;             // -1: /dev/null
};

struct Outcome {
    int status = 0;        // wait status
    double ms = 0;         // from spawn until reaped
    long maxrss_kib = 0;   // ru_maxrss of wait4: the process and the children it waited for
    std::string err;       // what it wrote on stderr

    bool ok() const;
    // "exit 1: <first line of stderr>", for error messages.
    std::string describe() const;
};

// Every command is started the same way, through dkr-bench-launch (see
// launch/main.cpp), which times it and reports its peak RSS.
class Spawner {
public:
    Spawner();
    Outcome run(const Command& cmd);
    // run() with stdout collected into `out`.
    Outcome run_capturing(Command cmd, std::string& out);

private:
    sys::Fd devnull_;
    sys::Fd stderr_;  // memfds, rewound for each command
    sys::Fd result_;
    std::vector<char> stack_;
};

// Absolute path of `name` (a path is returned as is), "" when not found.
std::string find_program(const std::string& name);

// Reaps every child that has exited (orphans reparented to the tool).
void reap_zombies();

}  // namespace dkr::bench
