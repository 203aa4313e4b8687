// pause, resume, update, stats and ps: the operations on a container's cgroup.
#include <memory>

#include "runtime/cgroup/manager.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"

namespace dkr {

namespace {

std::unique_ptr<cgroup::Manager> cgroup_of(const ContainerState& s) {
    if (s.cgroup_path.empty()) throw Error("container " + s.id + " has no cgroup");
    return cgroup::open_manager(s.cgroup_path);
}

}  // namespace

void Runtime::pause(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    Status st = status_of(dir, s, true);
    if (st != Status::Running && st != Status::Created) throw Error("container not running");
    cgroup_of(s)->freeze();
}

void Runtime::resume(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    if (status_of(dir, s, true) != Status::Paused) throw Error("container not paused");
    cgroup_of(s)->thaw();
}

void Runtime::update(const std::string& id, const spec::Resources& r) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    if (status_of(dir, s, true) == Status::Stopped) throw Error("container not running");
    if (r.memory && (r.memory->kernel.value_or(0) || r.memory->kernel_tcp.value_or(0)))
        log_.warn("Kernel memory settings are ignored and will be removed");
    cgroup_of(s)->update(r);
}

std::unique_ptr<cgroup::Manager> Runtime::running_cgroup(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    if (status_of(dir, s, false) == Status::Stopped) throw Error("container with id " + id + " is not running");
    return cgroup_of(s);
}

cgroup::Stats Runtime::stats(const std::string& id) { return running_cgroup(id)->stats(); }

std::vector<pid_t> Runtime::pids(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    // A stopped container whose cgroup is gone has no processes (runc).
    if (s.cgroup_path.empty()) return {};
    return cgroup::open_manager(s.cgroup_path)->pids();
}

}  // namespace dkr
