// Terminals: with process.terminal the container's program gets a pty made
// in the container, whose master a --console-socket receiver gets and can
// drive (runc's recvtty protocol); consoleSize is applied and /dev/console
// is the pty. In the foreground without a socket the runtime relays the
// terminal itself, interactively under tmux.
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "tests/integration/console_receiver.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

class TerminalTest : public ContainerTest {
 protected:
  std::string tty_bundle(const std::vector<std::string>& args, const ConfigEdit& more = {}) {
    return make_bundle(args, [&](rapidjson::Document& d) {
      d["process"]["terminal"].SetBool(true);
      if (more) more(d);
    });
  }
};

// The device numbers of a path inside the container, as "major:minor" in hex.
const std::string kDevOf = "stat -c '%t:%T' ";

TEST_F(TerminalTest, ConsoleSocketReceivesAWorkingPty) {
  ConsoleReceiver rx(test_dir() + "/console.sock");
  std::string b = tty_bundle({"sh"}, [](rapidjson::Document& d) {
    set_json(d, "/process/consoleSize", R"({"height": 33, "width": 77})");
  });
  auto create = start_cmd({"create", "--console-socket", rx.path(), "-b", b, "tty"});
  ASSERT_TRUE(rx.receive()) << "no pty master came over the console socket";
  CmdResult c = create->wait();
  ASSERT_TRUE(c.ok()) << c;
  CmdResult s = run_cmd({"start", "tty"});
  ASSERT_TRUE(s.ok()) << s;

  rx.send("stty size; tty; echo mark-$((40+2))\n");
  std::string out = rx.read_until("mark-42");
  EXPECT_TRUE(contains(out, "33 77")) << "consoleSize not applied: " << out;
  EXPECT_TRUE(contains(out, "/dev/pts/0")) << out;

  // /dev/console is the same device as the pty.
  rx.send(kDevOf + "/dev/console; " + kDevOf + "$(tty); echo done-$((1+1))\n");
  out = rx.read_until("done-2");
  std::vector<std::string> devs;
  for (auto& line : split_lines(out)) {
    std::string l = trim(line);
    if (l.find(':') != std::string::npos && l.find(' ') == std::string::npos) devs.push_back(l);
  }
  ASSERT_EQ(devs.size(), 2u) << out;
  EXPECT_EQ(devs[0], devs[1]) << "/dev/console is not the container's pty: " << out;

  rx.send("exit 3\n");
  EXPECT_TRUE(wait_status("tty", "stopped"));
}

TEST_F(TerminalTest, ExecTtyWithConsoleSocket) {
  start_container("etty", {"sleep", "100000"});
  ConsoleReceiver rx(test_dir() + "/exec-console.sock");
  std::string pid_file = test_dir() + "/exec.pid";
  auto exec = start_cmd({"exec", "-d", "-t", "--console-socket", rx.path(), "--pid-file", pid_file, "etty", "sh"});
  ASSERT_TRUE(rx.receive()) << "no pty master came over the console socket";
  CmdResult e = exec->wait();
  ASSERT_TRUE(e.ok()) << e;
  rx.send("tty; hostname; echo x-$((2+3))\n");
  std::string out = rx.read_until("x-5");
  EXPECT_TRUE(contains(out, "/dev/pts/")) << out;
  EXPECT_TRUE(contains(out, "dkrtest")) << out;
  rx.send("exit\n");
  // Orphaned, it came to us (the test is a subreaper): reap it, or it stays
  // a zombie in the container's pid namespace and the init cannot finish exiting.
  waitpid(std::stoi(read_file(pid_file)), nullptr, 0);
}

// runc needs a controlling terminal here (it opens /dev/tty): the
// interactive case below covers it.
TEST_F(TerminalTest, ForegroundRunRelaysThroughPipes) {
  if (!is_dkr()) GTEST_SKIP() << "runc relays only from a terminal (open /dev/tty)";
  std::string b = tty_bundle({"sh"});
  CmdResult r = run_cmd({"run", "-b", b, "fg"}, "tty; echo inside-$((2*3)); exit 5\n");
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_TRUE(contains(r.out, "inside-6\n")) << r;
  EXPECT_TRUE(contains(r.out, "/dev/pts/0\n")) << r;
  EXPECT_FALSE(contains(r.out, "\r\n")) << "ONLCR is off on a relayed pty, as runc" << r;
  EXPECT_TRUE(root_listing().empty());
}

TEST_F(TerminalTest, ForegroundExecRelaysThroughPipes) {
  if (!is_dkr()) GTEST_SKIP() << "runc relays only from a terminal (open /dev/tty)";
  start_container("fgexec", {"sleep", "100000"});
  CmdResult r = run_cmd({"exec", "-t", "fgexec", "sh"}, "tty; echo in-$((3*3)); exit 4\n");
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_TRUE(contains(r.out, "in-9\n")) << r;
  EXPECT_TRUE(contains(r.out, "/dev/pts/")) << r;
}

TEST_F(TerminalTest, TerminalAndSocketMustGoTogether) {
  std::string tty = tty_bundle({"sh"});
  std::string plain = make_bundle({"sleep", "100000"});
  ConsoleReceiver rx(test_dir() + "/unused.sock");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"create", "-b", tty, "t1"}, "cannot allocate tty if"},
      {{"run", "-d", "-b", tty, "t2"}, "cannot allocate tty if"},
      {{"create", "--console-socket", rx.path(), "-b", plain, "t3"}, "cannot use console socket if"},
      {{"run", "--console-socket", rx.path(), "-b", tty, "t4"}, "cannot use console socket if"},
  };
  for (auto& c : cases) {
    SCOPED_TRACE(c.args[0] + " " + c.args.back());
    auto before = snapshot();
    CmdResult r = run_cmd(c.args);
    EXPECT_CMD_ERROR(r, c.message);
    expect_unchanged(before, "refused terminal options");
  }
  start_container("t5", {"sleep", "100000"});
  auto before = snapshot();
  CmdResult e = run_cmd({"exec", "-t", "-d", "t5", "sh"});
  EXPECT_NE(e.exit_code, 0) << e;
  EXPECT_TRUE(contains(e.message(), "cannot allocate tty if")) << e;
  expect_unchanged(before, "refused exec -t -d");
}

// tmux gives the runtime a real terminal: raw mode, the window size and its
// changes (SIGWINCH), Ctrl-C reaching the container, the exit code, and the
// terminal restored afterwards.
class Tmux {
 public:
  explicit Tmux(const std::string& name) : name_(name) {
    ok_ = run({"new-session", "-d", "-s", name_, "-x", "100", "-y", "30", "/bin/sh"}).ok();
  }
  ~Tmux() { run({"kill-session", "-t", name_}); }
  bool ok() const { return ok_; }
  void keys(const std::string& text) { run({"send-keys", "-t", name_, "-l", text}); }
  void key(const std::string& k) { run({"send-keys", "-t", name_, k}); }
  void resize(int cols, int rows) {
    run({"resize-window", "-t", name_, "-x", std::to_string(cols), "-y", std::to_string(rows)});
  }
  std::string screen() { return run({"capture-pane", "-t", name_, "-p", "-S", "-200"}).out; }
  bool wait_for(const std::string& text) {
    return wait_until([&] { return contains(screen(), text); }, 30s);
  }

 private:
  CmdResult run(std::vector<std::string> args) {
    RunOptions o;
    o.with_root = false;
    args.insert(args.begin(), "tmux");
    args[0] = "/usr/bin/tmux";
    return Command(args, "", o).wait();
  }
  std::string name_;
  bool ok_ = false;
};

TEST_F(TerminalTest, InteractiveRunUnderTmux) {
  if (access("/usr/bin/tmux", X_OK) != 0) GTEST_SKIP() << "tmux is not installed";
  std::string b = tty_bundle({"sh"});
  Tmux t("dkr-it-" + std::to_string(getpid()));
  ASSERT_TRUE(t.ok());
  t.keys("stty -g > " + test_dir() + "/stty.before; " + runtime_path() + " --root " + root() + " run -b " + b +
         " itty; echo host-rc=$?; stty -g > " + test_dir() + "/stty.after\n");
  ASSERT_TRUE(t.wait_for("/ #")) << t.screen();
  t.keys("stty size; echo a-$((6*7))\n");
  ASSERT_TRUE(t.wait_for("a-42")) << t.screen();
  EXPECT_TRUE(contains(t.screen(), "30 100")) << t.screen();
  t.resize(90, 25);
  t.keys("stty size; echo b-$((6*8))\n");
  ASSERT_TRUE(t.wait_for("b-48")) << t.screen();
  EXPECT_TRUE(contains(t.screen(), "25 90")) << "SIGWINCH did not resize the pty" << t.screen();
  t.keys("sleep 1000\n");
  t.key("C-c");
  t.keys("echo c-$((7*7))\n");
  ASSERT_TRUE(t.wait_for("c-49")) << "Ctrl-C did not reach the container's shell" << t.screen();
  t.keys("exit 7\n");
  ASSERT_TRUE(t.wait_for("host-rc=7")) << t.screen();
  ASSERT_TRUE(wait_until([&] { return !read_file(test_dir() + "/stty.after").empty(); }));
  EXPECT_EQ(read_file(test_dir() + "/stty.after"), read_file(test_dir() + "/stty.before"))
      << "the terminal was not restored";
}

}  // namespace
}  // namespace dkr_it
