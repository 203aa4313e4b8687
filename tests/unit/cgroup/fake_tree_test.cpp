// The backends on fake cgroup trees (plain directories under /tmp): mkdir
// layout, undo of a failed create, which files apply() writes, path
// round-trips. Plain directories have no control files, so the tests create
// the files a step needs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "test_util.hpp"
#include "tests/support/error_of.hpp"

namespace dkr::cgroup {
namespace {

using test::is_dir;
using test::slurp;
using test::spit;

std::string mount_line(const std::string& mountpoint, const std::string& fstype, const std::string& opts) {
    static int id = 100;
    ++id;
    return std::to_string(id) + " 31 0:" + std::to_string(id) + " / " + mountpoint + " rw,relatime - " + fstype + " " +
           fstype + " " + opts + "\n";
}

using dkr::test::error_of;

TEST(FakeTreeV2, CreateDelegatesControllersAndApplyWritesTheFiles) {
    test::TempDir t;
    const std::string root = t.path() + "/cg";
    ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
    spit(root + "/cgroup.controllers", "cpu io memory pids\n");
    spit(root + "/cgroup.subtree_control", "");
    Host h = parse_host(mount_line(root, "cgroup2", "rw,nsdelegate"), "0::/\n", true);

    auto m = make_manager(h, "/dkr/c1", "c1", false);
    EXPECT_EQ(m->path(), "/dkr/c1");
    m->create();
    ASSERT_TRUE(is_dir(root + "/dkr/c1"));
    EXPECT_EQ(slurp(root + "/cgroup.subtree_control"), "+cpu +io +memory +pids");
    m->create();  // idempotent

    const std::string leaf = root + "/dkr/c1";
    for (const char* f : {"memory.max", "memory.swap.max", "pids.max", "cpu.weight", "cpu.max", "cgroup.procs"})
        spit(leaf + "/" + f, "");
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = 100000000;
    r.memory->swap = 300000000;
    r.pids.emplace();
    r.pids->limit = 10;
    r.cpu.emplace();
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    m->apply(r);
    EXPECT_EQ(slurp(leaf + "/memory.max"), "100000000");
    EXPECT_EQ(slurp(leaf + "/memory.swap.max"), "200000000");
    EXPECT_EQ(slurp(leaf + "/pids.max"), "10");
    EXPECT_EQ(slurp(leaf + "/cpu.weight"), "39");
    EXPECT_EQ(slurp(leaf + "/cpu.max"), "50000");

    // A file the cgroup lacks: the error names it and hints at delegation.
    spec::Resources io;
    io.block_io.emplace();
    io.block_io->weight = 500;
    std::string err = error_of([&] { m->apply(io); });
    EXPECT_NE(err.find("io.weight"), std::string::npos) << err;
    EXPECT_NE(err.find("subtree_control"), std::string::npos) << err;

    m->add_process(4242);
    EXPECT_EQ(slurp(leaf + "/cgroup.procs"), "4242");
    int fd = m->clone_into_fd();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(fd, m->clone_into_fd());  // cached, owned by the manager
    EXPECT_NE(::fcntl(fd, F_GETFL) & O_PATH, 0);

    auto reopened = open_manager(h, m->path());
    EXPECT_EQ(reopened->path(), "/dkr/c1");
    EXPECT_EQ(reopened->clone_into_fd() >= 0, true);

    // destroy: the leaf only (the parent may be shared).
    for (const char* f : {"memory.max", "memory.swap.max", "pids.max", "cpu.weight", "cpu.max", "cgroup.procs"})
        ::unlink((leaf + "/" + f).c_str());
    m->destroy();
    EXPECT_FALSE(is_dir(leaf));
    EXPECT_TRUE(is_dir(root + "/dkr"));
    m->destroy();  // missing is fine
}

TEST(FakeTreeV2, FailedCreateRemovesWhatItMade) {
    test::TempDir t;
    const std::string root = t.path() + "/cg";
    ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root + "/shared").c_str(), 0755), 0);
    Host h = parse_host(mount_line(root, "cgroup2", "rw"), "0::/\n", true);
    h.v2_enable = std::vector<std::string>{};
    // The last component is too long for mkdir: everything made before it goes.
    auto bad = make_manager(h, "/shared/new/" + std::string(300, 'x'), "c1", false);
    std::string err = error_of([&] { bad->create(); });
    EXPECT_NE(err.find("mkdir"), std::string::npos) << err;
    EXPECT_FALSE(is_dir(root + "/shared/new"));
    EXPECT_TRUE(is_dir(root + "/shared"));  // existed before: kept
}

// A v2 manager on a fake cgroup2 mount at root, its cgroup /c1 created.
std::unique_ptr<Manager> fake_v2_cgroup(const std::string& root) {
    EXPECT_EQ(::mkdir(root.c_str(), 0755), 0);
    Host h = parse_host(mount_line(root, "cgroup2", "rw"), "0::/\n", true);
    h.v2_enable = std::vector<std::string>{};
    auto m = make_manager(h, "/c1", "c1", false);
    m->create();
    return m;
}

// update(): a failed write puts back what the writes before it changed; and
// device rules are not touched (here they would fail: no cgroup to attach to).
TEST(FakeTreeV2, UpdateRestoresWhatItWroteWhenAWriteFails) {
    test::TempDir t;
    const std::string leaf = t.path() + "/cg/c1";
    auto m = fake_v2_cgroup(t.path() + "/cg");
    spit(leaf + "/pids.max", "max\n");
    spit(leaf + "/memory.max", "max\n");
    ASSERT_EQ(::mkdir((leaf + "/cpu.max").c_str(), 0755), 0);  // its write fails (EISDIR)
    spec::Resources r;
    r.pids.emplace().limit = 10;
    r.memory.emplace().limit = 100000000;
    r.cpu.emplace().quota = 50000;
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    std::string err = error_of([&] { m->update(r); });
    EXPECT_NE(err.find("cpu.max"), std::string::npos) << err;
    EXPECT_EQ(slurp(leaf + "/pids.max"), "max");
    EXPECT_EQ(slurp(leaf + "/memory.max"), "max");

    r.cpu.reset();
    m->update(r);
    EXPECT_EQ(slurp(leaf + "/pids.max"), "10");
    EXPECT_EQ(slurp(leaf + "/memory.max"), "100000000");

    // apply() leaves its writes in place (a failed create destroys the cgroup anyway).
    r.devices.clear();
    r.pids->limit = 20;
    r.cpu.emplace().quota = 50000;
    EXPECT_NE(error_of([&] { m->apply(r); }).find("cpu.max"), std::string::npos);
    EXPECT_EQ(slurp(leaf + "/pids.max"), "20");
}

bool readable(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    return ::poll(&p, 1, 10000) == 1;
}

// inotify works on plain files too: the v2 watcher on a fake cgroup.
TEST(FakeTreeV2, OomWatchCountsNewKillsAndSeesTheCgroupEmpty) {
    test::TempDir t;
    const std::string leaf = t.path() + "/cg/c1";
    auto m = fake_v2_cgroup(t.path() + "/cg");
    EXPECT_NE(error_of([&] { m->watch_oom(); }).find("memory.events"), std::string::npos);

    spit(leaf + "/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n");  // before the watch: not counted
    spit(leaf + "/cgroup.events", "populated 1\nfrozen 0\n");
    auto w = m->watch_oom();
    OomWatch::News n = w->read();
    EXPECT_EQ(n.ooms, 0u);
    EXPECT_FALSE(n.gone);

    spit(leaf + "/memory.events", "low 0\nhigh 0\nmax 5\noom 3\noom_kill 3\n");
    ASSERT_TRUE(readable(w->fd()));
    n = w->read();
    EXPECT_EQ(n.ooms, 1u);
    EXPECT_FALSE(n.gone);
    spit(leaf + "/memory.events", "low 0\nhigh 0\nmax 6\noom 3\noom_kill 3\n");  // no new kill
    ASSERT_TRUE(readable(w->fd()));
    EXPECT_EQ(w->read().ooms, 0u);

    spit(leaf + "/cgroup.events", "populated 0\nfrozen 0\n");
    ASSERT_TRUE(readable(w->fd()));
    EXPECT_TRUE(w->read().gone);
}

TEST(FakeTreeV1, FailedCreateRemovesWhatItMade) {
    test::TempDir t;
    const std::string mem = t.path() + "/memory", pids = t.path() + "/pids";
    ASSERT_EQ(::mkdir(mem.c_str(), 0755), 0);
    spit(pids, "a file where the pids hierarchy should be");
    Host h = parse_host(mount_line(mem, "cgroup", "rw,memory") + mount_line(pids, "cgroup", "rw,pids"),
                        "2:pids:/\n1:memory:/\n0::/\n", false);
    ASSERT_EQ(h.v1.size(), 2u);
    auto m = make_manager(h, "/dkr/c1", "c1", false);
    std::string err = error_of([&] { m->create(); });
    EXPECT_NE(err.find("mkdir"), std::string::npos) << err;
    EXPECT_FALSE(is_dir(mem + "/dkr")) << "the memory directories made before the failure must be gone";
}

TEST(FakeTreeV1, ApplyWritesEachControllersHierarchy) {
    test::TempDir t;
    const std::string mem = t.path() + "/memory", cpu = t.path() + "/cpu", pids = t.path() + "/pids";
    for (const auto& d : {mem, cpu, pids}) ASSERT_EQ(::mkdir(d.c_str(), 0755), 0);
    Host h = parse_host(mount_line(mem, "cgroup", "rw,memory") + mount_line(cpu, "cgroup", "rw,cpu") +
                            mount_line(pids, "cgroup", "rw,pids"),
                        "3:pids:/\n2:cpu:/\n1:memory:/user/1\n", false);
    ASSERT_EQ(h.v1.size(), 3u);
    EXPECT_FALSE(h.v2);

    auto m = make_manager(h, "", "c1", false);
    EXPECT_EQ(m->path(), "/c1;memory:/user/1/c1");
    m->create();
    ASSERT_TRUE(is_dir(mem + "/user/1/c1"));
    ASSERT_TRUE(is_dir(cpu + "/c1"));
    ASSERT_TRUE(is_dir(pids + "/c1"));

    for (const auto& f : {mem + "/user/1/c1/memory.limit_in_bytes", cpu + "/c1/cpu.shares",
                          cpu + "/c1/cpu.cfs_period_us", cpu + "/c1/cpu.cfs_quota_us", pids + "/c1/pids.max",
                          mem + "/user/1/c1/cgroup.procs", cpu + "/c1/cgroup.procs", pids + "/c1/cgroup.procs"})
        spit(f, "");
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = -1;  // no memsw file here: swap accounting off, so only the limit
    r.cpu.emplace();
    r.cpu->shares = 512;
    r.cpu->quota = 20000;
    r.cpu->period = 100000;
    r.pids.emplace();
    r.pids->limit = 5;
    m->apply(r);
    EXPECT_EQ(slurp(mem + "/user/1/c1/memory.limit_in_bytes"), "-1");
    EXPECT_NE(::access((mem + "/user/1/c1/memory.memsw.limit_in_bytes").c_str(), F_OK), 0);
    EXPECT_EQ(slurp(cpu + "/c1/cpu.shares"), "512");
    EXPECT_EQ(slurp(cpu + "/c1/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(slurp(cpu + "/c1/cpu.cfs_quota_us"), "20000");
    EXPECT_EQ(slurp(pids + "/c1/pids.max"), "5");

    m->add_process(777);
    EXPECT_EQ(slurp(mem + "/user/1/c1/cgroup.procs"), "777");
    EXPECT_EQ(slurp(cpu + "/c1/cgroup.procs"), "777");
    EXPECT_EQ(m->clone_into_fd(), -1);

    spec::Resources huge;
    huge.hugepage_limits.push_back({"2MB", 1 << 21});
    EXPECT_NE(error_of([&] { m->apply(huge); }).find("hugetlb cgroup hierarchy is not mounted"), std::string::npos);
    // A file the kernel does not have names itself.
    spec::Resources swap;
    swap.memory.emplace();
    swap.memory->swappiness = 10;
    std::string err = error_of([&] { m->apply(swap); });
    EXPECT_NE(err.find("memory.swappiness"), std::string::npos) << err;

    auto reopened = open_manager(h, m->path());
    EXPECT_EQ(reopened->path(), m->path());
    reopened->add_process(888);
    EXPECT_EQ(slurp(mem + "/user/1/c1/cgroup.procs"), "888");
}

}  // namespace
}  // namespace dkr::cgroup
