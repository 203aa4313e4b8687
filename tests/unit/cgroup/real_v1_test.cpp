// The v1 (and hybrid) backend on the real cgroupfs (fixture RealV1 in
// real_fixtures.hpp; what both backends share is in real_backends_test.cpp).
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

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

TEST_F(RealV1, Lifecycle) {
    const std::string rel = "/" + top_ + "/c1";
    auto m = make_manager(host_, rel, "c1", false);
    EXPECT_EQ(m->path(), rel);
    m->create();
    for (const auto& h : host_.v1) EXPECT_TRUE(is_dir(sys::join(h.mountpoint, rel))) << h.key();
    if (host_.v2) {
        EXPECT_TRUE(is_dir(sys::join(host_.v2->mountpoint, rel))) << "unified mirror";
    }
    if (host_.find_v1("cpuset")) {
        EXPECT_NE(trimmed(slurp(dir("cpuset", rel) + "/cpuset.cpus")), "");
    }
    m->create();  // idempotent

    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 64 << 20;
    r.pids.emplace();
    r.pids->limit = 10;
    m->apply(r);
    EXPECT_EQ(trimmed(slurp(dir("memory", rel) + "/memory.limit_in_bytes")), std::to_string(64 << 20));
    EXPECT_EQ(trimmed(slurp(dir("pids", rel) + "/pids.max")), "10");

    Child& c = spawn([] { return 42; });
    m->add_process(c.pid());
    EXPECT_NE(slurp("/proc/" + std::to_string(c.pid()) + "/cgroup").find("memory:" + rel + "\n"), std::string::npos);
    EXPECT_EQ(m->pids(), std::vector<pid_t>{c.pid()});
    EXPECT_EQ(c.go(), 42);

    Stats s = m->stats();
    EXPECT_EQ(s.pids.current, 1u);
    EXPECT_EQ(s.pids.limit, 10u);
    EXPECT_EQ(s.memory.usage.limit, uint64_t{64} << 20);
    EXPECT_FALSE(s.memory.raw.empty());
    if (host_.find_v1("cpuacct")) {
        EXPECT_FALSE(s.cpu.usage.percpu.empty());
    }

    ASSERT_TRUE(host_.find_v1("freezer"));
    m->freeze();
    EXPECT_TRUE(m->frozen());
    EXPECT_EQ(trimmed(slurp(dir("freezer", rel) + "/freezer.state")), "FROZEN");
    m->thaw();
    EXPECT_FALSE(m->frozen());
    EXPECT_EQ(trimmed(slurp(dir("freezer", rel) + "/freezer.state")), "THAWED");

    m->kill_all(SIGKILL);
    int st = c.wait();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
    EXPECT_TRUE(eventually([&] { return m->pids().empty(); }));
    EXPECT_FALSE(m->frozen()) << "kill_all must thaw after killing";

    m->destroy();
    for (const auto& h : host_.v1) {
        EXPECT_FALSE(is_dir(sys::join(h.mountpoint, rel))) << h.key();
        EXPECT_TRUE(is_dir(sys::join(h.mountpoint, "/" + top_))) << "parents are kept";
    }
    if (host_.v2) {
        EXPECT_FALSE(is_dir(sys::join(host_.v2->mountpoint, rel)));
    }
    m->destroy();  // already gone: fine
}

TEST_F(RealV1, OomWatchSeesAKillThenTheRemoval) {
    if (!host_.find_v1("memory")) GTEST_SKIP() << "no v1 memory hierarchy";
    const std::string rel = "/" + top_;
    auto m = make_manager(host_, rel, "c1", false);
    m->create();
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 16 << 20;
    m->apply(r);
    auto w = m->watch_oom();
    EXPECT_EQ(w->read().ooms, 0u);

    Child& c = spawn([] { return test::touch_memory(64 << 20); });
    m->add_process(c.pid());
    c.go();
    int st = c.wait();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << "the child must be OOM-killed: " << st;
    uint64_t ooms = 0;
    EXPECT_TRUE(eventually([&] { return (ooms += w->read().ooms) > 0; })) << "no OOM notice";
    EXPECT_TRUE(eventually([&] { return m->pids().empty(); }));

    m->destroy();
    EXPECT_TRUE(eventually([&] { return w->read().gone; })) << "the removal must end the watch";
}

TEST_F(RealV1, JoinSelfMovesTheCallerIntoEveryHierarchy) {
    const std::string rel = "/" + top_ + "/c1";
    auto m = make_manager(host_, rel, "c1", false);
    m->create();
    std::vector<sys::Fd> tasks = m->open_tasks_files();
    EXPECT_EQ(tasks.size(), host_.v1.size());
    // What clone3(CLONE_INTO_CGROUP) is given on a hybrid host: the unified mirror.
    if (host_.v2) {
        EXPECT_GE(m->clone_into_fd(), 0);
    }
    Child& c = spawn([&] {
        join_self(tasks, dkr::Explainer());
        return tasks.empty() ? 0 : 1;
    });
    EXPECT_EQ(c.go(), 0);
    std::string cgroups = slurp("/proc/" + std::to_string(c.pid()) + "/cgroup");
    for (const auto& h : host_.v1)
        EXPECT_NE(cgroups.find(":" + h.key() + ":" + rel + "\n"), std::string::npos) << h.key() << " in\n" << cgroups;
    EXPECT_EQ(m->pids(), std::vector<pid_t>{c.pid()});
    m->kill_all(SIGKILL);
    c.wait();
    EXPECT_TRUE(eventually([&] { return m->pids().empty(); }));
    m->destroy();
}

TEST_F(RealV1, DestroyWaitsForDyingProcesses) {
    auto m = make_manager(host_, "/" + top_ + "/c1", "c1", false);
    m->create();
    Child& c = spawn();
    m->add_process(c.pid());
    ::kill(c.pid(), SIGKILL);  // not waited for: it may still be exiting
    m->destroy();
    for (const auto& h : host_.v1) EXPECT_FALSE(is_dir(sys::join(h.mountpoint, m->path())));
    c.wait();
}

TEST_F(RealV1, EmptyPathNestsUnderTheCallersCgroupsAndReopens) {
    auto m = make_manager(host_, "", top_, false);
    m->create();
    for (const auto& h : host_.v1) {
        std::string expect = sys::join(sys::join(h.mountpoint, h.own_relative()), top_);
        EXPECT_TRUE(is_dir(expect)) << expect;
    }
    std::string saved = m->path();
    auto o = open_manager(host_, saved);
    EXPECT_EQ(o->path(), saved);
    Child& c = spawn();
    o->add_process(c.pid());
    EXPECT_EQ(m->pids(), std::vector<pid_t>{c.pid()});
    std::string own = slurp("/proc/" + std::to_string(c.pid()) + "/cgroup");
    for (const auto& h : host_.v1) {
        std::string line = ":" + h.key() + ":" + sys::join(h.own_path, top_) + "\n";
        EXPECT_NE(own.find(line), std::string::npos) << line << " in " << own;
    }
    o->kill_all(SIGKILL);
    c.wait();
    o->destroy();
    for (const auto& h : host_.v1)
        EXPECT_FALSE(is_dir(sys::join(sys::join(h.mountpoint, h.own_relative()), top_))) << h.key();
}

TEST_F(RealV1, DeviceRulesAreEnforced) {
    if (!host_.find_v1("devices")) GTEST_SKIP() << "no v1 devices hierarchy";
    auto m = make_manager(host_, "/" + top_, "c1", false);
    m->create();
    spec::Resources r;
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    r.devices.push_back({true, "c", 1, 3, "rwm"});  // /dev/null
    m->apply(r);
    EXPECT_EQ(trimmed(slurp(dir("devices", "/" + top_) + "/devices.list")), "c 1:3 rwm");
    Child& c = spawn([] {
        int ok = 0;
        int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            ok |= 1;
            ::close(fd);
        }
        fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == EPERM) ok |= 2;
        if (fd >= 0) ::close(fd);
        return ok;
    });
    m->add_process(c.pid());
    EXPECT_EQ(c.go(), 3) << "1: /dev/null opened, 2: /dev/zero refused with EPERM";
    m->kill_all(SIGKILL);
    c.wait();
    m->destroy();
}

TEST_F(RealV1, CpuAndMemorySwapUpdates) {
    auto m = make_manager(host_, "/" + top_, "c1", false);
    m->create();
    const std::string rel = "/" + top_;
    spec::Resources cpu;
    cpu.cpu.emplace();
    cpu.cpu->shares = 512;
    cpu.cpu->quota = 50000;
    cpu.cpu->period = 100000;
    cpu.cpu->cpus = "0";
    m->apply(cpu);
    EXPECT_EQ(trimmed(slurp(dir("cpu", rel) + "/cpu.shares")), "512");
    EXPECT_EQ(trimmed(slurp(dir("cpu", rel) + "/cpu.cfs_quota_us")), "50000");
    EXPECT_EQ(trimmed(slurp(dir("cpuset", rel) + "/cpuset.cpus")), "0");
    cpu.cpu->quota = -1;
    cpu.cpu->period = 50000;  // rejected under the old quota? retried after it
    cpu.cpu->cpus.clear();
    m->apply(cpu);
    EXPECT_EQ(trimmed(slurp(dir("cpu", rel) + "/cpu.cfs_quota_us")), "-1");
    EXPECT_EQ(trimmed(slurp(dir("cpu", rel) + "/cpu.cfs_period_us")), "50000");

    if (!fs::exists(dir("memory", rel) + "/memory.memsw.limit_in_bytes"))
        GTEST_SKIP() << "no swap accounting (memory.memsw.*) on this kernel";
    spec::Resources mem;
    mem.memory.emplace();
    auto set = [&](int64_t limit, int64_t swap) {
        mem.memory->limit = limit;
        mem.memory->swap = swap;
        m->apply(mem);
        EXPECT_EQ(trimmed(slurp(dir("memory", rel) + "/memory.limit_in_bytes")), std::to_string(limit));
        EXPECT_EQ(trimmed(slurp(dir("memory", rel) + "/memory.memsw.limit_in_bytes")), std::to_string(swap));
    };
    set(100 << 20, 200 << 20);
    set(300 << 20, 400 << 20);  // grow: memsw first
    set(50 << 20, 60 << 20);    // shrink: memory first
    mem.memory->limit = -1;
    mem.memory->swap.reset();
    m->apply(mem);  // unlimited memory unlimits swap
    EXPECT_GT(std::stoull(slurp(dir("memory", rel) + "/memory.memsw.limit_in_bytes")), uint64_t{1} << 40);
    m->destroy();
}

TEST_F(RealV1, UnsupportedSettingsFailNamingTheControllerOrFile) {
    auto m = make_manager(host_, "/" + top_, "c1", false);
    m->create();
    auto error_of = [&](const spec::Resources& r) -> std::string {
        try {
            m->apply(r);
        } catch (const Error& e) {
            return e.what();
        }
        return "<no error>";
    };
    spec::Resources unified;
    unified.unified["memory.high"] = "1000";
    EXPECT_NE(error_of(unified).find("unified"), std::string::npos);
    if (!host_.find_v1("hugetlb")) {
        spec::Resources h;
        h.hugepage_limits.push_back({"2MB", 1 << 21});
        EXPECT_NE(error_of(h).find("hugetlb"), std::string::npos);
    }
    if (!host_.find_v1("net_cls")) {
        spec::Resources n;
        n.network.emplace();
        n.network->class_id = 0x100001;
        EXPECT_NE(error_of(n).find("net_cls"), std::string::npos);
    }
    std::string blkio = dir("blkio", "/" + top_);
    if (!blkio.empty() && !fs::exists(blkio + "/blkio.weight") && !fs::exists(blkio + "/blkio.bfq.weight")) {
        spec::Resources b;
        b.block_io.emplace();
        b.block_io->weight = 500;
        std::string err = error_of(b);
        EXPECT_NE(err.find("blkio.bfq.weight"), std::string::npos) << err;
    }
    spec::Resources kmem;  // ignored, as runc 1.1 does
    kmem.memory.emplace();
    kmem.memory->kernel = 1 << 20;
    EXPECT_EQ(error_of(kmem), "<no error>");
    m->destroy();
}

TEST_F(RealV1, FreezeAnEmptyCgroup) {
    auto m = make_manager(host_, "/" + top_, "c1", false);
    m->create();
    m->freeze();
    EXPECT_TRUE(m->frozen());
    m->thaw();
    EXPECT_FALSE(m->frozen());
    m->destroy();
}

}  // namespace
}  // namespace dkr::cgroup
