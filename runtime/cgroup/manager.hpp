// The cgroup manager: one interface, a cgroup v1 (including hybrid) backend
// and a cgroup v2 backend. The lifecycle engine calls, in this order:
//
//   auto m = make_manager(linux.cgroups_path, id, systemd);
//   m->create();                       // mkdir in every hierarchy (undone on failure)
//   m->apply(*linux.resources);        // limits; before any process joins
//   tasks = m->open_tasks_files();     // v1: the new init joins by itself: join_self(tasks)
//   clone3(CLONE_INTO_CGROUP, m->clone_into_fd());  // v2, and the hybrid unified hierarchy
//   m->add_process(pid);               // any other process, or where clone3 could not place it
//   state.cgroup_path = m->path();     // saved in state.json
//   ...
//   auto m = open_manager(state.cgroup_path);  // later commands
//   m->kill_all(SIGKILL); m->destroy();
//
// Device rules are applied exactly as given: build them with
// effective_device_rules() (devices.hpp) to get runc's defaults.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroup/host.hpp"
#include "runtime/explain.hpp"
#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr::cgroup {

// What runc's `events --stats` reports (runc's types.Stats, minus intel_rdt
// and network interfaces, which are not cgroup data). Times are nanoseconds,
// sizes bytes. A limit of "max" reads as UINT64_MAX for memory and as 0 for
// pids (as runc does).
struct CpuUsage {
    uint64_t total = 0;
    std::vector<uint64_t> percpu, percpu_kernel, percpu_user;  // v1 only
    uint64_t kernel = 0, user = 0;
};
struct Throttling {
    uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;
};
struct CpuStats {
    CpuUsage usage;
    Throttling throttling;
};
struct MemoryEntry {
    uint64_t limit = 0, usage = 0, max = 0, failcnt = 0;
};
struct MemoryStats {
    uint64_t cache = 0;
    MemoryEntry usage, swap, kernel, kernel_tcp;  // swap is memory+swap, as on v1
    std::map<std::string, uint64_t> raw;          // memory.stat
};
struct PidsStats {
    uint64_t current = 0, limit = 0;
};
struct BlkioEntry {
    uint64_t major = 0, minor = 0;
    std::string op;  // "Read", "Write", "Sync", "Async", "Discard", "Total"; empty for sectors/time
    uint64_t value = 0;
    bool operator==(const BlkioEntry&) const = default;
};
struct BlkioStats {
    std::vector<BlkioEntry> io_service_bytes_recursive, io_serviced_recursive, io_queued_recursive,
        io_service_time_recursive, io_wait_time_recursive, io_merged_recursive, io_time_recursive, sectors_recursive;
};
// v1 only (runc 1.1 reports none on v2): the cpuset files of the cgroup.
struct CpusetStats {
    std::vector<uint16_t> cpus, mems;  // "0-2,4" expanded
    uint64_t cpu_exclusive = 0, mem_hardwall = 0, mem_exclusive = 0, memory_migrate = 0, memory_spread_page = 0,
             memory_spread_slab = 0, memory_pressure = 0, sched_load_balance = 0;
    int64_t sched_relax_domain_level = 0;
};
struct HugetlbStats {
    uint64_t usage = 0, max = 0, failcnt = 0;
};
struct Stats {
    CpuStats cpu;
    CpusetStats cpuset;
    MemoryStats memory;
    PidsStats pids;
    BlkioStats blkio;
    std::map<std::string, HugetlbStats> hugetlb;  // keyed by page size: "2MB", "1GB"
};

// OOM notices for `events`. Poll fd() for POLLIN, then call read().
class OomWatch {
public:
    struct News {
        uint64_t ooms = 0;  // OOM events since the last read()
        bool gone = false;  // the cgroup was removed (v2: or has no process left): no more news
    };
    virtual ~OomWatch() = default;
    virtual int fd() const = 0;
    // Does not block. Call it once before the first poll: the cgroup may
    // already be gone.
    virtual News read() = 0;
};

class Manager {
public:
    virtual ~Manager() = default;

    // mkdir the cgroup in every hierarchy it uses. Idempotent. On failure,
    // removes the directories this call made and throws.
    virtual void create() = 0;
    // Writes the requested limits, and only those. Unsupported or invalid
    // values throw dkr::Error naming the file or controller.
    virtual void apply(const spec::Resources& r) = 0;
    // apply() for a container that runs (`update`): device rules are left as
    // they are (as runc does), and when a write fails, the files written
    // before it get their previous values back.
    virtual void update(const spec::Resources& r) = 0;
    // Moves pid into the cgroup (cgroup.procs of every hierarchy).
    virtual void add_process(pid_t pid) = 0;
    // An O_PATH|O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP), owned by the
    // manager (do not close it): the cgroup on v2, the unified mirror on a
    // hybrid host. -1 on v1 without a unified hierarchy.
    virtual int clone_into_fd() const = 0;
    // v1: the `tasks` file of the cgroup in every hierarchy, opened for
    // writing, for join_self() in the new init. Empty on v2.
    virtual std::vector<sys::Fd> open_tasks_files() const = 0;
    // Every process in the cgroup and its descendants.
    virtual std::vector<pid_t> pids() const = 0;
    // Freeze/thaw and wait until the state is reached (throws on timeout).
    virtual void freeze() = 0;
    virtual void thaw() = 0;
    virtual bool frozen() const = 0;
    // Signals every process. SIGKILL: cgroup.kill on v2 when available;
    // otherwise freeze, signal, thaw so that forks cannot escape.
    virtual void kill_all(int sig) = 0;
    // Removes the cgroup (and any child cgroups) in every hierarchy; retries
    // on EBUSY while processes die, up to a bounded wait. Missing is fine.
    // Parents it may have created are left alone (shared with others), as runc does.
    virtual void destroy() = 0;
    virtual Stats stats() const = 0;
    // v1: an eventfd registered on memory.oom_control (cgroup.event_control);
    // v2: inotify on memory.events ("oom_kill" going up) and cgroup.events.
    virtual std::unique_ptr<OomWatch> watch_oom() const = 0;
    // The resolved path, relative to the hierarchy mount points: "/dkr/c1".
    // On v1, when hierarchies resolve differently (a relative cgroupsPath
    // under a caller whose own cgroup differs per controller), overrides
    // follow: "/c1;memory:/user/c1". Opaque: store it and pass it back to
    // open_manager().
    virtual std::string path() const = 0;
};

// Run by a new, single-threaded process: writes "0" to each file of
// open_tasks_files() (moving itself into each v1 hierarchy), then closes
// them. Of all the ways to join a v1 cgroup, only "0" written to `tasks`
// (the calling thread) spares the kernel the write lock on
// cgroup_threadgroup_rwsem, whose every taking waits for an RCU grace period:
// a pid written to cgroup.procs costs 4-15 ms on this kind of machine.
void join_self(std::vector<sys::Fd>& tasks_files, Explainer ex);

// Picks the backend from the host (statfs /sys/fs/cgroup: cgroup2 => v2,
// else v1/hybrid) and resolves the path as runc 1.1 does with the cgroupfs
// driver:
//   absolute cgroupsPath  => used as is under every hierarchy root;
//   relative cgroupsPath  => v1: under the caller's own cgroup in each
//                            hierarchy; v2: under the parent of the caller's cgroup;
//   empty                 => the relative path "<container_id>".
// systemd_driver, or a "slice:prefix:name" path => dkr::Error (not supported).
// A path that resolves to a hierarchy root, or to the caller's own cgroup or
// one of its ancestors, is rejected.
std::unique_ptr<Manager> make_manager(const std::string& cgroups_path, const std::string& container_id,
                                      bool systemd_driver);
// Reopens an existing container's cgroup from path() saved in state.json.
std::unique_ptr<Manager> open_manager(const std::string& saved_path);

// The same on an explicit host description (tests: fake trees, or the hybrid
// host's cgroup2 mount driven as a v2 host).
std::unique_ptr<Manager> make_manager(const Host& host, const std::string& cgroups_path,
                                      const std::string& container_id, bool systemd_driver);
std::unique_ptr<Manager> open_manager(const Host& host, const std::string& saved_path);

}  // namespace dkr::cgroup
