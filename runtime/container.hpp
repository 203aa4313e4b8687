// The lifecycle engine: runc's operations on containers under one --root.
// The CLI is a thin layer over this; tests can call it directly.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroup/manager.hpp"
#include "runtime/exec_options.hpp"
#include "runtime/explain.hpp"
#include "runtime/log.hpp"
#include "runtime/state.hpp"
#include "spec/config.hpp"

namespace dkr {

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;  // process.terminal: where the pty master goes
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;        // fds 3.. passed on, after those of $LISTEN_FDS
};

struct RunOptions {
    bool detach = false;
    bool keep = false;          // do not delete the container once it exited
    bool no_subreaper = false;  // do not reap the processes reparented to dkr
};

struct ListEntry {
    ContainerState state;
    Status status;
    std::string owner;
};

class Runtime {
public:
    // `explain`: where create, start, run and exec describe their steps (off by default).
    Runtime(std::string root, const Logger& log, bool systemd_cgroup = false, Explainer explain = {})
        : root_(std::move(root)), log_(log), systemd_cgroup_(systemd_cgroup), explain_(explain) {}

    // Sets the container up and leaves its init waiting on the exec fifo.
    void create(const CreateOptions& opts);
    // Releases the init; returns once the program has been exec'd (or the init died).
    void start(const std::string& id);
    // create + start; in the foreground waits for the program, removes the
    // container (unless keep) and returns its exit code (128+N for signal N).
    int run(const CreateOptions& opts, const RunOptions& run);
    // A new process in a running container; in the foreground returns its
    // exit code, detached 0 once it runs.
    int exec(const ExecOptions& opts);

    std::string state_json(const std::string& id);
    std::vector<ListEntry> list();
    void kill(const std::string& id, int signal, bool all);
    void remove(const std::string& id, bool force);

    // Freeze / thaw every process of a created or running container.
    void pause(const std::string& id);
    void resume(const std::string& id);
    // Writes the limits r asks for into the container's cgroup; device rules
    // are left as they are (as runc's update does). A write that fails puts
    // back what was written before it.
    void update(const std::string& id, const spec::Resources& r);
    // The cgroup's statistics (`events --stats`).
    cgroup::Stats stats(const std::string& id);
    // Every process in the container's cgroup, as host pids (`ps`).
    std::vector<pid_t> pids(const std::string& id);
    // Streams runc's event lines to emit: the stats every interval and each
    // OOM notice as it comes, until the cgroup is removed (v2: or empty).
    void events(const std::string& id, std::chrono::milliseconds interval,
                const std::function<void(const std::string&)>& emit);

private:
    struct Launch;
    Launch launch(const CreateOptions& opts, bool run_now);
    // `host`: the cgroup host description when the caller already has it
    // (list, for every container); otherwise it is read when needed.
    Status status_of(ContainerDir& dir, const ContainerState& s, bool locked_by_us,
                     const cgroup::Host* host = nullptr);
    // Removes the cgroup and the state dir, then runs the poststop hooks.
    // Hooks run in `hooks_cwd` ("": ours): as runc's, those of create and
    // run run in the bundle, those of start and delete where we were started.
    void destroy(ContainerDir& dir, const ContainerState& s, const std::string& hooks_cwd);
    // Poststart hooks of a container whose program now runs.
    void run_poststart(const ContainerState& s, const std::string& hooks_cwd);
    // The cgroup of a container that has not stopped, for stats and events.
    std::unique_ptr<cgroup::Manager> running_cgroup(const std::string& id);

    std::string root_;
    const Logger& log_;
    bool systemd_cgroup_;
    Explainer explain_;
};

}  // namespace dkr
