#include "tests/e2e/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace dkr_e2e {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// The inherited environment with env's entries added or replaced.
std::vector<std::string> environment(const std::vector<std::string>& env) {
  std::map<std::string, std::string> vars;
  auto put = [&](const std::string& kv) { vars[kv.substr(0, kv.find('='))] = kv; };
  for (char** e = environ; *e; ++e) put(*e);
  for (auto& kv : env) put(kv);
  std::vector<std::string> out;
  for (auto& [name, kv] : vars) out.push_back(kv);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> p;
  for (auto& s : v) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// posix_spawn attributes and file actions, released on scope exit.
struct Spawn {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;

  Spawn() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
    // A session of its own (so a timeout can kill all it started, and a
    // terminal opened by the child becomes its controlling terminal), with
    // default signal dispositions and nothing blocked.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~Spawn() {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  pid_t start(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    std::vector<std::string> args = argv, envs = environment(env);
    auto cargs = c_strings(args), cenv = c_strings(envs);
    pid_t pid;
    int rc = posix_spawnp(&pid, cargs[0], &actions, &attr, cargs.data(), cenv.data());
    if (rc != 0) {
      errno = rc;
      fail("starting " + argv[0]);
    }
    return pid;
  }
};

int pidfd_of(pid_t pid) { return int(syscall(SYS_pidfd_open, pid, 0)); }

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads what is available without blocking; returns false at EOF (or EIO: a
// terminal whose other side is closed).
bool drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, size_t(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return false;
  }
}

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) fail("pipe");
  read_end.reset(p[0]);
  write_end.reset(p[1]);
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const Result& r) {
  os << "\n$";
  for (auto& a : r.argv) os << " " << a;
  os << "\nexit: " << r.exit_code << (r.timed_out ? " (timed out, killed)" : "") << "\nstdout: [" << r.out
     << "]\nstderr: [" << r.err << "]\n";
  return os;
}

RunOptions with_input(const std::string& input) {
  RunOptions o;
  o.input = input;
  return o;
}

RunOptions on_terminal(const std::string& typed) {
  RunOptions o;
  o.input = typed;
  o.tty = true;
  return o;
}

std::string describe(const Result& r) {
  std::ostringstream s;
  s << r;
  return s.str();
}

Result run(const std::vector<std::string>& argv, const RunOptions& opts) {
  Result r;
  r.argv = argv;
  Spawn spawn;
  // out and err: what we read; in: what we write (the terminal's master side
  // serves all three). The child's ends are closed once it has started.
  Fd out, err, in, child_out, child_err, child_in;
  if (opts.tty) {
    out.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (out.get() < 0 || grantpt(out.get()) != 0 || unlockpt(out.get()) != 0) fail("opening a pseudo-terminal");
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 80;
    ioctl(out.get(), TIOCSWINSZ, &ws);
    char slave[128];
    if (ptsname_r(out.get(), slave, sizeof slave) != 0) fail("ptsname");
    // Opened by the child after setsid, so it becomes its controlling terminal.
    posix_spawn_file_actions_addopen(&spawn.actions, 0, slave, O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&spawn.actions, 0, 1);
    posix_spawn_file_actions_adddup2(&spawn.actions, 0, 2);
    in.reset(dup(out.get()));
  } else {
    make_pipe(out, child_out);
    make_pipe(err, child_err);
    posix_spawn_file_actions_adddup2(&spawn.actions, child_out.get(), 1);
    posix_spawn_file_actions_adddup2(&spawn.actions, child_err.get(), 2);
    if (opts.input.empty()) {
      posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
    } else {
      make_pipe(child_in, in);
      posix_spawn_file_actions_adddup2(&spawn.actions, child_in.get(), 0);
    }
  }
  pid_t pid = spawn.start(argv, opts.env);
  child_out.reset();
  child_err.reset();
  child_in.reset();
  Fd pidfd(pidfd_of(pid));
  if (pidfd.get() < 0) fail("pidfd_open");
  for (const Fd* fd : {&out, &err, &in})
    if (fd->get() >= 0) fcntl(fd->get(), F_SETFL, O_NONBLOCK);

  size_t written = 0;
  if (opts.input.empty() && !opts.tty) in.reset();
  auto deadline = std::chrono::steady_clock::now() + opts.timeout;
  for (;;) {
    std::vector<pollfd> pfds{{pidfd.get(), POLLIN, 0}};
    if (out.get() >= 0) pfds.push_back({out.get(), POLLIN, 0});
    if (err.get() >= 0) pfds.push_back({err.get(), POLLIN, 0});
    if (in.get() >= 0 && written < opts.input.size()) pfds.push_back({in.get(), POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    poll(pfds.data(), pfds.size(), r.timed_out ? -1 : int(std::min<long long>(left.count(), 1000)));
    if (out.get() >= 0 && !drain(out.get(), r.out)) out.reset();
    if (err.get() >= 0 && !drain(err.get(), r.err)) err.reset();
    while (in.get() >= 0 && written < opts.input.size()) {
      ssize_t n = write(in.get(), opts.input.data() + written, opts.input.size() - written);
      if (n > 0) {
        written += size_t(n);
      } else {
        if (n < 0 && errno == EAGAIN) break;
        written = opts.input.size();  // the reader is gone
      }
    }
    if (!opts.tty && in.get() >= 0 && written >= opts.input.size()) in.reset();
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      r.exit_code = decode_status(status);
      break;
    }
  }
  // What the program wrote before it exited is in the pipes now.
  if (out.get() >= 0) drain(out.get(), r.out);
  if (err.get() >= 0) drain(err.get(), r.err);
  return r;
}

Daemon::Daemon(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& log_path) {
  Spawn spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&spawn.actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&spawn.actions, 1, 2);
  pid_ = spawn.start(argv, env);
  pidfd_ = pidfd_of(pid_);
}

bool Daemon::running() const {
  pollfd p{pidfd_, POLLIN, 0};
  return pid_ > 0 && poll(&p, 1, 0) == 0;
}

bool Daemon::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return true;
  kill(pid_, SIGTERM);
  pollfd p{pidfd_, POLLIN, 0};
  bool clean = poll(&p, 1, int(grace.count())) == 1;
  if (!clean) kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  close(pidfd_);
  pid_ = pidfd_ = -1;
  return clean;
}

}  // namespace dkr_e2e
