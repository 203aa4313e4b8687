// Bad input: each is refused with exit status 1 and one line on stderr, and
// leaves nothing behind: --root and the bundles as they were,
// /proc/self/mountinfo unchanged, no process.
//
// Where runc words the error differently from dkr's contract, the message is
// checked only for dkr (is_dkr()); the behaviour is checked for every runtime.
#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class ErrorTest : public ContainerTest {
 protected:
  // `create` of bundle as id fails and changes nothing; returns the result.
  CmdResult create_fails(const std::string& bundle, const std::string& id, const std::string& what) {
    auto before = snapshot();
    CmdResult r = run_cmd({"create", "--bundle", bundle, id});
    EXPECT_CMD_ERROR(r, "");
    expect_unchanged(before, what + " (create)");
    return r;
  }
  // The same with `run`.
  CmdResult run_fails(const std::string& bundle, const std::string& id, const std::string& what) {
    auto before = snapshot();
    CmdResult r = run_cmd({"run", "--bundle", bundle, id});
    EXPECT_CMD_ERROR(r, "");
    expect_unchanged(before, what + " (run)");
    return r;
  }
};

TEST_F(ErrorTest, MissingConfigJson) {
  std::string b = make_raw_bundle(std::nullopt);
  CmdResult r = create_fails(b, "noconf", "missing config.json");
  EXPECT_TRUE(contains(r.message(), "config.json")) << r;
  CmdResult r2 = run_fails(b, "noconf", "missing config.json");
  EXPECT_TRUE(contains(r2.message(), "config.json")) << r2;
}

TEST_F(ErrorTest, MissingBundleDirectory) {
  create_fails(test_dir() + "/no-such-bundle", "nobundle", "missing bundle directory");
}

TEST_F(ErrorTest, MalformedJson) {
  std::string b = make_raw_bundle(std::string("{\"ociVersion\": \"1.0.2-dev\", \"process\": {"));
  CmdResult r = create_fails(b, "malformed", "malformed config.json");
  if (is_dkr()) {  // dkr names the file (runc says only "unexpected EOF")
    EXPECT_TRUE(contains(r.message(), b + "/config.json")) << r;
  }
}

TEST_F(ErrorTest, ArgsNotAnArray) {
  std::string b = make_bundle(
      {"sh"}, [](rapidjson::Document& d) { d["process"]["args"].SetString("sh", d.GetAllocator()); });
  CmdResult r = create_fails(b, "argsobj", "process.args not an array");
  EXPECT_TRUE(contains(r.message(), "args")) << r;
  if (is_dkr()) {  // dkr: "<path>/config.json: <JSON pointer>: ..."
    EXPECT_TRUE(contains(r.message(), b + "/config.json: /process/args")) << r;
  }
}

TEST_F(ErrorTest, EmptyArgs) {
  std::string b = make_bundle({});
  CmdResult r = create_fails(b, "noargs", "empty process.args");
  EXPECT_TRUE(contains(r.message(), "args")) << r;
  if (is_dkr()) {
    EXPECT_TRUE(contains(r.message(), b + "/config.json: /process/args")) << r;
  }
  run_fails(b, "noargs", "empty process.args");
}

TEST_F(ErrorTest, RelativeCwd) {
  std::string b = make_bundle(
      {"true"}, [](rapidjson::Document& d) { d["process"]["cwd"].SetString("tmp", d.GetAllocator()); });
  CmdResult r = create_fails(b, "relcwd", "relative process.cwd");
  EXPECT_TRUE(icontains(r.message(), "cwd")) << r;
  if (is_dkr()) {
    EXPECT_TRUE(contains(r.message(), b + "/config.json: /process/cwd")) << r;
  }
}

TEST_F(ErrorTest, MissingRootfs) {
  std::string missing = test_dir() + "/no-such-rootfs";
  std::string b = make_bundle({"true"}, [&](rapidjson::Document& d) {
    d["root"]["path"].SetString(missing.c_str(), d.GetAllocator());
  });
  CmdResult r = create_fails(b, "norootfs", "missing rootfs");
  EXPECT_TRUE(contains(r.message(), missing)) << "the error must name the rootfs:" << r;
  run_fails(b, "norootfs", "missing rootfs");
}

TEST_F(ErrorTest, ProgramNotFound) {
  std::string b = make_bundle({"nosuchprog"});
  const std::string msg = "exec: \"nosuchprog\": executable file not found in $PATH";
  CmdResult r = create_fails(b, "noprog", "program not in the rootfs");
  EXPECT_TRUE(contains(r.message(), msg)) << r;
  CmdResult r2 = run_fails(b, "noprog", "program not in the rootfs");
  EXPECT_TRUE(contains(r2.message(), msg)) << r2;
}

TEST_F(ErrorTest, ExistingId) {
  std::string b = make_bundle({"sleep", "1000"});
  ASSERT_TRUE(run_cmd({"create", "--bundle", b, "dup"}).ok());
  auto first = state("dup");
  ASSERT_TRUE(first.IsObject());
  std::string b2 = make_bundle({"sleep", "2000"});
  CmdResult r = create_fails(b2, "dup", "existing id");
  EXPECT_TRUE(icontains(r.message(), "exist")) << r;
  if (is_dkr()) {  // runc: "container with given ID already exists"
    EXPECT_TRUE(contains(r.message(), "container with id exists: dup")) << r;
  }
  run_fails(b2, "dup", "existing id");
  // The first container is untouched.
  auto now = state("dup");
  EXPECT_EQ(to_json(now), to_json(first));
  EXPECT_FALSE(process_exited(int_field(now, "pid")));
}

class BadIdTest : public ErrorTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(BadIdTest, MalformedIdRejected) {
  std::string id = GetParam();
  std::string b = make_bundle({"true"});
  CmdResult r = create_fails(b, id, "malformed id \"" + id + "\"");
  if (!id.empty()) {
    // runc: "invalid container ID format"; dkr adds the id.
    EXPECT_TRUE(icontains(r.message(), "invalid container id format")) << r;
    if (is_dkr()) {
      EXPECT_TRUE(contains(r.message(), "invalid container id format: " + id)) << r;
    }
  }
  run_fails(b, id, "malformed id \"" + id + "\"");
}

INSTANTIATE_TEST_SUITE_P(Ids, BadIdTest,
                         ::testing::Values("a/b", "..", ".", "../escape", "a b", "x:y", "/abs", ""),
                         [](const auto& info) { return "Case" + std::to_string(info.index); });

TEST_F(ErrorTest, CommandsOnUnknownId) {
  for (auto args : std::vector<std::vector<std::string>>{{"state", "nosuch"},
                                                         {"start", "nosuch"},
                                                         {"kill", "nosuch"},
                                                         {"kill", "nosuch", "KILL"},
                                                         {"delete", "nosuch"}}) {
    auto before = snapshot();
    CmdResult r = run_cmd(args);
    EXPECT_CMD_ERROR(r, "container does not exist");
    expect_unchanged(before, args[0] + " of an unknown id");
  }
}

TEST_F(ErrorTest, DeleteRunningWithoutForce) {
  start_container("running", {"sleep", "1000"});
  pid_t pid = state_pid("running");
  auto before = snapshot();
  CmdResult r = run_cmd({"delete", "running"});
  EXPECT_CMD_ERROR(r, "cannot delete container running that is not stopped: running");
  expect_unchanged(before, "delete of a running container without --force");
  EXPECT_EQ(status("running"), "running");
  EXPECT_FALSE(process_exited(pid));
}

TEST_F(ErrorTest, StartOfRunningAndStopped) {
  start_container("once", {"sleep", "1000"});
  auto before = snapshot();
  EXPECT_CMD_ERROR(run_cmd({"start", "once"}), "cannot start an already running container");
  expect_unchanged(before, "start of a running container");

  start_container("stops", {"true"});
  ASSERT_TRUE(wait_status("stops", "stopped"));
  before = snapshot();
  EXPECT_CMD_ERROR(run_cmd({"start", "stops"}), "cannot start a container that has stopped");
  expect_unchanged(before, "start of a stopped container");
}

TEST_F(ErrorTest, UnknownSignal) {
  start_container("sig", {"sleep", "1000"});
  auto before = snapshot();
  EXPECT_CMD_ERROR(run_cmd({"kill", "sig", "NOTASIGNAL"}), "unknown signal \"NOTASIGNAL\"");
  expect_unchanged(before, "kill with an unknown signal");
  EXPECT_EQ(status("sig"), "running");
}

}  // namespace
}  // namespace dkr_it
