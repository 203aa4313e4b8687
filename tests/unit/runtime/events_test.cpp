// runc's event lines, field for field.
#include "runtime/events.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

namespace dkr {
namespace {

std::string reference(const std::string& name) {
    std::ifstream f(DKR_SOURCE_DIR "/tests/data/runc-reference/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

uint64_t u(const rapidjson::Value& obj, const char* k) { return obj.HasMember(k) ? obj[k].GetUint64() : 0; }

std::vector<uint64_t> list(const rapidjson::Value& obj, const char* k) {
    std::vector<uint64_t> v;
    if (obj.HasMember(k))
        for (const auto& x : obj[k].GetArray()) v.push_back(x.GetUint64());
    return v;
}

cgroup::MemoryEntry entry(const rapidjson::Value& m, const char* k) {
    const auto& e = m[k];
    return {u(e, "limit"), u(e, "usage"), u(e, "max"), u(e, "failcnt")};
}

// The numbers of runc's captured output, read by name: the encoder must put
// them back in runc's order, with runc's omissions.
TEST(Events, StatsMatchRuncsOutputExactly) {
    std::string want = reference("events-stats.json");
    rapidjson::Document d;
    d.Parse(want.c_str());
    ASSERT_FALSE(d.HasParseError());
    const auto& data = d["data"];
    cgroup::Stats s;
    const auto& usage = data["cpu"]["usage"];
    s.cpu.usage.total = u(usage, "total");
    s.cpu.usage.percpu = list(usage, "percpu");
    s.cpu.usage.percpu_kernel = list(usage, "percpu_kernel");
    s.cpu.usage.percpu_user = list(usage, "percpu_user");
    s.cpu.usage.kernel = u(usage, "kernel");
    s.cpu.usage.user = u(usage, "user");
    const auto& cs = data["cpuset"];
    for (uint64_t c : list(cs, "cpus")) s.cpuset.cpus.push_back(static_cast<uint16_t>(c));
    for (uint64_t m : list(cs, "mems")) s.cpuset.mems.push_back(static_cast<uint16_t>(m));
    s.cpuset.sched_load_balance = u(cs, "sched_load_balance");
    s.cpuset.sched_relax_domain_level = cs["sched_relax_domain_level"].GetInt64();
    const auto& mem = data["memory"];
    s.memory.usage = entry(mem, "usage");
    s.memory.swap = entry(mem, "swap");
    s.memory.kernel = entry(mem, "kernel");
    s.memory.kernel_tcp = entry(mem, "kernelTCP");
    for (const auto& m : mem["raw"].GetObject()) s.memory.raw[m.name.GetString()] = m.value.GetUint64();
    s.pids.current = u(data["pids"], "current");
    EXPECT_EQ(stats_event_json("demo", s), want);
}

TEST(Events, StatsWithBlkioHugetlbAndLimits) {
    cgroup::Stats s;
    s.cpu.throttling = {10, 2, 0};
    s.memory.cache = 4096;
    s.pids = {3, 10};
    s.blkio.io_service_bytes_recursive = {{8, 0, "Read", 512}, {8, 0, "Total", 0}};
    s.blkio.sectors_recursive = {{8, 16, "", 7}};
    s.hugetlb["2MB"] = {0, 0, 0};
    s.hugetlb["1GB"] = {1073741824, 1073741824, 1};
    EXPECT_EQ(stats_event_json("c1", s),
              R"({"type":"stats","id":"c1","data":{"cpu":{"usage":{"kernel":0,"user":0},)"
              R"("throttling":{"periods":10,"throttledPeriods":2}},)"
              R"("cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,)"
              R"("memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,)"
              R"("sched_relax_domain_level":0},)"
              R"("memory":{"cache":4096,"usage":{"limit":0,"failcnt":0},"swap":{"limit":0,"failcnt":0},)"
              R"("kernel":{"limit":0,"failcnt":0},"kernelTCP":{"limit":0,"failcnt":0}},)"
              R"("pids":{"current":3,"limit":10},)"
              R"("blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":512},{"major":8,"op":"Total"}],)"
              R"("sectorsRecursive":[{"major":8,"minor":16,"value":7}]},)"
              R"("hugetlb":{"1GB":{"usage":1073741824,"max":1073741824,"failcnt":1},"2MB":{"failcnt":0}},)"
              R"("intel_rdt":{},"network_interfaces":null}})");
}

TEST(Events, Oom) { EXPECT_EQ(oom_event_json("c1"), R"({"type":"oom","id":"c1"})"); }

}  // namespace
}  // namespace dkr
