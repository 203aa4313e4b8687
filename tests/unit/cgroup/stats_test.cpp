// Parsers of the cgroup stat file formats.
#include "runtime/cgroup/stats.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "runtime/error.hpp"
#include "test_util.hpp"

namespace dkr::cgroup {
namespace {

TEST(StatsParse, Uint) {
    EXPECT_EQ(parse_stat_uint("123\n"), 123u);
    EXPECT_EQ(parse_stat_uint("max\n"), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(parse_stat_uint("-1\n"), 0u);
    EXPECT_EQ(parse_stat_uint("9223372036854771712\n"), 9223372036854771712ULL);
    EXPECT_THROW(parse_stat_uint("abc"), Error);
    EXPECT_THROW(parse_stat_uint(""), Error);
}

TEST(StatsParse, FlatKeyed) {
    auto m = parse_flat_keyed("cache 4096\nrss 8192\nweird x\n\nhierarchical_memory_limit 9223372036854771712\n");
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(m["cache"], 4096u);
    EXPECT_EQ(m["rss"], 8192u);
    EXPECT_EQ(m["hierarchical_memory_limit"], 9223372036854771712ULL);
}

TEST(StatsParse, PercpuAndUsageAll) {
    EXPECT_EQ(parse_uint_list("10 20 30 \n"), (std::vector<uint64_t>{10, 20, 30}));
    std::vector<uint64_t> user, kernel;
    parse_cpuacct_usage_all("cpu user system\n0 100 200\n1 300 400\n", user, kernel);
    EXPECT_EQ(user, (std::vector<uint64_t>{100, 300}));
    EXPECT_EQ(kernel, (std::vector<uint64_t>{200, 400}));
}

TEST(StatsParse, BlkioV1) {
    auto e = parse_blkio_v1("8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:16 Total 50\nTotal 650\n");
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0], (BlkioEntry{8, 0, "Read", 100}));
    EXPECT_EQ(e[3], (BlkioEntry{8, 16, "Total", 50}));
    auto sectors = parse_blkio_v1("8:0 4096\n");
    ASSERT_EQ(sectors.size(), 1u);
    EXPECT_EQ(sectors[0], (BlkioEntry{8, 0, "", 4096}));
    EXPECT_TRUE(parse_blkio_v1("Total 0\n").empty());
}

TEST(StatsParse, IoStatMapsToV1Tables) {
    BlkioStats b;
    parse_io_stat("8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=0 rios=0 wios=0\n",
                  b);
    ASSERT_EQ(b.io_service_bytes_recursive.size(), 4u);
    EXPECT_EQ(b.io_service_bytes_recursive[0], (BlkioEntry{8, 0, "Read", 4096}));
    EXPECT_EQ(b.io_service_bytes_recursive[1], (BlkioEntry{8, 0, "Write", 8192}));
    EXPECT_EQ(b.io_service_bytes_recursive[2], (BlkioEntry{253, 1, "Read", 1}));
    ASSERT_EQ(b.io_serviced_recursive.size(), 4u);
    EXPECT_EQ(b.io_serviced_recursive[1], (BlkioEntry{8, 0, "Write", 2}));
}

TEST(StatsParse, CpuList) {
    EXPECT_EQ(parse_cpu_list("0-2,4\n"), (std::vector<uint16_t>{0, 1, 2, 4}));
    EXPECT_EQ(parse_cpu_list("1"), (std::vector<uint16_t>{1}));
    EXPECT_TRUE(parse_cpu_list("\n").empty());
    EXPECT_THROW(parse_cpu_list("3-1"), Error);
    EXPECT_THROW(parse_cpu_list("0-1-2"), Error);
    EXPECT_THROW(parse_cpu_list("0,"), Error);
    EXPECT_THROW(parse_cpu_list("x"), Error);
    EXPECT_THROW(parse_cpu_list("70000"), Error);
}

TEST(StatsParse, HugepageNames) {
    EXPECT_EQ(hugepage_size_name(2097152), "2MB");
    EXPECT_EQ(hugepage_size_name(1073741824), "1GB");
    EXPECT_EQ(hugepage_size_name(65536), "64KB");
    EXPECT_EQ(hugepage_size_name(33554432), "32MB");
    test::TempDir t;
    ::mkdir((t.path() + "/hugepages-2048kB").c_str(), 0755);
    ::mkdir((t.path() + "/hugepages-1048576kB").c_str(), 0755);
    ::mkdir((t.path() + "/other").c_str(), 0755);
    EXPECT_EQ(hugepage_sizes(t.path()), (std::vector<std::string>{"1GB", "2MB"}));
}

TEST(StatsCollect, V2FromAFakeDirectory) {
    test::TempDir t;
    const std::string d = t.path();
    test::spit(d + "/cpu.stat",
               "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 10\nnr_throttled 2\nthrottled_usec 5\n");
    test::spit(d + "/memory.stat", "anon 100\nfile 200\n");
    test::spit(d + "/memory.current", "300\n");
    test::spit(d + "/memory.max", "max\n");
    test::spit(d + "/memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    test::spit(d + "/memory.swap.current", "50\n");
    test::spit(d + "/memory.swap.max", "1000\n");
    test::spit(d + "/pids.current", "3\n");
    test::spit(d + "/pids.max", "max\n");
    test::spit(d + "/io.stat", "8:0 rbytes=1 wbytes=2 rios=3 wios=4\n");
    Stats s = collect_stats_v2(d);
    EXPECT_EQ(s.cpu.usage.total, 1000000u);
    EXPECT_EQ(s.cpu.usage.user, 600000u);
    EXPECT_EQ(s.cpu.usage.kernel, 400000u);
    EXPECT_EQ(s.cpu.throttling.periods, 10u);
    EXPECT_EQ(s.cpu.throttling.throttled_periods, 2u);
    EXPECT_EQ(s.cpu.throttling.throttled_time, 5000u);
    EXPECT_EQ(s.memory.cache, 200u);
    EXPECT_EQ(s.memory.raw["anon"], 100u);
    EXPECT_EQ(s.memory.usage.usage, 300u);
    EXPECT_EQ(s.memory.usage.limit, std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(s.memory.usage.failcnt, 7u);
    EXPECT_EQ(s.memory.swap.usage, 350u);
    EXPECT_EQ(s.memory.swap.limit, std::numeric_limits<uint64_t>::max());  // 1000 + max saturates
    EXPECT_EQ(s.pids.current, 3u);
    EXPECT_EQ(s.pids.limit, 0u);
    EXPECT_EQ(s.blkio.io_service_bytes_recursive.size(), 2u);
}

TEST(StatsCollect, V1FromFakeDirectories) {
    test::TempDir t;
    const std::string d = t.path();
    test::spit(d + "/cpuacct.usage", "5000\n");
    test::spit(d + "/cpuacct.usage_percpu", "2000 3000\n");
    test::spit(d + "/cpuacct.usage_all", "cpu user system\n0 1500 500\n1 2000 1000\n");
    test::spit(d + "/cpuacct.stat", "user 3\nsystem 1\n");
    test::spit(d + "/cpu.stat", "nr_periods 4\nnr_throttled 1\nthrottled_time 99\n");
    test::spit(d + "/memory.stat", "cache 10\nrss 20\n");
    test::spit(d + "/memory.usage_in_bytes", "30\n");
    test::spit(d + "/memory.max_usage_in_bytes", "40\n");
    test::spit(d + "/memory.limit_in_bytes", "9223372036854771712\n");
    test::spit(d + "/memory.failcnt", "2\n");
    test::spit(d + "/pids.current", "1\n");
    test::spit(d + "/pids.max", "10\n");
    test::spit(d + "/blkio.throttle.io_service_bytes_recursive", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
    test::spit(d + "/blkio.throttle.io_serviced_recursive", "8:0 Read 5\nTotal 5\n");
    test::spit(d + "/blkio.bfq.io_serviced_recursive", "Total 0\n");  // empty: next group
    test::spit(d + "/cpuset.cpus", "0-1,3\n");
    test::spit(d + "/cpuset.mems", "0\n");
    test::spit(d + "/cpuset.sched_load_balance", "1\n");
    test::spit(d + "/cpuset.sched_relax_domain_level", "-1\n");
    test::spit(d + "/cpuset.mem_hardwall", "1\n");
    Stats s = collect_stats_v1([&](const std::string& c) { return c == "hugetlb" ? std::string() : d; });
    long hz = ::sysconf(_SC_CLK_TCK);
    EXPECT_EQ(s.cpu.usage.total, 5000u);
    EXPECT_EQ(s.cpu.usage.percpu, (std::vector<uint64_t>{2000, 3000}));
    EXPECT_EQ(s.cpu.usage.percpu_user, (std::vector<uint64_t>{1500, 2000}));
    EXPECT_EQ(s.cpu.usage.percpu_kernel, (std::vector<uint64_t>{500, 1000}));
    EXPECT_EQ(s.cpu.usage.user, 3u * (1000000000u / hz));
    EXPECT_EQ(s.cpu.usage.kernel, 1u * (1000000000u / hz));
    EXPECT_EQ(s.cpu.throttling.throttled_time, 99u);
    EXPECT_EQ(s.memory.cache, 10u);
    EXPECT_EQ(s.memory.usage.usage, 30u);
    EXPECT_EQ(s.memory.usage.max, 40u);
    EXPECT_EQ(s.memory.usage.failcnt, 2u);
    EXPECT_EQ(s.memory.usage.limit, 9223372036854771712ULL);
    EXPECT_EQ(s.memory.swap.usage, 0u);  // no memsw files: zeros
    EXPECT_EQ(s.pids.current, 1u);
    EXPECT_EQ(s.pids.limit, 10u);
    ASSERT_EQ(s.blkio.io_service_bytes_recursive.size(), 2u);
    ASSERT_EQ(s.blkio.io_serviced_recursive.size(), 1u);
    EXPECT_TRUE(s.hugetlb.empty());
    EXPECT_EQ(s.cpuset.cpus, (std::vector<uint16_t>{0, 1, 3}));
    EXPECT_EQ(s.cpuset.mems, (std::vector<uint16_t>{0}));
    EXPECT_EQ(s.cpuset.sched_load_balance, 1u);
    EXPECT_EQ(s.cpuset.sched_relax_domain_level, -1);
    EXPECT_EQ(s.cpuset.mem_hardwall, 1u);
    EXPECT_EQ(s.cpuset.cpu_exclusive, 0u);  // missing file: 0
}

}  // namespace
}  // namespace dkr::cgroup
