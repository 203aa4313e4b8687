#include "runtime/idmapped_mounts.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/mount_api.hpp"

namespace dkr {
namespace {

bool has_option(const spec::Mount& m, const char* name) {
    return std::find(m.options.begin(), m.options.end(), name) != m.options.end();
}

std::string map_lines(const std::vector<spec::IdMapping>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return out;
}

std::pair<sys::Fd, sys::Fd> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw sys_error("pipe", "idmap user namespace", errno);
    return {sys::Fd(fds[0]), sys::Fd(fds[1])};
}

// A user namespace holding the mount's mappings: a child unshares one and
// says so, then waits (for EOF) while we write its maps and open it.
sys::Fd user_namespace_with(const spec::Mount& m) {
    auto [ready_r, ready_w] = make_pipe();
    auto [done_r, done_w] = make_pipe();
    pid_t child = ::fork();
    if (child < 0) throw sys_error("fork", "idmap user namespace", errno);
    if (child == 0) {
        ready_r.reset();
        done_w.reset();
        char c = 0;
        if (::unshare(CLONE_NEWUSER) == 0 && ::write(ready_w.get(), &c, 1) == 1) (void)!::read(done_r.get(), &c, 1);
        ::_exit(0);
    }
    ready_w.reset();
    done_r.reset();
    std::string proc = "/proc/" + std::to_string(child);
    sys::Fd ns;
    try {
        char c;
        if (::read(ready_r.get(), &c, 1) != 1) throw Error("the helper could not make a user namespace", EPERM);
        sys::write_file(proc + "/uid_map", map_lines(m.uid_mappings));
        sys::write_file(proc + "/gid_map", map_lines(m.gid_mappings));
        ns = sys::open_file(proc + "/ns/user", O_RDONLY);
    } catch (...) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw;
    }
    done_w.reset();
    ::waitpid(child, nullptr, 0);
    return ns;
}

}  // namespace

IdmappedMounts prepare_idmapped_mounts(const spec::Config& config, const std::string& bundle) {
    IdmappedMounts out;
    for (size_t i = 0; i < config.mounts.size(); ++i) {
        const spec::Mount& m = config.mounts[i];
        bool recursive = has_option(m, "ridmap");
        if (m.uid_mappings.empty() && m.gid_mappings.empty() && !recursive && !has_option(m, "idmap")) continue;
        std::string where = sys::join(bundle, "config.json") + ": /mounts/" + std::to_string(i);
        if (m.uid_mappings.empty() || m.gid_mappings.empty())
            throw Error(where + ": an idmapped mount needs both uidMappings and gidMappings");
        std::string source = m.source.empty() || m.source[0] == '/' ? m.source : sys::join(bundle, m.source);
        try {
            sys::Fd ns = user_namespace_with(m);
            sys::Fd tree = sys::clone_tree(AT_FDCWD, source, recursive || has_option(m, "rbind"), source);
            struct mount_attr attr = {};
            attr.attr_set = MOUNT_ATTR_IDMAP;
            attr.userns_fd = static_cast<uint64_t>(ns.get());
            unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
            if (::syscall(SYS_mount_setattr, tree.get(), "", flags, &attr, sizeof attr) < 0)
                throw sys_error("idmap", source, errno);
            out.emplace(i, std::move(tree));
        } catch (...) {
            rethrow_with(where);
        }
    }
    return out;
}

}  // namespace dkr
