// dkr failing (DKR_FAULT=STEP:fail) or dying (STEP:kill) at each named step
// of create, the container init, start and delete, in a build with
// -DDKR_FAULT_INJECTION=ON. Whatever the step, `state` and `list` tell the
// truth afterwards, and the failing command itself or a `delete --force`
// leaves no process, mount, cgroup or state directory behind.
#include <signal.h>

#include <iostream>
#include <tuple>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

// Which command the step is in, and so what a failure there leaves.
enum class Phase {
  Create,       // in `create`, before the init reported Ready
  Init,         // in the init, while `create` waits for it
  InitCreated,  // in the init, after `create` returned
  Start,
  Delete,
};

struct Step {
  const char* name;
  Phase phase;
};

const Step kSteps[] = {
    {"create-after-state", Phase::Create},   {"create-after-cgroup", Phase::Create},
    {"create-after-fifo", Phase::Create},    {"create-after-clone", Phase::Create},
    {"create-after-ready", Phase::Create},   {"create-after-pid", Phase::Create},
    {"init-after-clone", Phase::Init},       {"init-after-mounts", Phase::Init},
    {"init-before-ready", Phase::Init},      {"init-before-fifo", Phase::InitCreated},
    {"start-before-open", Phase::Start},     {"start-after-release", Phase::Start},
    {"delete-after-kill", Phase::Delete},    {"delete-after-cgroup", Phase::Delete},
};

class FaultTest : public ContainerTest, public ::testing::WithParamInterface<std::tuple<Step, const char*>> {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (!is_dkr()) GTEST_SKIP() << "DKR_FAULT is dkr's own: this needs dkr built with DKR_FAULT_INJECTION";
  }

  const Step& step() const { return std::get<0>(GetParam()); }
  bool kill() const { return std::string(std::get<1>(GetParam())) == "kill"; }

  // run_cmd with DKR_FAULT set for this test's step and action.
  CmdResult run_faulty(const std::vector<std::string>& args) {
    RunOptions o;
    o.env = {std::string("DKR_FAULT=") + step().name + ":" + std::get<1>(GetParam())};
    return run_cmd(args, "", o);
  }

  // The command met the fault: killed by SIGKILL, or failed naming the step.
  void expect_faulted(const CmdResult& r) {
    if (kill()) {
      EXPECT_EQ(r.term_signal, SIGKILL) << r;
    } else {
      EXPECT_CMD_ERROR(r, std::string("fault injected at ") + step().name);
    }
  }

  // `state` and `list` agree on the status (and a stopped container has pid 0).
  void expect_reported(const std::string& id, const std::string& want) {
    auto st = state(id);
    ASSERT_TRUE(st.IsObject());
    EXPECT_EQ(str_field(st, "status"), want);
    if (want == "stopped") {
      EXPECT_EQ(int_field(st, "pid"), 0);
    }
    CmdResult l = run_cmd({"list", "--format", "json"});
    ASSERT_TRUE(l.ok()) << l;
    auto all = parse_json(l.out);
    ASSERT_TRUE(all.IsArray()) << l;
    ASSERT_EQ(all.Size(), 1u) << l;
    EXPECT_EQ(str_field(all[0], "id"), id);
    EXPECT_EQ(str_field(all[0], "status"), want);
  }

  // `state` reports stopped once the init is gone (it may still be on its way out).
  void expect_stopped(const std::string& id) {
    EXPECT_TRUE(wait_status(id, "stopped")) << "status: " << status(id);
    expect_reported(id, "stopped");
  }

  void expect_running_program(const std::string& id) {
    expect_reported(id, "running");
    EXPECT_EQ(process_cmdline(state_pid(id)), (std::vector<std::string>{"sleep", "1000"}));
  }

  // Runs args without a fault; false (and the command in the log) if it failed.
  bool succeeds(const std::vector<std::string>& args) {
    CmdResult r = run_cmd(args);
    if (!r.ok()) std::cerr << r;
    return r.ok();
  }

  void delete_force(const std::string& id) { EXPECT_TRUE(succeeds({"delete", "--force", id})); }
};

TEST_P(FaultTest, LeavesNothingBehindAndStateTellsTheTruth) {
  const std::string id = "fault";
  std::string b = make_bundle({"sleep", "1000"});
  Snapshot before = snapshot();
  switch (step().phase) {
    case Phase::Create: {
      CmdResult c = run_faulty({"create", "--bundle", b, id});
      expect_faulted(c);
      if (kill()) {
        expect_stopped(id);
        delete_force(id);
      }
      break;
    }
    case Phase::Init: {
      CmdResult c = run_faulty({"create", "--bundle", b, id});
      EXPECT_CMD_ERROR(c, kill() ? "container init exited during setup"
                                 : std::string("fault injected at ") + step().name);
      break;
    }
    case Phase::InitCreated: {
      CmdResult c = run_faulty({"create", "--bundle", b, id});
      ASSERT_TRUE(c.ok()) << c;
      expect_stopped(id);
      delete_force(id);
      break;
    }
    case Phase::Start: {
      ASSERT_TRUE(succeeds({"create", "--bundle", b, id}));
      expect_faulted(run_faulty({"start", id}));
      if (std::string(step().name) == "start-before-open") {
        // The init was not released: the container is still created, and startable.
        expect_reported(id, "created");
        EXPECT_TRUE(succeeds({"start", id}));
      }
      expect_running_program(id);
      delete_force(id);
      break;
    }
    case Phase::Delete: {
      ASSERT_TRUE(succeeds({"create", "--bundle", b, id}));
      ASSERT_TRUE(succeeds({"start", id}));
      expect_faulted(run_faulty({"delete", "--force", id}));
      // Its processes were killed before the step.
      expect_stopped(id);
      delete_force(id);
      break;
    }
  }
  CmdResult s = run_cmd({"state", id});
  EXPECT_CMD_ERROR(s, is_dkr() ? "container does not exist" : "");
  expect_unchanged(before, step().name);
}

std::string test_name(const ::testing::TestParamInfo<FaultTest::ParamType>& info) {
  std::string name = std::string(std::get<0>(info.param).name) + "_" + std::get<1>(info.param);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Steps, FaultTest, ::testing::Combine(::testing::ValuesIn(kSteps), ::testing::Values("fail", "kill")),
                         test_name);

}  // namespace
}  // namespace dkr_it
