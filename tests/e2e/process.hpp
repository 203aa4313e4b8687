// Running the engines' command-line tools (podman, ctr, tar, ...) from the
// end-to-end tests: with extra environment, input, an optional terminal, and
// a timeout after which the whole session of the program is killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace dkr_e2e {

using namespace std::chrono_literals;

struct Result {
  std::vector<std::string> argv;
  int exit_code = -1;  // exit status, or 128+N when killed by signal N
  bool timed_out = false;
  std::string out, err;  // with a terminal, everything the program wrote is in out

  bool ok() const { return exit_code == 0 && !timed_out; }
};
// The command, its exit and its output, for assertion messages.
std::ostream& operator<<(std::ostream& os, const Result& r);
std::string describe(const Result& r);

struct RunOptions {
  std::vector<std::string> env;  // NAME=VALUE, added to (or replacing in) the inherited environment
  std::string input;             // written to stdin (then closed, unless stdin is a terminal)
  bool tty = false;              // stdin, stdout and stderr are one 24x80 pseudo-terminal
  std::chrono::milliseconds timeout = 180s;
};

// stdin fed with input.
RunOptions with_input(const std::string& input);
// On a terminal of its own, on which typed is typed.
RunOptions on_terminal(const std::string& typed = "");

// Runs argv[0] (looked up in PATH) in a session of its own and waits for it.
// Output is collected until the program exits, not until EOF: a daemon it
// starts (conmon, a containerd shim) may keep the pipes open.
Result run(const std::vector<std::string>& argv, const RunOptions& opts = {});

// A daemon: runs in a session of its own with stdin on /dev/null and stdout
// and stderr appended to a log file; stopped by the destructor.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path);
  ~Daemon() { stop(); }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const;
  // SIGTERM, then SIGKILL once grace has passed; reaps it. Returns false if it had to be killed.
  bool stop(std::chrono::milliseconds grace = 30s);

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

}  // namespace dkr_e2e
