// Pure translation tests: spec::Resources -> the exact files and values.
#include "runtime/cgroup/resources.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>

#include "runtime/error.hpp"
#include "tests/support/error_of.hpp"

namespace dkr::cgroup {
namespace {

struct FakeProbe : Probe {
    std::set<std::string> controllers = {"cpuset", "cpu", "cpuacct", "memory", "devices", "freezer", "blkio", "pids"};
    std::map<std::string, std::string> files;  // "controller/file" -> content

    bool has_controller(const std::string& c) const override { return controllers.count(c) > 0; }
    bool exists(const std::string& c, const std::string& f) const override { return files.count(c + "/" + f) > 0; }
    std::optional<std::string> read(const std::string& c, const std::string& f) const override {
        auto it = files.find(c + "/" + f);
        if (it == files.end()) return std::nullopt;
        return it->second;
    }
};

Write W(const char* c, const char* f, const std::string& v, bool retry = false) { return Write{c, f, v, retry}; }

std::string dump(const std::vector<Write>& ws) {
    std::string s;
    for (const auto& w : ws)
        s += w.controller + ":" + w.file + "=" + w.value + (w.retry_on_einval ? "(retry)" : "") + "\n";
    return s;
}

#define EXPECT_WRITES(actual, ...)                                                                         \
    do {                                                                                                   \
        std::vector<Write> expected_ = {__VA_ARGS__};                                                      \
        auto actual_ = (actual);                                                                           \
        EXPECT_EQ(actual_, expected_) << "actual:\n" << dump(actual_) << "expected:\n" << dump(expected_); \
    } while (0)

using dkr::test::error_of;

spec::Resources with_memory(std::optional<int64_t> limit, std::optional<int64_t> swap = std::nullopt) {
    spec::Resources r;
    r.memory.emplace();
    r.memory->limit = limit;
    r.memory->swap = swap;
    return r;
}

// ---------- conversions ----------

TEST(Conversions, CpuSharesToWeight) {
    EXPECT_EQ(cpu_shares_to_weight(0), 0u);
    EXPECT_EQ(cpu_shares_to_weight(2), 1u);
    EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
    EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
}

TEST(Conversions, BlkioWeightToIoWeight) {
    EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
    EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
    EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

TEST(Conversions, MemorySwapToV2) {
    EXPECT_EQ(memory_swap_to_v2(0, -1), -1);  // unlimited memory, swap unset: unlimited swap
    EXPECT_EQ(memory_swap_to_v2(0, 100), 0);
    EXPECT_EQ(memory_swap_to_v2(-1, 100), -1);
    EXPECT_EQ(memory_swap_to_v2(300, 100), 200);
    EXPECT_EQ(memory_swap_to_v2(100, 100), 0);
    EXPECT_THROW(memory_swap_to_v2(50, 100), Error);
    EXPECT_THROW(memory_swap_to_v2(300, 0), Error);
    EXPECT_THROW(memory_swap_to_v2(300, -1), Error);
    EXPECT_THROW(memory_swap_to_v2(300, -5), Error);
}

// ---------- v1 ----------

TEST(TranslateV1, NothingRequestedWritesNothing) {
    FakeProbe p;
    EXPECT_TRUE(translate_v1(spec::Resources{}, p).empty());
    spec::Resources r;
    r.memory.emplace();
    r.cpu.emplace();
    r.block_io.emplace();
    r.network.emplace();
    EXPECT_TRUE(translate_v1(r, p).empty());
}

TEST(TranslateV1, MemoryLimitOnly) {
    FakeProbe p;
    p.files["memory/memory.memsw.limit_in_bytes"] = "9223372036854771712\n";
    EXPECT_WRITES(translate_v1(with_memory(104857600), p), W("memory", "memory.limit_in_bytes", "104857600"));
}

TEST(TranslateV1, MemoryAndSwapOnAFreshCgroupLowersMemoryFirst) {
    FakeProbe p;
    p.files["memory/memory.limit_in_bytes"] = "9223372036854771712\n";
    p.files["memory/memory.memsw.limit_in_bytes"] = "9223372036854771712\n";
    EXPECT_WRITES(translate_v1(with_memory(100000000, 200000000), p), W("memory", "memory.limit_in_bytes", "100000000"),
                  W("memory", "memory.memsw.limit_in_bytes", "200000000"));
}

TEST(TranslateV1, MemoryAndSwapGrowingRaisesMemswFirst) {
    FakeProbe p;
    p.files["memory/memory.limit_in_bytes"] = "100000000\n";
    EXPECT_WRITES(translate_v1(with_memory(300000000, 400000000), p),
                  W("memory", "memory.memsw.limit_in_bytes", "400000000"),
                  W("memory", "memory.limit_in_bytes", "300000000"));
}

TEST(TranslateV1, UnlimitedMemoryAlsoUnlimitsSwapWhenAccounted) {
    FakeProbe p;
    p.files["memory/memory.limit_in_bytes"] = "100000000\n";
    p.files["memory/memory.memsw.limit_in_bytes"] = "200000000\n";
    EXPECT_WRITES(translate_v1(with_memory(-1), p), W("memory", "memory.memsw.limit_in_bytes", "-1"),
                  W("memory", "memory.limit_in_bytes", "-1"));
    FakeProbe no_swap;  // no swap accounting: no memsw file
    EXPECT_WRITES(translate_v1(with_memory(-1), no_swap), W("memory", "memory.limit_in_bytes", "-1"));
}

TEST(TranslateV1, MemoryOtherKnobs) {
    FakeProbe p;
    spec::Resources r;
    r.memory.emplace();
    r.memory->reservation = 50000000;
    r.memory->disable_oom_killer = true;
    r.memory->swappiness = 10;
    EXPECT_WRITES(translate_v1(r, p), W("memory", "memory.soft_limit_in_bytes", "50000000"),
                  W("memory", "memory.oom_control", "1"), W("memory", "memory.swappiness", "10"));

    r.memory->swappiness = 101;
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("swappiness"), std::string::npos);
    r.memory->swappiness = std::numeric_limits<uint64_t>::max();  // -1: leave alone
    r.memory->disable_oom_killer = false;
    EXPECT_WRITES(translate_v1(r, p), W("memory", "memory.soft_limit_in_bytes", "50000000"));
}

TEST(TranslateV1, KernelMemoryIsIgnoredAsRuncDoes) {
    FakeProbe p;
    p.controllers.erase("memory");  // not even the hierarchy is needed
    spec::Resources r;
    r.memory.emplace();
    r.memory->kernel = 100000000;
    r.memory->kernel_tcp = 10000000;
    EXPECT_TRUE(translate_v1(r, p).empty());
}

TEST(TranslateV1, CheckBeforeUpdateRejectsALimitBelowUsage) {
    FakeProbe p;
    p.files["memory/memory.usage_in_bytes"] = "5000\n";
    auto r = with_memory(4096);
    r.memory->check_before_update = true;
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("below the current usage"), std::string::npos);
    r.memory->limit = 8192;
    EXPECT_WRITES(translate_v1(r, p), W("memory", "memory.limit_in_bytes", "8192"));
}

TEST(TranslateV1, Cpu) {
    FakeProbe p;
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.cpu->burst = 10000;
    r.cpu->realtime_period = 1000000;
    r.cpu->realtime_runtime = 950000;
    r.cpu->idle = 1;
    r.cpu->cpus = "0-1";
    r.cpu->mems = "0";
    EXPECT_WRITES(translate_v1(r, p), W("cpuset", "cpuset.cpus", "0-1"), W("cpuset", "cpuset.mems", "0"),
                  W("cpu", "cpu.shares", "1024"), W("cpu", "cpu.cfs_period_us", "100000", true),
                  W("cpu", "cpu.cfs_quota_us", "50000"), W("cpu", "cpu.cfs_burst_us", "10000", true),
                  W("cpu", "cpu.rt_period_us", "1000000"), W("cpu", "cpu.rt_runtime_us", "950000"),
                  W("cpu", "cpu.idle", "1"));
}

TEST(TranslateV1, CpuUnlimitedQuotaAndPeriodAlone) {
    FakeProbe p;
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->quota = -1;
    EXPECT_WRITES(translate_v1(r, p), W("cpu", "cpu.cfs_quota_us", "-1"));
    r.cpu->quota.reset();
    r.cpu->period = 200000;
    EXPECT_WRITES(translate_v1(r, p), W("cpu", "cpu.cfs_period_us", "200000"));
}

TEST(TranslateV1, CpuSharesOutOfRange) {
    FakeProbe p;
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->shares = 1;
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("minimum allowed cpu-shares is 2"), std::string::npos);
    r.cpu->shares = 262145;
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("maximum allowed cpu-shares is 262144"), std::string::npos);
}

TEST(TranslateV1, Pids) {
    FakeProbe p;
    spec::Resources r;
    r.pids.emplace();
    r.pids->limit = 100;
    EXPECT_WRITES(translate_v1(r, p), W("pids", "pids.max", "100"));
    r.pids->limit = -1;
    EXPECT_WRITES(translate_v1(r, p), W("pids", "pids.max", "max"));
    r.pids->limit = 0;
    EXPECT_TRUE(translate_v1(r, p).empty());
}

spec::Resources full_blkio() {
    spec::Resources r;
    r.block_io.emplace();
    auto& b = *r.block_io;
    b.weight = 500;
    b.leaf_weight = 300;
    spec::WeightDevice wd;
    wd.major = 8;
    wd.minor = 0;
    wd.weight = 600;
    wd.leaf_weight = 200;
    b.weight_device.push_back(wd);
    b.throttle_read_bps_device.push_back({8, 0, 1048576});
    b.throttle_write_bps_device.push_back({8, 16, 2097152});
    b.throttle_read_iops_device.push_back({8, 0, 100});
    b.throttle_write_iops_device.push_back({8, 0, 200});
    return r;
}

TEST(TranslateV1, BlkioWithCfq) {
    FakeProbe p;
    p.files["blkio/blkio.weight"] = "500\n";
    EXPECT_WRITES(translate_v1(full_blkio(), p), W("blkio", "blkio.weight", "500"),
                  W("blkio", "blkio.leaf_weight", "300"), W("blkio", "blkio.weight_device", "8:0 600"),
                  W("blkio", "blkio.leaf_weight_device", "8:0 200"),
                  W("blkio", "blkio.throttle.read_bps_device", "8:0 1048576"),
                  W("blkio", "blkio.throttle.write_bps_device", "8:16 2097152"),
                  W("blkio", "blkio.throttle.read_iops_device", "8:0 100"),
                  W("blkio", "blkio.throttle.write_iops_device", "8:0 200"));
}

TEST(TranslateV1, BlkioWithoutCfqUsesBfqFiles) {
    FakeProbe p;
    spec::Resources r;
    r.block_io.emplace();
    r.block_io->weight = 500;
    spec::WeightDevice wd;
    wd.major = 8;
    wd.weight = 600;
    r.block_io->weight_device.push_back(wd);
    EXPECT_WRITES(translate_v1(r, p), W("blkio", "blkio.bfq.weight", "500"),
                  W("blkio", "blkio.bfq.weight_device", "8:0 600"));
}

TEST(TranslateV1, MissingHierarchiesFailClearly) {
    FakeProbe p;
    spec::Resources r;
    r.hugepage_limits.push_back({"2MB", 1 << 21});
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("hugetlb cgroup hierarchy is not mounted"), std::string::npos);

    spec::Resources n;
    n.network.emplace();
    n.network->class_id = 0x100001;
    EXPECT_NE(error_of([&] { translate_v1(n, p); }).find("net_cls"), std::string::npos);
    n.network->class_id.reset();
    n.network->priorities.push_back({"eth0", 5});
    EXPECT_NE(error_of([&] { translate_v1(n, p); }).find("net_prio"), std::string::npos);

    p.controllers.erase("memory");
    EXPECT_NE(error_of([&] { translate_v1(with_memory(1 << 20), p); }).find("memory cgroup hierarchy"),
              std::string::npos);
}

TEST(TranslateV1, HugetlbNetworkRdma) {
    FakeProbe p;
    p.controllers.insert({"hugetlb", "net_cls", "net_prio", "rdma"});
    spec::Resources r;
    r.hugepage_limits.push_back({"2MB", 4194304});
    r.hugepage_limits.push_back({"1GB", 1073741824});
    r.network.emplace();
    r.network->class_id = 1048577;
    r.network->priorities.push_back({"eth0", 5});
    r.network->priorities.push_back({"lo", 2});
    r.rdma["mlx5_1"] = spec::RdmaLimit{3, 10000};
    r.rdma["mlx5_2"] = spec::RdmaLimit{std::nullopt, 5};
    EXPECT_WRITES(translate_v1(r, p), W("hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"),
                  W("hugetlb", "hugetlb.1GB.limit_in_bytes", "1073741824"), W("net_cls", "net_cls.classid", "1048577"),
                  W("net_prio", "net_prio.ifpriomap", "eth0 5"), W("net_prio", "net_prio.ifpriomap", "lo 2"),
                  W("rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
                  W("rdma", "rdma.max", "mlx5_2 hca_object=5"));
}

TEST(TranslateV1, UnifiedIsAnError) {
    FakeProbe p;
    spec::Resources r;
    r.unified["memory.high"] = "1000000";
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("unified"), std::string::npos);
}

TEST(TranslateV1, DevicesFromTheLastResetOn) {
    FakeProbe p;
    spec::Resources r;
    r.devices.push_back({true, "c", 1, 3, "r"});  // wiped by the reset below
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    r.devices.push_back({true, "c", 1, 3, "rwm"});
    r.devices.push_back({true, "b", 8, std::nullopt, "r"});
    r.devices.push_back({false, "c", 1, 3, "w"});
    r.devices.push_back({true, "c", -1, -1, "m"});
    EXPECT_WRITES(translate_v1(r, p), W("devices", "devices.deny", "a *:* rwm"),
                  W("devices", "devices.allow", "c 1:3 rwm"), W("devices", "devices.allow", "b 8:* r"),
                  W("devices", "devices.deny", "c 1:3 w"), W("devices", "devices.allow", "c *:* m"));
    p.controllers.erase("devices");
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("devices"), std::string::npos);
}

TEST(TranslateV1, BadValuesFailBeforeAnyWrite) {
    FakeProbe p;
    spec::Resources r = with_memory(1 << 20);
    r.devices.push_back({true, "x", 1, 3, "rwm"});
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("invalid device type"), std::string::npos);
    r.devices.back() = {true, "c", 1, 3, "rwx"};
    EXPECT_NE(error_of([&] { translate_v1(r, p); }).find("invalid access"), std::string::npos);
    spec::Resources h;
    p.controllers.insert("hugetlb");
    h.hugepage_limits.push_back({"../2MB", 1});
    EXPECT_NE(error_of([&] { translate_v1(h, p); }).find("hugepage size"), std::string::npos);
}

// ---------- v2 ----------

TEST(TranslateV2, MemoryLimitAndSwap) {
    FakeProbe p;
    p.files["memory/memory.swap.max"] = "max\n";
    EXPECT_WRITES(translate_v2(with_memory(100000000, 300000000), p), W("memory", "memory.swap.max", "200000000"),
                  W("memory", "memory.max", "100000000"));
    // memory+swap == memory: swap disabled.
    EXPECT_WRITES(translate_v2(with_memory(100000000, 100000000), p), W("memory", "memory.swap.max", "0"),
                  W("memory", "memory.max", "100000000"));
    EXPECT_WRITES(translate_v2(with_memory(100000000), p), W("memory", "memory.max", "100000000"));
    EXPECT_WRITES(translate_v2(with_memory(100000000, -1), p), W("memory", "memory.swap.max", "max"),
                  W("memory", "memory.max", "100000000"));
}

TEST(TranslateV2, MinusOneMeansMax) {
    FakeProbe p;
    p.files["memory/memory.swap.max"] = "0\n";
    EXPECT_WRITES(translate_v2(with_memory(-1), p), W("memory", "memory.swap.max", "max"),
                  W("memory", "memory.max", "max"));
    FakeProbe no_swap;
    EXPECT_WRITES(translate_v2(with_memory(-1), no_swap), W("memory", "memory.max", "max"));

    spec::Resources r;
    r.memory.emplace();
    r.memory->reservation = -1;
    r.pids.emplace();
    r.pids->limit = -1;
    r.cpu.emplace();
    r.cpu->quota = -1;
    EXPECT_WRITES(translate_v2(r, p), W("pids", "pids.max", "max"), W("memory", "memory.low", "max"),
                  W("cpu", "cpu.max", "max"));
}

TEST(TranslateV2, InvalidSwap) {
    FakeProbe p;
    EXPECT_NE(error_of([&] { translate_v2(with_memory(200, 100), p); }).find("should be >= memory limit"),
              std::string::npos);
    EXPECT_NE(error_of([&] { translate_v2(with_memory(std::nullopt, 100), p); }).find("without memory limit"),
              std::string::npos);
}

TEST(TranslateV2, V1OnlyMemoryKnobsAreIgnored) {
    FakeProbe p;
    spec::Resources r;
    r.memory.emplace();
    r.memory->swappiness = 10;
    r.memory->disable_oom_killer = true;
    r.memory->kernel = 1 << 20;
    r.memory->kernel_tcp = 1 << 20;
    EXPECT_TRUE(translate_v2(r, p).empty());
    r.memory->reservation = 1 << 20;
    EXPECT_WRITES(translate_v2(r, p), W("memory", "memory.low", "1048576"));
}

TEST(TranslateV2, Cpu) {
    FakeProbe p;
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->burst = 20000;
    r.cpu->idle = 0;
    r.cpu->cpus = "1";
    r.cpu->mems = "0";
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.idle", "0"), W("cpu", "cpu.weight", "39"),
                  W("cpu", "cpu.max.burst", "20000", true), W("cpu", "cpu.max", "50000"),
                  W("cpuset", "cpuset.cpus", "1"), W("cpuset", "cpuset.mems", "0"));
    r = {};
    r.cpu.emplace();
    r.cpu->period = 250000;
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.max", "max 250000"));
    r.cpu->quota = -1;
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.max", "max 250000"));
    r.cpu->quota = 20000;
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.max", "20000 250000"));
    r.cpu->quota.reset();
    r.cpu->shares = 2;
    r.cpu->period.reset();
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.weight", "1"));
}

// `update` with only one of quota and period keeps the other (runc's update).
TEST(TranslateV2, CpuQuotaOrPeriodAloneKeepsTheOther) {
    FakeProbe p;
    p.files["cpu/cpu.max"] = "30000 200000\n";
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->period = 100000;
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.max", "30000 100000"));
    r.cpu->period.reset();
    r.cpu->quota = 50000;  // the kernel keeps the period when given one number
    EXPECT_WRITES(translate_v2(r, p), W("cpu", "cpu.max", "50000"));
}

TEST(TranslateV2, RealtimeIsAnError) {
    FakeProbe p;
    spec::Resources r;
    r.cpu.emplace();
    r.cpu->realtime_runtime = 1000;
    EXPECT_NE(error_of([&] { translate_v2(r, p); }).find("realtime"), std::string::npos);
}

TEST(TranslateV2, IoWithBfq) {
    FakeProbe p;
    p.files["io/io.bfq.weight"] = "default 100\n";  // per-device capable
    EXPECT_WRITES(translate_v2(full_blkio(), p), W("io", "io.bfq.weight", "500"), W("io", "io.bfq.weight", "8:0 600"),
                  W("io", "io.max", "8:0 rbps=1048576"), W("io", "io.max", "8:16 wbps=2097152"),
                  W("io", "io.max", "8:0 riops=100"), W("io", "io.max", "8:0 wiops=200"));
}

TEST(TranslateV2, IoWithoutBfqConvertsTheWeight) {
    FakeProbe p;
    spec::Resources r;
    r.block_io.emplace();
    r.block_io->weight = 500;
    r.block_io->leaf_weight = 200;  // no v2 equivalent: ignored
    EXPECT_WRITES(translate_v2(r, p), W("io", "io.weight", "4950"));
    r.block_io->weight = 5;
    EXPECT_NE(error_of([&] { translate_v2(r, p); }).find("io.weight"), std::string::npos);
}

TEST(TranslateV2, PerDeviceWeightNeedsBfq) {
    FakeProbe p;
    EXPECT_NE(error_of([&] { translate_v2(full_blkio(), p); }).find("io.bfq.weight"), std::string::npos);
    p.files["io/io.bfq.weight"] = "100\n";  // old kernel: no per-device weights
    EXPECT_NE(error_of([&] { translate_v2(full_blkio(), p); }).find("io.bfq.weight"), std::string::npos);
}

TEST(TranslateV2, HugetlbRdmaUnified) {
    FakeProbe p;
    spec::Resources r;
    r.hugepage_limits.push_back({"2MB", 4194304});
    r.rdma["mlx5_1"] = spec::RdmaLimit{3, std::nullopt};
    r.unified["memory.high"] = "50000000";
    r.unified["cgroup.max.depth"] = "3";
    r.memory.emplace();
    r.memory->limit = 100000000;
    EXPECT_WRITES(translate_v2(r, p), W("memory", "memory.max", "100000000"),
                  W("hugetlb", "hugetlb.2MB.max", "4194304"), W("rdma", "rdma.max", "mlx5_1 hca_handle=3"),
                  W("cgroup", "cgroup.max.depth", "3"), W("memory", "memory.high", "50000000"));
    r.unified["../escape"] = "1";
    EXPECT_NE(error_of([&] { translate_v2(r, p); }).find("must be a file name"), std::string::npos);
}

TEST(TranslateV2, NetworkIsAnError) {
    FakeProbe p;
    spec::Resources r;
    r.network.emplace();
    r.network->class_id = 1;
    EXPECT_NE(error_of([&] { translate_v2(r, p); }).find("net_cls"), std::string::npos);
}

TEST(TranslateV2, DevicesAreNotFileWrites) {
    FakeProbe p;
    spec::Resources r;
    r.devices.push_back({false, "a", std::nullopt, std::nullopt, "rwm"});
    EXPECT_TRUE(translate_v2(r, p).empty());
}

}  // namespace
}  // namespace dkr::cgroup
