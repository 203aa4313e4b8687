// exec: a new process in a running container sees what the container's
// init sees (hostname, pid namespace and every other namespace, cgroup,
// rlimits, seccomp), runs with the identity the flags or --process ask for,
// and its exit code comes back. Refusals (stopped, paused, bad --user) exit
// 255 as runc does and start nothing.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"
#include "tests/integration/seccomp_agent.hpp"

namespace dkr_it {
namespace {

class ExecTest : public ContainerTest {
 protected:
  // A running container with `edit` applied to a `sleep` bundle.
  void start_sleeper(const std::string& id, const ConfigEdit& edit = {}) {
    start_container(id, {"sleep", "100000"}, edit);
    ASSERT_EQ(status(id), "running");
  }
  CmdResult exec(const std::vector<std::string>& args, const RunOptions& opts = {}) {
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_cmd(argv, "", opts);
  }
  // An exec that must fail: exit 255, one line, nothing started or left.
  CmdResult exec_fails(const std::vector<std::string>& args, const std::string& text) {
    auto before = snapshot();
    CmdResult r = exec(args);
    EXPECT_EQ(r.exit_code, 255) << r;
    EXPECT_EQ(split_lines(trim(r.err)).size(), 1u) << r;
    EXPECT_TRUE(contains(r.message(), text)) << "expected [" << text << "]" << r;
    expect_unchanged(before, "failed exec");
    return r;
  }
};

TEST_F(ExecTest, SeesTheContainersHostnamePidNamespaceCgroupAndLimits) {
  start_sleeper("ex", [](rapidjson::Document& d) {
    set_json(d, "/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 1234, "hard": 2345}])");
    set_json(d, "/process/env/-", R"("FROM_CONFIG=yes")");
  });
  CmdResult r = exec({"ex", "sh", "-c",
                      "hostname; readlink /proc/self/ns/pid; readlink /proc/1/ns/pid; echo $$; "
                      "ulimit -n; ulimit -Hn; echo $FROM_CONFIG; pwd"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), 8u) << r;
  EXPECT_EQ(lines[0], "dkrtest");
  EXPECT_EQ(lines[1], lines[2]) << "not in the init's pid namespace";
  EXPECT_NE(lines[3], "1");
  EXPECT_EQ(lines[4], "1234");
  EXPECT_EQ(lines[5], "2345");
  EXPECT_EQ(lines[6], "yes");
  EXPECT_EQ(lines[7], "/");

  CmdResult cg = exec({"ex", "sh", "-c", "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup"});
  ASSERT_TRUE(cg.ok()) << cg;
  auto sep = cg.out.find("--\n");
  ASSERT_NE(sep, std::string::npos) << cg;
  EXPECT_EQ(cg.out.substr(0, sep), cg.out.substr(sep + 3)) << "not in the init's cgroup";
}

class ExecExitCodeTest : public ExecTest, public ::testing::WithParamInterface<int> {};

TEST_P(ExecExitCodeTest, ExitCodeOfTheProcess) {
  start_sleeper("code");
  CmdResult r = exec({"code", "sh", "-c", "exit " + std::to_string(GetParam())});
  EXPECT_EQ(r.exit_code, GetParam()) << r;
  EXPECT_EQ(r.err, "");
}

INSTANTIATE_TEST_SUITE_P(Codes, ExecExitCodeTest, ::testing::Values(0, 1, 3, 42, 254));

TEST_F(ExecTest, ForwardsSignalsInTheForeground) {
  start_sleeper("fwd");
  auto cmd = start_cmd({"exec", "fwd", "sh", "-c",
                        "trap 'echo got-term; exit 9' TERM; touch /dev/shm/trapped; "
                        "while true; do usleep 10000; done"});
  ASSERT_TRUE(wait_until([&] { return run_cmd({"exec", "fwd", "test", "-e", "/dev/shm/trapped"}).ok(); }))
      << "the exec'd shell never set its trap";
  kill(cmd->pid(), SIGTERM);
  CmdResult r = cmd->wait();
  EXPECT_EQ(r.exit_code, 9) << r;
  EXPECT_EQ(r.out, "got-term\n") << r;
}

TEST_F(ExecTest, KilledBySignalGives128PlusN) {
  start_sleeper("sig");
  CmdResult r = exec({"sig", "sh", "-c", "kill -9 $$"});
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
  EXPECT_EQ(r.term_signal, 0) << "the runtime itself must exit, not die" << r;
}

// A container with its own user, cgroup and (dkr) time namespaces besides
// the usual ones: exec is in each of the init's.
TEST_F(ExecTest, JoinsEveryNamespaceOfTheContainer) {
  std::vector<std::string> types = {"cgroup", "ipc", "mnt", "net", "pid", "user", "uts"};
  // runc 1.1 has no time namespace.
  if (is_dkr()) types.push_back("time");
  start_sleeper("allns", [&](rapidjson::Document& d) {
    set_json(d, "/linux/namespaces",
             R"([{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                 {"type": "user"}, {"type": "cgroup"}])");
    if (is_dkr()) {
      set_json(d, "/linux/namespaces/-", R"({"type": "time"})");
    }
    set_json(d, "/linux/uidMappings", R"([{"containerID": 0, "hostID": 100000, "size": 65536}])");
    set_json(d, "/linux/gidMappings", R"([{"containerID": 0, "hostID": 100000, "size": 65536}])");
  });
  pid_t init = state_pid("allns");
  std::string script;
  for (auto& t : types) script += "echo " + t + " $(readlink /proc/self/ns/" + t + ") $(readlink /proc/1/ns/" + t + "); ";
  CmdResult r = exec({"allns", "sh", "-c", script + "id -u; cat /proc/self/uid_map"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = split_lines(r.out);
  ASSERT_EQ(lines.size(), types.size() + 2) << r;
  for (size_t i = 0; i < types.size(); ++i) {
    auto f = split_ws(lines[i]);
    ASSERT_EQ(f.size(), 3u) << lines[i];
    EXPECT_EQ(f[1], f[2]) << types[i] << ": exec is not in the init's namespace";
    char ours[64] = {}, theirs[64] = {};
    readlink(("/proc/self/ns/" + types[i]).c_str(), ours, sizeof ours - 1);
    readlink(("/proc/" + std::to_string(init) + "/ns/" + types[i]).c_str(), theirs, sizeof theirs - 1);
    EXPECT_NE(std::string(ours), std::string(theirs)) << types[i] << ": the container has no namespace of its own";
  }
  EXPECT_EQ(lines[types.size()], "0");
  EXPECT_EQ(split_ws(lines[types.size() + 1]), (std::vector<std::string>{"0", "100000", "65536"}));
}

TEST_F(ExecTest, UserIsParsedStrictly) {
  start_sleeper("usr");
  CmdResult one = exec({"--user", "1", "usr", "sh", "-c", "id -u; id -g"});
  ASSERT_TRUE(one.ok()) << one;
  EXPECT_EQ(one.out, "1\n0\n") << "\"1\" is uid 1 with the configured gid";
  CmdResult both = exec({"-u", "1000:1000", "usr", "sh", "-c", "id -u; id -g"});
  ASSERT_TRUE(both.ok()) << both;
  EXPECT_EQ(both.out, "1000\n1000\n");
  CmdResult gids = exec({"-u", "1000:1000", "-g", "10", "-g", "20", "usr", "id", "-G"});
  ASSERT_TRUE(gids.ok()) << gids;
  EXPECT_EQ(split_ws(gids.out), (std::vector<std::string>{"1000", "10", "20"}));

  std::vector<std::string> garbage = {"x", "1:", ":1", " 1", "1:2:3", "1x"};
  if (is_dkr()) {  // runc takes these as numbers (or fails later, at setuid)
    for (const char* more : {"+1", "-1", "0x1", "4294967295", "2147483648"}) garbage.push_back(more);
  }
  for (auto& u : garbage) {
    SCOPED_TRACE("--user \"" + u + "\"");
    exec_fails({"--user", u, "usr", "id"}, is_dkr() ? "invalid --user" : "");
  }
}

TEST_F(ExecTest, EnvCwdCapabilitiesAndNoNewPrivs) {
  start_sleeper("flags", [](rapidjson::Document& d) {
    set_json(d, "/process/capabilities",
             R"({"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]})");
  });
  const std::string show = "echo $A $B; pwd; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status";
  CmdResult plain = exec({"flags", "sh", "-c", show});
  ASSERT_TRUE(plain.ok()) << plain;
  EXPECT_EQ(plain.out, "\n/\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020\nNoNewPrivs:\t0\n");
  CmdResult r = exec({"--env", "A=1", "--env", "B=2", "--cwd", "/etc", "--cap", "CAP_NET_ADMIN", "--no-new-privs",
                      "flags", "sh", "-c", show});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "1 2\n/etc\nCapEff:\t0000000000001020\nCapBnd:\t0000000000001020\nNoNewPrivs:\t1\n");
}

TEST_F(ExecTest, RunsUnderTheContainersSeccompFilter) {
  const std::string try_mkdir = "mkdir /dev/shm/d 2>/dev/null && echo made || echo refused; grep Seccomp: /proc/self/status";
  start_sleeper("plain");
  CmdResult free = exec({"plain", "sh", "-c", try_mkdir});
  ASSERT_TRUE(free.ok()) << free;
  EXPECT_EQ(free.out, "made\nSeccomp:\t0\n");

  start_sleeper("filtered", [](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp",
             R"({"defaultAction": "SCMP_ACT_ALLOW",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  });
  CmdResult r = exec({"filtered", "sh", "-c", try_mkdir});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "refused\nSeccomp:\t2\n");
}

// SCMP_ACT_NOTIFY: an exec'd process's notify fd goes to the agent at
// listenerPath too, with the container's state, as the init's does.
TEST_F(ExecTest, SeccompNotifyFdGoesToTheAgent) {
  constexpr int kEdquot = 122;  // an errno no shell command meets by chance
  std::string sock = test_dir() + "/agent.sock";
  SeccompAgent agent(sock, kEdquot);
  start_sleeper("notified", [&](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp",
             R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": )" + jstr(sock) +
                 R"(, "listenerMetadata": "meta-7",
                 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]})");
  });
  ASSERT_FALSE(agent.state_json(0).empty()) << "the init's fd never reached the agent";
  CmdResult r = exec({"notified", "sh", "-c", "mkdir /dev/shm/d 2>&1; echo done"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "Disk quota exceeded")) << "the agent's answer did not reach exec's process" << r;
  std::string state = agent.state_json(1);
  auto d = parse_json(state);
  ASSERT_FALSE(d.HasParseError()) << "exec's fd never reached the agent: [" << state << "]";
  EXPECT_EQ(str_field(d, "metadata"), "meta-7") << state;
  EXPECT_GT(int_field(d, "pid"), 0) << state;
  EXPECT_NE(int_field(d, "pid"), state_pid("notified")) << "the pid is the exec'd process's" << state;
  ASSERT_TRUE(d.HasMember("state") && d["state"].IsObject()) << state;
  EXPECT_EQ(str_field(d["state"], "id"), "notified") << state;
  EXPECT_EQ(str_field(d["state"], "status"), "running") << state;
}

TEST_F(ExecTest, ProcessFile) {
  start_sleeper("pf");
  std::string file = test_dir() + "/process.json";
  write_file(file, R"({"args": ["sh", "-c", "echo $P; id -u; id -g; pwd"], "cwd": "/tmp",
                       "env": ["P=from-file", "PATH=/bin:/usr/bin"], "user": {"uid": 1000, "gid": 1000}})");
  CmdResult r = exec({"--process", file, "pf"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "from-file\n1000\n1000\n/tmp\n");

  std::string bad = test_dir() + "/bad-process.json";
  write_file(bad, R"({"args": [], "cwd": "/"})");
  CmdResult b = exec_fails({"-p", bad, "pf"}, "args");
  if (is_dkr()) {  // dkr names the file and the JSON pointer
    EXPECT_TRUE(contains(b.message(), bad + ": /args: must be a non-empty array")) << b;
  }
  exec_fails({"-p", test_dir() + "/missing.json", "pf"}, "missing.json");
}

TEST_F(ExecTest, StoppedOrMissingContainer) {
  start_container("done", {"true"});
  ASSERT_TRUE(wait_status("done", "stopped"));
  exec_fails({"done", "echo", "hi"}, "cannot exec in a stopped container");
  exec_fails({"nosuch", "echo", "hi"}, "container does not exist");
}

// The container's freezer (v1 freezer.state, else v2 cgroup.freeze), found
// from the init's /proc/PID/cgroup: `pause` belongs to another command.
class Freezer {
 public:
  explicit Freezer(pid_t pid) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line, v2;
    while (std::getline(in, line)) {
      auto a = line.find(':'), b = line.find(':', a + 1);
      std::string ctrl = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (ctrl == "freezer") file_ = "/sys/fs/cgroup/freezer" + path + "/freezer.state";
      if (ctrl.empty()) v2 = path;
    }
    if (file_.empty() && !v2.empty()) {
      for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"})
        if (access((mount + v2 + "/cgroup.freeze").c_str(), W_OK) == 0) file_ = mount + v2 + "/cgroup.freeze";
      v2_ = true;
    }
  }
  ~Freezer() { thaw(); }
  bool usable() const { return !file_.empty(); }
  void freeze() { write_file(file_, v2_ ? "1" : "FROZEN"); }
  void thaw() {
    if (usable()) write_file(file_, v2_ ? "0" : "THAWED");
  }
  bool frozen() const { return trim(read_file(file_)) == (v2_ ? "1" : "FROZEN"); }
  // Processes in the frozen cgroup (the exec'd one joins them).
  size_t procs() const { return split_lines(read_file(file_.substr(0, file_.rfind('/')) + "/cgroup.procs")).size(); }

 private:
  std::string file_;
  bool v2_ = false;
};

TEST_F(ExecTest, PausedContainerRefusedUnlessIgnorePaused) {
  start_sleeper("frozen");
  Freezer f(state_pid("frozen"));
  if (!f.usable()) GTEST_SKIP() << "no freezer for the container's cgroup on this host";
  f.freeze();
  ASSERT_TRUE(wait_until([&] { return f.frozen(); })) << "the cgroup did not freeze";
  ASSERT_TRUE(wait_status("frozen", "paused"));
  exec_fails({"frozen", "echo", "hi"}, "cannot exec in a paused container");

  size_t before = f.procs();
  auto cmd = start_cmd({"exec", "--ignore-paused", "frozen", "echo", "ran"});
  // The exec'd process joins the frozen cgroup and stops there until the thaw.
  ASSERT_TRUE(wait_until([&] { return f.procs() > before; })) << "exec never joined the cgroup";
  EXPECT_FALSE(cmd->finished()) << "exec finished in a frozen container";
  f.thaw();
  CmdResult r = cmd->wait();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "ran\n");
}

TEST_F(ExecTest, DetachWithPidFile) {
  start_sleeper("det");
  pid_t init = state_pid("det");
  std::string pid_file = test_dir() + "/exec.pid";
  CmdResult r = exec({"-d", "--pid-file", pid_file, "det", "sleep", "100000"});
  ASSERT_TRUE(r.ok()) << r;
  pid_t pid = std::stoi(read_file(pid_file));
  EXPECT_FALSE(process_exited(pid)) << "the detached process is not running";
  EXPECT_EQ(pid_ns_inode(pid), pid_ns_inode(init));
  EXPECT_EQ(read_file("/proc/" + std::to_string(pid) + "/cgroup"), read_file("/proc/" + std::to_string(init) + "/cgroup"));
  EXPECT_EQ(process_cmdline(pid), (std::vector<std::string>{"sleep", "100000"}));
  // Orphaned, it came to us (the test is a subreaper): reap it, or it stays
  // a zombie in the container's pid namespace and the init cannot finish exiting.
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST_F(ExecTest, PreserveFdsPassesExactlyThoseFds) {
  start_sleeper("fds");
  int a[2], b[2], c[2];
  ASSERT_EQ(pipe(a), 0);
  ASSERT_EQ(pipe(b), 0);
  ASSERT_EQ(pipe(c), 0);
  ASSERT_EQ(write(a[1], "three\n", 6), 6);
  ASSERT_EQ(write(b[1], "four\n", 5), 5);
  for (int fd : {a[1], b[1], c[1]}) close(fd);
  RunOptions o;
  o.pass_fds = {a[0], b[0], c[0]};
  CmdResult r = exec({"--preserve-fds", "2", "fds", "sh", "-c",
                      "cat <&3; cat <&4; test -e /proc/self/fd/5 && echo fd5-leaked || echo fd5-closed"},
                     o);
  for (int fd : {a[0], b[0], c[0]}) close(fd);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "three\nfour\nfd5-closed\n");
}

// The same container under runc and under the runtime being tested: what an
// exec sees and how a bad exec fails.
TEST_F(ExecTest, SameAsRunc) {
  std::string runc = find_runc();
  if (runc.empty()) GTEST_SKIP() << "runc is not installed: nothing to compare with";
  std::string b = make_bundle({"sleep", "100000"}, [](rapidjson::Document& d) {
    set_json(d, "/process/capabilities",
             R"({"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]})");
  });
  std::string runc_root = test_dir() + "/runc-root";
  RunOptions o;
  o.with_root = false;
  auto runc_cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {runc, "--root", runc_root});
    return Command(args, "", o).wait();
  };
  ASSERT_TRUE(runc_cmd({"run", "-d", "-b", b, "cmp"}).ok());
  ASSERT_TRUE(run_cmd({"run", "-d", "-b", b, "cmp"}).ok());

  const std::string probe =
      "id; hostname; pwd; grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; env | grep -v '^HOSTNAME=' | sort";
  std::vector<std::vector<std::string>> cases = {
      // Not the rlimits: runc 1.1's prlimit misses the exec'd process (dkr
      // applies them, see SeesTheContainersHostnamePidNamespaceCgroupAndLimits).
      {"cmp", "sh", "-c", probe},
      {"--user", "1000:1000", "-g", "5", "--cwd", "/tmp", "-e", "X=y", "cmp", "sh", "-c", probe},
      {"--cap", "CAP_NET_ADMIN", "--no-new-privs", "cmp", "sh", "-c", probe},
      {"cmp", "sh", "-c", "exit 7"},
      {"--user", "nobody", "cmp", "true"},
  };
  for (auto& c : cases) {
    std::vector<std::string> argv = {"exec"};
    argv.insert(argv.end(), c.begin(), c.end());
    CmdResult want = runc_cmd(argv);
    CmdResult got = run_cmd(argv);
    EXPECT_EQ(got.exit_code, want.exit_code) << "runc:" << want << "under test:" << got;
    EXPECT_EQ(got.out, want.out) << "runc:" << want << "under test:" << got;
  }
  runc_cmd({"delete", "--force", "cmp"});
}

}  // namespace
}  // namespace dkr_it
