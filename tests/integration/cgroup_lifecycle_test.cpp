// The container's cgroup through its life: kill --all reaches every process
// in it, delete removes it, a failed create leaves none, and the systemd
// driver is refused cleanly.
#include <string>

#include "tests/integration/cgroup_helpers.hpp"

namespace dkr_it {
namespace {

class CgroupLifecycleTest : public CgroupTest {};

TEST_F(CgroupLifecycleTest, KillAllReachesEveryProcess) {
  std::string cg = unique_cgroup("killall");
  // A child, and a grandchild orphaned to the init by its exiting parent.
  start_container("ka", {"sh", "-c", "sleep 1000 & (sleep 1000 &); sleep 1000"}, with_resources("{}", cg));
  std::vector<pid_t> pids;
  ASSERT_TRUE(wait_until([&] {
    pids.clear();
    auto d = parse_json(run_cmd({"ps", "--format", "json", "ka"}).out);
    if (d.IsArray())
      for (auto& p : d.GetArray()) pids.push_back(p.GetInt());
    return pids.size() == 3;
  })) << pids.size() << " processes";
  CmdResult k = run_cmd({"kill", "--all", "ka", "KILL"});
  EXPECT_TRUE(k.ok()) << k;
  for (pid_t p : pids) EXPECT_TRUE(wait_until([&] { return process_exited(p); })) << "pid " << p << " survived";
  EXPECT_TRUE(wait_status("ka", "stopped"));
  EXPECT_TRUE(wait_until([&] { return trim(read_file(cgroup_dir("pids", cg) + "/cgroup.procs")).empty(); }));
}

TEST_F(CgroupLifecycleTest, DeleteRemovesTheCgroupFromEveryHierarchy) {
  std::string cg = unique_cgroup("delete");
  start_container("del", {"sleep", "1000"}, with_resources(R"({"pids": {"limit": 10}})", cg));
  for (const char* c : {"memory", "pids", "freezer", "cpu"}) {
    if (cgroup_dir(c, cg).empty()) continue;  // not mounted here
    EXPECT_FALSE(read_file(cgroup_dir(c, cg) + "/cgroup.procs").empty()) << c << ": the init is not in " << cg;
  }
  ASSERT_TRUE(run_cmd({"kill", "del", "KILL"}).ok());
  ASSERT_TRUE(wait_status("del", "stopped"));
  EXPECT_FALSE(existing_cgroup_dirs(cg).empty()) << "a stopped container keeps its cgroup until delete";
  CmdResult d = run_cmd({"delete", "del"});
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_EQ(existing_cgroup_dirs(cg), std::vector<std::string>{});

  std::string cg2 = unique_cgroup("delete-force");
  start_container("delf", {"sh", "-c", "sleep 1000 & sleep 1000"}, with_resources("{}", cg2));
  d = run_cmd({"delete", "--force", "delf"});
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_EQ(existing_cgroup_dirs(cg2), std::vector<std::string>{});
}

TEST_F(CgroupLifecycleTest, AFailedCreateLeavesNoCgroup) {
  std::string bad_value = unique_cgroup("bad-value");
  std::string b = make_bundle({"sleep", "1000"}, with_resources(R"({"cpu": {"shares": 1}})", bad_value));
  // The program is missing: create fails later, after the cgroup was made and joined.
  std::string late = unique_cgroup("bad-exec");
  std::string b2 = make_bundle({"/no/such/program"}, with_resources(R"({"pids": {"limit": 10}})", late));
  Snapshot before = snapshot();
  EXPECT_CMD_ERROR(run_cmd({"create", "-b", b, "badval"}), "the minimum allowed cpu-shares is 2");
  EXPECT_EQ(existing_cgroup_dirs(bad_value), std::vector<std::string>{});
  EXPECT_EQ(run_cmd({"create", "-b", b2, "badexec"}).exit_code, 1);
  EXPECT_EQ(existing_cgroup_dirs(late), std::vector<std::string>{});
  expect_unchanged(before, "failed creates");
}

TEST_F(CgroupLifecycleTest, TheSystemdDriverIsRefusedCleanly) {
  if (!is_dkr()) GTEST_SKIP() << "dkr's own refusal: runc has a systemd driver";
  std::string b = make_bundle({"true"});
  std::string b2 = make_bundle({"true"}, [](rapidjson::Document& d) {
    d["linux"].AddMember("cgroupsPath", "system.slice:dkr:sd2", d.GetAllocator());
  });
  Snapshot before = snapshot();
  EXPECT_CMD_ERROR(run_cmd({"--systemd-cgroup", "run", "-b", b, "sd"}), "systemd cgroup driver is not supported");
  EXPECT_CMD_ERROR(run_cmd({"create", "-b", b2, "sd2"}), "systemd cgroup driver is not supported");
  EXPECT_TRUE(root_entries().empty());
  expect_unchanged(before, "refused systemd driver");
}

}  // namespace
}  // namespace dkr_it
