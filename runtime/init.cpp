#include "runtime/init.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/cgroup/manager.hpp"
#include "runtime/console.hpp"
#include "runtime/error.hpp"
#include "runtime/fault.hpp"
#include "runtime/hooks.hpp"
#include "runtime/keyring.hpp"
#include "runtime/loopback.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/mount_api.hpp"

namespace dkr {
namespace {

void set_names(const spec::Config& config, Explainer ex) {
    const spec::Namespace* uts = config.linux ? config.linux->find_namespace("uts") : nullptr;
    for (const auto& name : {std::pair{"hostname", config.hostname}, std::pair{"domainname", config.domainname}}) {
        // Not a structured binding: the Step's lambda captures them (clang before 16 cannot).
        const char* field = name.first;
        const std::optional<std::string>& value = name.second;
        if (!value || value->empty()) continue;
        if (!uts) throw Error(std::string("unable to set ") + field + " without a private UTS namespace");
        Step step(ex, [&] {
            return StepText{std::string("set") + field + "(\"" + *value + "\")",
                            std::string("set the ") + field + " of the container's UTS namespace"};
        });
        int rc = std::strcmp(field, "hostname") == 0 ? ::sethostname(value->data(), value->size())
                                                     : ::setdomainname(value->data(), value->size());
        if (rc < 0) throw sys_error(std::string("set ") + field, *value, errno);
    }
}

// Blocks until `dkr start` opens the fifo for reading, then tells it so by
// writing a byte. The fd stays open (CLOEXEC) until exec, so start sees EOF
// exactly when the program has replaced the init; anything written after
// the byte is an error that start reports.
sys::Fd wait_for_start(int state_dir_fd) {
    sys::Fd fifo = sys::open_at(state_dir_fd, kExecFifo, O_WRONLY);
    sys::write_all(fifo.get(), "0", kExecFifo);
    return fifo;
}

// The console: a pty of the container's devpts, its master to whoever holds
// the terminal, its slave on /dev/console and as our stdio.
void setup_console(const InitContext& ctx, Explainer ex) {
    Step step(ex, "open(\"/dev/pts/ptmx\"), ioctl(TIOCGPTPEER), move_mount(slave, \"/dev/console\"), "
                  "sendmsg(SCM_RIGHTS), dup2(slave, 0/1/2)",
              "made a pty in the container's devpts: its master went to the console socket, its slave is "
              "/dev/console and the process's stdio");
    sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
    Pty pty = open_pty(root.get(), ctx.config.process->console_size, ctx.console_relayed);
    mount_console(root.get(), pty.slave.get());
    send_console(ctx.console_fd, pty.master.get());
    ::close(ctx.console_fd);
    use_as_terminal(pty.slave.get());
}

void setup_and_exec(InitContext& ctx) {
    Explainer ex(ctx.explain_fd, "init");
    cgroup::join_self(ctx.cgroup_tasks, ex);
    const spec::Config& config = ctx.config;
    const spec::Process& proc = *config.process;
    const spec::Linux empty_linux;
    const spec::Linux& linux = config.linux ? *config.linux : empty_linux;
    const spec::Hooks hooks = config.hooks.value_or(spec::Hooks{});

    DKR_FAULT_POINT("init-after-clone");
    std::pair<SyncMsg, std::string> go;
    {
        Step step(ex, "recv(sync socket) until Go",
                  "waited for dkr to finish its part (uid/gid maps of a new user namespace, oom_score_adj)");
        go = sync_recv(ctx.sync_fd);
    }
    auto& [msg, pid_text] = go;
    if (msg != SyncMsg::Go) ::_exit(1);
    // What hooks read on stdin: the pid is the one the host sees.
    HookState hook_state{ctx.id, "creating", static_cast<pid_t>(std::atoi(pid_text.c_str())), ctx.bundle,
                         config.annotations};

    join_namespaces(linux, false, ex);
    if (ctx.in_user_ns) {
        Step step(ex, "setresgid(0, 0, 0), setresuid(0, 0, 0)",
                  "became root of the user namespace: uid 0 inside, the mapped uid outside");
        // Become the namespace's root (uid 0 is mapped by now) to set the rest up.
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
            throw sys_error("become root in the user namespace", "", errno);
    }
    if (const spec::Namespace* net = linux.find_namespace("network"); net && net->path.empty()) {
        Step step(ex, "socket(AF_INET), ioctl(SIOCSIFFLAGS, IFF_UP) on \"lo\"",
                  "brought up the loopback interface of the new network namespace");
        bring_up_loopback();
    }
    unshare_cgroup_namespace(linux, ex);
    if (ctx.new_keyring) join_session_keyring(ctx.id, ex);
    set_names(config, ex);
    apply_process_attrs(proc, linux);

    sys::Fd devnull = sys::open_file("/dev/null", O_PATH);
    security::check_fd_is_dev_null(devnull.get());
    // Our own handle on --root/ID: the inherited one carries the parent's
    // flock, which must not outlive the parent or `start` would wait forever.
    sys::Fd state_dir = sys::open_at(ctx.state_dir_fd, ".", O_PATH | O_DIRECTORY);
    ::close(ctx.state_dir_fd);

    sys::Fd devnull_tree = sys::clone_tree(devnull.get(), "", false, "/dev/null");
    devnull.reset();
    {
        RootfsContext rc{config, ctx.bundle, ctx.rootfs, ctx.in_user_ns, ctx.idmapped, ex};
        sys::Fd root = prepare_rootfs(rc);
        if (!hooks.prestart.empty() || !hooks.create_runtime.empty()) {
            Step step(ex, "send(sync socket, Hooks), recv until HooksDone",
                      "dkr ran the prestart and createRuntime hooks while the init waited");
            sync_send(ctx.sync_fd, SyncMsg::Hooks);
            auto [done, unused] = sync_recv(ctx.sync_fd);
            if (done != SyncMsg::HooksDone) ::_exit(1);
        }
        if (!hooks.create_container.empty()) {
            Step step(ex, "fork, execve for each hook", "ran the createContainer hooks, in the container's namespaces");
            // In the container's namespaces, before the root switch: paths resolve on the host.
            run_hooks("createContainer", hooks.create_container, hook_state_json(hook_state), ctx.rootfs);
        }
        switch_root(root.get(), ctx.no_pivot, ex);
    }
    if (proc.terminal) setup_console(ctx, ex);
    finish_rootfs(config, std::move(devnull_tree), ex);
    DKR_FAULT_POINT("init-after-mounts");

    PreparedProcess prepared = prepare_process(proc, ctx.lsm, ctx.seccomp, true, ctx.sync_fd, ex);

    DKR_FAULT_POINT("init-before-ready");
    auto waiting = ex.start();
    sync_send(ctx.sync_fd, SyncMsg::Ready);
    auto [next, unused] = sync_recv(ctx.sync_fd);
    hook_state.status = "created";
    const std::string cwd = proc.cwd.empty() ? "/" : proc.cwd;
    if (next == SyncMsg::Created) {
        // dkr create exits now: nothing more goes to its stderr (whose
        // reader may be gone: SIGPIPE). `dkr --explain start` tells the rest.
        if (ctx.explain_fd >= 0) ::close(ctx.explain_fd);
        ex = Explainer();
        // The parent is gone once create returns: a failure from here on goes to `start`.
        ::close(ctx.sync_fd);
        DKR_FAULT_POINT("init-before-fifo");
        sys::Fd fifo = wait_for_start(state_dir.get());
        state_dir.reset();
        try {
            run_hooks("startContainer", hooks.start_container, hook_state_json(hook_state), cwd);
            exec_prepared(prepared, ctx.preserve_fds, ex);
        } catch (const Error& e) {
            ssize_t ignored = ::write(fifo.get(), e.what(), std::strlen(e.what()));
            (void)ignored;
            ::_exit(127);
        }
    }
    if (next != SyncMsg::StartNow) ::_exit(1);
    ex.done(waiting, "send(sync socket, Ready), recv until StartNow",
            "waited for dkr to record the container's pid in state.json");
    state_dir.reset();
    if (!hooks.start_container.empty()) {
        Step step(ex, "fork, execve for each hook", "ran the startContainer hooks");
        run_hooks("startContainer", hooks.start_container, hook_state_json(hook_state), cwd);
    }
    exec_prepared(prepared, ctx.preserve_fds, ex);
}

}  // namespace

void container_init(InitContext& ctx) noexcept {
    try {
        setup_and_exec(ctx);
    } catch (const std::exception& e) {
        // Still attached (run mode, or before Ready): the parent prints it.
        // Otherwise the container's stderr is the only place left to say it.
        sync_fail(ctx.sync_fd, e.what());
    }
    ::_exit(127);
}

}  // namespace dkr
