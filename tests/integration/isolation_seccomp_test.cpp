// seccomp, read from inside the container: the configured errno for a
// blocked syscall, argument conditions, unknown names skipped, flags and
// architectures, and SCMP_ACT_NOTIFY handing the notify fd and the state to
// an agent at listenerPath (this test is the agent: seccomp_agent.hpp).
#include <cerrno>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"
#include "tests/integration/seccomp_agent.hpp"

namespace dkr_it {
namespace {

class SeccompTest : public IsolationTest {};

// EDQUOT: an errno no shell command meets by chance.
constexpr int kErrno = 122;
constexpr const char* kErrnoText = "Disk quota exceeded";

std::string profile(const std::string& syscalls, const std::string& extra = "") {
  return R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
             "syscalls": )" + syscalls + extra + "}";
}

TEST_F(SeccompTest, BlockedSyscallReturnsTheConfiguredErrno) {
  std::string b = make_bundle(
      {"sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; mkdir /proc/x 2>&1 | grep -c Disk"},
      [](rapidjson::Document& d) {
        set_json(d, "/linux/seccomp",
                 profile(R"([{"names": ["mkdir", "mkdirat", "no_such_syscall_in_any_table"], "action": "SCMP_ACT_ERRNO",
                              "errnoRet": 122}])"));
      });
  auto lines = run_lines(b, "errno", 3);
  EXPECT_EQ(lines[0], "Seccomp:\t2");
  EXPECT_TRUE(contains(lines[1], kErrnoText)) << lines[1];
  EXPECT_EQ(lines[2], "1");
}

// Without noNewPrivileges, loading a filter needs CAP_SYS_ADMIN, which the
// process's own capabilities (containers.conf's defaults, as podman runs
// containers) lack: the filter goes in before they are dropped, as in runc.
TEST_F(SeccompTest, FilterWithoutNoNewPrivilegesOrSysAdmin) {
  std::string b = make_bundle(
      {"sh", "-c", "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; mkdir /tmp/x 2>&1; true"},
      [](rapidjson::Document& d) {
        const std::string caps = R"(["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"])";
        set_json(d, "/process/capabilities", R"({"bounding": )" + caps + R"(, "effective": )" + caps +
                                                 R"(, "permitted": )" + caps + "}");
        set_json(d, "/process/noNewPrivileges", "false");
        set_json(d, "/linux/seccomp",
                 profile(R"([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}])"));
      });
  auto lines = run_lines(b, "no-nnp", 4);
  EXPECT_EQ(lines[0], "CapEff:\t00000000800405fb");
  EXPECT_EQ(lines[1], "NoNewPrivs:\t0");
  EXPECT_EQ(lines[2], "Seccomp:\t2");
  EXPECT_TRUE(contains(lines[3], kErrnoText)) << lines[3];
}

TEST_F(SeccompTest, ArgumentConditions) {
  // kill(pid, 0) is refused, kill(pid, SIGCONT) is not.
  std::string b = make_bundle({"sh", "-c", "kill -0 1 2>&1 || true; kill -CONT 1 && echo sent"}, [](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp",
             profile(R"([{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122,
                          "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}])"));
  });
  auto lines = run_lines(b, "args", 2);
  EXPECT_TRUE(contains(lines[0], kErrnoText)) << lines[0];
  EXPECT_EQ(lines[1], "sent");
}

TEST_F(SeccompTest, KillAction) {
  std::string b = make_bundle({"sh", "-c", "uname -s; echo after"}, [](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp", profile(R"([{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"}])"));
  });
  CmdResult r = run_cmd({"run", "-b", b, "kill"});
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << "the shell must die of SIGSYS at uname:" << r;
  EXPECT_FALSE(contains(r.out, "after")) << r;
}

TEST_F(SeccompTest, FilterFlags) {
  if (!is_dkr()) GTEST_SKIP() << "the runtime under test is not dkr; runc 1.1.5 does not support seccomp flags";
  std::string b = make_bundle({"sh", "-c", "mkdir /tmp/x 2>&1; true"}, [](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp",
             profile(R"([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122}])",
                     R"(, "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"])"));
  });
  auto lines = run_lines(b, "flags", 1);
  EXPECT_TRUE(contains(lines[0], kErrnoText)) << lines[0];
}

TEST_F(SeccompTest, BadProfilesFailCreateWithTheJsonPath) {
  const std::pair<const char*, std::string> cases[] = {
      {"/linux/seccomp/syscalls/0/action", profile(R"([{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}])")},
      {"/linux/seccomp/syscalls/0/args/0",
       profile(R"([{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}])")},
      {"/linux/seccomp/listenerPath", profile(R"([{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}])")},
  };
  for (const auto& [pointer, seccomp] : cases) {
    SCOPED_TRACE(pointer);
    std::string b = make_bundle({"true"}, [&](rapidjson::Document& d) { set_json(d, "/linux/seccomp", seccomp); });
    expect_create_refused(b, "", pointer);
  }
}

TEST_F(SeccompTest, NotifyHandsTheFdAndStateToTheAgent) {
  std::string sock = test_dir() + "/agent.sock";
  SeccompAgent agent(sock, kErrno);
  std::string b = make_bundle({"sh", "-c", "mkdir /tmp/n 2>&1; echo done"}, [&](rapidjson::Document& d) {
    set_json(d, "/linux/seccomp",
             profile(R"([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}])",
                     R"(, "listenerPath": )" + jstr(sock) + R"(, "listenerMetadata": "meta-42")"));
  });
  auto lines = run_lines(b, "notify", 2);
  EXPECT_TRUE(contains(lines[0], kErrnoText)) << "the agent's answer reaches the container: " << lines[0];
  EXPECT_EQ(lines[1], "done");
  std::string state = agent.state_json();
  auto d = parse_json(state);
  ASSERT_FALSE(d.HasParseError()) << state;
  EXPECT_EQ(str_field(d, "metadata"), "meta-42") << state;
  EXPECT_GT(int_field(d, "pid"), 0) << state;
  ASSERT_TRUE(d.HasMember("fds") && d["fds"].IsArray() && d["fds"].Size() == 1) << state;
  EXPECT_STREQ(d["fds"][0].GetString(), "seccompFd");
  ASSERT_TRUE(d.HasMember("state") && d["state"].IsObject()) << state;
  EXPECT_EQ(str_field(d["state"], "id"), "notify") << state;
  EXPECT_EQ(str_field(d["state"], "status"), "creating") << state;
  EXPECT_GE(agent.answered(), 1);
}

}  // namespace
}  // namespace dkr_it
