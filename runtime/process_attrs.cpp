#include "runtime/process_attrs.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

// <linux/sched/types.h>; glibc 2.36 has no wrapper for sched_setattr.
struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

int sched_policy(std::string_view name) {
    static constexpr std::pair<std::string_view, int> kPolicies[] = {
        {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2}, {"SCHED_BATCH", 3},
        {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
    };
    for (const auto& [n, v] : kPolicies)
        if (n == name) return v;
    throw Error("process.scheduler.policy: unknown policy \"" + std::string(name) + "\"");
}

uint64_t sched_flag(std::string_view name) {
    static constexpr std::pair<std::string_view, uint64_t> kFlags[] = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
        {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
        {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
    };
    for (const auto& [n, v] : kFlags)
        if (n == name) return v;
    throw Error("process.scheduler.flags: unknown flag \"" + std::string(name) + "\"");
}

void set_scheduler(const spec::Scheduler& s) {
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = static_cast<uint32_t>(sched_policy(s.policy));
    for (const auto& f : s.flags) attr.sched_flags |= sched_flag(f);
    attr.sched_nice = s.nice.value_or(0);
    attr.sched_priority = static_cast<uint32_t>(s.priority.value_or(0));
    attr.sched_runtime = s.runtime.value_or(0);
    attr.sched_deadline = s.deadline.value_or(0);
    attr.sched_period = s.period.value_or(0);
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0) throw sys_error("sched_setattr", s.policy, errno);
}

void set_io_priority(const spec::IoPriority& io) {
    // <linux/ioprio.h>: the class in the top 3 of 16 bits.
    int io_class = io.io_class == "IOPRIO_CLASS_RT" ? 1 : io.io_class == "IOPRIO_CLASS_BE" ? 2 : 3;
    constexpr int kWhoProcess = 1;
    if (::syscall(SYS_ioprio_set, kWhoProcess, 0, (io_class << 13) | io.priority) < 0)
        throw sys_error("ioprio_set", io.io_class + " " + std::to_string(io.priority), errno);
}

void set_personality(const spec::Personality& p) {
    unsigned long persona = p.domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
    if (::personality(persona) < 0) throw sys_error("personality", p.domain, errno);
}

bool lsm_enabled(const char* probe) {
    try {
        return sys::read_file(probe).starts_with("Y");
    } catch (const Error&) {
        return false;
    }
}

// Writes to a file of /proc/self/attr after checking it is on procfs, so a
// bind mount over /proc cannot redirect it (CVE-2019-16884).
void write_attr(const std::string& path, const std::string& value) {
    sys::Fd fd = sys::open_file(path, O_WRONLY);
    security::check_is_procfs(fd.get());
    sys::write_all(fd.get(), value, path);
}

}  // namespace

void set_oom_score_adj(pid_t pid, const spec::Process& p) {
    if (p.oom_score_adj)
        sys::write_file("/proc/" + std::to_string(pid) + "/oom_score_adj", std::to_string(*p.oom_score_adj));
}

void apply_process_attrs(const spec::Process& p, const spec::Linux& linux) {
    if (linux.personality) set_personality(*linux.personality);
    if (p.io_priority) set_io_priority(*p.io_priority);
    if (p.scheduler) set_scheduler(*p.scheduler);
}

LsmExec lsm_exec_labels(const spec::Process& p, const Logger& log) {
    LsmExec out;
    if (p.apparmor_profile && !p.apparmor_profile->empty()) {
        if (lsm_enabled("/sys/module/apparmor/parameters/enabled"))
            out.apparmor_profile = *p.apparmor_profile;
        else
            log.debug("process.apparmorProfile ignored: AppArmor is not enabled on this host");
    }
    if (p.selinux_label && !p.selinux_label->empty()) {
        if (sys::path_exists("/sys/fs/selinux/enforce"))
            out.selinux_label = *p.selinux_label;
        else
            log.debug("process.selinuxLabel ignored: SELinux is not enabled on this host");
    }
    return out;
}

void apply_lsm_exec(const LsmExec& lsm) {
    try {
        if (!lsm.apparmor_profile.empty()) {
            std::string path = sys::path_exists("/proc/self/attr/apparmor/exec") ? "/proc/self/attr/apparmor/exec"
                                                                                  : "/proc/self/attr/exec";
            write_attr(path, "exec " + lsm.apparmor_profile);
        }
        if (!lsm.selinux_label.empty()) write_attr("/proc/self/attr/exec", lsm.selinux_label);
    } catch (...) {
        rethrow_with("set the LSM label to exec into");
    }
}

}  // namespace dkr
