// The two backends behind Manager (internal to the cgroup library).
#pragma once

#include <memory>
#include <string>

#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/cgroup/path.hpp"

namespace dkr::cgroup {

// apply() and update() of both backends, over their write_limits(): an
// update leaves the device rules as they are (as runc does) and, with
// `restore`, puts back what it wrote before a write that fails.
class LimitsManager : public Manager {
public:
    void apply(const spec::Resources& r) override { write_limits(r, false); }
    void update(const spec::Resources& r) override {
        spec::Resources limits = r;
        limits.devices.clear();
        write_limits(limits, true);
    }

protected:
    virtual void write_limits(const spec::Resources& r, bool restore) = 0;
};

// v1, or hybrid: every v1 hierarchy, plus the same path in the unified
// hierarchy when there is one (joined best-effort, as runc does; no
// controllers are used there).
std::unique_ptr<Manager> make_v1_manager(const Host& host, const Paths& paths);
// Pure v2: one directory, rel relative to host.v2's mount point.
std::unique_ptr<Manager> make_v2_manager(const Host& host, const std::string& rel);

// kill_all() by signalling each process; with freeze_first, frozen around the
// signals so that forks cannot escape (SIGKILLed tasks die once thawed).
void signal_each(Manager& m, int sig, bool freeze_first);

}  // namespace dkr::cgroup
