// linux.resources checked by their effect inside the container, and `update`
// changing them on a running one. The same bundles under runc where it is
// installed give the same results.
#include <string>

#include "tests/integration/cgroup_helpers.hpp"

namespace dkr_it {
namespace {

class CgroupLimitsTest : public CgroupTest {};

// Prints the pids limit as the container sees it, then forks sleepers from a
// subshell until fork fails (the subshell then exits), and counts what is
// left with builtins only: no fork is needed once the limit is reached.
const char* kForkLoop =
    "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; "
    "( while :; do sleep 100 & done ) 2>/dev/null; set -- /proc/[0-9]*; echo procs=$#";

// Waits for /dev/shm/go, which the test makes from the host, then shows the
// limits from inside and runs the fork loop.
const std::string kAfterGo =
    std::string("while [ ! -e /dev/shm/go ]; do sleep 0.05; done; ") +
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; " + kForkLoop;

std::string memory_limit_file(const std::string& cgroup) {
  return cgroup_v2_host() ? cgroup_dir("memory", cgroup) + "/memory.max"
                          : cgroup_dir("memory", cgroup) + "/memory.limit_in_bytes";
}

TEST_F(CgroupLimitsTest, MemoryLimitEndsInAnOomKillThatRunReports) {
  // dd's 64 MiB buffer does not fit in 32 MiB (swap included).
  std::vector<std::string> dd = {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"};
  std::string limited = make_bundle(dd, with_resources(R"({"memory": {"limit": 33554432, "swap": 33554432}})"));
  CmdResult r = run_cmd({"run", "-b", limited, "oom"});
  EXPECT_EQ(r.exit_code, 137) << "an OOM kill is SIGKILL: 128+9, as runc reports it" << r;
  if (!find_runc().empty()) {
    CmdResult want = run_runc({"run", "-b", limited, "oom-runc"});
    EXPECT_EQ(want.exit_code, 137) << want;
  }
  // The same program without the limit succeeds: the limit made the difference.
  CmdResult free = run_cmd({"run", "-b", make_bundle(dd), "nooom"});
  EXPECT_EQ(free.exit_code, 0) << free;
}

TEST_F(CgroupLimitsTest, PidsLimitStopsAForkLoopAtTheLimit) {
  std::string b = make_bundle({"sh", "-c", kForkLoop}, with_cgroup_mount(with_resources(R"({"pids": {"limit": 7}})")));
  CmdResult r = run_cmd({"run", "-b", b, "forks"});
  EXPECT_EQ(r.exit_code, 0) << r;
  // 7 = the shell + the subshell + 5 sleepers; then the subshell is gone.
  EXPECT_EQ(r.out, "7\nprocs=6\n") << r;
  if (!find_runc().empty()) {
    CmdResult want = run_runc({"run", "-b", b, "forks-runc"});
    EXPECT_EQ(want.out, r.out) << "runc:" << want;
  }
}

TEST_F(CgroupLimitsTest, UpdateChangesTheLimitsOfARunningContainer) {
  std::string cg = unique_cgroup("update");
  std::string b = make_bundle(
      {"sh", "-c", kAfterGo},
      with_cgroup_mount(with_resources(R"({"memory": {"limit": 67108864, "swap": 67108864}, "pids": {"limit": 50}})", cg)));
  auto run = start_cmd({"run", "-b", b, "upd"});
  ASSERT_TRUE(wait_status("upd", "running"));
  pid_t init = state_pid("upd");
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "50");

  CmdResult u = run_cmd({"update", "--pids-limit", "5", "--memory", "32m", "--memory-swap", "32m", "upd"});
  EXPECT_TRUE(u.ok()) << u;
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "5");
  EXPECT_EQ(trim(read_file(memory_limit_file(cg))), "33554432");
  EXPECT_EQ(status("upd"), "running");

  write_file(container_shm(init) + "/go", "");
  CmdResult r = run->wait();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "33554432\n5\nprocs=4\n") << "the new limits, seen from inside and by their effect" << r;
}

TEST_F(CgroupLimitsTest, UpdateFromAResourcesFileOrStdin) {
  std::string cg = unique_cgroup("update-r");
  start_container("updr", {"sleep", "1000"}, with_resources(R"({"pids": {"limit": 50}})", cg));
  std::string file = test_dir() + "/resources.json";
  write_file(file, R"({"pids": {"limit": 9}, "memory": {"limit": 50331648}})");
  CmdResult u = run_cmd({"update", "-r", file, "updr"});
  EXPECT_TRUE(u.ok()) << u;
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "9");
  EXPECT_EQ(trim(read_file(memory_limit_file(cg))), "50331648");

  u = run_cmd({"update", "--resources", "-", "updr"}, R"({"pids": {"limit": 11}})");
  EXPECT_TRUE(u.ok()) << u;
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "11");
  EXPECT_EQ(trim(read_file(memory_limit_file(cg))), "50331648") << "what the input does not name stays";

  // A wrong type: one line naming the input and where, and nothing changes.
  write_file(file, R"({"pids": {"limit": "12"}})");
  u = run_cmd({"update", "-r", file, "updr"});
  EXPECT_CMD_ERROR(u, is_dkr() ? file + ": /pids/limit: expected type integer, found string" : "");
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "11");
}

TEST_F(CgroupLimitsTest, UpdateOfCpuLimits) {
  std::string cg = unique_cgroup("update-cpu");
  start_container("updcpu", {"sleep", "1000"}, with_resources("{}", cg));
  CmdResult u = run_cmd(
      {"update", "--cpu-share", "512", "--cpu-period", "200000", "--cpu-quota", "50000", "--cpuset-cpus", "0", "updcpu"});
  ASSERT_TRUE(u.ok()) << u;
  if (cgroup_v2_host()) {
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.max")), "50000 200000");
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.weight")), "20");
  } else {
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.shares")), "512");
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.cfs_period_us")), "200000");
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.cfs_quota_us")), "50000");
  }
  EXPECT_EQ(trim(read_file(cgroup_dir("cpuset", cg) + "/cpuset.cpus")), "0");
  // The quota alone: the period stays.
  u = run_cmd({"update", "--cpu-quota", "30000", "updcpu"});
  ASSERT_TRUE(u.ok()) << u;
  if (cgroup_v2_host()) {
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.max")), "30000 200000");
  } else {
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.cfs_period_us")), "200000");
    EXPECT_EQ(trim(read_file(cgroup_dir("cpu", cg) + "/cpu.cfs_quota_us")), "30000");
  }
}

TEST_F(CgroupLimitsTest, UpdateWithBadValuesFailsAndChangesNothing) {
  std::string cg = unique_cgroup("update-bad");
  start_container("updbad", {"sleep", "1000"}, with_resources(R"({"pids": {"limit": 50}})", cg));
  EXPECT_CMD_ERROR(run_cmd({"update", "--memory", "lots", "--pids-limit", "7", "updbad"}),
                   "invalid value for memory: invalid size: 'lots'");
  CmdResult shares = run_cmd({"update", "--cpu-share", "1", "--pids-limit", "7", "updbad"});
  if (is_dkr()) {
    EXPECT_CMD_ERROR(shares, "the minimum allowed cpu-shares is 2");
  } else {  // runc also warns that its rollback failed
    EXPECT_EQ(shares.exit_code, 1) << shares;
    EXPECT_TRUE(contains(shares.message(), "the minimum allowed cpu-shares is 2")) << shares;
  }
  EXPECT_EQ(trim(read_file(cgroup_dir("pids", cg) + "/pids.max")), "50");
  EXPECT_CMD_ERROR(run_cmd({"update", "--pids-limit", "7", "nosuch"}), "container does not exist");
  if (cgroup_v2_host()) return;  // v2 meets a memory.max below the usage with an OOM kill, not an error
  // v1 refuses a memory limit below the usage, after the cpuset was written:
  // dkr puts the cpuset back (runc re-applies its config, which has none).
  std::string cpus = trim(read_file(cgroup_dir("cpuset", cg) + "/cpuset.cpus"));
  CmdResult busy = run_cmd({"update", "--cpuset-cpus", "0", "--memory", "1", "updbad"});
  EXPECT_EQ(busy.exit_code, 1) << busy;
  EXPECT_TRUE(contains(busy.message(), "current usage")) << busy;
  if (is_dkr()) {
    EXPECT_EQ(trim(read_file(cgroup_dir("cpuset", cg) + "/cpuset.cpus")), cpus);
  }
  EXPECT_EQ(status("updbad"), "running");
}

TEST_F(CgroupLimitsTest, UpdateOfAStoppedContainerFails) {
  start_container("updstop", {"true"});
  ASSERT_TRUE(wait_status("updstop", "stopped"));
  EXPECT_CMD_ERROR(run_cmd({"update", "--pids-limit", "7", "updstop"}), "container not running");
}

}  // namespace
}  // namespace dkr_it
