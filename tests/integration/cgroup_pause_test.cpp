// pause and resume: every process of the container stops and goes on again,
// and state says so. Checked against runc's behaviour and messages.
#include <string>

#include "tests/integration/cgroup_helpers.hpp"

namespace dkr_it {
namespace {

class CgroupPauseTest : public CgroupTest {
 protected:
  // The value of the busy loop's counter in the container's /dev/shm/count.
  long count(pid_t init) { return std::atol(read_file(container_shm(init) + "/count").c_str()); }
};

// A sleeping child, and a busy loop that counts without forking.
const char* kCounter = "sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; done";

TEST_F(CgroupPauseTest, PauseFreezesEveryProcessAndResumeRunsThemAgain) {
  std::string cg = unique_cgroup("pause");
  start_container("pz", {"sh", "-c", kCounter}, with_resources("{}", cg));
  pid_t init = state_pid("pz");
  ASSERT_TRUE(wait_until([&] { return count(init) > 0; })) << "the counter never started";

  CmdResult p = run_cmd({"pause", "pz"});
  ASSERT_TRUE(p.ok()) << p;
  EXPECT_EQ(status("pz"), "paused");
  EXPECT_TRUE(cgroup_frozen(cg));
  auto ps = parse_json(run_cmd({"ps", "--format", "json", "pz"}).out);
  ASSERT_TRUE(ps.IsArray());
  EXPECT_EQ(ps.Size(), 2u) << "the shell and its sleeping child";
  for (auto& pid : ps.GetArray()) {
    char st = process_state(pid.GetInt());
    EXPECT_NE(st, 'R') << "pid " << pid.GetInt() << " runs while paused";
    if (!cgroup_v2_host()) {
      EXPECT_EQ(st, 'D') << "a task frozen by the v1 freezer shows as D";
    }
  }
  // The loop would count thousands in the time these commands take.
  long before = count(init);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(status("pz"), "paused");
  EXPECT_EQ(count(init), before) << "the busy loop went on while paused";

  CmdResult r = run_cmd({"resume", "pz"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(status("pz"), "running");
  EXPECT_FALSE(cgroup_frozen(cg));
  EXPECT_TRUE(wait_until([&] { return count(init) > before; })) << "the loop did not go on after resume";
}

TEST_F(CgroupPauseTest, ErrorsAsRunc) {
  start_container("pe", {"sleep", "1000"});
  EXPECT_CMD_ERROR(run_cmd({"resume", "pe"}), "container not paused");
  ASSERT_TRUE(run_cmd({"pause", "pe"}).ok());
  EXPECT_CMD_ERROR(run_cmd({"pause", "pe"}), "container not running");
  ASSERT_TRUE(run_cmd({"resume", "pe"}).ok());
  EXPECT_CMD_ERROR(run_cmd({"pause", "nosuch"}), "container does not exist");
  EXPECT_CMD_ERROR(run_cmd({"resume", "nosuch"}), "container does not exist");

  start_container("done", {"true"});
  ASSERT_TRUE(wait_status("done", "stopped"));
  EXPECT_CMD_ERROR(run_cmd({"pause", "done"}), "container not running");
  EXPECT_CMD_ERROR(run_cmd({"resume", "done"}), "container not paused");
}

TEST_F(CgroupPauseTest, ACreatedContainerCanBePaused) {
  std::string b = make_bundle({"sleep", "1000"});
  ASSERT_TRUE(run_cmd({"create", "-b", b, "pc"}).ok());
  ASSERT_TRUE(run_cmd({"pause", "pc"}).ok());
  EXPECT_EQ(status("pc"), "paused");
  EXPECT_CMD_ERROR(run_cmd({"start", "pc"}), "cannot start a container in the paused state");
  ASSERT_TRUE(run_cmd({"resume", "pc"}).ok());
  EXPECT_EQ(status("pc"), "created");
  CmdResult s = run_cmd({"start", "pc"});
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(status("pc"), "running");
}

TEST_F(CgroupPauseTest, KillWithSigkillEndsAPausedContainer) {
  start_container("pk", {"sleep", "1000"});
  ASSERT_TRUE(run_cmd({"pause", "pk"}).ok());
  CmdResult k = run_cmd({"kill", "pk", "KILL"});
  EXPECT_TRUE(k.ok()) << k;
  EXPECT_TRUE(wait_status("pk", "stopped"));
}

TEST_F(CgroupPauseTest, DeleteForceRemovesAPausedContainerAndItsCgroup) {
  std::string cg = unique_cgroup("pause-delete");
  start_container("pd", {"sh", "-c", "sleep 1000 & sleep 1000"}, with_resources("{}", cg));
  ASSERT_TRUE(run_cmd({"pause", "pd"}).ok());
  EXPECT_CMD_ERROR(run_cmd({"delete", "pd"}), "");
  CmdResult d = run_cmd({"delete", "--force", "pd"});
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_TRUE(root_entries().empty());
  EXPECT_TRUE(existing_cgroup_dirs(cg).empty());
}

}  // namespace
}  // namespace dkr_it
