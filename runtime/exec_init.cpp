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
    cgroup::join_self(ctx.cgroup_tasks);
    unblock_signals();
    if (ctx.wait_for_go) {
        auto [msg, unused] = sync_recv(ctx.sync_fd);
        if (msg != SyncMsg::Go) ::_exit(1);
    }
    join_process_namespaces(ctx.init_pidfd, ctx.ns_flags);
    ::close(ctx.init_pidfd);
    if (ctx.new_keyring) join_session_keyring(ctx.id);
    if (ctx.process.terminal) {
        // "/" is the container's root since the mount namespace was joined.
        sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
        Pty pty = open_pty(root.get(), ctx.process.console_size, ctx.console_relayed);
        send_console(ctx.console_fd, pty.master.get());
        ::close(ctx.console_fd);
        use_as_terminal(pty.slave.get());
    }
    PreparedProcess prepared = prepare_process(ctx.process, ctx.lsm, ctx.seccomp, false, ctx.sync_fd);
    exec_prepared(prepared, ctx.keep_fds);
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
