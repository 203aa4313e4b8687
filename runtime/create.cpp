// create: from config.json to an init waiting on the exec fifo.
#include "runtime/container.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <optional>

#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/console.hpp"
#include "runtime/error.hpp"
#include "runtime/fault.hpp"
#include "runtime/foreground.hpp"
#include "runtime/hooks.hpp"
#include "runtime/idmapped_mounts.hpp"
#include "runtime/init.hpp"
#include "runtime/launch.hpp"
#include "runtime/listen_fds.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/procfs.hpp"
#include "runtime/seccomp_agent.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"
#include "spec/loader.hpp"
#include "spec/writer.hpp"

namespace dkr {
namespace {

std::string resolve_rootfs(const spec::Config& config, const std::string& bundle, const std::string& file) {
    if (!config.root || config.root->path.empty()) throw Error(file + ": /root/path: required");
    std::string rootfs = config.root->path[0] == '/' ? config.root->path : sys::join(bundle, config.root->path);
    char real[PATH_MAX];
    if (!::realpath(rootfs.c_str(), real)) throw sys_error("rootfs", rootfs, errno);
    struct stat st;
    if (::stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) throw Error("rootfs " + rootfs + ": not a directory");
    return real;
}

// The parent's side of the namespaces: pid and time apply to the children
// of the process that enters them, so that the init is born inside.
void enter_namespaces_for_children(const spec::Linux& linux, Explainer ex) {
    join_namespaces(linux, true, ex);
    prepare_time_namespace(linux, ex);
}

// With a user namespace joined by path, the namespaces the init makes must
// belong to it, or the init could not mount anything in its own mount
// namespace. A short-lived helper joins it and clones the init as our own
// child (CLONE_PARENT). The helper stays in our pid namespace, so the pid it
// reports is ours to use. Returns the init's pid; init_main runs in the init.
template <typename InitMain>
pid_t clone_in_user_namespace(const spec::Linux& linux, int flags, InitMain init_main, Explainer ex) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) < 0) throw sys_error("pipe", "user namespace helper", errno);
    sys::Fd reader(pipefd[0]), writer(pipefd[1]);
    pid_t helper = ::fork();
    if (helper < 0) throw sys_error("fork", "user namespace helper", errno);
    if (helper == 0) {
        reader.reset();
        pid_t init = -EINVAL;
        try {
            enter_namespaces_for_children(linux, ex);
            join_user_namespace(linux, ex);
            bool into_cgroup = false;
            init = sys::clone_process(flags | CLONE_PARENT, -1, into_cgroup);
            if (init == 0) {
                writer.reset();
                init_main();
            }
        } catch (const Error& e) {
            init = -(e.code() ? e.code() : EINVAL);
        }
        ssize_t ignored = ::write(writer.get(), &init, sizeof init);
        (void)ignored;
        ::_exit(0);
    }
    writer.reset();
    pid_t init = 0;
    ssize_t n = ::read(reader.get(), &init, sizeof init);
    ::waitpid(helper, nullptr, 0);
    const spec::Namespace* ns = linux.find_namespace("user");
    if (n != sizeof init || init <= 0)
        throw sys_error("join user namespace", ns->path, n == sizeof init ? -init : EPIPE);
    return init;
}

// As runc: a terminal needs someone to hold it, and a socket needs a terminal.
void check_terminal(const spec::Process& p, const CreateOptions& opts, bool foreground) {
    if (!foreground && p.terminal && opts.console_socket.empty())
        throw Error("cannot allocate tty if dkr will detach without setting console socket");
    if ((foreground || !p.terminal) && !opts.console_socket.empty())
        throw Error("cannot use console socket if dkr will not detach or allocate tty");
}

HookState creating_state(const ContainerState& s, pid_t pid) {
    return {s.id, "creating", pid, s.bundle, s.annotations};
}

}  // namespace

Runtime::Launch Runtime::launch(const CreateOptions& opts, bool run_now) {
    check_container_id(opts.id);
    std::string bundle = sys::absolute_path(opts.bundle);
    std::string config_file = sys::join(bundle, "config.json");
    auto loading = explain_.start();
    spec::Config config = spec::load_config(config_file);
    if (explain_)
        explain_.done(loading, "read(\"" + config_file + "\")",
                      "loaded the bundle's config.json and checked it against the OCI runtime-spec");
    std::string rootfs = resolve_rootfs(config, bundle, config_file);
    const spec::Linux empty_linux;
    const spec::Linux& linux = config.linux ? *config.linux : empty_linux;
    if (!linux.find_namespace("mount"))
        throw Error(config_file + ": /linux/namespaces: a mount namespace is required");
    check_sysctl_namespaces(linux, config_file);
    check_terminal(*config.process, opts, run_now);
    const spec::Hooks hooks = config.hooks.value_or(spec::Hooks{});

    Launch l;
    auto making_dir = explain_.start();
    l.dir = std::make_unique<ContainerDir>(ContainerDir::create(root_, opts.id));
    std::unique_ptr<cgroup::Manager> cg;
    std::optional<ChildNamespaces> runtime_namespaces;
    pid_t child = 0;
    try {
        l.dir->lock();
        if (explain_)
            explain_.done(making_dir, "mkdir(\"" + l.dir->path() + "\"), flock(LOCK_EX)",
                          "made the container's state directory and locked it against other dkr commands");
        l.state.id = opts.id;
        l.state.bundle = bundle;
        l.state.rootfs = rootfs;
        l.state.created = rfc3339_now();
        l.state.annotations = config.annotations;
        if (config.hooks) l.state.hooks_json = spec::to_json(hooks);
        // exec starts from the process as configured, without what is added below for the init.
        l.state.process_json = spec::to_json(*config.process);
        l.state.no_new_keyring = opts.no_new_keyring;
        if (linux.seccomp)
            l.state.seccomp = SeccompRecord{linux.seccomp->flags, security::seccomp_uses_notify(*linux.seccomp),
                                            linux.seccomp->listener_path, linux.seccomp->listener_metadata};
        cg = cgroup::make_manager(linux.cgroups_path, opts.id, systemd_cgroup_);
        l.state.cgroup_path = cg->path();
        // Recorded before anything else is made, so that delete --force finds it all.
        l.dir->write_cgroup_record(l.state.cgroup_path);
        l.dir->write_state(l.state);
        DKR_FAULT_POINT("create-after-state");
        {
            Step step(explain_, [&] {
                return StepText{"mkdir(\"" + l.state.cgroup_path + "\") in each cgroup hierarchy",
                                "made the container's cgroup, which will hold all its processes"};
            });
            cg->create();
        }
        {
            Step step(explain_, "write to the cgroup's control files (memory.max, pids.max, devices.deny, ...)",
                      "applied linux.resources and the device rules: the kernel enforces them on the cgroup");
            // The device cgroup always gets runc's defaults: the init needs them for mknod.
            spec::Resources resources = linux.resources.value_or(spec::Resources{});
            resources.devices = cgroup::effective_device_rules(resources.devices, linux.devices);
            cg->apply(resources);
        }
        DKR_FAULT_POINT("create-after-cgroup");
        // 0622 whatever the umask: the init opens it after switching to the
        // container's user, which may be anyone (or root of a user namespace).
        if (!run_now) {
            Step step(explain_, [&] {
                return StepText{"mkfifoat(\"" + sys::join(l.dir->path(), kExecFifo) + "\", 0622)",
                                "made the exec fifo: the init will block opening it until dkr start opens the "
                                "other end"};
            });
            if (::mkfifoat(l.dir->fd(), kExecFifo, 0622) < 0 || ::fchmodat(l.dir->fd(), kExecFifo, 0622, 0) < 0)
                throw sys_error("mkfifo", sys::join(l.dir->path(), kExecFifo), errno);
        }
        DKR_FAULT_POINT("create-after-fifo");

        int keep_fds = listen_fds();
        if (keep_fds > 0) {
            auto env = listen_fds_env(keep_fds);
            config.process->env.insert(config.process->env.end(), env.begin(), env.end());
        }
        keep_fds += opts.preserve_fds;
        if (std::string host = notify_socket_host(); !host.empty()) {
            add_notify_socket(config, l.dir->path());
            if (run_now) l.notify = std::make_unique<NotifySocket>(l.dir->path(), host);
        }

        SeccompProgram seccomp;
        if (linux.seccomp) {
            Step step(explain_, [&] {
                return StepText{"seccomp_export_bpf() (libseccomp, no syscall), write(\"" +
                                    sys::join(l.dir->path(), kSeccompFile) + "\")",
                                "compiled linux.seccomp into a BPF program of " +
                                    std::to_string(seccomp.bpf.size() / 8) +
                                    " instructions (or took it from the cache); the init loads it last"};
            });
            try {
                seccomp.bpf = security::compiled_filter_cached(*linux.seccomp,
                                                               sys::join(root_, std::string(kCacheDir) + "/seccomp"));
            } catch (const Error& e) {
                throw Error(config_file + ": " + e.what(), e.code());  // its messages name the JSON pointer
            }
            seccomp.flags = l.state.seccomp->flags;
            seccomp.notify = l.state.seccomp->notify;
            sys::write_file_atomic(sys::join(l.dir->path(), kSeccompFile), seccomp.bpf);
        }

        sys::Fd console;
        if (config.process->terminal) {
            if (run_now) {
                int fds[2];
                if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                    throw sys_error("socketpair", "console", errno);
                l.console = sys::Fd(fds[0]);
                console = sys::Fd(fds[1]);
            } else {
                console = connect_console_socket(opts.console_socket);
            }
        }

        LsmExec lsm = lsm_exec_labels(*config.process, log_);
        IdmappedMounts idmapped = prepare_idmapped_mounts(config, bundle);
        // Named references, not a structured binding: init_main captures
        // them, which clang before 16 (the fuzz build's) cannot do with bindings.
        auto sync_pair = make_sync_pair();
        sys::Fd& parent_end = sync_pair.first;
        sys::Fd& child_end = sync_pair.second;
        runtime_namespaces.emplace(linux);
        const spec::Namespace* userns = linux.find_namespace("user");
        bool new_userns = userns && userns->path.empty();
        // v1 hierarchies: the init joins them itself (cgroup::join_self).
        std::vector<sys::Fd> cgroup_tasks = cg->open_tasks_files();
        bool into_cgroup = false;
        // The init is born non-dumpable (execve makes the program dumpable
        // again): no container process can open its /proc/PID/fd, exe or
        // mem, not even from a pid namespace it joins (CVE-2016-9962).
        {
            Step step(explain_, "prctl(PR_SET_DUMPABLE, 0)",
                      "made dkr non-dumpable, so that the init is born so: no container process can open its "
                      "/proc/PID/fd, exe or mem (CVE-2016-9962); execve of the program undoes it");
            if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_DUMPABLE", errno);
        }
        sys::Fd explain_fd = explain_.dup_for_child(3 + keep_fds);
        auto init_main = [&]() {
            parent_end.reset();
            l.console.reset();
            if (run_now) unblock_signals();
            InitContext ctx{.config = config,
                            .id = opts.id,
                            .bundle = bundle,
                            .rootfs = rootfs,
                            .sync_fd = child_end.get(),
                            .state_dir_fd = l.dir->fd(),
                            .console_fd = console.get(),
                            .console_relayed = run_now,
                            .no_pivot = opts.no_pivot,
                            .in_user_ns = userns != nullptr,
                            .new_keyring = !opts.no_new_keyring,
                            .preserve_fds = keep_fds,
                            .seccomp = std::move(seccomp),
                            .lsm = std::move(lsm),
                            .idmapped = &idmapped,
                            .cgroup_tasks = std::move(cgroup_tasks),
                            .explain_fd = explain_fd.get()};
            container_init(ctx);
        };
        const int flags = clone_flags_for(linux);
        if (userns && !userns->path.empty()) {
            auto cloning = explain_.start();
            child = clone_in_user_namespace(linux, flags, init_main, explain_);
            if (explain_)
                explain_.done(cloning, "fork, setns(user), clone3(" + clone_flag_names(flags) + "|CLONE_PARENT)",
                              "a helper joined the user namespace and made the init in it, in new namespaces");
        } else {
            enter_namespaces_for_children(linux, explain_);
            auto cloning = explain_.start();
            child = sys::clone_process(flags, cg->clone_into_fd(), into_cgroup);
            if (child == 0) init_main();
            if (explain_)
                explain_.done(cloning,
                              "clone3(" + clone_flag_names(flags) + (into_cgroup ? "|CLONE_INTO_CGROUP" : "") + ")",
                              "made the container's init process (pid " + std::to_string(child) + " on the host), "
                              "born in new namespaces" + (into_cgroup ? " and inside the container's cgroup" : ""));
        }
        explain_fd.reset();
        child_end.reset();
        console.reset();
        runtime_namespaces->restore();
        l.sync = std::move(parent_end);
        DKR_FAULT_POINT("create-after-clone");
        cgroup_tasks.clear();
        try {
            if (new_userns) {
                Step step(explain_, [&] {
                    return StepText{"write(\"/proc/" + std::to_string(child) + "/uid_map\"), write(\"/proc/" +
                                        std::to_string(child) + "/gid_map\")",
                                    "mapped the user namespace's ids to host ids (linux.uidMappings, gidMappings)"};
                });
                write_id_mappings(child, linux);
            }
            set_oom_score_adj(child, *config.process);
            // clone3 without CLONE_INTO_CGROUP (Linux < 5.7, or the helper's
            // clone for a user namespace joined by path): the slow way, for all hierarchies.
            if (!into_cgroup && cg->clone_into_fd() >= 0) cg->add_process(child);
            sync_send(l.sync.get(), SyncMsg::Go, std::to_string(child));
        } catch (const Error&) {
            // Each of these fails once the init has gone: what it said before
            // going, or else that it went, is the news.
            auto said = sync_recv_nowait(l.sync.get());
            if (!said) throw;
            throw Error(said->first == SyncMsg::Error ? said->second : "container init exited during setup");
        }
        auto waiting = explain_.start();
        for (;;) {
            SyncMsgWithFd reply = sync_recv_fd(l.sync.get());
            if (reply.type == SyncMsg::Ready) break;
            if (reply.type == SyncMsg::Error) throw Error(reply.payload);
            if (reply.type == SyncMsg::SeccompFd && reply.fd) {
                ContainerState creating = l.state;
                creating.pid = child;
                send_to_seccomp_agent(*linux.seccomp, reply.fd.get(), {&creating, Status::Creating, ""}, child);
            } else if (reply.type == SyncMsg::Hooks) {
                // The init's namespaces exist and its mounts are made; the runtime's hooks run here.
                std::string state = hook_state_json(creating_state(l.state, child));
                Step step(explain_, "fork, execve for each hook",
                          "ran the prestart and createRuntime hooks (the init's namespaces and mounts exist)");
                run_hooks("prestart", hooks.prestart, state, bundle);
                run_hooks("createRuntime", hooks.create_runtime, state, bundle);
                sync_send(l.sync.get(), SyncMsg::HooksDone);
            } else {
                throw Error("container init exited during setup");
            }
        }
        if (explain_)
            explain_.done(waiting, "send(sync socket, Go), recv until Ready",
                          "let the init go on, and waited while it set the container up (its lines above)");
        DKR_FAULT_POINT("create-after-ready");

        log_.debug("container " + opts.id + ": init " + std::to_string(child) + " is set up");
        l.pid = child;
        auto st = read_proc_stat(child);
        if (!st) throw Error("container init exited during setup");
        l.state.pid = child;
        l.state.pid_start_time = st->start_time;
        {
            Step step(explain_, [&] {
                return StepText{"write(\"" + sys::join(l.dir->path(), kStateFile) + "\"), rename",
                                "recorded the init's pid and start time: the container now exists for dkr state"};
            });
            l.dir->write_state(l.state);
        }
        DKR_FAULT_POINT("create-after-pid");
        if (!opts.pid_file.empty())
            sys::write_file_atomic(sys::absolute_path(opts.pid_file), std::to_string(child), 0644);
        sync_send(l.sync.get(), run_now ? SyncMsg::StartNow : SyncMsg::Created);
        return l;
    } catch (...) {
        if (child > 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
        // A failure to undo must not hide the error that brought us here.
        auto undo = [this](const auto& step) {
            try {
                step();
            } catch (const Error& e) {
                log_.warn(std::string("cleanup: ") + e.what());
            }
        };
        undo([&] {
            if (cg) cg->destroy();
        });
        undo([&] { l.dir->remove(); });
        // The poststop hooks below run in the runtime's namespaces.
        undo([&] {
            if (runtime_namespaces) runtime_namespaces->restore();
        });
        // As after a delete: the spec's lifecycle goes on with the poststop hooks.
        run_hooks_warn("poststop", hooks.poststop, hook_state_json({opts.id, "stopped", 0, bundle, config.annotations}),
                       bundle, log_);
        throw;
    }
}

void Runtime::create(const CreateOptions& opts) { launch(opts, false); }

}  // namespace dkr
