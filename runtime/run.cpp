// run: create + start, then wait in the foreground and forward signals.
#include "runtime/container.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>

#include "runtime/console.hpp"
#include "runtime/error.hpp"
#include "runtime/foreground.hpp"
#include "runtime/launch.hpp"
#include "runtime/sync.hpp"

namespace dkr {

int Runtime::run(const CreateOptions& opts, const RunOptions& run) {
    if (run.detach) {
        create(opts);
        start(opts.id);
        return 0;
    }
    // Processes orphaned in the container (when it shares our pid
    // namespace) come to us, and are reaped, instead of going to PID 1.
    if (!run.no_subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        throw sys_error("prctl", "PR_SET_CHILD_SUBREAPER", errno);
    ForwardedSignals signals;
    Launch l = launch(opts, true);
    ContainerState state = l.state;
    // Until exec the init may still report a failure on the sync socket.
    auto execing = explain_.start();
    auto [msg, text] = sync_recv(l.sync.get());
    if (explain_ && msg != SyncMsg::Error)
        explain_.done(execing, "send(sync socket, StartNow), recv until EOF",
                      "the init called execve: its sync socket, close-on-exec, closed. The container's program runs");
    l.dir.reset();  // releases the lock: other commands may now act on the container
    if (msg == SyncMsg::Error) {
        ::waitpid(l.pid, nullptr, 0);
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        destroy(dir, state, state.bundle);
        throw Error(text);
    }
    run_poststart(state, state.bundle);
    Foreground fg;
    fg.pid = l.pid;
    fg.notify = l.notify.get();
    fg.reap_all = !run.no_subreaper;
    fg.explain = explain_;
    if (l.console) fg.pty_master = recv_console(l.console.get());
    int code = wait_foreground(fg, signals);
    if (run.keep) return code;
    try {
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        dir.lock();
        destroy(dir, state, state.bundle);
    } catch (const Error& e) {
        log_.warn(std::string("remove container after run: ") + e.what());
    }
    return code;
}

}  // namespace dkr
