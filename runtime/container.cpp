#include "runtime/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
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
#include "runtime/namespaces.hpp"
#include "runtime/procfs.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/process.hpp"
#include "runtime/sys/file.hpp"
#include "spec/loader.hpp"

namespace dkr {
namespace {

std::string absolute(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) throw sys_error("getcwd", "", errno);
    return path.empty() || path == "." ? std::string(cwd) : sys::join(cwd, path);
}

std::string resolve_rootfs(const spec::Config& config, const std::string& bundle, const std::string& file) {
    if (!config.root || config.root->path.empty()) throw Error(file + ": /root/path: required");
    std::string rootfs = config.root->path[0] == '/' ? config.root->path : sys::join(bundle, config.root->path);
    char real[PATH_MAX];
    if (!::realpath(rootfs.c_str(), real)) throw sys_error("rootfs", rootfs, errno);
    struct stat st;
    if (::stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) throw Error("rootfs " + rootfs + ": not a directory");
    return real;
}

// Polls `pidfd` until the process has exited (or is a zombie); false on timeout.
bool wait_exit(int pidfd, int timeout_ms) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, timeout_ms);
    } while (rc < 0 && errno == EINTR);
    return rc > 0;
}

int exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}

std::string owner_name(uid_t uid) {
    std::string passwd;
    try {
        passwd = sys::read_file("/etc/passwd");
    } catch (const Error&) {
        return "#" + std::to_string(uid);
    }
    size_t pos = 0;
    std::string id = ":" + std::to_string(uid) + ":";
    while (pos < passwd.size()) {
        size_t end = passwd.find('\n', pos);
        if (end == std::string::npos) end = passwd.size();
        std::string line = passwd.substr(pos, end - pos);
        size_t first = line.find(':');
        size_t second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second != std::string::npos && line.compare(second, id.size(), id) == 0) return line.substr(0, first);
        pos = end + 1;
    }
    return "#" + std::to_string(uid);
}

// Signals the parent forwards to the container process in `run`.
constexpr int kForwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};

}  // namespace

// What launch() leaves for create/run: the container dir (locked), its
// state, the cgroup and the init's pid with its sync socket.
struct Runtime::Launch {
    std::unique_ptr<ContainerDir> dir;
    ContainerState state;
    pid_t pid = 0;
    sys::Fd sync;
};

Runtime::Launch Runtime::launch(const CreateOptions& opts, bool run_now) {
    check_container_id(opts.id);
    std::string bundle = absolute(opts.bundle);
    std::string config_file = sys::join(bundle, "config.json");
    spec::Config config = spec::load_config(config_file);
    std::string rootfs = resolve_rootfs(config, bundle, config_file);
    const spec::Linux empty_linux;
    const spec::Linux& linux = config.linux ? *config.linux : empty_linux;
    if (!linux.find_namespace("mount"))
        throw Error(config_file + ": /linux/namespaces: a mount namespace is required");

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

        auto [parent_end, child_end] = make_sync_pair();
        join_namespaces(linux, true);
        prepare_time_namespace(linux);
        const spec::Namespace* userns = linux.find_namespace("user");
        bool new_userns = userns && userns->path.empty();
        bool into_cgroup = false;
        child = sys::clone_process(clone_flags_for(linux), cg->clone_into_fd(), into_cgroup);
        if (child == 0) {
            parent_end.reset();
            if (run_now) {
                sigset_t none;
                sigemptyset(&none);
                ::sigprocmask(SIG_SETMASK, &none, nullptr);
            }
            InitContext ctx{config, bundle, rootfs, child_end.get(), l.dir->fd(), opts.no_pivot,
                            new_userns, opts.preserve_fds, std::move(bpf)};
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

        l.pid = child;
        auto st = read_proc_stat(child);
        if (!st) throw Error("container init exited during setup");
        l.state.pid = child;
        l.state.pid_start_time = st->start_time;
        l.dir->write_state(l.state);
        if (!opts.pid_file.empty())
            sys::write_file_atomic(absolute(opts.pid_file), std::to_string(child), 0644);
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

Status Runtime::status_of(ContainerDir& dir, const ContainerState& s, bool locked_by_us) {
    if (s.pid == 0) return !locked_by_us && !dir.try_lock_shared() ? Status::Creating : Status::Stopped;
    if (!process_alive(s.pid, s.pid_start_time)) return Status::Stopped;
    if (dir.fifo_exists()) return Status::Created;
    if (!s.cgroup_path.empty() && cgroup::open_manager(s.cgroup_path)->frozen()) return Status::Paused;
    return Status::Running;
}

void Runtime::start(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    switch (status_of(dir, s, true)) {
        case Status::Created: break;
        case Status::Stopped: throw Error("cannot start a container that has stopped");
        case Status::Creating: throw Error("cannot start a container in the creating state");
        default: throw Error("cannot start an already running container");
    }
    sys::Fd fifo = sys::open_at(dir.fd(), kExecFifo, O_RDONLY | O_NONBLOCK);
    sys::Fd pidfd = sys::open_pidfd(s.pid);
    if (!pidfd) throw Error("cannot start a container that has stopped");
    // The init writes one byte once it sees us, then execs, which closes its
    // end: EOF after the byte means the program is running.
    bool released = false;
    for (;;) {
        struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw sys_error("poll", kExecFifo, errno);
        }
        if (p[0].revents) {
            char buf[16];
            ssize_t n = ::read(fifo.get(), buf, sizeof buf);
            if (n > 0) released = true;
            if (n == 0) break;
            if (n < 0 && errno != EAGAIN && errno != EINTR) throw sys_error("read", kExecFifo, errno);
            continue;
        }
        if (p[1].revents) break;
    }
    if (::unlinkat(dir.fd(), kExecFifo, 0) < 0 && errno != ENOENT)
        throw sys_error("unlink", sys::join(dir.path(), kExecFifo), errno);
    if (!released) throw Error("cannot start a container that has stopped");
}

int Runtime::run(const CreateOptions& opts, bool detach) {
    if (detach) {
        create(opts);
        start(opts.id);
        return 0;
    }
    sigset_t forwarded, old;
    sigemptyset(&forwarded);
    for (int s : kForwarded) sigaddset(&forwarded, s);
    sigaddset(&forwarded, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &forwarded, &old);
    Launch l = launch(opts, true);
    ContainerState state = l.state;
    // Until exec the init may still report a failure on the sync socket.
    auto [msg, text] = sync_recv(l.sync.get());
    l.dir.reset();  // releases the lock: other commands may now act on the container
    int status = 0;
    if (msg == SyncMsg::Error) {
        ::waitpid(l.pid, &status, 0);
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        destroy(dir, state);
        throw Error(text);
    }
    sys::Fd sfd(::signalfd(-1, &forwarded, SFD_CLOEXEC));
    if (!sfd) throw sys_error("signalfd", "", errno);
    for (;;) {
        pid_t r = ::waitpid(l.pid, &status, WNOHANG);
        if (r == l.pid) break;
        struct signalfd_siginfo si;
        ssize_t n = ::read(sfd.get(), &si, sizeof si);
        if (n == static_cast<ssize_t>(sizeof si) && si.ssi_signo != SIGCHLD)
            ::kill(l.pid, static_cast<int>(si.ssi_signo));
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    try {
        ContainerDir dir = ContainerDir::open(root_, opts.id);
        dir.lock();
        destroy(dir, state);
    } catch (const Error& e) {
        log_.warn(std::string("remove container after run: ") + e.what());
    }
    return exit_code(status);
}

std::string Runtime::state_json(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    return oci_state_json({&s, status_of(dir, s, false), ""}, true);
}

std::vector<ListEntry> Runtime::list() {
    std::vector<ListEntry> out;
    for (const auto& id : list_container_ids(root_)) {
        try {
            ContainerDir dir = ContainerDir::open(root_, id);
            ContainerState s = dir.read_state();
            Status st = status_of(dir, s, false);
            struct stat sb;
            uid_t uid = ::fstat(dir.fd(), &sb) == 0 ? sb.st_uid : 0;
            out.push_back({std::move(s), st, owner_name(uid)});
        } catch (const Error& e) {
            log_.warn("list: " + id + ": " + e.what());
        }
    }
    return out;
}

void Runtime::kill(const std::string& id, int signal, bool all) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    Status st = status_of(dir, s, false);
    if (st == Status::Stopped || st == Status::Creating) throw Error("container not running");
    if (all && !s.cgroup_path.empty()) {
        cgroup::open_manager(s.cgroup_path)->kill_all(signal);
        return;
    }
    sys::Fd pidfd = sys::open_pidfd(s.pid);
    if (!pidfd || !sys::signal_pidfd(pidfd.get(), signal))
        throw Error("container not running");
}

void Runtime::destroy(ContainerDir& dir, const ContainerState& s) {
    if (!s.cgroup_path.empty()) cgroup::open_manager(s.cgroup_path)->destroy();
    dir.remove();
}

void Runtime::remove(const std::string& id, bool force) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    Status st = status_of(dir, s, true);
    if (st == Status::Running || st == Status::Paused) {
        if (!force) throw Error("cannot delete container " + id + " that is not stopped: " + status_name(st));
    }
    if (st != Status::Stopped) {
        sys::Fd pidfd = sys::open_pidfd(s.pid);
        if (!s.cgroup_path.empty())
            cgroup::open_manager(s.cgroup_path)->kill_all(SIGKILL);
        else if (pidfd)
            sys::signal_pidfd(pidfd.get(), SIGKILL);
        if (pidfd && !wait_exit(pidfd.get(), 30000))
            throw Error("container " + id + ": init did not exit after SIGKILL");
    }
    destroy(dir, s);
}

}  // namespace dkr
