// What /proc says about a process: enough to tell alive from exited and to
// guard against pid reuse.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace dkr {

struct ProcStat {
    char state = '?';         // R, S, D, Z, T, ...
    uint64_t start_time = 0;  // clock ticks after boot: with the pid, identifies a process
};

std::optional<ProcStat> read_proc_stat(pid_t pid);

// True when `pid` is the process that started at `start_time` and it has not
// exited. A zombie counts as exited: PID 1 here reaps orphans lazily.
bool process_alive(pid_t pid, uint64_t start_time);

}  // namespace dkr
