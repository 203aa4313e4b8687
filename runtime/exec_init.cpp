#include "runtime/exec_init.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "runtime/cgroup/manager.hpp"
#include "runtime/console.hpp"
#include "runtime/error.hpp"
#include "runtime/foreground.hpp"
#include "runtime/keyring.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

void setup_and_exec(ExecInitContext& ctx) {
    Explainer ex(ctx.explain_fd, "exec");
    cgroup::join_self(ctx.cgroup_tasks, ex);
    unblock_signals();
    if (ctx.wait_for_go) {
        auto [msg, unused] = sync_recv(ctx.sync_fd);
        if (msg != SyncMsg::Go) ::_exit(1);
    }
    if (ctx.ns_flags) {
        Step step(ex, [&] {
            return StepText{"setns(pidfd of the init, " + clone_flag_names(ctx.ns_flags) + ")",
                            "joined the container's namespaces, all at once (its pid and time namespaces: at birth)"};
        });
        join_process_namespaces(ctx.init_pidfd, ctx.ns_flags);
    }
    ::close(ctx.init_pidfd);
    if (ctx.new_keyring) join_session_keyring(ctx.id, ex);
    if (ctx.process.terminal) {
        Step step(ex, "open(\"/dev/pts/ptmx\"), ioctl(TIOCGPTPEER), sendmsg(SCM_RIGHTS), dup2(slave, 0/1/2)",
                  "made a pty in the container's devpts: its master went to the console socket, its slave is the "
                  "process's stdio");
        // "/" is the container's root since the mount namespace was joined.
        sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
        Pty pty = open_pty(root.get(), ctx.process.console_size, ctx.console_relayed);
        send_console(ctx.console_fd, pty.master.get());
        ::close(ctx.console_fd);
        use_as_terminal(pty.slave.get());
    }
    PreparedProcess prepared = prepare_process(ctx.process, ctx.lsm, ctx.seccomp, false, ctx.sync_fd, ex);
    exec_prepared(prepared, ctx.keep_fds, ex);
}

}  // namespace

void exec_init(ExecInitContext& ctx) noexcept {
    try {
        setup_and_exec(ctx);
    } catch (const std::exception& e) {
        sync_fail(ctx.sync_fd, e.what());
    }
    ::_exit(127);
}

}  // namespace dkr
