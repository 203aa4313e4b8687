// Kernel attributes of the container process that config.json may set and
// that execve keeps: OOM score, personality, I/O priority, scheduling
// policy, and the LSM label to exec into.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/log.hpp"
#include "spec/config.hpp"

namespace dkr {

// oomScoreAdj, written by the parent: the init is non-dumpable, so in a
// user namespace its own /proc files are not its to write. A lower score
// needs CAP_SYS_RESOURCE.
void set_oom_score_adj(pid_t pid, const spec::Process& p);

// linux.personality, ioPriority and scheduler, each only when the config
// has it. Called in the init while it still holds every capability
// (SCHED_FIFO and IOPRIO_CLASS_RT need CAP_SYS_NICE).
void apply_process_attrs(const spec::Process& p, const spec::Linux& linux);

// The label to exec into: apparmorProfile / selinuxLabel where the host has
// that LSM, written to /proc/self/attr just before exec. Where the host has
// neither, they are ignored with a debug log line, as runc does.
struct LsmExec {
    std::string apparmor_profile, selinux_label;
};
LsmExec lsm_exec_labels(const spec::Process& p, const Logger& log);
// Call after the root switch, right before exec: needs the container's /proc.
void apply_lsm_exec(const LsmExec& lsm);

}  // namespace dkr
