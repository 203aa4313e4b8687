// The v2 backend on a real cgroup2 filesystem (fixture RealV2 in
// real_fixtures.hpp: on a hybrid host, the unified mount driven as a v2 host,
// its root's cgroup.subtree_control untouched; tests that need controllers
// the mount lacks skip, saying so). What both backends share is in
// real_backends_test.cpp.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "runtime/cgroup/bpf.hpp"
#include "runtime/cgroup/cgfs.hpp"
#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "real_fixtures.hpp"
#include "test_util.hpp"

namespace dkr::cgroup {
namespace {

using test::Child;
using test::eventually;
using test::is_dir;
using test::slurp;
using test::trimmed;

int open_result(const char* path, int flags) {
    int fd = ::open(path, flags | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return 0;
    }
    return errno;
}

TEST_F(RealV2, Lifecycle) {
    const std::string rel = "/" + top_ + "/c1";
    auto m = make_manager(host_, rel, "c1", false);
    EXPECT_EQ(m->path(), rel);
    m->create();
    ASSERT_TRUE(is_dir(mount_ + rel));
    m->create();  // idempotent
    if (!has(m, "cgroup.freeze")) GTEST_SKIP() << "kernel without cgroup.freeze (< 5.2)";

    int fd = m->clone_into_fd();
    ASSERT_GE(fd, 0);
    struct stat st;
    ASSERT_EQ(::fstat(fd, &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));

    Child& c = spawn([] { return 7; });
    m->add_process(c.pid());
    EXPECT_EQ(cgroup_line(c.pid()), "0::" + rel);
    EXPECT_EQ(m->pids(), std::vector<pid_t>{c.pid()});
    EXPECT_EQ(c.go(), 7);

    m->freeze();
    EXPECT_TRUE(m->frozen());
    EXPECT_EQ(fs::keyed_value(slurp(mount_ + rel + "/cgroup.events"), "frozen"), "1");
    m->thaw();
    EXPECT_FALSE(m->frozen());

    Stats s = m->stats();  // works with or without controllers
    (void)s;

    m->kill_all(SIGKILL);
    int status = c.wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_TRUE(eventually([&] { return m->pids().empty(); }));

    m->destroy();
    EXPECT_FALSE(is_dir(mount_ + rel));
    EXPECT_TRUE(is_dir(mount_ + "/" + top_)) << "parents are kept";
    m->destroy();
}

TEST_F(RealV2, CloneIntoCgroup) {
    auto m = make_manager(host_, "/" + top_ + "/c1", "c1", false);
    m->create();
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    struct clone_args args;
    std::memset(&args, 0, sizeof args);
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(m->clone_into_fd());
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        ::close(pipefd[1]);  // fork-like: the child has both ends
        char ch;
        ssize_t n = ::read(pipefd[0], &ch, 1);
        ::_exit(n < 0 ? 1 : 0);
    }
    ASSERT_GT(pid, 0) << std::strerror(errno);
    ::close(pipefd[0]);
    EXPECT_EQ(cgroup_line(static_cast<pid_t>(pid)), "0::" + m->path());
    EXPECT_EQ(m->pids(), std::vector<pid_t>{static_cast<pid_t>(pid)});
    ::close(pipefd[1]);  // releases the child
    int st = 0;
    bool reaped = eventually([&] { return ::waitpid(static_cast<pid_t>(pid), &st, WNOHANG) == pid; });
    if (!reaped) {
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        ::waitpid(static_cast<pid_t>(pid), &st, 0);
    }
    EXPECT_TRUE(reaped);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
    m->destroy();
}

TEST_F(RealV2, DestroyWaitsForDyingProcesses) {
    auto m = make_manager(host_, "/" + top_ + "/c1", "c1", false);
    m->create();
    Child& c = spawn();
    m->add_process(c.pid());
    ::kill(c.pid(), SIGKILL);  // not waited for
    m->destroy();
    EXPECT_FALSE(is_dir(mount_ + m->path()));
    c.wait();
}

TEST_F(RealV2, DeviceFilterIsEnforcedAndReplaced) {
    const std::string rel = "/" + top_;
    auto m = make_manager(host_, rel, "c1", false);
    m->create();
    spec::Resources r;
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    r.devices.push_back({true, "c", 1, 3, "rwm"});  // /dev/null
    m->apply(r);
    EXPECT_EQ(attached_device_programs(mount_ + rel).size(), 1u);

    auto probe = [] {
        return (open_result("/dev/null", O_RDWR) == 0 ? 1 : 0) | (open_result("/dev/zero", O_RDONLY) == EPERM ? 2 : 0);
    };
    Child& c = spawn(probe);
    m->add_process(c.pid());
    EXPECT_EQ(c.go(), 3) << "1: /dev/null opened, 2: /dev/zero refused with EPERM";

    // A second apply replaces the filter instead of stacking on it.
    r.devices.push_back({true, "c", 1, 5, "r"});  // /dev/zero, read only
    m->apply(r);
    EXPECT_EQ(attached_device_programs(mount_ + rel).size(), 1u);
    Child& c2 = spawn([] {
        return (open_result("/dev/zero", O_RDONLY) == 0 ? 1 : 0) | (open_result("/dev/zero", O_RDWR) == EPERM ? 2 : 0);
    });
    m->add_process(c2.pid());
    EXPECT_EQ(c2.go(), 3) << "1: /dev/zero opened read-only, 2: read-write refused";

    m->kill_all(SIGKILL);
    c.wait();
    c2.wait();
    m->destroy();
}

TEST_F(RealV2, MemoryAndPidsLimits) {
    if (std::string why = missing({"memory", "pids"}); !why.empty()) GTEST_SKIP() << why;
    const std::string rel = "/" + top_ + "/c1";
    auto m = make_manager(host_, rel, "c1", false);
    m->create();
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 64 << 20;
    r.pids.emplace();
    r.pids->limit = 10;
    m->apply(r);
    EXPECT_EQ(trimmed(slurp(mount_ + rel + "/memory.max")), std::to_string(64 << 20));
    EXPECT_EQ(trimmed(slurp(mount_ + rel + "/pids.max")), "10");
    Child& c = spawn();
    m->add_process(c.pid());
    Stats s = m->stats();
    EXPECT_EQ(s.pids.current, 1u);
    EXPECT_EQ(s.pids.limit, 10u);
    EXPECT_EQ(s.memory.usage.limit, uint64_t{64} << 20);
    r.memory->limit = -1;
    r.pids->limit = -1;
    m->apply(r);
    EXPECT_EQ(trimmed(slurp(mount_ + rel + "/memory.max")), "max");
    EXPECT_EQ(trimmed(slurp(mount_ + rel + "/pids.max")), "max");
    m->kill_all(SIGKILL);
    c.wait();
    m->destroy();
}

TEST_F(RealV2, OomWatchSeesAKillThenTheEmptyCgroup) {
    if (std::string why = missing({"memory"}); !why.empty()) GTEST_SKIP() << why;
    auto m = make_manager(host_, "/" + top_ + "/c1", "c1", false);
    m->create();
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 16 << 20;
    r.memory->swap = 16 << 20;
    m->apply(r);
    Child& c = spawn([] { return test::touch_memory(64 << 20); });
    m->add_process(c.pid());
    auto w = m->watch_oom();
    EXPECT_EQ(w->read().ooms, 0u);
    c.go();
    int st = c.wait();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << "the child must be OOM-killed: " << st;
    uint64_t ooms = 0;
    bool gone = false;
    EXPECT_TRUE(eventually([&] {
        OomWatch::News n = w->read();
        ooms += n.ooms;
        gone = gone || n.gone;
        return ooms > 0 && gone;
    })) << "ooms " << ooms << ", gone " << gone;
    m->destroy();
}

TEST_F(RealV2, EmptyPathAndReopen) {
    auto m = make_manager(host_, "", top_, false);
    m->create();
    ASSERT_TRUE(is_dir(mount_ + m->path())) << m->path();
    auto o = open_manager(host_, m->path());
    EXPECT_EQ(o->path(), m->path());
    Child& c = spawn();
    o->add_process(c.pid());
    EXPECT_EQ(m->pids(), std::vector<pid_t>{c.pid()});
    o->kill_all(SIGKILL);
    c.wait();
    o->destroy();
    EXPECT_FALSE(is_dir(mount_ + m->path()));
}

}  // namespace
}  // namespace dkr::cgroup
