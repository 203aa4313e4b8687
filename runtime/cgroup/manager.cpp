#include "runtime/cgroup/manager.hpp"

#include <signal.h>

#include <cerrno>
#include <optional>
#include <string>

#include "runtime/cgroup/backends.hpp"
#include "runtime/cgroup/path.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

std::unique_ptr<Manager> make_backend(const Host& host, const Paths& paths) {
    if (host.unified) return make_v2_manager(host, paths.v2);
    return make_v1_manager(host, paths);
}

}  // namespace

void signal_each(Manager& m, int sig, bool freeze_first) {
    if (freeze_first) {
        try {
            m.freeze();
        } catch (const Error&) {
            // signal anyway
        }
    }
    std::optional<Error> failure;
    try {
        for (pid_t p : m.pids())
            if (::kill(p, sig) < 0 && errno != ESRCH && !failure)
                failure = sys_error("kill", std::to_string(p), errno);
    } catch (const Error& e) {
        failure = e;
    }
    if (freeze_first) m.thaw();
    if (failure) throw Error("cgroup: kill_all: " + std::string(failure->what()), failure->code());
}

void join_self(std::vector<sys::Fd>& tasks_files, Explainer ex) {
    if (tasks_files.empty()) return;
    Step step(ex, [n = tasks_files.size()] {
        return StepText{"write(\"0\") to the tasks file of " + std::to_string(n) + " cgroup v1 hierarchies",
                        "joined the container's cgroup in each v1 hierarchy (in v2, clone3 put the process there)"};
    });
    for (const auto& f : tasks_files) sys::write_all(f.get(), "0", "cgroup tasks");
    tasks_files.clear();
}

std::unique_ptr<Manager> make_manager(const Host& host, const std::string& cgroups_path,
                                      const std::string& container_id, bool systemd_driver) {
    if (systemd_driver) throw Error("systemd cgroup driver is not supported");
    return make_backend(host, resolve_paths(host, cgroups_path, container_id));
}

std::unique_ptr<Manager> open_manager(const Host& host, const std::string& saved_path) {
    return make_backend(host, decode_paths(host, saved_path));
}

std::unique_ptr<Manager> make_manager(const std::string& cgroups_path, const std::string& container_id,
                                      bool systemd_driver) {
    if (systemd_driver) throw Error("systemd cgroup driver is not supported");
    return make_manager(detect_host(), cgroups_path, container_id, systemd_driver);
}

std::unique_ptr<Manager> open_manager(const std::string& saved_path) { return open_manager(detect_host(), saved_path); }

}  // namespace dkr::cgroup
