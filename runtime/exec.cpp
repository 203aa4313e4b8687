// exec: a new process in a running container.
//
// dkr exec                                   child (clone3 into the container's cgroup)
// --------                                   ----------------------------------------
// read state.json, check the status
// the process: --process FILE, or the container's own with the flags applied
// pidfd of the init; which namespaces differ from ours
// setns(pidfd, pid|time): for our children only
// open the v1 cgroups' tasks files
// clone3(CLONE_INTO_CGROUP) -------------------> born in the container's pid ns and cgroup (v2,
//                                                 hybrid unified); writes "0" to the v1 tasks files
//                                                 setns(pidfd, user|mnt|net|ipc|uts|cgroup)
//                                                 session keyring, pty (master -> console socket)
//                                                 rlimits, user, caps, cwd, no_new_privs, seccomp
// notify fd to listenerPath <------------------ (SCMP_ACT_NOTIFY: the notify fd, SCM_RIGHTS)
// EOF on the sync socket <--------------------- execve (the CLOEXEC socket closes)
// --pid-file; -d: return; else wait, relay, exit with its code
#include "runtime/container.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

#include "runtime/cgroup/manager.hpp"
#include "runtime/console.hpp"
#include "runtime/error.hpp"
#include "runtime/exec_init.hpp"
#include "runtime/foreground.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/procfs.hpp"
#include "runtime/seccomp_agent.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"
#include "spec/loader.hpp"
#include "spec/validate.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace dkr {
namespace {

spec::Process process_for(const ExecOptions& opts, const ContainerState& s, const std::string& state_file) {
    if (!opts.process_file.empty()) return spec::load_process(sys::absolute_path(opts.process_file));
    if (s.process_json.empty()) throw Error(state_file + ": the container has no process to start from");
    spec::Process p = exec_process(opts, spec::parse_process(s.process_json, state_file));
    spec::validate_process(p, "exec");
    return p;
}

void check_terminal(const ExecOptions& opts, const spec::Process& p) {
    if (opts.detach && p.terminal && opts.console_socket.empty())
        throw Error("cannot allocate tty if dkr will detach without setting console socket");
    if ((!opts.detach || !p.terminal) && !opts.console_socket.empty())
        throw Error("cannot use console socket if dkr will not detach or allocate tty");
}

std::pair<sys::Fd, sys::Fd> socket_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw sys_error("socketpair", "console", errno);
    return {sys::Fd(fds[0]), sys::Fd(fds[1])};
}

}  // namespace

int Runtime::exec(const ExecOptions& opts) {
    ContainerDir dir = ContainerDir::open(root_, opts.id);
    ContainerState s = dir.read_state();
    switch (status_of(dir, s, false)) {
        case Status::Stopped: throw Error("cannot exec in a stopped container");
        case Status::Creating: throw Error("cannot exec in a container that is being created");
        case Status::Paused:
            if (!opts.ignore_paused) throw Error("cannot exec in a paused container (use --ignore-paused to override)");
            break;
        default: break;
    }
    std::string state_file = sys::join(dir.path(), kStateFile);
    spec::Process process = process_for(opts, s, state_file);
    check_terminal(opts, process);

    SeccompProgram seccomp;
    if (s.seccomp) {
        seccomp.bpf = sys::read_file(sys::join(dir.path(), kSeccompFile));
        seccomp.flags = s.seccomp->flags;
        seccomp.notify = s.seccomp->notify;
    }
    // The pidfd, checked against the recorded start time once open, names
    // the init for good: a recycled pid cannot lead us into another process.
    sys::Fd init = sys::open_pidfd(s.pid);
    if (!init || !process_alive(s.pid, s.pid_start_time)) throw Error("cannot exec in a stopped container");
    int ns = 0;
    try {
        ns = foreign_namespaces(s.pid);
    } catch (const Error& e) {
        // An init on its way out has given up its namespaces already.
        if (e.code() == ENOENT) throw Error("cannot exec in a stopped container");
        throw;
    }
    std::unique_ptr<cgroup::Manager> cg;
    if (!s.cgroup_path.empty()) cg = cgroup::open_manager(s.cgroup_path);

    sys::Fd console, console_peer;
    if (process.terminal) {
        if (!opts.console_socket.empty())
            console = connect_console_socket(opts.console_socket);
        else
            std::tie(console_peer, console) = socket_pair();
    }
    LsmExec lsm = lsm_exec_labels(process, log_);
    const bool relayed = console_peer.valid();
    std::optional<ForwardedSignals> signals;
    if (!opts.detach) signals.emplace();
    auto [parent_end, child_end] = make_sync_pair();

    // Born non-dumpable (execve makes the program dumpable again): while it
    // still holds our fds, no container process may ptrace it or open its
    // /proc/PID/fd (CVE-2016-9962).
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_DUMPABLE", errno);
    ChildNamespaces ours(ns & (CLONE_NEWPID | CLONE_NEWTIME));
    if (int for_children = ns & (CLONE_NEWPID | CLONE_NEWTIME)) {
        Step step(explain_, [&] {
            return StepText{"setns(pidfd of the init, " + clone_flag_names(for_children) + ")",
                            "entered the container's pid and time namespaces: they apply to the child cloned next"};
        });
        join_process_namespaces(init.get(), for_children);
    }
    // v1 hierarchies: the child joins them itself, as the init does (cgroup::join_self).
    std::vector<sys::Fd> cgroup_tasks;
    if (cg) cgroup_tasks = cg->open_tasks_files();
    bool into_cgroup = false;
    sys::Fd explain_fd = explain_.dup_for_child(3 + opts.preserve_fds);
    auto cloning = explain_.start();
    pid_t child = sys::clone_process(0, cg ? cg->clone_into_fd() : -1, into_cgroup);
    // clone3 could not place it (Linux < 5.7): the parent moves it, the slow way.
    const bool moved_by_parent = cg && !into_cgroup && cg->clone_into_fd() >= 0;
    if (child == 0) {
        parent_end.reset();
        console_peer.reset();
        ExecInitContext ctx{.process = process,
                            .id = opts.id,
                            .init_pidfd = init.get(),
                            .ns_flags = ns & ~(CLONE_NEWPID | CLONE_NEWTIME),
                            .sync_fd = child_end.get(),
                            .wait_for_go = moved_by_parent,
                            .cgroup_tasks = std::move(cgroup_tasks),
                            .console_fd = console.get(),
                            .console_relayed = relayed,
                            .keep_fds = opts.preserve_fds,
                            .new_keyring = !s.no_new_keyring,
                            .lsm = std::move(lsm),
                            .seccomp = std::move(seccomp),
                            .explain_fd = explain_fd.get()};
        exec_init(ctx);
    }
    if (explain_)
        explain_.done(cloning, into_cgroup ? "clone3(CLONE_INTO_CGROUP)" : "clone3(0)",
                      "made the process that becomes the program (pid " + std::to_string(child) + " on the host)" +
                          (into_cgroup ? ", born in the container's cgroup" : ""));
    explain_fd.reset();
    cgroup_tasks.clear();
    child_end.reset();
    console.reset();
    try {
        ours.restore();
        if (moved_by_parent) {
            cg->add_process(child);
            sync_send(parent_end.get(), SyncMsg::Go);
        }
        // EOF: the program runs (the CLOEXEC socket went at exec).
        Step step(explain_, "recv(sync socket) until EOF",
                  "waited while the child joined the container and called execve, which closed its close-on-exec "
                  "sync socket. The program runs");
        for (;;) {
            SyncMsgWithFd msg = sync_recv_fd(parent_end.get());
            if (msg.type == SyncMsg::Eof) break;
            if (msg.type == SyncMsg::Error) throw Error(msg.payload);
            if (msg.type == SyncMsg::SeccompFd && msg.fd) {
                spec::Seccomp agent;
                agent.listener_path = s.seccomp->listener_path;
                agent.listener_metadata = s.seccomp->listener_metadata;
                send_to_seccomp_agent(agent, msg.fd.get(), {&s, Status::Running, ""}, child);
            }
        }
        if (!opts.pid_file.empty())
            sys::write_file_atomic(sys::absolute_path(opts.pid_file), std::to_string(child), 0644);
    } catch (...) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw;
    }
    if (opts.detach) return 0;
    Foreground fg;
    fg.pid = child;
    fg.explain = explain_;
    if (console_peer) fg.pty_master = recv_console(console_peer.get());
    return wait_foreground(fg, *signals);
}

}  // namespace dkr
