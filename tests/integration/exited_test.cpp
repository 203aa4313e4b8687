// Containers whose process is gone before the runtime is asked about it: the
// program exited on its own, or the init was killed from outside between
// create and start. The runtime reports them stopped, refuses to signal the
// init or start them (kill --all signals what is left in the cgroup, if
// anything, as runc), and deletes them without --force, leaving nothing behind.
#include <signal.h>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class ExitedTest : public ContainerTest {
 protected:
  void expect_stopped_everywhere(const std::string& id) {
    ASSERT_TRUE(wait_status(id, "stopped"));
    EXPECT_EQ(int_field(state(id), "pid"), 0);
    CmdResult l = run_cmd({"list", "--format", "json"});
    ASSERT_TRUE(l.ok()) << l;
    auto all = parse_json(l.out);
    ASSERT_TRUE(all.IsArray() && all.Size() == 1) << l;
    EXPECT_EQ(str_field(all[0], "status"), "stopped");
  }
  void expect_not_running(const std::string& id) {
    EXPECT_CMD_ERROR(run_cmd({"kill", id, "KILL"}), "container not running");
    CmdResult all = run_cmd({"kill", "--all", id, "KILL"});
    EXPECT_TRUE(all.ok()) << all;
  }
  void expect_deleted(const std::string& id, const Snapshot& before) {
    CmdResult d = run_cmd({"delete", id});
    EXPECT_TRUE(d.ok()) << d;
    // Gone: delete says so, delete --force has nothing left to do (as runc).
    EXPECT_CMD_ERROR(run_cmd({"delete", id}), "container does not exist");
    CmdResult again = run_cmd({"delete", "--force", id});
    EXPECT_TRUE(again.ok()) << again;
    expect_unchanged(before, "delete of " + id);
  }
};

TEST_F(ExitedTest, KillAndDeleteOfContainerWhoseProcessExited) {
  std::string b = make_bundle({"true"});
  Snapshot before = snapshot();
  ASSERT_TRUE(run_cmd({"create", "--bundle", b, "exited"}).ok());
  ASSERT_TRUE(run_cmd({"start", "exited"}).ok());
  expect_stopped_everywhere("exited");
  expect_not_running("exited");
  expect_deleted("exited", before);
}

TEST_F(ExitedTest, InitKilledFromOutsideBetweenCreateAndStart) {
  std::string b = make_bundle({"sleep", "1000"});
  Snapshot before = snapshot();
  CmdResult c = run_cmd({"create", "--bundle", b, "shot"});
  ASSERT_TRUE(c.ok()) << c;
  pid_t pid = state_pid("shot");
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  expect_stopped_everywhere("shot");
  EXPECT_CMD_ERROR(run_cmd({"start", "shot"}), "stopped");
  expect_not_running("shot");
  expect_deleted("shot", before);
}

}  // namespace
}  // namespace dkr_it
