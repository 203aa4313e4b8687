// `dkr update`'s flags read as runc 1.1 reads them.
#include "runtime/update_flags.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "tests/support/error_of.hpp"

namespace dkr {
namespace {

using dkr::test::error_of;

std::string error_of(const UpdateFlags& f) {
    return error_of([&] { resources_from_flags(f); });
}

TEST(UpdateFlags, RamSizesAreBinary) {
    EXPECT_EQ(parse_ram_bytes("100"), 100);
    EXPECT_EQ(parse_ram_bytes("512k"), 512 << 10);
    EXPECT_EQ(parse_ram_bytes("100m"), 100 << 20);
    EXPECT_EQ(parse_ram_bytes("100MB"), 100 << 20);
    EXPECT_EQ(parse_ram_bytes("10 MiB"), 10 << 20);
    EXPECT_EQ(parse_ram_bytes("1.5g"), 1610612736);
    EXPECT_EQ(parse_ram_bytes("2T"), int64_t{2} << 40);
    EXPECT_EQ(parse_ram_bytes("7b"), 7);
    for (const char* bad : {"", "abc", "-5", "1x", "1.g", ".5m", "1  m", "1mm", "99999999999p"})
        EXPECT_THROW(parse_ram_bytes(bad), Error) << bad;
}

TEST(UpdateFlags, EveryFlagLandsInItsField) {
    UpdateFlags f;
    f.blkio_weight = "300";
    f.cpu_period = "100000";
    f.cpu_quota = "-1";
    f.cpu_share = "512";
    f.cpu_rt_period = "1000000";
    f.cpu_rt_runtime = "950000";
    f.cpuset_cpus = "0-1";
    f.cpuset_mems = "0";
    f.kernel_memory = "10m";
    f.kernel_memory_tcp = "1m";
    f.memory = "100m";
    f.memory_reservation = "50m";
    f.memory_swap = "-1";
    f.pids_limit = "42";
    spec::Resources r = resources_from_flags(f);
    EXPECT_EQ(r.block_io->weight, 300);
    EXPECT_EQ(r.cpu->period, 100000u);
    EXPECT_EQ(r.cpu->quota, -1);
    EXPECT_EQ(r.cpu->shares, 512u);
    EXPECT_EQ(r.cpu->realtime_period, 1000000u);
    EXPECT_EQ(r.cpu->realtime_runtime, 950000);
    EXPECT_EQ(r.cpu->cpus, "0-1");
    EXPECT_EQ(r.cpu->mems, "0");
    EXPECT_EQ(r.memory->kernel, 10 << 20);
    EXPECT_EQ(r.memory->kernel_tcp, 1 << 20);
    EXPECT_EQ(r.memory->limit, 100 << 20);
    EXPECT_EQ(r.memory->reservation, 50 << 20);
    EXPECT_EQ(r.memory->swap, -1);
    EXPECT_EQ(r.pids->limit, 42);
}

TEST(UpdateFlags, NoFlagsAskForNothing) {
    spec::Resources r = resources_from_flags(UpdateFlags{});
    EXPECT_FALSE(r.memory->limit);
    EXPECT_FALSE(r.cpu->shares);
    EXPECT_TRUE(r.cpu->cpus.empty());
    EXPECT_FALSE(r.pids);
    EXPECT_FALSE(r.block_io);
}

TEST(UpdateFlags, ErrorsNameTheFlagAsRuncDoes) {
    UpdateFlags f;
    f.memory = "abc";
    EXPECT_EQ(error_of(f), "invalid value for memory: invalid size: 'abc'");
    f = {};
    f.cpu_period = "-5";
    EXPECT_EQ(error_of(f), "invalid value for cpu-period: parsing \"-5\": invalid syntax");
    f = {};
    f.cpu_quota = "1.5";
    EXPECT_EQ(error_of(f), "invalid value for cpu-quota: parsing \"1.5\": invalid syntax");
    f = {};
    f.pids_limit = "abc";
    EXPECT_EQ(error_of(f), "invalid value \"abc\" for flag -pids-limit: parse error");
    f = {};
    f.blkio_weight = "70000";
    EXPECT_EQ(error_of(f), "invalid value \"70000\" for flag -blkio-weight: out of range");
}

TEST(UpdateFlags, IntelRdt) {
    UpdateFlags none;
    EXPECT_NO_THROW(check_intel_rdt(none, ""));
    UpdateFlags l3;
    l3.l3_cache_schema = "L3:0=f";
    EXPECT_EQ(error_of([&] { check_intel_rdt(l3, ""); }), "Intel RDT/CAT: l3 cache schema is not enabled");
    UpdateFlags mb;
    mb.mem_bw_schema = "MB:0=70";
    EXPECT_EQ(error_of([&] { check_intel_rdt(mb, ""); }), "Intel RDT/MBA: memory bandwidth schema is not enabled");
}

}  // namespace
}  // namespace dkr
