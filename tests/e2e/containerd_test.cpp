// containerd runs its containers on dkr as it does on runc: each case runs
// `ctr run --runc-binary <runc>` and `ctr run --runc-binary <dkr>` through
// containerd's runc shim, and under dkr compares its observations with runc's.
#include <gtest/gtest.h>

#include <regex>

#include "tests/e2e/compare.hpp"
#include "tests/e2e/environment.hpp"
#include "tests/e2e/fingerprint.hpp"
#include "tests/e2e/text.hpp"

namespace dkr_e2e {
namespace {

class ContainerdTest : public RuntimeTest {
 protected:
  Containerd& containerd() { return E2e::get().containerd(); }
};

// A container id of the case, whose task and container are deleted
// (forcibly) when the case ends, whatever happened.
class Task {
 public:
  Task(Containerd& containerd, const Runtime& rt, const std::string& name)
      : containerd_(containerd), id_(name + "-" + rt.name) {
    remove();
  }
  ~Task() { remove(); }
  const std::string& id() const { return id_; }
  // The STATUS column of `ctr task ls` for this task ("" if not listed).
  std::string status() const {
    for (auto& line : lines(containerd_.ctr({"task", "ls"}).out)) {
      std::istringstream f(line);
      std::string id, pid, status;
      if (f >> id >> pid >> status && id == id_) return status;
    }
    return "";
  }

 private:
  void remove() {
    containerd_.ctr({"task", "kill", "--signal", "SIGKILL", "--all", id_});
    containerd_.ctr({"task", "delete", "--force", id_});
    containerd_.ctr({"container", "delete", id_});
  }
  Containerd& containerd_;
  std::string id_;
};

std::vector<std::string> with_command(std::vector<std::string> args, const std::vector<std::string>& command) {
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

TEST_P(ContainerdTest, RunEchoExitCode) {
  compared([&](const Runtime& rt, Observations& seen) {
    Task t(containerd(), rt, "echo");
    Result r =
        containerd().ctr(with_command(containerd().run_args(rt, t.id(), {"--rm"}), {"sh", "-c", "echo hello; exit 3"}));
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_EQ(r.out, "hello\n") << r;
    seen.add("run --rm", std::to_string(r.exit_code) + " " + r.out);
    EXPECT_EQ(trim(containerd().ctr({"container", "ls", "--quiet"}).out).find(t.id()), std::string::npos)
        << "--rm left the container";
    EXPECT_FALSE(exists(Containerd::runtime_state_dir(t.id())))
        << "the runtime left its state directory " << Containerd::runtime_state_dir(t.id());
  });
}

// What a container sees of itself with ctr's defaults.
TEST_P(ContainerdTest, Defaults) {
  compared([&](const Runtime& rt, Observations& seen) {
    Task t(containerd(), rt, "defaults");
    Result r =
        containerd().ctr(with_command(containerd().run_args(rt, t.id(), {"--rm"}), {"sh", "-c", fingerprint_script()}));
    ASSERT_TRUE(r.ok()) << r;
    observe_fingerprint(r.out, t.id(), seen);
  });
}

// A detached task: exec into it, ps, pause and resume, kill, delete.
TEST_P(ContainerdTest, DetachedExecKillDelete) {
  compared([&](const Runtime& rt, Observations& seen) {
    Task t(containerd(), rt, "detached");
    Result started = containerd().ctr(with_command(containerd().run_args(rt, t.id(), {"--detach"}),
                                                   {"sh", "-c", "trap 'exit 9' TERM; while :; do sleep 0.1; done"}));
    ASSERT_TRUE(started.ok()) << started;
    EXPECT_EQ(t.status(), "RUNNING");
    seen.add("started", t.status());

    Result exec = containerd().ctr({"task", "exec", "--exec-id", "e1", t.id(), "sh", "-c", "echo in; exit 4"});
    EXPECT_EQ(exec.exit_code, 4) << exec;
    EXPECT_EQ(exec.out, "in\n") << exec;
    Result as_user = containerd().ctr(
        {"task", "exec", "--exec-id", "e2", "--user", "1000", "--cwd", "/tmp", t.id(), "sh", "-c", "id -u; pwd"});
    EXPECT_EQ(as_user.out, "1000\n/tmp\n") << as_user;
    seen.add("exec", std::to_string(exec.exit_code) + " " + as_user.out);

    Result ps = containerd().ctr({"task", "ps", t.id()});
    EXPECT_TRUE(ps.ok()) << ps;
    // The shell and, at times, one of its sleeps.
    auto procs = lines(ps.out);
    EXPECT_GE(procs.size(), 2u) << ps;
    EXPECT_EQ(procs.empty() ? "" : trim(procs[0]).substr(0, 3), "PID") << ps;
    seen.add("ps", procs.empty() ? "" : std::regex_replace(trim(procs[0]), std::regex(" +"), " "));

    Result paused = containerd().ctr({"task", "pause", t.id()});
    EXPECT_TRUE(paused.ok()) << paused;
    EXPECT_EQ(t.status(), "PAUSED");
    Result resumed = containerd().ctr({"task", "resume", t.id()});
    EXPECT_TRUE(resumed.ok()) << resumed;
    EXPECT_EQ(t.status(), "RUNNING");
    seen.add("pause, resume", std::to_string(paused.exit_code) + " " + std::to_string(resumed.exit_code));

    Result killed = containerd().ctr({"task", "kill", t.id()});  // SIGTERM
    EXPECT_TRUE(killed.ok()) << killed;
    EXPECT_TRUE(wait_until([&] { return t.status() == "STOPPED"; })) << t.status();
    Result deleted = containerd().ctr({"task", "delete", t.id()});
    EXPECT_TRUE(deleted.ok()) << deleted;
    EXPECT_TRUE(contains(deleted.out + deleted.err, "exit code 9") || contains(deleted.out + deleted.err, "status 9"))
        << deleted;
    Result removed = containerd().ctr({"container", "delete", t.id()});
    EXPECT_TRUE(removed.ok()) << removed;
    EXPECT_FALSE(exists(Containerd::runtime_state_dir(t.id())))
        << "the runtime left its state directory " << Containerd::runtime_state_dir(t.id());
    seen.add("kill, delete",
             t.status() + " " + std::to_string(deleted.exit_code) + " " + std::to_string(removed.exit_code));
  });
}

TEST_P(ContainerdTest, KillSignal) {
  compared([&](const Runtime& rt, Observations& seen) {
    Task t(containerd(), rt, "kill");
    ASSERT_TRUE(
        containerd().ctr(with_command(containerd().run_args(rt, t.id(), {"--detach"}), {"sleep", "1000"})).ok());
    // PID 1 without a handler ignores SIGTERM; SIGKILL ends it.
    Result term = containerd().ctr({"task", "kill", "--signal", "SIGTERM", t.id()});
    EXPECT_TRUE(term.ok()) << term;
    Result kill = containerd().ctr({"task", "kill", "--signal", "SIGKILL", t.id()});
    EXPECT_TRUE(kill.ok()) << kill;
    EXPECT_TRUE(wait_until([&] { return t.status() == "STOPPED"; })) << t.status();
    Result deleted = containerd().ctr({"task", "delete", t.id()});
    EXPECT_TRUE(deleted.ok()) << deleted;
    seen.add("SIGKILL", t.status() + " " + std::to_string(deleted.exit_code));
  });
}

TEST_P(ContainerdTest, Tty) {
  compared([&](const Runtime& rt, Observations& seen) {
    Task t(containerd(), rt, "tty");
    Result r = containerd().ctr(with_command(containerd().run_args(rt, t.id(), {"--rm", "--tty"}), {"sh"}),
                                on_terminal("tty; exit 6\n"));
    EXPECT_EQ(r.exit_code, 6) << r;
    // ctr leaves our terminal cooked: its newlines become "\r\n" once more.
    EXPECT_TRUE(contains(without_cr(r.out), "\n/dev/pts/0\n")) << r;
    seen.add("run --tty",
             std::to_string(r.exit_code) + " " + std::to_string(contains(without_cr(r.out), "\n/dev/pts/0\n")));

    Task d(containerd(), rt, "tty-exec");
    ASSERT_TRUE(
        containerd().ctr(with_command(containerd().run_args(rt, d.id(), {"--detach"}), {"sleep", "1000"})).ok());
    Result exec = containerd().ctr({"task", "exec", "--tty", "--exec-id", "t1", d.id(), "sh", "-c", "tty; exit 2"},
                                   on_terminal());
    EXPECT_EQ(exec.exit_code, 2) << exec;
    EXPECT_TRUE(std::regex_search(without_cr(exec.out), std::regex("^/dev/pts/[0-9]+\n"))) << exec;
    seen.add("exec --tty", std::to_string(exec.exit_code));
  });
}

DKR_E2E_FOR_EACH_RUNTIME(ContainerdTest);

}  // namespace
}  // namespace dkr_e2e
