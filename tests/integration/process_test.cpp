// What `run` gives the container process and returns from it: hostname, PID 1,
// stdio passthrough, exit codes (128+N for a signal), and that a foreground
// run removes its container.
#include <signal.h>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class ProcessTest : public ContainerTest {};

TEST_F(ProcessTest, HostnameComesFromConfig) {
  std::string b = make_bundle({"hostname"});
  CmdResult r = run_cmd({"run", "--bundle", b, "host"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "dkrtest\n");

  std::string b2 = make_bundle({"hostname"}, [](rapidjson::Document& d) {
    d["hostname"].SetString("another-name", d.GetAllocator());
  });
  CmdResult r2 = run_cmd({"run", "-b", b2, "host2"});
  ASSERT_TRUE(r2.ok()) << r2;
  EXPECT_EQ(r2.out, "another-name\n");
}

// As runc: an engine's "no network" (podman --network none) means loopback
// only, so a new network namespace comes with lo up.
TEST_F(ProcessTest, LoopbackIsUpInANewNetworkNamespace) {
  std::string b = make_bundle({"sh", "-c", "cat /sys/class/net/lo/flags; ip -o addr show lo | cut -d' ' -f7"});
  CmdResult r = run_cmd({"run", "-b", b, "loopback"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "0x9\n127.0.0.1/8\n::1/128\n") << "IFF_UP|IFF_LOOPBACK and lo's addresses";
}

TEST_F(ProcessTest, ProcessIsPid1) {
  std::string b = make_bundle({"sh", "-c", "echo $$"});
  CmdResult r = run_cmd({"run", "-b", b, "pid1"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(ProcessTest, StdoutPassesThrough) {
  std::string b = make_bundle({"echo", "hello"});
  CmdResult r = run_cmd({"run", "-b", b, "echo"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(ProcessTest, StderrPassesThrough) {
  std::string b = make_bundle({"sh", "-c", "echo oops >&2"});
  CmdResult r = run_cmd({"run", "-b", b, "stderr"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "oops\n");
}

TEST_F(ProcessTest, StdinPassesThrough) {
  std::string b = make_bundle({"cat"});
  std::string input = "line one\nline two\n";
  CmdResult r = run_cmd({"run", "-b", b, "stdin"}, input);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, input);
}

class ExitCodeTest : public ContainerTest, public ::testing::WithParamInterface<int> {};

TEST_P(ExitCodeTest, RunExitsWithProgramStatus) {
  int code = GetParam();
  std::string b = make_bundle({"sh", "-c", "exit " + std::to_string(code)});
  CmdResult r = run_cmd({"run", "-b", b, "exit" + std::to_string(code)});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, code) << r;
  EXPECT_EQ(r.term_signal, 0) << "the runtime itself must exit, not die: " << r;
}

INSTANTIATE_TEST_SUITE_P(Codes, ExitCodeTest, ::testing::Values(0, 1, 3, 42, 255));

TEST_F(ProcessTest, RunExitsWith128PlusSignal) {
  // PID 1 of a namespace cannot kill itself (signals from inside its namespace
  // without a handler are dropped), so the SIGKILL comes from `kill`.
  std::string b = make_bundle({"sleep", "1000"});
  auto run = start_cmd({"run", "-b", b, "victim"});
  ASSERT_TRUE(wait_until([&] { return status("victim") == "running"; }))
      << "the foreground run never showed a running container";
  pid_t pid = state_pid("victim");
  CmdResult k = run_cmd({"kill", "victim", "KILL"});
  ASSERT_TRUE(k.ok()) << k;
  CmdResult r = run->wait();
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
  EXPECT_EQ(r.term_signal, 0) << r;
  EXPECT_TRUE(process_exited(pid));
}

TEST_F(ProcessTest, ForegroundRunRemovesContainer) {
  std::string b = make_bundle({"true"});
  CmdResult r = run_cmd({"run", "-b", b, "transient"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(root_listing().empty()) << "run left its container behind";
  EXPECT_CMD_ERROR(run_cmd({"state", "transient"}), "container does not exist");
  EXPECT_EQ(trim(run_cmd({"list", "-q"}).out), "");
}

TEST_F(ProcessTest, CwdAndEnvironmentFromConfig) {
  std::string b = make_bundle({"sh", "-c", "pwd; echo \"$GREETING\""}, [](rapidjson::Document& d) {
    auto& a = d.GetAllocator();
    d["process"]["cwd"].SetString("/etc", a);
    d["process"]["env"].PushBack(rapidjson::Value("GREETING=hi there", a), a);
  });
  CmdResult r = run_cmd({"run", "-b", b, "cwdenv"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "/etc\nhi there\n");
}

TEST_F(ProcessTest, NoPivotSwitchesRootWithChroot) {
  // With --no-pivot the rootfs is moved over / and entered with chroot: the
  // container still sees only its rootfs (the host's /work is not there).
  std::string b = make_bundle({"sh", "-c", "test -x /bin/busybox && test ! -e /work && hostname"});
  CmdResult r = run_cmd({"run", "--no-pivot", "-b", b, "nopivot"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "dkrtest\n");
}

}  // namespace
}  // namespace dkr_it
