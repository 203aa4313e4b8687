// Smoke tests of tools/bench (dkr-bench), so that it does not rot: a short
// run whose JSON must parse and hold every figure, and the comparison
// exercise. Its timings are never asserted.
#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class BenchTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (!is_dkr()) GTEST_SKIP() << "dkr-bench is dkr's tool: nothing to check against another runtime";
  }

  // The runtimes to compare: dkr, and runc and crun where installed.
  std::vector<std::string> runtime_args() const {
    std::vector<std::string> args = {"-r", "dkr=" + runtime_path()};
    if (!find_crun().empty()) args.insert(args.end(), {"-r", "crun"});
    if (!find_runc().empty()) args.insert(args.end(), {"-r", "runc"});
    return args;
  }

  CmdResult bench(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {DKR_BENCH, "--rootfs", rootfs_path(), "--work", test_dir() + "/bench", "-q"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions opts;
    opts.timeout = 600s;
    return Command(argv, "", opts).wait();
  }

  // Nothing is left mounted or running once the tool is done.
  void expect_nothing_left(const Snapshot& before) {
    EXPECT_EQ(mount_snapshot(), before.mounts);
    EXPECT_TRUE(wait_until([&] { return test_processes() == before.procs; }, 10s))
        << test_processes().size() << " processes left behind";
  }
};

TEST_F(BenchTest, ShortRunPrintsEveryFigureAsJson) {
  Snapshot before = snapshot();
  std::vector<std::string> args = runtime_args();
  args.insert(args.end(), {"-n", "2", "--many", "3", "--json"});
  CmdResult r = bench(args);
  ASSERT_TRUE(r.ok()) << r;
  rapidjson::Document doc = parse_json(r.out);
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_EQ(str_field(doc, "reference"), "dkr");
  EXPECT_EQ(int_field(doc, "iterations"), 2);
  ASSERT_TRUE(doc.HasMember("runtimes") && doc["runtimes"].IsArray());
  std::vector<std::string> names;
  for (const auto& rt : doc["runtimes"].GetArray()) names.push_back(str_field(rt, "name"));
  EXPECT_EQ(names.size(), runtime_args().size() / 2);

  ASSERT_TRUE(doc.HasMember("figures") && doc["figures"].IsObject());
  const auto& figures = doc["figures"];
  for (const char* key : {"run", "run_seccomp", "create", "start", "wait", "start_wait", "delete", "state_1",
                          "list_1", "state_many", "list_many", "rss_peak", "rss_create", "rss_init", "rss_run"}) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(figures.HasMember(key));
    for (const auto& name : names) {
      ASSERT_TRUE(figures[key].HasMember(name.c_str())) << name;
      const auto& cell = figures[key][name.c_str()];
      EXPECT_EQ(str_field(cell, "missing"), "") << name;
      // rss_peak is the largest of the RSS figures; rss_state and rss_list count both state/list phases.
      EXPECT_GE(int_field(cell, "n"), 2) << name;
      ASSERT_TRUE(cell.HasMember("median") && cell["median"].IsNumber()) << name;
      EXPECT_GT(cell["median"].GetDouble(), 0) << name;
    }
  }
  // The floors are in the run figure beside the runtimes.
  EXPECT_TRUE(figures["run"].HasMember("clone+chroot"));
  // exec: measured, or n/a with the reason (dkr before it has an exec command).
  ASSERT_TRUE(figures["exec"].HasMember("dkr"));
  const auto& exec = figures["exec"]["dkr"];
  EXPECT_TRUE(int_field(exec, "n") == 2 || str_field(exec, "missing").rfind("n/a", 0) == 0) << to_json(exec);

  ASSERT_TRUE(doc.HasMember("targets") && doc["targets"].IsArray());
  EXPECT_GE(doc["targets"].Size(), 10u);
  for (const auto& t : doc["targets"].GetArray()) {
    std::string result = str_field(t, "result");
    EXPECT_TRUE(result == "pass" || result == "fail" || result == "n/a") << to_json(t);
  }
  expect_nothing_left(before);
}

TEST_F(BenchTest, TableNamesEachRuntimeAndTheFloor) {
  CmdResult r = bench({"-r", "dkr=" + runtime_path(), "-n", "1", "--many", "2", "--no-seccomp"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "run /bin/true, delete included")) << r.out;
  EXPECT_TRUE(contains(r.out, "clone+chroot")) << r.out;
  EXPECT_TRUE(contains(r.out, "targets for dkr:")) << r.out;
  EXPECT_TRUE(contains(r.out, "peak RSS <= 2 MiB")) << r.out;
}

TEST_F(BenchTest, CompareFindsNothingBetweenDkrAndItself) {
  Snapshot before = snapshot();
  CmdResult r = bench({"--compare", "--json", "-r", "dkr=" + runtime_path(), "-r", "again=" + runtime_path()});
  ASSERT_TRUE(r.ok()) << r;
  rapidjson::Document doc = parse_json(r.out);
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  ASSERT_TRUE(doc.HasMember("aspects") && doc["aspects"].IsArray());
  std::vector<std::string> aspects;
  for (const auto& a : doc["aspects"].GetArray()) {
    aspects.push_back(str_field(a, "name"));
    // Container ids and namespace inodes are normalized away: the rest is equal.
    EXPECT_TRUE(a["same"].GetBool()) << to_json(a);
    EXPECT_GT(a["seen"]["dkr"].Size(), 0u) << to_json(a);
  }
  EXPECT_EQ(aspects, (std::vector<std::string>{"hostname", "ids", "capabilities", "no_new_privs", "seccomp",
                                               "namespaces", "mounts", "cgroups", "cgroup limits", "rlimits",
                                               "environment", "cwd and umask"}));
  expect_nothing_left(before);
}

TEST_F(BenchTest, CompareShowsWhatDiffersFromRunc) {
  if (find_runc().empty()) GTEST_SKIP() << "runc is not installed";
  CmdResult r = bench({"--compare", "-r", "dkr=" + runtime_path(), "-r", "runc"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "== hostname (the same under all)")) << r.out;
  EXPECT_TRUE(contains(r.out, "== capabilities (the same under all)")) << r.out;
  EXPECT_TRUE(contains(r.out, "== namespaces (the same under all)")) << r.out;
}

}  // namespace
}  // namespace dkr_it
