// The container lifecycle: create -> created -> start -> running -> stopped ->
// delete, the state each step reports, and the commands each state refuses.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

class LifecycleTest : public ContainerTest {};

const std::vector<std::string> kSleep = {"sleep", "1000"};

TEST_F(LifecycleTest, CreateStartKillDelete) {
  std::string b = make_bundle(kSleep);
  CmdResult c = run_cmd({"create", "--bundle", b, "life"});
  ASSERT_TRUE(c.ok()) << c;
  EXPECT_EQ(root_entries(), std::vector<std::string>{"life"});

  auto st = state("life");
  ASSERT_TRUE(st.IsObject());
  EXPECT_EQ(str_field(st, "status"), "created");
  pid_t pid = int_field(st, "pid");
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(process_exited(pid)) << "the init of a created container must be alive";
  EXPECT_NE(process_cmdline(pid), kSleep) << "created, but the user's program already runs";

  CmdResult s = run_cmd({"start", "life"});
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(status("life"), "running");
  EXPECT_EQ(state_pid("life"), pid) << "start must run the program in the created init";
  EXPECT_TRUE(wait_until([&] { return process_cmdline(pid) == kSleep; }))
      << "the init never exec'd the user's program";

  CmdResult k = run_cmd({"kill", "life", "KILL"});
  ASSERT_TRUE(k.ok()) << k;
  ASSERT_TRUE(wait_status("life", "stopped"));
  EXPECT_TRUE(process_exited(pid));
  auto stopped = state("life");
  EXPECT_EQ(int_field(stopped, "pid"), 0) << "a stopped container reports pid 0";

  CmdResult d = run_cmd({"delete", "life"});
  ASSERT_TRUE(d.ok()) << d;
  CmdResult gone = run_cmd({"state", "life"});
  EXPECT_CMD_ERROR(gone, "container does not exist");
  EXPECT_FALSE(fs::exists(root() + "/life"));
  EXPECT_TRUE(root_listing().empty());
}

// state prints runc's shape: pretty JSON (2-space indent), runc's field order.
TEST_F(LifecycleTest, StateReportsRuncFields) {
  std::string b = make_bundle(kSleep);
  auto before = std::chrono::system_clock::now();
  CmdResult c = run_cmd({"create", "-b", b, "fields"});
  ASSERT_TRUE(c.ok()) << c;
  auto after = std::chrono::system_clock::now();

  CmdResult r = run_cmd({"state", "fields"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(r.err.empty()) << r;
  auto st = parse_json(r.out);
  ASSERT_FALSE(st.HasParseError()) << r;
  ASSERT_TRUE(st.IsObject()) << r;
  EXPECT_EQ(trim(r.out), pretty_json(st)) << "state must be JSON with a 2-space indent";
  EXPECT_EQ(keys_of(st), (std::vector<std::string>{"ociVersion", "id", "pid", "status", "bundle", "rootfs",
                                                   "created", "owner"}))
      << r << "(no annotations member without annotations)";
  EXPECT_EQ(str_field(st, "ociVersion"), "1.0.2-dev");
  EXPECT_EQ(str_field(st, "id"), "fields");
  EXPECT_GT(int_field(st, "pid"), 0);
  EXPECT_EQ(str_field(st, "status"), "created");
  EXPECT_EQ(str_field(st, "bundle"), b);
  EXPECT_EQ(str_field(st, "rootfs"), rootfs_path());
  EXPECT_EQ(str_field(st, "owner"), "");
  std::string created = str_field(st, "created");
  auto t = parse_rfc3339_utc(created);
  ASSERT_TRUE(t.has_value()) << "created is not RFC 3339 UTC with a fraction: " << created;
  EXPECT_NE(created.find('.'), std::string::npos) << "created has no nanoseconds: " << created;
  EXPECT_GE(*t, before - std::chrono::seconds(2)) << created;
  EXPECT_LE(*t, after + std::chrono::seconds(2)) << created;

  // created does not change with the status.
  ASSERT_TRUE(run_cmd({"start", "fields"}).ok());
  auto running = state("fields");
  EXPECT_EQ(str_field(running, "status"), "running");
  EXPECT_EQ(str_field(running, "created"), created);
}

TEST_F(LifecycleTest, StateShowsAnnotations) {
  std::string b = make_bundle(kSleep, [](rapidjson::Document& d) {
    auto& a = d.GetAllocator();
    rapidjson::Value ann(rapidjson::kObjectType);
    ann.AddMember("org.example.key", "value", a);
    ann.AddMember("org.example.other", "two words", a);
    d.AddMember("annotations", ann, a);
  });
  CmdResult c = run_cmd({"create", "--bundle", b, "annotated"});
  ASSERT_TRUE(c.ok()) << c;
  auto st = state("annotated");
  ASSERT_TRUE(st.IsObject());
  ASSERT_TRUE(st.HasMember("annotations")) << to_json(st);
  const rapidjson::Value& ann = st["annotations"];
  EXPECT_EQ(str_field(ann, "org.example.key"), "value");
  EXPECT_EQ(str_field(ann, "org.example.other"), "two words");
}

TEST_F(LifecycleTest, StoppedStateAfterProgramExits) {
  start_container("quick", {"sh", "-c", "exit 0"});
  ASSERT_TRUE(wait_status("quick", "stopped"));
  auto st = state("quick");
  EXPECT_EQ(int_field(st, "pid"), 0);
  EXPECT_EQ(str_field(st, "id"), "quick");
}

TEST_F(LifecycleTest, CreateWithoutBundleUsesWorkingDirectory) {
  std::string b = make_bundle(kSleep);
  RunOptions o;
  o.cwd = b;
  CmdResult c = run_cmd({"create", "cwd-bundle"}, "", o);
  ASSERT_TRUE(c.ok()) << c;
  auto st = state("cwd-bundle");
  EXPECT_EQ(str_field(st, "bundle"), b);
  EXPECT_EQ(str_field(st, "status"), "created");
}

TEST_F(LifecycleTest, PidFileHoldsInitPid) {
  std::string b = make_bundle(kSleep);
  std::string pf = test_dir() + "/create.pid";
  CmdResult c = run_cmd({"create", "--bundle", b, "--pid-file", pf, "pidf"});
  ASSERT_TRUE(c.ok()) << c;
  ASSERT_TRUE(fs::exists(pf)) << "no pid file written";
  pid_t pid = state_pid("pidf");
  EXPECT_GT(pid, 0);
  EXPECT_EQ(trim(read_file(pf)), std::to_string(pid));

  std::string pf2 = test_dir() + "/run.pid";
  CmdResult r = run_cmd({"run", "-d", "-b", b, "--pid-file", pf2, "pidf2"});
  ASSERT_TRUE(r.ok()) << r;
  ASSERT_TRUE(fs::exists(pf2)) << "run -d wrote no pid file";
  EXPECT_EQ(trim(read_file(pf2)), std::to_string(state_pid("pidf2")));
}

TEST_F(LifecycleTest, RunDetachReturnsOnceStarted) {
  std::string b = make_bundle(kSleep);
  CmdResult r = run_cmd({"run", "--detach", "--bundle", b, "detached"});
  ASSERT_TRUE(r.ok()) << r;
  auto st = state("detached");
  EXPECT_EQ(str_field(st, "status"), "running") << "run -d returned before the container ran";
  pid_t pid = int_field(st, "pid");
  EXPECT_FALSE(process_exited(pid));
  EXPECT_TRUE(wait_until([&] { return process_cmdline(pid) == kSleep; }));
}

TEST_F(LifecycleTest, DeleteOfCreatedContainerRemovesIt) {
  std::string b = make_bundle(kSleep);
  ASSERT_TRUE(run_cmd({"create", "--bundle", b, "never-started"}).ok());
  pid_t pid = state_pid("never-started");
  ASSERT_GT(pid, 0);
  CmdResult d = run_cmd({"delete", "never-started"});
  ASSERT_TRUE(d.ok()) << d;
  EXPECT_TRUE(wait_until([&] { return process_exited(pid); })) << "the created init survived delete";
  EXPECT_TRUE(root_listing().empty());
  EXPECT_CMD_ERROR(run_cmd({"state", "never-started"}), "container does not exist");
}

TEST_F(LifecycleTest, StartTwiceFails) {
  start_container("twice", kSleep);
  ASSERT_EQ(status("twice"), "running");
  CmdResult again = run_cmd({"start", "twice"});
  EXPECT_CMD_ERROR(again, "cannot start an already running container");
  EXPECT_EQ(status("twice"), "running");
}

TEST_F(LifecycleTest, StartOfStoppedContainerFails) {
  start_container("done", {"true"});
  ASSERT_TRUE(wait_status("done", "stopped"));
  CmdResult again = run_cmd({"start", "done"});
  EXPECT_CMD_ERROR(again, "cannot start a container that has stopped");
  EXPECT_EQ(status("done"), "stopped");
}

TEST_F(LifecycleTest, DeleteRunningNeedsForce) {
  start_container("busy", kSleep);
  pid_t pid = state_pid("busy");
  ASSERT_GT(pid, 0);

  CmdResult d = run_cmd({"delete", "busy"});
  EXPECT_CMD_ERROR(d, "cannot delete container busy that is not stopped: running");
  EXPECT_EQ(status("busy"), "running") << "a refused delete must leave the container running";
  EXPECT_FALSE(process_exited(pid));

  CmdResult f = run_cmd({"delete", "--force", "busy"});
  ASSERT_TRUE(f.ok()) << f;
  EXPECT_TRUE(wait_until([&] { return process_exited(pid); })) << "delete --force left the init running";
  EXPECT_TRUE(root_listing().empty());
  EXPECT_CMD_ERROR(run_cmd({"state", "busy"}), "container does not exist");
}

TEST_F(LifecycleTest, DeleteForceShortFlag) {
  start_container("busy-f", kSleep);
  pid_t pid = state_pid("busy-f");
  CmdResult f = run_cmd({"delete", "-f", "busy-f"});
  ASSERT_TRUE(f.ok()) << f;
  EXPECT_TRUE(wait_until([&] { return process_exited(pid); }));
  EXPECT_TRUE(root_listing().empty());
}

TEST_F(LifecycleTest, KillOfStoppedContainerFails) {
  start_container("dead", {"true"});
  ASSERT_TRUE(wait_status("dead", "stopped"));
  CmdResult k = run_cmd({"kill", "dead", "KILL"});
  EXPECT_CMD_ERROR(k, "container not running");
  // A stopped container is deleted without --force.
  CmdResult d = run_cmd({"delete", "dead"});
  EXPECT_TRUE(d.ok()) << d;
  EXPECT_TRUE(root_listing().empty());
}

TEST_F(LifecycleTest, RootLayoutIsOneDirectoryPerContainer) {
  // runc-reference/root-layout.txt: --root/ID/state.json.
  start_container("layout", kSleep);
  EXPECT_EQ(root_entries(), std::vector<std::string>{"layout"});
  if (is_dkr()) {  // dkr keeps runc's file name
    EXPECT_TRUE(fs::exists(root() + "/layout/state.json"));
  }
}

}  // namespace
}  // namespace dkr_it
