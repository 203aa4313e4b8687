// events: --stats reports what the container really uses, in runc's shape;
// the stream reports OOM kills and ends with the container's cgroup.
#include <string>

#include "tests/integration/cgroup_helpers.hpp"

namespace dkr_it {
namespace {

class CgroupEventsTest : public CgroupTest {
 protected:
  // `events --stats ID` parsed; a null document after a failure.
  rapidjson::Document stats(const std::string& id, CmdResult* out = nullptr) {
    CmdResult r = run_cmd({"events", "--stats", id});
    if (out) *out = r;
    if (!r.ok()) return rapidjson::Document();
    return parse_json(r.out);
  }
};

uint64_t u64(const rapidjson::Value& v, const char* a, const char* b, const char* c = nullptr) {
  if (!v.IsObject() || !v.HasMember(a) || !v[a].HasMember(b)) return 0;
  const rapidjson::Value& x = c ? v[a][b][c] : v[a][b];
  return x.IsUint64() ? x.GetUint64() : 0;
}

TEST_F(CgroupEventsTest, StatsReportTheContainersRealMemoryUse) {
  // dd fills a 32 MiB buffer, then blocks writing it to a pipe that sleep
  // never reads: the memory stays in use.
  const uint64_t size = 32 << 20, limit = 256 << 20;
  std::string cg = unique_cgroup("stats");
  start_container("st", {"sh", "-c", "dd if=/dev/zero bs=32M count=1 | sleep 1000"},
                  with_resources(R"({"memory": {"limit": 268435456}, "pids": {"limit": 20}})", cg));
  rapidjson::Document ev;
  CmdResult last;
  uint64_t usage = 0;
  EXPECT_TRUE(wait_until([&] {
    ev = stats("st", &last);
    usage = ev.IsObject() ? u64(ev["data"], "memory", "usage", "usage") : 0;
    return usage >= size && u64(ev["data"], "pids", "current") == 3;
  })) << "memory usage " << usage << " never reached " << size << ", or not 3 processes (sh, dd, sleep)" << last;
  ASSERT_TRUE(ev.IsObject()) << last;
  EXPECT_LT(usage, size + (32 << 20)) << "usage far above what the container holds";
  EXPECT_EQ(str_field(ev, "type"), "stats");
  EXPECT_EQ(str_field(ev, "id"), "st");
  const auto& data = ev["data"];
  EXPECT_EQ(u64(data, "memory", "usage", "limit"), limit);
  EXPECT_EQ(u64(data, "pids", "limit"), 20u);
  EXPECT_GT(u64(data, "cpu", "usage", "total"), 0u);
  EXPECT_EQ(std::count(last.out.begin(), last.out.end(), '\n'), 1) << "one line";

  // Paused, the numbers are still there.
  ASSERT_TRUE(run_cmd({"pause", "st"}).ok());
  EXPECT_GE(u64(stats("st")["data"], "memory", "usage", "usage"), size);
}

TEST_F(CgroupEventsTest, StatsHaveRuncsShape) {
  auto ref = parse_json(read_file(reference_path("events-stats.json")));
  ASSERT_TRUE(ref.IsObject());
  start_container("shape", {"sleep", "1000"});
  CmdResult out;
  auto ev = stats("shape", &out);
  ASSERT_TRUE(ev.IsObject()) << out;
  EXPECT_EQ(keys_of(ev), keys_of(ref));
  EXPECT_EQ(keys_of(ev["data"]), keys_of(ref["data"]));
  EXPECT_EQ(keys_of(ev["data"]["memory"]["kernelTCP"]), keys_of(ref["data"]["memory"]["kernelTCP"]));
  EXPECT_TRUE(ev["data"]["network_interfaces"].IsNull());
  if (cgroup_v2_host()) return;  // runc 1.1 reports no cpuset on v2; the reference is from v1
  EXPECT_EQ(keys_of(ev["data"]["cpuset"]), keys_of(ref["data"]["cpuset"]));
  if (find_runc().empty()) return;
  // runc on the same bundle: the same fields (values differ, and runc leaves
  // out the ones that are zero, so compare only those that are never left out).
  ASSERT_TRUE(run_runc({"run", "-d", "-b", make_bundle({"sleep", "1000"}), "shape-runc"}).ok());
  auto want = parse_json(run_runc({"events", "--stats", "shape-runc"}).out);
  ASSERT_TRUE(want.IsObject());
  EXPECT_EQ(keys_of(ev["data"]), keys_of(want["data"]));
  EXPECT_EQ(keys_of(ev["data"]["cpuset"]), keys_of(want["data"]["cpuset"]));
  EXPECT_EQ(keys_of(ev["data"]["memory"]["raw"]), keys_of(want["data"]["memory"]["raw"]));
}

TEST_F(CgroupEventsTest, TheStreamReportsAnOomKillAndEndsWithTheCgroup) {
  // Waits for the test's go, then allocates more than the limit; the OOM
  // kill takes dd, and the shell goes on sleeping.
  std::string script =
      "while [ ! -e /dev/shm/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000";
  start_container("oomev", {"sh", "-c", script},
                  with_resources(R"({"memory": {"limit": 33554432, "swap": 33554432}})"));
  pid_t init = state_pid("oomev");
  auto events = start_cmd({"events", "--interval", "100ms", "oomev"});
  // The first stats line comes once the OOM watch is in place.
  ASSERT_TRUE(wait_until([&] { return contains(events->out_so_far(), "\"type\":\"stats\""); }))
      << "no stats line: " << events->out_so_far();
  write_file(container_shm(init) + "/go", "");
  EXPECT_TRUE(wait_until([&] { return contains(events->out_so_far(), R"({"type":"oom","id":"oomev"})"); }))
      << events->out_so_far();
  EXPECT_TRUE(run_cmd({"delete", "--force", "oomev"}).ok());
  CmdResult r = events->wait();
  EXPECT_EQ(r.exit_code, 0) << r;
  for (auto& line : split_lines(r.out)) {
    if (line.empty()) continue;
    auto d = parse_json(line);
    ASSERT_TRUE(d.IsObject()) << line;
    EXPECT_TRUE(str_field(d, "type") == "stats" || str_field(d, "type") == "oom") << line;
  }
}

TEST_F(CgroupEventsTest, ErrorsAsRunc) {
  start_container("evdone", {"true"});
  ASSERT_TRUE(wait_status("evdone", "stopped"));
  EXPECT_CMD_ERROR(run_cmd({"events", "--stats", "evdone"}), "container with id evdone is not running");
  EXPECT_CMD_ERROR(run_cmd({"events", "evdone"}), "container with id evdone is not running");
  EXPECT_CMD_ERROR(run_cmd({"events", "--stats", "nosuch"}), "container does not exist");
  start_container("evrun", {"sleep", "1000"});
  EXPECT_CMD_ERROR(run_cmd({"events", "--interval", "0s", "evrun"}), "duration interval must be greater than 0");
}

}  // namespace
}  // namespace dkr_it
