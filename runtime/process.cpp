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

void load_seccomp(const SeccompProgram& seccomp, int sync_fd) {
    if (seccomp.bpf.empty()) return;
    sys::Fd listener = security::load_filter(seccomp.bpf, seccomp.flags, seccomp.notify);
    if (listener) sync_send_fd(sync_fd, SyncMsg::SeccompFd, listener.get());
}

}  // namespace

PreparedProcess prepare_process(const spec::Process& p, const LsmExec& lsm, const SeccompProgram& seccomp,
                                bool create_cwd, int sync_fd) {
    apply_rlimits(p.rlimits);
    if (!p.no_new_privileges) load_seccomp(seccomp, sync_fd);
    if (p.capabilities) {
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_KEEPCAPS", errno);
        security::drop_bounding_set(*p.capabilities);
    }
    switch_user(p.user);
    if (p.capabilities) security::apply_capabilities(*p.capabilities);
    ::umask(p.user.umask.value_or(022));
    try {
        enter_cwd(p.cwd.empty() ? "/" : p.cwd, create_cwd);
    } catch (...) {
        rethrow_with("cwd " + p.cwd);
    }

    PreparedProcess out{"", p.args, process_env(p)};
    out.path = find_executable(out.args[0], out.env);

    apply_lsm_exec(lsm);
    if (p.no_new_privileges) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) throw sys_error("prctl", "PR_SET_NO_NEW_PRIVS", errno);
        load_seccomp(seccomp, sync_fd);
    }
    return out;
}

void exec_prepared(PreparedProcess& p, int keep_fds) {
    // Only stdio and the fds the caller asked to pass survive exec.
    security::mark_cloexec_from(3 + keep_fds);
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
