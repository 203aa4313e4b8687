// dkr --explain: each step of run, create, start and exec on stderr, in
// order and with its duration; stdout and the container's fds unchanged;
// nothing at all without the flag. dkr's own feature: skipped for runc.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

class ExplainTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (!is_dkr()) GTEST_SKIP() << "--explain is dkr's own flag";
  }

  // The explain lines of stderr; each must have the shape
  // "explain: [who] CALL — MEANING  N.NN ms" (a duration on every line).
  static std::vector<std::string> explain_lines(const CmdResult& r) {
    static const std::regex shape(R"(^explain: \[(dkr|init|exec)\] \S.* — \S.*  [0-9]+\.[0-9]{2,3} ms$)");
    std::vector<std::string> out;
    for (const auto& line : split_lines(r.err)) {
      if (line.rfind("explain: ", 0) != 0) continue;
      EXPECT_TRUE(std::regex_match(line, shape)) << "not the shape of a step: " << line;
      out.push_back(line);
    }
    return out;
  }

  // Index of the first line, at or after `from`, that holds every needle; -1 if none.
  static long find_step(const std::vector<std::string>& lines, std::initializer_list<const char*> needles,
                        long from = 0) {
    for (long i = from; i < static_cast<long>(lines.size()); ++i) {
      bool all = true;
      for (const char* n : needles) all = all && contains(lines[i], n);
      if (all) return i;
    }
    return -1;
  }

  // Expects each group of needles to match a line after the previous group's line.
  static void expect_in_order(const std::vector<std::string>& lines,
                              const std::vector<std::initializer_list<const char*>>& steps) {
    long at = 0;
    for (const auto& needles : steps) {
      long found = find_step(lines, needles, at);
      std::string want;
      for (const char* n : needles) want += std::string(" \"") + n + "\"";
      ASSERT_GE(found, 0) << "no step with" << want << " after line " << at << " of:\n" << join_lines(lines);
      at = found + 1;
    }
  }

  // A host directory the container sees read-write at /out.
  ConfigEdit with_out_dir(const std::string& dir) {
    std::filesystem::create_directories(dir);
    return [dir](rapidjson::Document& d) {
      set_json(d, "/mounts/-", R"({"destination": "/out", "type": "bind", "source": )" + jstr(dir) +
                                   R"(, "options": ["rbind", "rw"]})");
    };
  }
};

// hello's process settings (capabilities, rlimits, no_new_privs), plus a seccomp filter.
void hello_process_with_seccomp(rapidjson::Document& d) {
  const char* caps = R"(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"])";
  for (const char* set : {"/process/capabilities/bounding", "/process/capabilities/effective",
                          "/process/capabilities/permitted", "/process/capabilities/ambient"})
    set_json(d, set, caps);
  set_json(d, "/process/noNewPrivileges", "true");
  set_json(d, "/linux/seccomp", R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                                    "syscalls": [{"names": ["kexec_load"], "action": "SCMP_ACT_ERRNO"}]})");
}

TEST_F(ExplainTest, RunPrintsEachStepInOrderWithItsDuration) {
  std::string b = make_bundle({"echo", "hello from the container"}, hello_process_with_seccomp);
  CmdResult r = run_cmd({"--explain", "run", "-b", b, "explained"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "hello from the container\n");  // stdout is the container's alone
  std::vector<std::string> lines = explain_lines(r);
  EXPECT_EQ(lines.size(), split_lines(r.err).size()) << "stderr holds only explain lines:\n" << r.err;
  expect_in_order(lines, {
      {"[dkr] read(", "config.json"},
      {"[dkr] mkdir(", "cgroup"},
      {"[dkr] seccomp_export_bpf"},
      {"[dkr] clone3(", "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_NEWNS", "CLONE_NEWIPC", "CLONE_NEWUTS"},
      {"[init] socket(AF_INET), ioctl(SIOCSIFFLAGS"},
      {"[init] sethostname(\"dkrtest\")"},
      {"[init] mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE"},
      {"[init] mount(\"proc\", \"/proc\", \"proc\""},
      {"[init] mount(\"tmpfs\", \"/dev\", \"tmpfs\", MS_NOSUID|MS_STRICTATIME, \"mode=755,size=65536k\")"},
      {"[init] mount(\"sysfs\", \"/sys\", \"sysfs\", MS_RDONLY"},
      {"[init] mknodat(", "/dev/null"},
      {"[init] pivot_root(\".\", \".\")"},
      {"[init] mount(NULL, \".\", NULL, MS_SLAVE|MS_REC, NULL)", "umount2(\".\", MNT_DETACH)"},
      {"[init] mount_setattr(\"/\", MOUNT_ATTR_RDONLY)"},
      {"[init] prctl(PR_SET_KEEPCAPS, 1), prctl(PR_CAPBSET_DROP"},
      {"[init] setgroups(0 groups), setresgid(0, 0, 0), setresuid(0, 0, 0)"},
      {"[init] capset(", "3 effective"},
      {"[init] prctl(PR_SET_NO_NEW_PRIVS, 1)"},
      {"[init] seccomp(SECCOMP_SET_MODE_FILTER"},
      {"[dkr] send(sync socket, Go), recv until Ready"},
      {"[dkr] write(", "state.json"},
      {"[init] close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)", "execve(\"/bin/echo\")"},
      {"[dkr] send(sync socket, StartNow), recv until EOF", "execve"},
      {"[dkr] poll, waitpid(", "exited with code 0"},
      {"[dkr] rmdir("},
  });
}

TEST_F(ExplainTest, SeccompBeforeTheCapabilityDropWithoutNoNewPrivileges) {
  std::string b = make_bundle({"true"}, [](rapidjson::Document& d) {
    hello_process_with_seccomp(d);
    set_json(d, "/process/noNewPrivileges", "false");
  });
  CmdResult r = run_cmd({"--explain", "run", "-b", b, "nonnp"});
  ASSERT_TRUE(r.ok()) << r;
  std::vector<std::string> lines = explain_lines(r);
  expect_in_order(lines, {{"[init] seccomp(SECCOMP_SET_MODE_FILTER", "CAP_SYS_ADMIN"},
                          {"[init] prctl(PR_SET_KEEPCAPS, 1)", "PR_CAPBSET_DROP"}});
  EXPECT_EQ(find_step(lines, {"PR_SET_NO_NEW_PRIVS"}), -1);
}

TEST_F(ExplainTest, NothingWithoutTheFlagAndTheSameStdout) {
  std::string b = make_bundle({"sh", "-c", "echo out; hostname"});
  CmdResult plain = run_cmd({"run", "-b", b, "plain"});
  ASSERT_TRUE(plain.ok()) << plain;
  EXPECT_EQ(plain.err, "");
  EXPECT_FALSE(contains(plain.err, "explain"));
  CmdResult explained = run_cmd({"--explain", "run", "-b", b, "explained"});
  ASSERT_TRUE(explained.ok()) << explained;
  EXPECT_EQ(explained.out, plain.out);
  EXPECT_EQ(plain.out, "out\ndkrtest\n");
  EXPECT_FALSE(explain_lines(explained).empty());
}

TEST_F(ExplainTest, NoExtraFdReachesTheContainer) {
  // The program (the shell, PID 1; "; true" keeps it from exec-ing ls) holds stdio alone, with and without --explain.
  std::string b = make_bundle({"sh", "-c", "ls /proc/1/fd; true"});
  CmdResult plain = run_cmd({"run", "-b", b, "fds-plain"});
  CmdResult explained = run_cmd({"--explain", "run", "-b", b, "fds-explained"});
  ASSERT_TRUE(plain.ok()) << plain;
  ASSERT_TRUE(explained.ok()) << explained;
  EXPECT_EQ(split_lines(explained.out), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(explained.out, plain.out);
}

TEST_F(ExplainTest, NoExtraFdWithPreservedFds) {
  // The explain fd goes above the passed ones: fd 3 is the caller's, nothing else comes.
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  RunOptions o;
  o.pass_fds = {p[0]};
  std::string b = make_bundle({"sh", "-c", "ls /proc/1/fd; true"});
  CmdResult r = run_cmd({"--explain", "run", "--preserve-fds", "1", "-b", b, "fds-preserved"}, "", o);
  close(p[0]);
  close(p[1]);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(split_lines(r.out), (std::vector<std::string>{"0", "1", "2", "3"}));
  EXPECT_FALSE(explain_lines(r).empty());
}

TEST_F(ExplainTest, CreateThenStartEachTellTheirPart) {
  std::string out = test_dir() + "/out";
  std::string b = make_bundle({"sh", "-c", "exec > /out/fds; ls /proc/1/fd; true"}, with_out_dir(out));
  CmdResult create = run_cmd({"--explain", "create", "-b", b, "cs"});
  ASSERT_TRUE(create.ok()) << create;
  std::vector<std::string> created = explain_lines(create);
  expect_in_order(created, {
      {"[dkr] mkfifoat(", "exec.fifo"},
      {"[dkr] clone3(", "CLONE_NEWNS"},
      {"[init] open_tree(", "OPEN_TREE_CLONE", "move_mount", "bind-mounted "},
      {"[init] pivot_root("},
      {"[dkr] write(", "state.json"},
  });
  // Waiting on the fifo and exec belong to start: the init says nothing once
  // create is done (whoever read create's stderr may be gone).
  EXPECT_EQ(find_step(created, {"[init] send(sync socket, Ready)"}), -1) << create.err;
  EXPECT_EQ(find_step(created, {"close_range("}), -1) << create.err;
  EXPECT_EQ(find_step(created, {"exec.fifo\", O_RDONLY"}), -1) << create.err;

  CmdResult start = run_cmd({"--explain", "start", "cs"});
  ASSERT_TRUE(start.ok()) << start;
  EXPECT_EQ(start.out, "");
  std::vector<std::string> started = explain_lines(start);
  expect_in_order(started, {{"[dkr] open(", "exec.fifo\", O_RDONLY)"}, {"[dkr] unlink(exec.fifo)", "execve"}});
  EXPECT_EQ(find_step(started, {"[init]"}), -1) << start.err;

  // The program saw stdio alone: the init's explain fd was closed when create returned.
  ASSERT_TRUE(wait_until([&] { return split_lines(read_file(out + "/fds")).size() >= 3; })) << read_file(out + "/fds");
  EXPECT_EQ(split_lines(read_file(out + "/fds")), (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(wait_status("cs", "stopped"));
  ASSERT_TRUE(run_cmd({"delete", "cs"}).ok());
}

TEST_F(ExplainTest, ExecTellsTheChildsSteps) {
  start_container("ex", {"sleep", "100000"});
  // The exec'd shell lists its own fds: stdio alone.
  CmdResult r = run_cmd({"--explain", "exec", "ex", "sh", "-c", "ls /proc/$$/fd; true"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(split_lines(r.out), (std::vector<std::string>{"0", "1", "2"}));
  std::vector<std::string> lines = explain_lines(r);
  // Each process in its order; dkr's clone3 line and the child's first
  // lines are written at the same time, in either order.
  expect_in_order(lines, {
      {"[dkr] setns(pidfd of the init, CLONE_NEWPID)"},
      {"[dkr] clone3("},
      {"[dkr] recv(sync socket) until EOF", "execve"},
  });
  expect_in_order(lines, {
      {"[exec] setns(pidfd of the init, ", "CLONE_NEWNET", "CLONE_NEWNS", "CLONE_NEWIPC", "CLONE_NEWUTS"},
      {"[exec] setgroups(", "setresuid(0, 0, 0)"},
      {"[exec] close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)", "execve(\"/bin/sh\")"},
      {"[dkr] recv(sync socket) until EOF", "execve"},
      {"[dkr] poll, waitpid(", "exited with code 0"},
  });
  CmdResult plain = run_cmd({"exec", "ex", "true"});
  ASSERT_TRUE(plain.ok()) << plain;
  EXPECT_EQ(plain.err, "");
}

}  // namespace
}  // namespace dkr_it
