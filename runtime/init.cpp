#include "runtime/init.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/fault.hpp"
#include "runtime/loopback.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/process.hpp"
#include "runtime/process_attrs.hpp"
#include "runtime/rootfs.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/state.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/mount_api.hpp"

namespace dkr {
namespace {

void set_names(const spec::Config& config) {
    const spec::Namespace* uts = config.linux ? config.linux->find_namespace("uts") : nullptr;
    for (const auto& [field, value] : {std::pair{"hostname", config.hostname}, std::pair{"domainname", config.domainname}}) {
        if (!value || value->empty()) continue;
        if (!uts) throw Error(std::string("unable to set ") + field + " without a private UTS namespace");
        int rc = std::strcmp(field, "hostname") == 0 ? ::sethostname(value->data(), value->size())
                                                     : ::setdomainname(value->data(), value->size());
        if (rc < 0) throw sys_error(std::string("set ") + field, *value, errno);
    }
}

// process.cwd, resolved inside the new root (never through a magic link such
// as /proc/self/fd/N: CVE-2024-21626), created when missing as runc does.
void enter_cwd(const std::string& cwd) {
    sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
    sys::Fd dir = security::mkdir_all_in_root(root.get(), cwd, 0755);
    if (::fchdir(dir.get()) < 0) throw sys_error("chdir", cwd, errno);
    security::check_cwd_inside();
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Blocks until `dkr start` opens the fifo for reading, then tells it so by
// writing a byte. The fd stays open (CLOEXEC) until exec, so start sees EOF
// exactly when the program has replaced the init.
sys::Fd wait_for_start(int state_dir_fd) {
    sys::Fd fifo = sys::open_at(state_dir_fd, kExecFifo, O_WRONLY);
    sys::write_all(fifo.get(), "0", kExecFifo);
    return fifo;
}

// The compiled filter, if any. The parent hands a notify fd to the agent at
// listenerPath; the program must not inherit it.
void load_seccomp(const InitContext& ctx, const spec::Linux& linux) {
    if (ctx.seccomp_bpf.empty()) return;
    const spec::Seccomp& sc = *linux.seccomp;
    sys::Fd listener = security::load_filter(ctx.seccomp_bpf, sc.flags, security::seccomp_uses_notify(sc));
    if (listener) sync_send_fd(ctx.sync_fd, SyncMsg::SeccompFd, listener.get());
}

void setup_and_exec(InitContext& ctx) {
    cgroup::join_self(ctx.cgroup_tasks);
    const spec::Config& config = ctx.config;
    const spec::Process& proc = *config.process;
    const spec::Linux empty_linux;
    const spec::Linux& linux = config.linux ? *config.linux : empty_linux;

    DKR_FAULT_POINT("init-after-clone");
    auto [msg, payload] = sync_recv(ctx.sync_fd);
    if (msg != SyncMsg::Go) ::_exit(1);

    join_namespaces(linux, false);
    if (ctx.in_user_ns) {
        // Become the namespace's root (uid 0 is mapped by now) to set the rest up.
        if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
            throw sys_error("become root in the user namespace", "", errno);
    }
    if (const spec::Namespace* net = linux.find_namespace("network"); net && net->path.empty()) bring_up_loopback();
    unshare_cgroup_namespace(linux);
    set_names(config);
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
        RootfsContext rc{config, ctx.bundle, ctx.rootfs, ctx.in_user_ns, ctx.idmapped};
        sys::Fd root = prepare_rootfs(rc);
        switch_root(root.get(), ctx.no_pivot);
    }
    finish_rootfs(config, std::move(devnull_tree));
    DKR_FAULT_POINT("init-after-mounts");

    apply_rlimits(proc.rlimits);
    // Without noNewPrivileges, loading a filter takes CAP_SYS_ADMIN, which the
    // process may be about to lose: load it now, as runc does, and the
    // syscalls left before exec must pass it. Otherwise load it last.
    if (!proc.no_new_privileges) load_seccomp(ctx, linux);
    if (proc.capabilities) {
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_KEEPCAPS", errno);
        security::drop_bounding_set(*proc.capabilities);
    }
    switch_user(proc.user);
    if (proc.capabilities) security::apply_capabilities(*proc.capabilities);
    ::umask(proc.user.umask.value_or(022));
    enter_cwd(proc.cwd.empty() ? "/" : proc.cwd);

    std::vector<std::string> env = process_env(proc);
    std::vector<std::string> args = proc.args;
    std::string path = find_executable(args[0], env);

    apply_lsm_exec(ctx.lsm);
    if (proc.no_new_privileges) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_NO_NEW_PRIVS", errno);
        load_seccomp(ctx, linux);
    }

    DKR_FAULT_POINT("init-before-ready");
    sync_send(ctx.sync_fd, SyncMsg::Ready);
    auto [next, unused] = sync_recv(ctx.sync_fd);
    sys::Fd fifo;
    if (next == SyncMsg::Created) {
        // The parent is gone once create returns; nothing more to tell it.
        ::close(ctx.sync_fd);
        DKR_FAULT_POINT("init-before-fifo");
        fifo = wait_for_start(state_dir.get());
    } else if (next != SyncMsg::StartNow) {
        ::_exit(1);
    }
    state_dir.reset();

    // Only stdio and the fds the caller asked to pass survive exec.
    security::mark_cloexec_from(3 + ctx.preserve_fds);
    std::vector<char*> argv = c_strings(args), envp = c_strings(env);
    ::execve(path.c_str(), argv.data(), envp.data());
    throw sys_error("exec", path, errno);
}

}  // namespace

void container_init(InitContext& ctx) noexcept {
    try {
        setup_and_exec(ctx);
    } catch (const std::exception& e) {
        // Still attached (run mode, or before Ready): the parent prints it.
        // Otherwise the container's stderr is the only place left to say it.
        try {
            sync_send(ctx.sync_fd, SyncMsg::Error, e.what());
        } catch (...) {
            std::string line = std::string("dkr init: ") + e.what() + "\n";
            ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
            (void)ignored;
        }
    }
    ::_exit(127);
}

}  // namespace dkr
