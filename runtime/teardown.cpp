// kill and delete.
#include "runtime/container.hpp"

#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <optional>

#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/fault.hpp"
#include "runtime/hooks.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"
#include "spec/loader.hpp"

namespace dkr {
namespace {

// Polls `pidfd` until the process has exited (or is a zombie); false on timeout.
bool wait_exit(int pidfd, int timeout_ms) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc > 0;
}

// Kills whatever is left in the cgroup, then removes it; a cgroup already
// gone is fine. An init that died leaves its descendants behind when it had
// no pid namespace of its own.
void remove_cgroup(const std::string& saved_path) {
    auto cg = cgroup::open_manager(saved_path);
    if (!cg->pids().empty()) cg->kill_all(SIGKILL);
    DKR_FAULT_POINT("delete-after-kill");
    cg->destroy();
}

}  // namespace

void Runtime::kill(const std::string& id, int signal, bool all) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    Status st = status_of(dir, s, false);
    if (st == Status::Creating) throw Error("container not running");
    if (all && !s.cgroup_path.empty()) {
        // A stopped container too, as runc: an init without a pid namespace
        // of its own leaves its descendants behind in the cgroup.
        auto cg = cgroup::open_manager(s.cgroup_path);
        if (!cg->pids().empty()) cg->kill_all(signal);
        return;
    }
    if (st == Status::Stopped) throw Error("container not running");
    sys::Fd pidfd = sys::open_pidfd(s.pid);
    if (!pidfd || !sys::signal_pidfd(pidfd.get(), signal))
        throw Error("container not running");
    // A frozen v1 task dies only once thawed: SIGKILL resumes a paused container (runc).
    if (st == Status::Paused && signal == SIGKILL) cgroup::open_manager(s.cgroup_path)->thaw();
}

void Runtime::destroy(ContainerDir& dir, const ContainerState& s, const std::string& hooks_cwd) {
    std::string state_file = sys::join(dir.path(), kStateFile);
    {
        Step step(explain_, [&] {
            return StepText{"rmdir(\"" + s.cgroup_path + "\") in each cgroup hierarchy, unlink and rmdir(\"" +
                                dir.path() + "\")",
                            "removed the container's cgroup and its state: the container is gone"};
        });
        if (!s.cgroup_path.empty()) remove_cgroup(s.cgroup_path);
        DKR_FAULT_POINT("delete-after-cgroup");
        dir.remove();
    }
    if (s.hooks_json.empty()) return;
    try {
        spec::Hooks hooks = spec::parse_hooks(s.hooks_json, state_file);
        run_hooks_warn("poststop", hooks.poststop, hook_state_json({s.id, "stopped", 0, s.bundle, s.annotations}),
                       hooks_cwd, log_);
    } catch (const Error& e) {
        log_.warn(std::string("poststop hooks: ") + e.what());
    }
}

void Runtime::remove(const std::string& id, bool force) {
    std::optional<ContainerDir> opened;
    try {
        opened.emplace(ContainerDir::open(root_, id));
        opened->lock();
    } catch (const Error& e) {
        // As runc: for delete --force, a container that is not there is done.
        if (force && e.code() == ENOENT) return;
        throw;
    }
    ContainerDir& dir = *opened;
    ContainerState s;
    try {
        s = dir.read_state();
    } catch (const Error& e) {
        if (!force) throw;
        // Unreadable state: the cgroup record made before anything else
        // leads to every process the container has. Without a record, create
        // died before it made the cgroup.
        log_.warn("delete " + id + ": " + e.what() + ": removing what its cgroup record names");
        if (auto cgroup_path = dir.read_cgroup_record()) s.cgroup_path = *cgroup_path;
        destroy(dir, s, "");
        return;
    }
    Status st = status_of(dir, s, true);
    if (st == Status::Running || st == Status::Paused) {
        if (!force) throw Error("cannot delete container " + id + " that is not stopped: " + status_name(st));
    }
    if (st != Status::Stopped) {
        sys::Fd pidfd = sys::open_pidfd(s.pid);
        if (!s.cgroup_path.empty())
            cgroup::open_manager(s.cgroup_path)->kill_all(SIGKILL);
        else if (pidfd)
            sys::signal_pidfd(pidfd.get(), SIGKILL);
        if (pidfd && !wait_exit(pidfd.get(), 30000))
            throw Error("container " + id + ": init did not exit after SIGKILL");
    }
    destroy(dir, s, "");
}

}  // namespace dkr
