#include "tools/bench/hybrid_cgroups.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::bench {
namespace {

constexpr const char* kUnified = "/sys/fs/cgroup/unified";

bool fs_is(const char* path, long magic) {
    struct statfs st;
    return ::statfs(path, &st) == 0 && st.f_type == magic;
}

// The helper child: a mount namespace of its own with the tmpfs in place,
// kept alive until the parent holds an fd of it.
[[noreturn]] void make_namespace(int ready, int release) {
    bool ok = ::unshare(CLONE_NEWNS) == 0 &&
              ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) == 0 &&
              ::mount("tmpfs", kUnified, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") == 0;
    char c = ok ? '1' : '0';
    if (::write(ready, &c, 1) != 1) ::_exit(1);
    ssize_t ignored = ::read(release, &c, 1);
    (void)ignored;
    ::_exit(0);
}

}  // namespace

bool hybrid_cgroups() {
    return fs_is("/sys/fs/cgroup", TMPFS_MAGIC) && fs_is(kUnified, CGROUP2_SUPER_MAGIC);
}

sys::Fd mount_ns_without_unified() {
    int ready[2], release[2];
    if (::pipe2(ready, O_CLOEXEC) < 0 || ::pipe2(release, O_CLOEXEC) < 0) throw sys_error("pipe", "", errno);
    sys::Fd ready_r(ready[0]), ready_w(ready[1]), release_r(release[0]), release_w(release[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw sys_error("fork", "mount namespace helper", errno);
    if (pid == 0) {
        ready_r.reset();
        release_w.reset();  // or the read for the release would never see EOF
        make_namespace(ready_w.get(), release_r.get());
    }
    ready_w.reset();
    release_r.reset();
    char c = 0;
    ssize_t n = ::read(ready_r.get(), &c, 1);
    sys::Fd ns;
    if (n == 1 && c == '1') ns = sys::open_file("/proc/" + std::to_string(pid) + "/ns/mnt", O_RDONLY);
    release_w.reset();
    ::waitpid(pid, nullptr, 0);
    if (!ns) throw Error(std::string("cannot make a mount namespace with a tmpfs over ") + kUnified);
    return ns;
}

}  // namespace dkr::bench
