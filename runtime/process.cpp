#include "runtime/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/security/seccomp.hpp"
#include "runtime/sync.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/strings.hpp"
#include "spec/linux_names.hpp"

namespace dkr {
namespace {

bool is_executable_file(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& kv : env)
        if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
            return kv.substr(key.size() + 1);
    return {};
}

// process.cwd, resolved inside the root (never through a magic link such as
// /proc/self/fd/N: CVE-2024-21626).
void enter_cwd(const std::string& cwd, bool create) {
    sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
    sys::Fd dir = create ? security::mkdir_all_in_root(root.get(), cwd, 0755)
                         : security::open_in_root(root.get(), cwd, O_PATH | O_DIRECTORY);
    if (::fchdir(dir.get()) < 0) throw sys_error("chdir", cwd, errno);
    security::check_cwd_inside();
}

}  // namespace

std::string find_executable(const std::string& arg0, const std::vector<std::string>& env) {
    if (arg0.find('/') != std::string::npos) {
        struct stat st;
        if (::stat(arg0.c_str(), &st) < 0)
            throw Error("exec: \"" + arg0 + "\": stat " + arg0 + ": " + std::strerror(errno), errno);
        if (!is_executable_file(arg0))
            throw Error("exec: \"" + arg0 + "\": permission denied", EACCES);
        return arg0;
    }
    std::string path = env_value(env, "PATH");
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + arg0;
        if (is_executable_file(candidate)) return candidate;
        start = end + 1;
    }
    throw Error("exec: \"" + arg0 + "\": executable file not found in $PATH", ENOENT);
}

std::string home_for_uid(uint32_t uid) {
    std::optional<std::string> passwd = sys::read_file_if_exists("/etc/passwd");
    if (!passwd) return "/";
    const std::string id = std::to_string(uid);
    for (std::string_view line : sys::split(*passwd, '\n')) {
        // name:password:uid:gid:gecos:home:shell
        std::vector<std::string_view> f = sys::split(line, ':');
        if (f.size() < 7 || f[2] != id) continue;
        return f[5].empty() ? "/" : std::string(f[5]);
    }
    return "/";
}

std::vector<std::string> process_env(const spec::Process& p) {
    std::vector<std::string> env = p.env;
    if (env_value(env, "HOME").empty()) env.push_back("HOME=" + home_for_uid(p.user.uid));
    return env;
}

void switch_user(const spec::User& user) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    // setgroups is refused in a user namespace whose setgroups file says deny.
    if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
        throw sys_error("setgroups", "", errno);
    if (::setresgid(user.gid, user.gid, user.gid) < 0)
        throw sys_error("setgid", std::to_string(user.gid), errno);
    if (::setresuid(user.uid, user.uid, user.uid) < 0)
        throw sys_error("setuid", std::to_string(user.uid), errno);
}

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        int resource = -1;
        for (const auto& n : spec::kRlimits)
            if (r.type == n.name) resource = n.resource;
        if (resource < 0) throw Error("unknown rlimit " + r.type);
        struct rlimit lim = {r.soft, r.hard};
        if (::setrlimit(resource, &lim) < 0) throw sys_error("setrlimit", r.type, errno);
    }
}

namespace {

void load_seccomp(const SeccompProgram& seccomp, int sync_fd, bool no_new_privs, Explainer ex) {
    if (seccomp.bpf.empty()) return;
    Step step(ex, [&] {
        std::string flags;
        for (const auto& f : seccomp.flags) flags += f + "|";
        if (seccomp.notify) flags += "SECCOMP_FILTER_FLAG_NEW_LISTENER|";
        flags = flags.empty() ? "0" : flags.substr(0, flags.size() - 1);
        return StepText{"seccomp(SECCOMP_SET_MODE_FILTER, " + flags + ", " +
                            std::to_string(seccomp.bpf.size() / 8) + " BPF instructions)",
                        std::string("loaded the seccomp filter: from here on the kernel checks each syscall against "
                                    "it") +
                            (no_new_privs ? ""
                                          : " (loaded before the capability drop: without no_new_privs it needs "
                                            "CAP_SYS_ADMIN)") +
                            (seccomp.notify ? "; the notify fd goes to dkr for listenerPath" : "")};
    });
    sys::Fd listener = security::load_filter(seccomp.bpf, seccomp.flags, seccomp.notify);
    if (listener) sync_send_fd(sync_fd, SyncMsg::SeccompFd, listener.get());
}

}  // namespace

PreparedProcess prepare_process(const spec::Process& p, const LsmExec& lsm, const SeccompProgram& seccomp,
                                bool create_cwd, int sync_fd, Explainer ex) {
    if (!p.rlimits.empty()) {
        Step step(ex, [&] {
            std::string call;
            for (const auto& r : p.rlimits)
                call += (call.empty() ? "" : ", ") + std::string("setrlimit(") + r.type + ", " +
                        std::to_string(r.soft) + ", " + std::to_string(r.hard) + ")";
            return StepText{call, "set the resource limits of process.rlimits"};
        });
        apply_rlimits(p.rlimits);
    }
    if (!p.no_new_privileges) load_seccomp(seccomp, sync_fd, false, ex);
    if (p.capabilities) {
        Step step(ex, [&] {
            return StepText{"prctl(PR_SET_KEEPCAPS, 1), prctl(PR_CAPBSET_DROP, CAP_...) for each capability not kept",
                            "dropped from the bounding set every capability but the " +
                                std::to_string(p.capabilities->bounding.size()) +
                                " of capabilities.bounding: nothing in the container can gain the others back"};
        });
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_KEEPCAPS", errno);
        security::drop_bounding_set(*p.capabilities);
    }
    {
        Step step(ex, [&] {
            std::string g = std::to_string(p.user.gid), u = std::to_string(p.user.uid);
            return StepText{"setgroups(" + std::to_string(p.user.additional_gids.size()) + " groups), setresgid(" + g +
                                ", " + g + ", " + g + "), setresuid(" + u + ", " + u + ", " + u + ")",
                            "switched to the process's user: uid " + u + ", gid " + g};
        });
        switch_user(p.user);
    }
    if (p.capabilities) {
        Step step(ex, [&] {
            const spec::Capabilities& c = *p.capabilities;
            return StepText{"capset(effective, permitted, inheritable), prctl(PR_CAP_AMBIENT_RAISE) for each ambient",
                            "kept only the listed capabilities: " + std::to_string(c.effective.size()) +
                                " effective, " +
                                std::to_string(c.permitted.size()) + " permitted, " +
                                std::to_string(c.inheritable.size()) + " inheritable, " +
                                std::to_string(c.ambient.size()) + " ambient"};
        });
        security::apply_capabilities(*p.capabilities);
    }
    ::umask(p.user.umask.value_or(022));
    {
        Step step(ex, [&] {
            return StepText{"openat2(\"" + (p.cwd.empty() ? std::string("/") : p.cwd) + "\", RESOLVE_IN_ROOT), fchdir",
                            "entered the working directory (process.cwd)"};
        });
        try {
            enter_cwd(p.cwd.empty() ? "/" : p.cwd, create_cwd);
        } catch (...) {
            rethrow_with("cwd " + p.cwd);
        }
    }

    PreparedProcess out{"", p.args, process_env(p)};
    {
        Step step(ex, [&] {
            return StepText{"stat(\"DIR/" + out.args[0] + "\") for each DIR of $PATH",
                            "found the program: " + out.path};
        });
        out.path = find_executable(out.args[0], out.env);
    }

    apply_lsm_exec(lsm);
    if (p.no_new_privileges) {
        {
            Step step(ex, "prctl(PR_SET_NO_NEW_PRIVS, 1)",
                      "no_new_privs: execve can no longer grant privileges (setuid bits, file capabilities)");
            if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_NO_NEW_PRIVS", errno);
        }
        load_seccomp(seccomp, sync_fd, true, ex);
    }
    return out;
}

void exec_prepared(PreparedProcess& p, int keep_fds, Explainer ex) {
    // Only stdio and the fds the caller asked to pass survive exec.
    {
        Step step(ex, [&] {
            return StepText{"close_range(" + std::to_string(3 + keep_fds) + ", ~0U, CLOSE_RANGE_CLOEXEC)",
                            "marked every fd but stdio" + std::string(keep_fds ? " and the preserved ones" : "") +
                                " close-on-exec: no host fd reaches the program; next, execve(\"" + p.path + "\")"};
        });
        security::mark_cloexec_from(3 + keep_fds);
    }
    std::vector<char*> argv = c_strings(p.args), envp = c_strings(p.env);
    ::execve(p.path.c_str(), argv.data(), envp.data());
    throw sys_error("exec", p.path, errno);
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace dkr
