// kill and delete.
#include "runtime/container.hpp"

#include <poll.h>
#include <signal.h>

#include <cerrno>

#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/process.hpp"

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

}  // namespace

void Runtime::kill(const std::string& id, int signal, bool all) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    Status st = status_of(dir, s, false);
    if (st == Status::Stopped || st == Status::Creating) throw Error("container not running");
    if (all && !s.cgroup_path.empty()) {
        cgroup::open_manager(s.cgroup_path)->kill_all(signal);
        return;
    }
    sys::Fd pidfd = sys::open_pidfd(s.pid);
    if (!pidfd || !sys::signal_pidfd(pidfd.get(), signal))
        throw Error("container not running");
    // A frozen v1 task dies only once thawed: SIGKILL resumes a paused container (runc).
    if (st == Status::Paused && signal == SIGKILL) cgroup::open_manager(s.cgroup_path)->thaw();
}

void Runtime::destroy(ContainerDir& dir, const ContainerState& s) {
    if (!s.cgroup_path.empty()) cgroup::open_manager(s.cgroup_path)->destroy();
    dir.remove();
}

void Runtime::remove(const std::string& id, bool force) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
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
    destroy(dir, s);
}

}  // namespace dkr
