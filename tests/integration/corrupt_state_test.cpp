// A state.json that is truncated, corrupt or missing: `state` says so,
// `delete` without --force refuses, and `delete --force` still finds and
// removes everything the container has (processes through its cgroup, the
// cgroup, the state dir). runc 1.1.5 fails this: its delete --force stops
// at the unreadable file and leaves `runc init` and the cgroup behind.
#include <signal.h>

#include <filesystem>
#include <tuple>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

struct Corruption {
  const char* name;
  // The new state.json from the old one; nullopt: the file is removed.
  std::optional<std::string> (*make)(const std::string& old);
};

const Corruption kCorruptions[] = {
    {"garbage", [](const std::string&) -> std::optional<std::string> { return "\x01garbage\xff"; }},
    {"truncated", [](const std::string& old) -> std::optional<std::string> { return old.substr(0, old.size() / 2); }},
    {"empty", [](const std::string&) -> std::optional<std::string> { return ""; }},
    {"wrong_types", [](const std::string&) -> std::optional<std::string> { return R"({"id": 7, "pid": "x"})"; }},
    {"missing", [](const std::string&) -> std::optional<std::string> { return std::nullopt; }},
};

class CorruptStateTest : public ContainerTest,
                         public ::testing::WithParamInterface<std::tuple<Corruption, bool>> {
 protected:
  const Corruption& corruption() const { return std::get<0>(GetParam()); }
  bool started() const { return std::get<1>(GetParam()); }
};

TEST_P(CorruptStateTest, StateReportsItAndDeleteForceRemovesEverything) {
  const std::string id = "corrupt";
  std::string b = make_bundle({"sleep", "1000"});
  Snapshot before = snapshot();
  CmdResult c = run_cmd({"create", "--bundle", b, id});
  ASSERT_TRUE(c.ok()) << c;
  if (started()) {
    CmdResult s = run_cmd({"start", id});
    ASSERT_TRUE(s.ok()) << s;
  }
  pid_t pid = state_pid(id);
  ASSERT_GT(pid, 0);
  std::string file = root() + "/" + id + "/state.json";
  std::string old = read_file(file);
  ASSERT_FALSE(old.empty()) << file;
  if (auto text = corruption().make(old)) {
    write_file(file, *text);
  } else {
    fs::remove(file);
  }

  CmdResult st = run_cmd({"state", id});
  EXPECT_CMD_ERROR(st, "");
  if (is_dkr()) {
    EXPECT_TRUE(contains(st.message(), file + ": corrupt state")) << st;
  }
  CmdResult d = run_cmd({"delete", id});
  EXPECT_CMD_ERROR(d, is_dkr() ? file + ": corrupt state" : "");
  EXPECT_FALSE(process_exited(pid)) << "a failed delete must leave the container alone";

  CmdResult f = run_cmd({"delete", "--force", id});
  EXPECT_TRUE(f.ok()) << f;
  EXPECT_TRUE(wait_until([&] { return process_exited(pid); })) << "the container process survived delete --force";
  CmdResult gone = run_cmd({"state", id});
  EXPECT_CMD_ERROR(gone, is_dkr() ? "container does not exist" : "");
  expect_unchanged(before, std::string("delete --force of a container with a ") + corruption().name + " state.json");
}

std::string corruption_name(const ::testing::TestParamInfo<CorruptStateTest::ParamType>& info) {
  return std::string(std::get<0>(info.param).name) + (std::get<1>(info.param) ? "_running" : "_created");
}

INSTANTIATE_TEST_SUITE_P(Files, CorruptStateTest,
                         ::testing::Combine(::testing::ValuesIn(kCorruptions), ::testing::Bool()), corruption_name);

class CorruptListTest : public ContainerTest {};

// `list` names a container whose state it cannot read, and lists the others.
TEST_F(CorruptListTest, WarnsAboutCorruptStateAndListsTheRest) {
  start_container("good", {"sleep", "1000"});
  start_container("bad", {"sleep", "1000"});
  write_file(root() + "/bad/state.json", "{");
  CmdResult l = run_cmd({"list", "-q"});
  ASSERT_TRUE(l.ok()) << l;
  EXPECT_EQ(l.out, "good\n");
  if (is_dkr()) {
    EXPECT_TRUE(contains(l.message(), "bad/state.json: corrupt state")) << l;
  }
}

}  // namespace
}  // namespace dkr_it
