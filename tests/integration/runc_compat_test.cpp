// The same bundle under runc and under the runtime being tested gives the
// same stdout and exit code.
#include <sys/stat.h>

#include <iostream>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class RuncCompatTest : public ContainerTest {};

TEST_F(RuncCompatTest, SameOutputAndExitCodeAsRunc) {
  std::string runc = find_runc();
  if (runc.empty()) {
    std::cout << "[  SKIPPED ] runc is not installed: nothing to compare with\n";
    GTEST_SKIP() << "runc is not installed";
  }
  std::string b =
      make_bundle({"sh", "-c", "hostname; echo pid=$$; echo cwd=$(pwd); echo args=\"$0\"; exit 5"});

  // runc, with its own --root.
  std::string runc_root = test_dir() + "/runc-root";
  ASSERT_EQ(mkdir(runc_root.c_str(), 0700), 0);
  RunOptions o;
  o.with_root = false;
  Command rc({runc, "--root", runc_root, "run", "-b", b, "cmp"}, "", o);
  CmdResult want = rc.wait();
  ASSERT_FALSE(want.timed_out);
  EXPECT_EQ(want.exit_code, 5) << want;
  EXPECT_EQ(want.out, "dkrtest\npid=1\ncwd=/\nargs=sh\n") << want;
  Command cleanup({runc, "--root", runc_root, "delete", "--force", "cmp"}, "", o);
  cleanup.wait();

  // The runtime under test.
  CmdResult got = run_cmd({"run", "-b", b, "cmp"});
  EXPECT_EQ(got.exit_code, want.exit_code) << "runc:" << want << "under test:" << got;
  EXPECT_EQ(got.out, want.out) << "runc:" << want << "under test:" << got;
  EXPECT_EQ(got.err, want.err);
}

}  // namespace
}  // namespace dkr_it
