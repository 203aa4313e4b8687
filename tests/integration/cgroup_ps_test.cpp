// ps: the container's processes, as a table from ps(1) or as JSON pids.
#include <algorithm>
#include <set>
#include <string>

#include "tests/integration/cgroup_helpers.hpp"

namespace dkr_it {
namespace {

class CgroupPsTest : public CgroupTest {
 protected:
  std::set<long> json_pids(const std::string& id) {
    CmdResult r = run_cmd({"ps", "--format", "json", id});
    EXPECT_TRUE(r.ok()) << r;
    auto d = parse_json(r.out);
    std::set<long> out;
    EXPECT_TRUE(d.IsArray()) << r;
    if (d.IsArray())
      for (auto& p : d.GetArray()) out.insert(p.GetInt64());
    return out;
  }
  // Runs `sh -c "sleep 1000 & sleep 1000"` and waits for both sleeps: start
  // returns once sh runs, the background one comes a moment later.
  std::set<long> start_two_sleeps(const std::string& id) {
    start_container(id, {"sh", "-c", "sleep 1000 & sleep 1000"});
    std::set<long> pids;
    wait_until([&] { return (pids = json_pids(id)).size() == 2; });
    return pids;
  }
};

// The PID column (the second of `ps -ef`) of the rows after the header.
std::set<long> table_pids(const CmdResult& r) {
  std::set<long> out;
  auto lines = split_lines(r.out);
  for (size_t i = 1; i < lines.size(); ++i)
    if (!lines[i].empty()) out.insert(std::atol(split_ws(lines[i]).at(1).c_str()));
  return out;
}

TEST_F(CgroupPsTest, TableAndJsonListTheContainersProcesses) {
  std::set<long> pids = start_two_sleeps("ps1");
  ASSERT_EQ(pids.size(), 2u) << "the shell's child and the exec'd sleep";
  EXPECT_TRUE(pids.count(state_pid("ps1")));

  CmdResult t = run_cmd({"ps", "ps1"});
  ASSERT_TRUE(t.ok()) << t;
  auto lines = split_lines(t.out);
  ASSERT_GE(lines.size(), 3u) << t;
  std::string want_header = split_lines(read_file(reference_path("ps-table.txt"))).at(0);
  EXPECT_EQ(lines[0], want_header) << "ps -ef's header, as runc prints it";
  EXPECT_EQ(table_pids(t), pids) << t;
  for (size_t i = 1; i < lines.size(); ++i)
    if (!lines[i].empty()) {
      EXPECT_TRUE(contains(lines[i], "sleep 1000")) << lines[i];
    }

  CmdResult f = run_cmd({"ps", "-f", "json", "ps1"});
  EXPECT_EQ(parse_json(f.out).Size(), 2u) << f;
}

TEST_F(CgroupPsTest, ArgumentsAfterTheIdGoToPs) {
  ASSERT_EQ(start_two_sleeps("ps2").size(), 2u);
  CmdResult r = run_cmd({"ps", "ps2", "-o", "pid,comm"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = split_lines(r.out);
  EXPECT_EQ(split_ws(lines.at(0)), (std::vector<std::string>{"PID", "COMMAND"})) << r;
  std::set<long> pids;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto f = split_ws(lines[i]);
    EXPECT_EQ(f.at(1), "sleep") << lines[i];
    pids.insert(std::atol(f.at(0).c_str()));
  }
  EXPECT_EQ(pids, json_pids("ps2"));
  if (is_dkr()) {  // runc hands "--" to ps, which rejects it
    CmdResult dash = run_cmd({"ps", "ps2", "--", "-o", "pid"});
    EXPECT_TRUE(dash.ok()) << dash;
    EXPECT_EQ(split_lines(dash.out).size(), 3u) << dash;
  }
  // ps's own failure comes back as runc reports it.
  CmdResult bad = run_cmd({"ps", "ps2", "--no-such-ps-option"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_TRUE(contains(bad.message(), "exit status 1: ")) << bad;
}

TEST_F(CgroupPsTest, ErrorsAndAStoppedContainer) {
  start_container("ps3", {"true"});
  ASSERT_TRUE(wait_status("ps3", "stopped"));
  CmdResult r = run_cmd({"ps", "--format", "json", "ps3"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "null\n") << "no process: Go's encoding of an empty list";
  EXPECT_CMD_ERROR(run_cmd({"ps", "--format", "yaml", "ps3"}), "invalid format option");
  EXPECT_CMD_ERROR(run_cmd({"ps", "nosuch"}), "container does not exist");
}

}  // namespace
}  // namespace dkr_it
