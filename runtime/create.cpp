// create: from config.json to an init waiting on the exec fifo.
#include "runtime/container.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>

#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/init.hpp"
#include "runtime/launch.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/procfs.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"
#include "spec/loader.hpp"

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

}  // namespace

Runtime::Launch Runtime::launch(const CreateOptions& opts, bool run_now) {
    check_container_id(opts.id);
    std::string bundle = sys::absolute_path(opts.bundle);
    std::string config_file = sys::join(bundle, "config.json");
    spec::Config config = spec::load_config(config_file);
    std::string rootfs = resolve_rootfs(config, bundle, config_file);
    const spec::Linux empty_linux;
    const spec::Linux& linux = config.linux ? *config.linux : empty_linux;
    if (!linux.find_namespace("mount"))
        throw Error(config_file + ": /linux/namespaces: a mount namespace is required");
    check_sysctl_namespaces(linux, config_file);

    Launch l;
    l.dir = std::make_unique<ContainerDir>(ContainerDir::create(root_, opts.id));
    std::unique_ptr<cgroup::Manager> cg;
    pid_t child = 0;
    try {
        l.dir->lock();
        l.state.id = opts.id;
        l.state.bundle = bundle;
        l.state.rootfs = rootfs;
        l.state.created = rfc3339_now();
        l.state.annotations = config.annotations;
        cg = cgroup::make_manager(linux.cgroups_path, opts.id, systemd_cgroup_);
        l.state.cgroup_path = cg->path();
        // Recorded before anything else is made, so that delete --force finds it all.
        l.dir->write_state(l.state);
        cg->create();
        // The device cgroup always gets runc's defaults: the init needs them for mknod.
        spec::Resources resources = linux.resources.value_or(spec::Resources{});
        resources.devices = cgroup::effective_device_rules(resources.devices, linux.devices);
        cg->apply(resources);
        if (!run_now && ::mkfifoat(l.dir->fd(), kExecFifo, 0622) < 0)
            throw sys_error("mkfifo", sys::join(l.dir->path(), kExecFifo), errno);

        std::string bpf;
        if (linux.seccomp)
            bpf = security::compiled_filter_cached(*linux.seccomp, sys::join(root_, std::string(kCacheDir) + "/seccomp"));

        LsmExec lsm = lsm_exec_labels(*config.process, log_);
        auto [parent_end, child_end] = make_sync_pair();
        join_namespaces(linux, true);
        prepare_time_namespace(linux);
        const spec::Namespace* userns = linux.find_namespace("user");
        bool new_userns = userns && userns->path.empty();
        bool into_cgroup = false;
        // The init is born non-dumpable (execve makes the program dumpable
        // again): no container process can open its /proc/PID/fd, exe or
        // mem, not even from a pid namespace it joins (CVE-2016-9962).
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_DUMPABLE", errno);
        child = sys::clone_process(clone_flags_for(linux), cg->clone_into_fd(), into_cgroup);
        if (child == 0) {
            parent_end.reset();
            if (run_now) {
                sigset_t none;
                sigemptyset(&none);
                ::sigprocmask(SIG_SETMASK, &none, nullptr);
            }
            InitContext ctx{config, bundle, rootfs, child_end.get(), l.dir->fd(), opts.no_pivot,
                            new_userns, opts.preserve_fds, std::move(bpf), std::move(lsm)};
            container_init(ctx);
        }
        child_end.reset();
        l.sync = std::move(parent_end);
        if (new_userns) write_id_mappings(child, linux);
        if (!into_cgroup) cg->add_process(child);
        sync_send(l.sync.get(), SyncMsg::Go);
        auto [msg, text] = sync_recv(l.sync.get());
        if (msg == SyncMsg::Error) throw Error(text);
        if (msg != SyncMsg::Ready) throw Error("container init exited during setup");

        log_.debug("container " + opts.id + ": init " + std::to_string(child) + " is set up");
        l.pid = child;
        auto st = read_proc_stat(child);
        if (!st) throw Error("container init exited during setup");
        l.state.pid = child;
        l.state.pid_start_time = st->start_time;
        l.dir->write_state(l.state);
        if (!opts.pid_file.empty())
            sys::write_file_atomic(sys::absolute_path(opts.pid_file), std::to_string(child), 0644);
        sync_send(l.sync.get(), run_now ? SyncMsg::StartNow : SyncMsg::Created);
        return l;
    } catch (...) {
        if (child > 0) {
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
        try {
            if (cg) cg->destroy();
        } catch (const Error& e) {
            log_.warn(std::string("cleanup: ") + e.what());
        }
        l.dir->remove();
        throw;
    }
}

void Runtime::create(const CreateOptions& opts) { launch(opts, false); }

}  // namespace dkr
