// `kill ID [SIGNAL] [--all|-a]`: signal names and numbers reach the container
// process; unknown names are refused and harm nothing.
#include <signal.h>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

// PID 1 of a pid namespace only receives (non-KILL) signals it has a handler
// for, so the program traps TERM and exits 7 on it.
const std::vector<std::string> kTrapTerm = {"sh", "-c", "trap 'exit 7' TERM; sleep 1000 & wait"};

class SignalTest : public ContainerTest {};

class TermSignalTest : public ContainerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(TermSignalTest, DeliversTerm) {
  std::string sig = GetParam();
  std::string b = make_bundle(kTrapTerm);
  auto run = start_cmd({"run", "-b", b, "term"});
  ASSERT_TRUE(wait_until([&] { return status("term") == "running"; }));
  pid_t pid = state_pid("term");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return (caught_signals(pid) & (1ull << (SIGTERM - 1))) != 0; }))
      << "the shell never trapped TERM";
  std::vector<std::string> args = {"kill", "term"};
  if (!sig.empty()) args.push_back(sig);
  CmdResult k = run_cmd(args);
  ASSERT_TRUE(k.ok()) << k;
  CmdResult r = run->wait();
  EXPECT_EQ(r.exit_code, 7) << "TERM (as \"" << sig << "\") did not reach the trap:" << r;
}

INSTANTIATE_TEST_SUITE_P(Names, TermSignalTest, ::testing::Values("TERM", "SIGTERM", "15", ""),
                         [](const auto& info) {
                           return info.param.empty() ? std::string("Default") : "Sig" + info.param;
                         });

class KillSignalTest : public ContainerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(KillSignalTest, DeliversKill) {
  std::string b = make_bundle({"sleep", "1000"});
  auto run = start_cmd({"run", "-b", b, "kill"});
  ASSERT_TRUE(wait_until([&] { return status("kill") == "running"; }));
  CmdResult k = run_cmd({"kill", "kill", GetParam()});
  ASSERT_TRUE(k.ok()) << k;
  CmdResult r = run->wait();
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
}

INSTANTIATE_TEST_SUITE_P(Names, KillSignalTest, ::testing::Values("KILL", "SIGKILL", "9"),
                         [](const auto& info) { return "Sig" + info.param; });

TEST_F(SignalTest, KillAllStopsContainer) {
  for (std::string flag : {"--all", "-a"}) {
    std::string id = "all" + flag;
    start_container(id, {"sleep", "1000"});
    pid_t pid = state_pid(id);
    CmdResult k = run_cmd({"kill", flag, id, "KILL"});
    ASSERT_TRUE(k.ok()) << k;
    EXPECT_TRUE(wait_status(id, "stopped"));
    EXPECT_TRUE(process_exited(pid));
  }
}

TEST_F(SignalTest, UnknownSignalIsRejected) {
  start_container("sig", {"sleep", "1000"});
  pid_t pid = state_pid("sig");
  auto before = snapshot();
  CmdResult k = run_cmd({"kill", "sig", "FOO"});
  EXPECT_CMD_ERROR(k, "unknown signal \"FOO\"");
  expect_unchanged(before, "kill with an unknown signal");
  EXPECT_EQ(status("sig"), "running");
  EXPECT_FALSE(process_exited(pid));
}

}  // namespace
}  // namespace dkr_it
