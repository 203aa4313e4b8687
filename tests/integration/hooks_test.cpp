// OCI hooks: each kind runs once, in the spec's order, in the spec's
// namespace, with the container's state on stdin and its own args and env.
// A failing prestart/createRuntime/createContainer hook fails create and
// leaves nothing but what poststop did; a failing startContainer hook stops
// the container; poststart and poststop failures are only warnings.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kKinds = {"prestart",       "createRuntime", "createContainer",
                                         "startContainer", "poststart",     "poststop"};

// A directory of hook scripts and what they record, outside the test dir
// (so that snapshots of the test dir do not see the records), bind-mounted
// at the same path into containers: startContainer runs in the container.
class HookDir {
 public:
  HookDir() {
    char tmpl[] = "/tmp/dkr-it-hooks-XXXXXX";
    if (!mkdtemp(tmpl)) ADD_FAILURE() << "mkdtemp: " << strerror(errno);
    path_ = tmpl;
    chmod(path_.c_str(), 0777);
    // Records its kind, namespaces and working directory, its stdin and its environment.
    script("record.sh",
           "d=" + path_ + "\n"
           "cat > \"$d/$1.state\"\n"
           "env > \"$d/$1.env\"\n"
           "echo \"$1 $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $(pwd)\" >> \"$d/log\"\n");
    script("fail.sh", "echo \"out $1\"; echo \"err $1\" >&2; exit 3\n");
    script("slow.sh", "echo $$ > " + path_ + "/slow.pid; exec sleep 100000\n");
  }
  ~HookDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string read(const std::string& name) const { return read_file(file(name)); }
  // The log's lines, split into fields.
  std::vector<std::vector<std::string>> log() const {
    std::vector<std::vector<std::string>> out;
    for (auto& line : split_lines(read("log"))) out.push_back(split_ws(line));
    return out;
  }
  std::vector<std::string> kinds_run() const {
    std::vector<std::string> out;
    for (auto& f : log()) out.push_back(f.at(0));
    return out;
  }

  // config.json's hooks: `record.sh KIND` for each kind, with KIND's script
  // replaced where `scripts` says, plus the bind mount of this dir.
  ConfigEdit config(const std::map<std::string, std::string>& scripts = {},
                    const std::map<std::string, int>& timeouts = {}) const {
    return [this, scripts, timeouts](rapidjson::Document& d) {
      std::string hooks = "{";
      for (auto& kind : kKinds) {
        auto s = scripts.find(kind);
        std::string name = s == scripts.end() ? "record.sh" : s->second;
        std::string timeout = timeouts.count(kind) ? ", \"timeout\": " + std::to_string(timeouts.at(kind)) : "";
        hooks += (hooks.size() > 1 ? ", \"" : "\"") + kind + "\": [{\"path\": \"" + file(name) + "\", \"args\": [\"" +
                 name + "\", \"" + kind + "\"], \"env\": [\"HOOK_ENV=" + kind + "\"]" + timeout + "}]";
      }
      set_json(d, "/hooks", hooks + "}");
      set_json(d, "/mounts/-",
               R"({"destination": ")" + path_ + R"(", "type": "bind", "source": ")" + path_ +
                   R"(", "options": ["rbind", "rw"]})");
      set_json(d, "/annotations", R"({"org.example.key": "value"})");
    };
  }

 private:
  void script(const std::string& name, const std::string& body) {
    write_file(file(name), "#!/bin/sh\n" + body);
    chmod(file(name).c_str(), 0755);
  }
  std::string path_;
};

std::string ns_link(const std::string& pid, const char* type) {
  char buf[128] = {};
  ssize_t n = readlink(("/proc/" + pid + "/ns/" + type).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, size_t(n)) : "";
}

class HooksTest : public ContainerTest {};

TEST_F(HooksTest, EachKindRunsOnceInOrderWithItsStateAndNamespace) {
  HookDir h;
  std::string b = make_bundle({"sleep", "100000"}, h.config());
  ASSERT_TRUE(run_cmd({"create", "-b", b, "hooked"}).ok());
  pid_t pid = state_pid("hooked");
  if (is_dkr()) {  // runc 1.1 runs poststart at create, against the spec
    EXPECT_EQ(h.kinds_run(), (std::vector<std::string>{"prestart", "createRuntime", "createContainer"}))
        << "after create: " << h.read("log");
  }
  ASSERT_TRUE(run_cmd({"start", "hooked"}).ok());
  ASSERT_TRUE(wait_until([&] { return h.kinds_run().size() >= 5; })) << h.read("log");
  std::string ct_mnt = ns_link(std::to_string(pid), "mnt"), ct_pid = ns_link(std::to_string(pid), "pid");
  ASSERT_TRUE(run_cmd({"kill", "hooked", "KILL"}).ok());
  ASSERT_TRUE(wait_status("hooked", "stopped"));
  ASSERT_TRUE(run_cmd({"delete", "hooked"}).ok());

  std::vector<std::string> order = h.kinds_run();
  // runc 1.1 runs poststart before startContainer.
  if (!is_dkr() && order.size() == 6 && order[3] == "poststart") std::swap(order[3], order[4]);
  EXPECT_EQ(order, kKinds) << h.read("log");

  std::string host_mnt = ns_link("self", "mnt"), host_pid = ns_link("self", "pid");
  // As runc's: create's hooks run in the bundle, start's and delete's where
  // the runtime was started (runc 1.1 runs poststart at create, in the bundle).
  std::string our_cwd = fs::current_path().string();
  const std::map<std::string, std::string> cwd = {
      {"prestart", b},           {"createRuntime", b},     {"createContainer", rootfs_path()},
      {"startContainer", "/"},   {"poststart", is_dkr() ? our_cwd : b}, {"poststop", our_cwd}};
  ASSERT_NE(host_mnt, ct_mnt);
  const std::map<std::string, std::string> status = {
      {"prestart", "creating"}, {"createRuntime", "creating"}, {"createContainer", "creating"},
      {"startContainer", "created"}, {"poststart", is_dkr() ? "running" : "created"}, {"poststop", "stopped"}};
  for (auto& line : h.log()) {
    const std::string& kind = line.at(0);
    SCOPED_TRACE(kind);
    ASSERT_EQ(line.size(), 4u);
    bool in_container = kind == "createContainer" || kind == "startContainer";
    EXPECT_EQ(line[1], in_container ? ct_mnt : host_mnt) << "mount namespace";
    EXPECT_EQ(line[2], in_container ? ct_pid : host_pid) << "pid namespace";
    EXPECT_EQ(line[3], cwd.at(kind)) << "working directory";

    auto st = parse_json(h.read(kind + ".state"));
    ASSERT_FALSE(st.HasParseError()) << h.read(kind + ".state");
    EXPECT_FALSE(str_field(st, "ociVersion").empty());
    EXPECT_EQ(str_field(st, "id"), "hooked");
    EXPECT_EQ(str_field(st, "status"), status.at(kind));
    EXPECT_EQ(str_field(st, "bundle"), b);
    ASSERT_TRUE(st.HasMember("annotations"));
    EXPECT_EQ(str_field(st["annotations"], "org.example.key"), "value");
    if (kind == "poststop") {
      EXPECT_FALSE(st.HasMember("pid"));
    } else if (!in_container || is_dkr()) {  // runc gives the init's pid inside the container: 1
      EXPECT_EQ(int_field(st, "pid"), pid) << "the pid as the host sees it";
    }

    // The hook's env and nothing of ours: what else shows is the shell's own.
    std::vector<std::string> env;
    for (auto& e : split_lines(h.read(kind + ".env"))) {
      std::string name = e.substr(0, e.find('='));
      if (name != "PWD" && name != "SHLVL" && name != "_" && name != "PATH") env.push_back(e);
    }
    EXPECT_EQ(env, std::vector<std::string>{"HOOK_ENV=" + kind}) << h.read(kind + ".env");
  }
}

class FailingHookTest : public ContainerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(FailingHookTest, FailsCreateLeavesNothingAndRunsPoststop) {
  HookDir h;
  const std::string kind = GetParam();
  std::string b = make_bundle({"sleep", "100000"}, h.config({{kind, "fail.sh"}}));
  auto before = snapshot();
  CmdResult r = run_cmd({"create", "-b", b, "failing"});
  EXPECT_CMD_ERROR(r, "exit status 3");
  EXPECT_TRUE(contains(r.message(), "out " + kind)) << "the hook's stdout in the error" << r;
  EXPECT_TRUE(contains(r.message(), "err " + kind)) << "the hook's stderr in the error" << r;
  if (is_dkr()) {  // dkr names the kind and the hook
    EXPECT_TRUE(contains(r.message(), "error running " + kind + " hook #0 (" + h.file("fail.sh") + ")")) << r;
  }
  expect_unchanged(before, "failed " + kind + " hook");
  std::vector<std::string> ran = h.kinds_run();
  ASSERT_FALSE(ran.empty());
  EXPECT_EQ(ran.back(), "poststop") << "the lifecycle goes on to poststop: " << h.read("log");
  EXPECT_EQ(std::count(ran.begin(), ran.end(), kind), 0);
}

TEST_P(FailingHookTest, FailsForegroundRun) {
  HookDir h;
  const std::string kind = GetParam();
  std::string b = make_bundle({"echo", "program-ran"}, h.config({{kind, "fail.sh"}}));
  CmdResult r = run_cmd({"run", "-b", b, "failing"});
  EXPECT_CMD_ERROR(r, "exit status 3");
  EXPECT_FALSE(contains(r.out, "program-ran")) << r;
  EXPECT_TRUE(root_listing().empty());
  EXPECT_EQ(h.kinds_run().back(), "poststop") << h.read("log");
}

INSTANTIATE_TEST_SUITE_P(Kinds, FailingHookTest, ::testing::Values("prestart", "createRuntime", "createContainer"));

TEST_F(HooksTest, FailingStartContainerHookStopsTheContainer) {
  HookDir h;
  std::string b = make_bundle({"sh", "-c", "touch " + h.file("program-ran") + "; sleep 100000"},
                              h.config({{"startContainer", "fail.sh"}}));
  ASSERT_TRUE(run_cmd({"create", "-b", b, "sc"}).ok());
  CmdResult s = run_cmd({"start", "sc"});
  if (is_dkr()) {  // runc's start returns before the hook runs; the init prints the error
    EXPECT_CMD_ERROR(s, "error running startContainer hook #0 (" + h.file("fail.sh") + "): exit status 3");
  }
  EXPECT_TRUE(wait_status("sc", "stopped"));
  EXPECT_FALSE(fs::exists(h.file("program-ran"))) << "the program ran despite the failed hook";
  ASSERT_TRUE(run_cmd({"delete", "sc"}).ok());
  EXPECT_EQ(h.kinds_run().back(), "poststop") << h.read("log");
}

TEST_F(HooksTest, FailingPoststartHookIsAWarning) {
  if (!is_dkr()) GTEST_SKIP() << "runc 1.1 fails start on a poststart hook, against the spec";
  HookDir h;
  std::string b = make_bundle({"sleep", "100000"}, h.config({{"poststart", "fail.sh"}}));
  ASSERT_TRUE(run_cmd({"create", "-b", b, "ps"}).ok());
  CmdResult s = run_cmd({"start", "ps"});
  EXPECT_EQ(s.exit_code, 0) << s;
  EXPECT_TRUE(contains(s.err, "level=warning")) << s;
  EXPECT_TRUE(contains(s.message(), "error running poststart hook #0")) << s;
  EXPECT_EQ(status("ps"), "running");
}

TEST_F(HooksTest, FailingPoststopHookIsAWarning) {
  HookDir h;
  start_container("pst", {"sleep", "100000"}, h.config({{"poststop", "fail.sh"}}));
  CmdResult d = run_cmd({"delete", "--force", "pst"});
  EXPECT_EQ(d.exit_code, 0) << d;
  EXPECT_TRUE(contains(d.message(), "exit status 3")) << "the failure is reported" << d;
  if (is_dkr()) {  // runc logs it as an error
    EXPECT_TRUE(contains(d.err, "level=warning")) << d;
  }
  EXPECT_TRUE(root_listing().empty());
}

TEST_F(HooksTest, TimeoutStopsAHook) {
  HookDir h;
  std::string b = make_bundle({"sleep", "100000"}, h.config({{"createRuntime", "slow.sh"}}, {{"createRuntime", 1}}));
  auto before = snapshot();
  CmdResult r = run_cmd({"create", "-b", b, "slow"});
  EXPECT_CMD_ERROR(r, is_dkr() ? "error running createRuntime hook #0 (" + h.file("slow.sh") + "): timed out after 1s"
                               : "timeout");
  expect_unchanged(before, "timed-out hook");
  pid_t hook = std::stoi(h.read("slow.pid"));
  EXPECT_TRUE(wait_until([&] { return process_exited(hook); })) << "the hook was not killed";
}

}  // namespace
}  // namespace dkr_it
