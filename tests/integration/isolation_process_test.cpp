// The process fields, read from inside the container: capabilities and
// NoNewPrivs (/proc/self/status), user, groups and umask, rlimits
// (/proc/self/limits), oomScoreAdj, personality, ioPriority, scheduler, and
// LSM labels on a host without the LSM. Bad values fail create with the JSON
// path and leave nothing behind.
#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

class ProcessAttrTest : public IsolationTest {};

// runc 1.1.5 predates personality, ioPriority and scheduler (runtime-spec
// 1.2), and handles LSM labels differently on a host without the LSM.
#define SKIP_UNLESS_DKR() \
  if (!is_dkr()) GTEST_SKIP() << "the runtime under test is not dkr: runc 1.1.5 differs here"


constexpr const char* kCaps = R"({"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
  "effective": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"], "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
  "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]})";

// CAP_CHOWN 0, CAP_KILL 5, CAP_NET_BIND_SERVICE 10, CAP_NET_RAW 13.
constexpr const char* kBounding = "0000000000002421";

TEST_F(ProcessAttrTest, CapabilitySetsOfAnUnprivilegedUser) {
  // After exec a non-root process keeps exactly its ambient set in P and E.
  std::string b = make_bundle({"grep", "^Cap", "/proc/self/status"}, [](rapidjson::Document& d) {
    set_json(d, "/process/capabilities", kCaps);
    set_json(d, "/process/user", R"({"uid": 1000, "gid": 1000})");
  });
  auto caps = colon_fields(join_lines(run_lines(b, "capsuser", 5)));
  EXPECT_EQ(caps["CapInh"], "0000000000000400");
  EXPECT_EQ(caps["CapPrm"], "0000000000000400");
  EXPECT_EQ(caps["CapEff"], "0000000000000400");
  EXPECT_EQ(caps["CapBnd"], kBounding);
  EXPECT_EQ(caps["CapAmb"], "0000000000000400");
}

TEST_F(ProcessAttrTest, CapabilitySetsOfRoot) {
  // Root's exec gains the bounding set (the kernel's rule for uid 0).
  std::string b = make_bundle({"grep", "^Cap", "/proc/self/status"},
                              [](rapidjson::Document& d) { set_json(d, "/process/capabilities", kCaps); });
  auto caps = colon_fields(join_lines(run_lines(b, "capsroot", 5)));
  EXPECT_EQ(caps["CapInh"], "0000000000000400");
  EXPECT_EQ(caps["CapPrm"], kBounding);
  EXPECT_EQ(caps["CapEff"], kBounding);
  EXPECT_EQ(caps["CapBnd"], kBounding);
  EXPECT_EQ(caps["CapAmb"], "0000000000000400");
}

TEST_F(ProcessAttrTest, NoNewPrivileges) {
  for (bool nnp : {true, false}) {
    std::string b = make_bundle({"grep", "^NoNewPrivs", "/proc/self/status"}, [&](rapidjson::Document& d) {
      set_json(d, "/process/noNewPrivileges", nnp ? "true" : "false");
    });
    EXPECT_EQ(run_lines(b, nnp ? "nnp" : "nonnp", 1)[0], nnp ? "NoNewPrivs:\t1" : "NoNewPrivs:\t0");
  }
}

TEST_F(ProcessAttrTest, UserGroupsAndUmask) {
  std::string b = make_bundle({"sh", "-c", "grep -E '^(Uid|Gid|Groups)' /proc/self/status; umask"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/process/user",
                                         R"({"uid": 1000, "gid": 1001, "additionalGids": [5, 100], "umask": 23})");
                              });
  auto lines = run_lines(b, "user", 4);
  EXPECT_EQ(split_ws(lines[0]), (std::vector<std::string>{"Uid:", "1000", "1000", "1000", "1000"}));
  EXPECT_EQ(split_ws(lines[1]), (std::vector<std::string>{"Gid:", "1001", "1001", "1001", "1001"}));
  EXPECT_EQ(split_ws(lines[2]), (std::vector<std::string>{"Groups:", "5", "100"}));
  EXPECT_EQ(lines[3], "0027");
}

TEST_F(ProcessAttrTest, Rlimits) {
  std::string b = make_bundle({"grep", "-E", "^Max (open files|core file size|processes)", "/proc/self/limits"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/process/rlimits",
                                         R"([{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
                                             {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
                                             {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}])");
                              });
  auto lines = run_lines(b, "rlimits", 3);
  EXPECT_EQ(split_ws(lines[0]), (std::vector<std::string>{"Max", "core", "file", "size", "0", "0", "bytes"}));
  EXPECT_EQ(split_ws(lines[1]), (std::vector<std::string>{"Max", "processes", "300", "400", "processes"}));
  EXPECT_EQ(split_ws(lines[2]), (std::vector<std::string>{"Max", "open", "files", "1000", "2000", "files"}));
}

TEST_F(ProcessAttrTest, OomScoreAdj) {
  std::string b = make_bundle({"cat", "/proc/self/oom_score_adj"},
                              [](rapidjson::Document& d) { set_json(d, "/process/oomScoreAdj", "500"); });
  EXPECT_EQ(run_lines(b, "oom", 1)[0], "500");
}


TEST_F(ProcessAttrTest, Personality) {
  SKIP_UNLESS_DKR();
  std::string b = make_bundle({"uname", "-m"}, [](rapidjson::Document& d) {
    set_json(d, "/linux/personality", R"({"domain": "LINUX32"})");
  });
  EXPECT_EQ(run_lines(b, "linux32", 1)[0], "i686");
}

TEST_F(ProcessAttrTest, IoPriority) {
  SKIP_UNLESS_DKR();
  std::string b = make_bundle({"ionice"}, [](rapidjson::Document& d) {
    set_json(d, "/process/ioPriority", R"({"class": "IOPRIO_CLASS_BE", "priority": 6})");
  });
  EXPECT_EQ(run_lines(b, "ioprio", 1)[0], "best-effort: prio 6");
}

TEST_F(ProcessAttrTest, Scheduler) {
  SKIP_UNLESS_DKR();
  // /proc/self/stat: field 19 is the nice value, field 41 the policy (SCHED_BATCH is 3).
  std::string b = make_bundle({"sh", "-c", "cut -d' ' -f19,41 /proc/self/stat"}, [](rapidjson::Document& d) {
    set_json(d, "/process/scheduler", R"({"policy": "SCHED_BATCH", "nice": 7})");
  });
  EXPECT_EQ(run_lines(b, "sched", 1)[0], "7 3");
}

TEST_F(ProcessAttrTest, LsmLabelsAreIgnoredWhereTheHostHasNoLsm) {
  if (access("/sys/fs/selinux/enforce", F_OK) == 0 || trim(read_file("/sys/module/apparmor/parameters/enabled")) == "Y")
    GTEST_SKIP() << "this host has AppArmor or SELinux enabled";
  // runc 1.1.5 here refuses the SELinux label and fails writing the AppArmor one.
  SKIP_UNLESS_DKR();
  std::string b = make_bundle({"true"}, [](rapidjson::Document& d) {
    set_json(d, "/process/apparmorProfile", R"("dkr-test-profile")");
    set_json(d, "/process/selinuxLabel", R"("system_u:system_r:container_t:s0")");
  });
  CmdResult r = run_cmd({"--debug", "run", "-b", b, "lsm"});
  EXPECT_TRUE(r.ok()) << r;
  if (is_dkr()) {
    EXPECT_TRUE(contains(r.err, "apparmorProfile ignored")) << r;
  }
}

// runc 1.1.5 only warns about an unknown capability and a relative destination.
TEST_F(ProcessAttrTest, BadValuesFailCreateWithTheJsonPath) {
  expect_refusals({
      {"/process/capabilities/bounding/1", "CAP_NOPE",
       [](rapidjson::Document& d) { set_json(d, "/process/capabilities", R"({"bounding": ["CAP_KILL", "CAP_NOPE"]})"); },
       false},
      {"/mounts/6/destination", "tmp",
       [](rapidjson::Document& d) {
         set_json(d, "/mounts/-", R"({"destination": "tmp", "type": "tmpfs", "source": "tmpfs"})");
       },
       false},
      {"/process/rlimits/0/type", "RLIMIT_NOPE",
       [](rapidjson::Document& d) {
         set_json(d, "/process/rlimits", R"([{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}])");
       }},
      {"/linux/seccomp/syscalls/0/action", "SCMP_ACT_NOPE",
       [](rapidjson::Document& d) {
         set_json(d, "/linux/seccomp",
                  R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]})");
       }},
  });
}

}  // namespace
}  // namespace dkr_it
