#include "tests/integration/harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <rapidjson/pointer.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#ifndef DKR_SOURCE_DIR
#error "DKR_SOURCE_DIR must be defined (tests/CMakeLists.txt does)"
#endif
#ifndef DKR_BINARY
#error "DKR_BINARY must be defined (tests/CMakeLists.txt does)"
#endif

namespace fs = std::filesystem;

namespace dkr_it {

namespace {

std::string g_rootfs;
// The running test's own directory (tests run one at a time in a binary).
std::string g_test_dir;
// The test binary's private cgroup in each hierarchy (see PrivateCgroup).
std::vector<std::string> g_private_cgroups;

// Pids of runtime invocations in flight (not leftovers).
std::mutex g_inflight_mu;
std::set<pid_t> g_inflight;

std::string search_path(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    std::error_code ec;
    auto p = fs::absolute(name, ec);
    return ec ? name : p.string();
  }
  const char* path = getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::stringstream ss(p);
  std::string d;
  while (std::getline(ss, d, ':')) {
    if (d.empty()) continue;
    std::string cand = d + "/" + name;
    if (access(cand.c_str(), X_OK) == 0) return cand;
  }
  return "";
}

bool starts_with_path(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return false;
  if (path == prefix) return true;
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         path[prefix.size()] == '/';
}

std::string unescape_mountinfo(const std::string& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit((unsigned char)s[i + 1]) &&
        std::isdigit((unsigned char)s[i + 2]) && std::isdigit((unsigned char)s[i + 3])) {
      r += char((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      r += s[i];
    }
  }
  return r;
}

struct MountEntry {
  std::string mount_point, fstype, source, super_options, rest;
};

std::vector<MountEntry> read_mountinfo() {
  std::vector<MountEntry> v;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    auto fields = split_ws(line);
    // id parent dev root mountpoint opts [optional...] - fstype source superopts
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 7 || dash == fields.end() || dash + 1 == fields.end()) continue;
    MountEntry e;
    e.mount_point = unescape_mountinfo(fields[4]);
    e.fstype = *(dash + 1);
    e.source = (dash + 2 < fields.end()) ? unescape_mountinfo(*(dash + 2)) : "";
    e.super_options = (dash + 3 < fields.end()) ? *(dash + 3) : "";
    e.rest = fields[2] + " " + unescape_mountinfo(fields[3]);
    v.push_back(e);
  }
  return v;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> v;
  DIR* d = opendir("/proc");
  if (!d) return v;
  while (dirent* e = readdir(d)) {
    char* end;
    long n = strtol(e->d_name, &end, 10);
    if (*end == 0 && n > 0) v.push_back(pid_t(n));
  }
  closedir(d);
  return v;
}

pid_t parent_pid(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rp = stat.rfind(')');
  if (rp == std::string::npos) return -1;
  auto f = split_ws(stat.substr(rp + 1));
  if (f.size() < 2) return -1;
  return pid_t(std::atoi(f[1].c_str()));
}

// Start time (field 22 of /proc/PID/stat), 0 if there is no such process.
unsigned long long start_time(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rp = stat.rfind(')');
  if (rp == std::string::npos) return 0;
  auto f = split_ws(stat.substr(rp + 1));  // f[0] is field 3 (state)
  if (f.size() < 20) return 0;
  return std::stoull(f[19]);
}

std::string readlink_str(const std::string& p) {
  char buf[4096];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
  if (n < 0) return "";
  return std::string(buf, size_t(n));
}

std::string json_unescape_go(const std::string& s) {
  // Unescapes a Go %q / logrus quoted value body.
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      switch (c) {
        case 'n':
          r += '\n';
          break;
        case 't':
          r += '\t';
          break;
        default:
          r += c;
      }
    } else {
      r += s[i];
    }
  }
  return r;
}

// Moves the test binary into a cgroup of its own in every hierarchy, so that
// the default cgroup path of a container ("<caller's cgroup>/<id>") cannot
// clash with another test binary running at the same time with the same ids.
// Two levels: on cgroup v2 the default path sits beside the caller's cgroup.
class PrivateCgroup {
 public:
  void enter() {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    auto mounts = read_mountinfo();
    std::string name = "dkr-it-" + std::to_string(getpid());
    while (std::getline(in, line)) {
      size_t a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      std::string mp = mount_point_for(mounts, controllers);
      if (mp.empty()) continue;
      std::string base = mp + (path == "/" ? "" : path);
      std::string outer = base + "/" + name, inner = outer + "/runner";
      if (mkdir(outer.c_str(), 0755) != 0 || mkdir(inner.c_str(), 0755) != 0) continue;
      // A new v1 cpuset has no cpus or mems, and takes no task until it has.
      if (fs::exists(base + "/cpuset.cpus"))
        for (const char* f : {"/cpuset.cpus", "/cpuset.mems"})
          for (const std::string& dir : {outer, inner}) copy_value(base + f, dir + f);
      if (!write_pid(inner + "/cgroup.procs")) {
        rmdir(inner.c_str());
        rmdir(outer.c_str());
        continue;
      }
      entered_.push_back({base, outer, inner});
      g_private_cgroups.push_back(outer);
    }
  }
  void leave() {
    for (auto& e : entered_) {
      write_pid(e.original + "/cgroup.procs");
      rmdir(e.inner.c_str());
      rmdir(e.outer.c_str());
    }
    entered_.clear();
    g_private_cgroups.clear();
  }

 private:
  struct Entered {
    std::string original, outer, inner;
  };
  static void copy_value(const std::string& from, const std::string& to) {
    std::ifstream in(from);
    std::string value;
    std::getline(in, value);
    std::ofstream(to) << value << std::flush;
  }
  static bool write_pid(const std::string& procs) {
    std::ofstream out(procs);
    out << getpid() << std::flush;
    return static_cast<bool>(out);
  }
  static std::string mount_point_for(const std::vector<MountEntry>& mounts, const std::string& controllers) {
    for (auto& m : mounts) {
      if (controllers.empty() ? m.fstype == "cgroup2" : m.fstype == "cgroup") {
        if (controllers.empty()) return m.mount_point;
        std::string opts = "," + m.super_options + ",";
        std::istringstream cs(controllers);
        std::string c;
        bool all = true;
        while (std::getline(cs, c, ','))
          if (opts.find("," + c + ",") == std::string::npos) all = false;
        if (all) return m.mount_point;
      }
    }
    return "";
  }
  std::vector<Entered> entered_;
};

// Builds and removes the shared rootfs; makes the test binary a subreaper.
class RootfsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);  // children get SIG_DFL back before exec
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0) << strerror(errno);
    cgroup_.enter();
    char tmpl[] = "/tmp/dkr-it-rootfs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << strerror(errno);
    g_rootfs = tmpl;
    chmod(g_rootfs.c_str(), 0755);
    std::string script = DKR_SOURCE_DIR "/tools/mkrootfs.sh";
    RunOptions o;
    o.with_root = false;
    o.timeout = 120s;
    Command c({script, g_rootfs}, "", o);
    CmdResult r = c.wait();
    ASSERT_TRUE(r.ok()) << "making the rootfs failed: " << r;
    ASSERT_EQ(access((g_rootfs + "/bin/busybox").c_str(), X_OK), 0)
        << script << " made no " << g_rootfs << "/bin/busybox";
  }
  void TearDown() override {
    if (g_rootfs.empty()) return;
    // Unmount anything left on the rootfs (deepest first), then remove it.
    auto mounts = read_mountinfo();
    std::vector<std::string> targets;
    for (auto& m : mounts)
      if (starts_with_path(m.mount_point, g_rootfs)) targets.push_back(m.mount_point);
    std::sort(targets.rbegin(), targets.rend());
    for (auto& t : targets) umount2(t.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(g_rootfs, ec);
    // Reap whatever was reparented to us.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    cgroup_.leave();
  }

 private:
  PrivateCgroup cgroup_;
};

[[maybe_unused]] ::testing::Environment* const g_env =
    ::testing::AddGlobalTestEnvironment(new RootfsEnvironment);

}  // namespace

// ---- environment --------------------------------------------------------------------

const std::string& runtime_path() {
  static const std::string path = [] {
    const char* e = getenv("DKR_TEST_RUNTIME");
    if (e && *e) {
      std::string p = search_path(e);
      return p.empty() ? std::string(e) : p;
    }
    return std::string(DKR_BINARY);
  }();
  return path;
}

bool is_dkr() {
  const char* e = getenv("DKR_TEST_RUNTIME");
  if (!e || !*e) return true;
  std::string base = fs::path(runtime_path()).filename().string();
  return base.rfind("dkr", 0) == 0;
}

std::string find_runc() { return search_path("runc"); }

std::string find_crun() { return search_path("crun"); }

const std::string& rootfs_path() { return g_rootfs; }

// ---- CmdResult ------------------------------------------------------------------------

std::string CmdResult::message() const {
  std::vector<std::string> msgs;
  for (auto& line : split_lines(err)) {
    if (trim(line).empty()) continue;
    // logrus text: time="..." level=error msg="..."
    auto p = line.find(" msg=\"");
    if (line.rfind("time=", 0) == 0 && p != std::string::npos) {
      std::string body = line.substr(p + 6);
      // up to the closing unescaped quote
      std::string v;
      for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\\' && i + 1 < body.size()) {
          v += body[i];
          v += body[++i];
        } else if (body[i] == '"') {
          break;
        } else {
          v += body[i];
        }
      }
      msgs.push_back(json_unescape_go(v));
      continue;
    }
    if (line.rfind("{", 0) == 0) {
      auto d = parse_json(line);
      if (!d.HasParseError() && d.IsObject() && d.HasMember("msg") && d["msg"].IsString()) {
        msgs.push_back(d["msg"].GetString());
        continue;
      }
    }
    msgs.push_back(line);
  }
  std::string r;
  for (auto& m : msgs) r += (r.empty() ? "" : "\n") + m;
  return r;
}

std::string CmdResult::describe() const {
  std::ostringstream os;
  os << "command:";
  for (auto& a : argv) os << " " << a;
  os << "\nexit: " << exit_code;
  if (term_signal) os << " (signal " << term_signal << ")";
  if (timed_out) os << " (TIMED OUT, killed)";
  os << "\nstdout: [" << out << "]\nstderr: [" << err << "]\n";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const CmdResult& r) { return os << "\n" << r.describe(); }

// ---- Command ------------------------------------------------------------------------

Command::Command(std::vector<std::string> argv, const std::string& stdin_data, const RunOptions& opts)
    : opts_(opts), stdin_data_(stdin_data) {
  result_.argv = argv;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    ADD_FAILURE() << "pipe2: " << strerror(errno);
    done_ = true;
    return;
  }
  // Everything the child needs is prepared before fork (the child may only
  // use async-signal-safe calls: other threads may hold locks).
  std::vector<char*> cargv;
  for (auto& a : result_.argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings(opts_.env);
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> cenv;
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  const char* cwd = opts_.cwd.empty() ? nullptr : opts_.cwd.c_str();
  int gate = opts_.gate_fd;
  const std::vector<int>& pass = opts_.pass_fds;
  {
    // Register before the child can run so that test_processes() never sees
    // it as a leftover.
    std::lock_guard<std::mutex> lk(g_inflight_mu);
    pid_ = fork();
    if (pid_ == 0) {
      sigset_t all;
      sigemptyset(&all);
      sigprocmask(SIG_SETMASK, &all, nullptr);
      signal(SIGPIPE, SIG_DFL);
      setpgid(0, 0);
      dup2(in[0], 0);
      dup2(out[1], 1);
      dup2(err[1], 2);
      if (gate >= 0) {
        char c;
        while (read(gate, &c, 1) < 0 && errno == EINTR) {
        }
      }
      // Out of the way first, so that no source is overwritten before it is moved.
      for (size_t i = 0; i < pass.size(); ++i) dup2(pass[i], 200 + int(i));
      for (size_t i = 0; i < pass.size(); ++i) {
        dup2(200 + int(i), 3 + int(i));  // dup2 leaves the new fd without FD_CLOEXEC
        close(200 + int(i));
      }
      if (cwd && chdir(cwd) != 0) {
        const char msg[] = "harness: chdir failed\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(126);
      }
      execve(cargv[0], cargv.data(), cenv.data());
      const char msg[] = "harness: exec failed: ";
      (void)!write(2, msg, sizeof msg - 1);
      (void)!write(2, cargv[0], strlen(cargv[0]));
      (void)!write(2, "\n", 1);
      _exit(127);
    }
    if (pid_ > 0) g_inflight.insert(pid_);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid_ < 0) {
    ADD_FAILURE() << "fork: " << strerror(errno);
    close(in[1]);
    close(out[0]);
    close(err[0]);
    done_ = true;
    return;
  }
  setpgid(pid_, pid_);  // also from the parent, to avoid the race on kill
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  fcntl(in_, F_SETFL, O_NONBLOCK);
  fcntl(out_, F_SETFL, O_NONBLOCK);
  fcntl(err_, F_SETFL, O_NONBLOCK);
  if (stdin_data_.empty()) {
    close(in_);
    in_ = -1;
  }
  pidfd_ = int(syscall(SYS_pidfd_open, pid_, 0));
  deadline_ = std::chrono::steady_clock::now() + opts_.timeout;
}

Command::~Command() {
  if (!done_ && pid_ > 0) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    done_ = true;
    std::lock_guard<std::mutex> lk(g_inflight_mu);
    g_inflight.erase(pid_);
  }
  for (int fd : {pidfd_, in_, out_, err_})
    if (fd >= 0) close(fd);
}

void Command::pump(int timeout_ms) {
  std::vector<pollfd> pfds;
  if (pidfd_ >= 0) pfds.push_back({pidfd_, POLLIN, 0});
  if (out_ >= 0) pfds.push_back({out_, POLLIN, 0});
  if (err_ >= 0) pfds.push_back({err_, POLLIN, 0});
  if (in_ >= 0) pfds.push_back({in_, POLLOUT, 0});
  // Without a pidfd the exit is noticed by polling waitpid.
  int t = pidfd_ >= 0 ? timeout_ms : std::min(timeout_ms, 10);
  poll(pfds.data(), pfds.size(), t);
  char buf[65536];
  for (int* fd : {&out_, &err_}) {
    if (*fd < 0) continue;
    std::string& dst = (fd == &out_) ? result_.out : result_.err;
    for (;;) {
      ssize_t n = read(*fd, buf, sizeof buf);
      if (n > 0) {
        dst.append(buf, size_t(n));
        continue;
      }
      if (n == 0) {  // EOF
        close(*fd);
        *fd = -1;
      }
      break;
    }
  }
  if (in_ >= 0) {
    while (stdin_off_ < stdin_data_.size()) {
      ssize_t n = write(in_, stdin_data_.data() + stdin_off_, stdin_data_.size() - stdin_off_);
      if (n > 0) {
        stdin_off_ += size_t(n);
        continue;
      }
      if (n < 0 && errno == EAGAIN) break;
      stdin_off_ = stdin_data_.size();  // EPIPE: the reader is gone
    }
    if (stdin_off_ >= stdin_data_.size()) {
      close(in_);
      in_ = -1;
    }
  }
}

void Command::collect_exit(int status) {
  done_ = true;
  {
    std::lock_guard<std::mutex> lk(g_inflight_mu);
    g_inflight.erase(pid_);
  }
  if (WIFEXITED(status)) {
    result_.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result_.term_signal = WTERMSIG(status);
    result_.exit_code = 128 + result_.term_signal;
  }
  // Whatever the runtime wrote is in the pipes now. Do not wait for EOF: a
  // container started by create/run -d holds the write ends.
  pump(0);
}

const std::string& Command::out_so_far() {
  if (!done_) pump(0);
  return result_.out;
}

bool Command::finished() {
  if (done_) return true;
  pump(0);
  int st;
  if (waitpid(pid_, &st, WNOHANG) == pid_) collect_exit(st);
  return done_;
}

CmdResult Command::wait() {
  while (!done_) {
    int st;
    pid_t w = waitpid(pid_, &st, WNOHANG);
    if (w == pid_) {
      collect_exit(st);
      break;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) {
      kill(-pid_, SIGKILL);
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
      result_.timed_out = true;
      collect_exit(st);
      ADD_FAILURE() << "timed out after " << opts_.timeout.count() << " ms, killed:" << result_;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
    pump(int(std::min<long long>(left, 200)));
  }
  return result_;
}

// ---- utilities ---------------------------------------------------------------------------

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  f.close();
  if (!f) ADD_FAILURE() << "cannot write " << path;
}

namespace {
// The pieces of `s` between `sep`s; none for a trailing separator.
std::vector<std::string> split_on(const std::string& s, char sep) {
  std::vector<std::string> v;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      v.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) v.push_back(cur);
  return v;
}
}  // namespace

std::vector<std::string> split_lines(const std::string& s) { return split_on(s, '\n'); }

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream ss(s);
  std::string w;
  while (ss >> w) v.push_back(w);
  return v;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

bool icontains(const std::string& hay, const std::string& needle) {
  auto low = [](std::string s) {
    for (auto& c : s) c = char(std::tolower((unsigned char)c));
    return s;
  };
  return contains(low(hay), low(needle));
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  return d;
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return sb.GetString();
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(5ms);
  }
}

char process_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto rp = stat.rfind(')');
  if (rp == std::string::npos || rp + 2 >= stat.size()) return 0;
  return stat[rp + 2];
}

bool process_exited(pid_t pid) {
  char s = process_state(pid);
  return s == 0 || s == 'Z' || s == 'X';
}

std::vector<std::string> process_cmdline(pid_t pid) {
  return split_on(read_file("/proc/" + std::to_string(pid) + "/cmdline"), '\0');
}

unsigned long pid_ns_inode(pid_t pid) {
  struct stat st;
  if (stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) return 0;
  return st.st_ino;
}

unsigned long long caught_signals(pid_t pid) {
  std::istringstream ss(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(ss, line))
    if (line.rfind("SigCgt:", 0) == 0) return std::stoull(trim(line.substr(7)), nullptr, 16);
  return 0;
}

std::vector<std::string> mount_snapshot() {
  std::vector<std::string> v;
  for (auto& m : read_mountinfo()) {
    // Other test binaries on this machine mount under their own test dirs:
    // their mounts come and go whatever this test does.
    bool ours = starts_with_path(m.mount_point, g_rootfs) || starts_with_path(m.mount_point, g_test_dir);
    if (!ours && m.mount_point.rfind("/tmp/dkr-it-", 0) == 0) continue;
    v.push_back(m.rest + " " + m.mount_point + " - " + m.fstype + " " + m.source);
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> dir_listing(const std::string& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    v.push_back(fs::relative(it->path(), dir).string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> cgroup_snapshot() {
  std::vector<std::string> out;
  for (auto& top : g_private_cgroups) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_directory(ec)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void remove_empty_cgroups(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") return;
  std::vector<std::string> rels = {""};
  std::istringstream ss(read_file("/proc/self/cgroup"));
  std::string line;
  while (std::getline(ss, line)) {
    auto p = line.rfind(':');
    if (p != std::string::npos && line.substr(p + 1) != "/") rels.push_back(line.substr(p + 1));
  }
  std::vector<std::string> dirs = {"/sys/fs/cgroup/" + name};  // a pure cgroup v2 host
  std::error_code ec;
  for (auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
    for (auto& rel : rels) dirs.push_back(h.path().string() + rel + "/" + name);
  // A cgroup is released a moment after its last task is reaped: retry briefly.
  wait_until(
      [&] {
        bool all = true;
        for (auto& d : dirs)
          if (rmdir(d.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) all = false;
        return all;
      },
      3s);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339_utc(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (s.size() < 20 || s.back() != 'Z') return std::nullopt;
  std::tm tm{};
  const char* p = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p) return std::nullopt;
  long long nanos = 0;
  if (*p == '.') {
    ++p;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (digits < 9) nanos = nanos * 10 + (*p - '0');
      ++digits;
      ++p;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  if (std::string(p) != "Z") return std::nullopt;
  time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t) +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(nanos));
}

std::string reference_path(const std::string& name) {
  return fs::path(DKR_SOURCE_DIR "/tests/data/runc-reference/" + name).lexically_normal().string();
}

std::string str_field(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "";
  return v[key].GetString();
}

long long int_field(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsInt64()) return -1;
  return v[key].GetInt64();
}

std::vector<std::string> keys_of(const rapidjson::Value& v) {
  std::vector<std::string> k;
  if (!v.IsObject()) return k;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) k.push_back(it->name.GetString());
  return k;
}

std::string pretty_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(sb);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return sb.GetString();
}

void expect_error(const CmdResult& r, const std::string& text) {
  EXPECT_EQ(r.exit_code, 1) << "expected exit status 1:" << r;
  size_t nonempty = 0;
  for (auto& l : split_lines(r.err))
    if (!trim(l).empty()) ++nonempty;
  EXPECT_EQ(nonempty, 1u) << "expected one line on stderr:" << r;
  if (!text.empty()) {
    EXPECT_TRUE(contains(r.message(), text)) << "expected the message to contain [" << text << "]:" << r;
  }
}

// ---- ContainerTest ---------------------------------------------------------------------

void ContainerTest::SetUp() {
  ASSERT_FALSE(rootfs_path().empty()) << "the shared rootfs was not made";
  ASSERT_EQ(access(runtime_path().c_str(), X_OK), 0)
      << "runtime under test not executable: " << runtime_path() << " (build dkr, or set DKR_TEST_RUNTIME)";
  char tmpl[] = "/tmp/dkr-it-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr) << strerror(errno);
  dir_ = tmpl;
  g_test_dir = dir_;
  chmod(dir_.c_str(), 0755);
  root_ = dir_ + "/root";
  ASSERT_EQ(mkdir(root_.c_str(), 0700), 0) << strerror(errno);
}

void ContainerTest::TearDown() {
  if (dir_.empty()) return;
  cleanup_containers();
  cleanup_runc_containers();
  kill_leftover_processes();
  unmount_under({dir_, rootfs_path()});
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) std::cerr << "harness: cannot remove " << dir_ << ": " << ec.message() << "\n";
  g_test_dir.clear();
}

void ContainerTest::cleanup_containers() {
  RunOptions o;
  o.timeout = 30s;
  // The ids under --root and those that `list -q` knows.
  std::set<std::string> ids;
  std::error_code ec;
  for (auto& e : fs::directory_iterator(root_, ec))
    if (e.is_directory()) ids.insert(e.path().filename().string());
  CmdResult l = run_cmd({"list", "-q"}, "", o);
  if (l.ok())
    for (auto& id : split_lines(l.out))
      if (!trim(id).empty()) ids.insert(trim(id));
  for (auto& id : ids) {
    CmdResult s = run_cmd({"state", id}, "", o);
    if (s.ok()) {
      auto d = parse_json(s.out);
      if (!d.HasParseError() && d.IsObject() && d.HasMember("pid") && d["pid"].IsInt() &&
          d["pid"].GetInt() > 0) {
        remember_container_pid(d["pid"].GetInt());
      }
    }
    run_cmd({"kill", id, "KILL"}, "", o);
    run_cmd({"delete", "--force", id}, "", o);
  }
}

void ContainerTest::cleanup_runc_containers() {
  std::string runc_root = dir_ + "/runc-root";
  if (access(runc_root.c_str(), F_OK) != 0) return;
  RunOptions o;
  o.timeout = 30s;
  CmdResult l = run_runc({"list", "-q"}, "", o);
  for (auto& id : split_lines(l.out))
    if (!trim(id).empty()) run_runc({"delete", "--force", trim(id)}, "", o);
}

CmdResult ContainerTest::run_runc(const std::vector<std::string>& args, const std::string& stdin_data,
                                  const RunOptions& opts) {
  std::string runc_root = dir_ + "/runc-root";
  mkdir(runc_root.c_str(), 0700);
  std::vector<std::string> argv = {find_runc(), "--root", runc_root};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o = opts;
  o.with_root = false;
  return Command(argv, stdin_data, o).wait();
}

std::set<pid_t> ContainerTest::test_processes() {
  std::set<pid_t> inflight;
  {
    std::lock_guard<std::mutex> lk(g_inflight_mu);
    inflight = g_inflight;
  }
  std::set<pid_t> found;
  pid_t self = getpid();
  unsigned long self_ns = pid_ns_inode(self);
  std::vector<std::string> prefixes = {dir_, rootfs_path()};
  // Pids and pid namespaces of the containers seen, as long as each init is
  // still the process that was seen (so neither a pid nor a namespace inode
  // can have been reused by someone else's process).
  std::set<pid_t> inits;
  std::set<unsigned long> namespaces;
  for (auto [pid, start] : container_pids_) {
    if (process_exited(pid) || start_time(pid) != start) continue;
    inits.insert(pid);
    unsigned long ns = pid_ns_inode(pid);
    if (ns != 0 && ns != self_ns) namespaces.insert(ns);
  }
  for (pid_t pid : all_pids()) {
    if (pid == self || inflight.count(pid)) continue;
    char st = process_state(pid);
    if (st == 0 || st == 'Z' || st == 'X') continue;
    bool mine = parent_pid(pid) == self;
    if (!mine && inits.count(pid)) mine = true;
    if (!mine && !namespaces.empty() && namespaces.count(pid_ns_inode(pid))) mine = true;
    if (!mine) {
      for (auto& arg : process_cmdline(pid))
        for (auto& p : prefixes)
          if (!p.empty() && contains(arg, p)) mine = true;
    }
    if (!mine) {
      for (const char* link : {"/root", "/cwd"}) {
        std::string t = readlink_str("/proc/" + std::to_string(pid) + link);
        for (auto& p : prefixes)
          if (starts_with_path(t, p)) mine = true;
      }
    }
    if (mine) found.insert(pid);
  }
  return found;
}

void ContainerTest::kill_leftover_processes() {
  auto left = test_processes();
  if (!left.empty()) {
    std::cerr << "harness: killing leftover processes:";
    for (pid_t p : left) {
      std::cerr << " " << p << " (";
      for (auto& a : process_cmdline(p)) std::cerr << a << " ";
      std::cerr << ")";
      kill(p, SIGKILL);
    }
    std::cerr << "\n";
    wait_until(
        [&] {
          for (pid_t p : left)
            if (!process_exited(p)) return false;
          return true;
        },
        10s);
  }
  // Reap our zombies (nothing else is in flight during TearDown).
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void ContainerTest::unmount_under(const std::vector<std::string>& prefixes) {
  std::vector<std::string> targets;
  for (auto& m : read_mountinfo())
    for (auto& p : prefixes)
      if (starts_with_path(m.mount_point, p)) targets.push_back(m.mount_point);
  std::sort(targets.rbegin(), targets.rend());
  for (auto& t : targets) {
    std::cerr << "harness: unmounting leftover " << t << "\n";
    umount2(t.c_str(), MNT_DETACH);
  }
}

rapidjson::Document ContainerTest::base_config(const std::vector<std::string>& args) const {
  static const char* base = R"json({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": [],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/"
  },
  "root": {"path": "", "readonly": true},
  "hostname": "dkrtest",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}]
  }
})json";
  rapidjson::Document d;
  d.Parse(base);
  auto& a = d.GetAllocator();
  auto& jargs = d["process"]["args"];
  for (auto& s : args) jargs.PushBack(rapidjson::Value(s.c_str(), a), a);
  d["root"]["path"].SetString(rootfs_path().c_str(), a);
  return d;
}

std::string ContainerTest::make_rootfs(const std::string& name) {
  std::string dir = dir_ + "/" + name;
  RunOptions o;
  o.with_root = false;
  o.timeout = 120s;
  CmdResult r = Command({DKR_SOURCE_DIR "/tools/mkrootfs.sh", dir}, "", o).wait();
  if (!r.ok()) {
    ADD_FAILURE() << "making the rootfs " << dir << " failed: " << r;
    return "";
  }
  return dir;
}

std::string ContainerTest::make_raw_bundle(const std::optional<std::string>& text, const std::string& name) {
  std::string b = dir_ + "/" + (name.empty() ? "bundle-" + std::to_string(++bundle_seq_) : name);
  std::error_code ec;
  fs::create_directories(b, ec);
  EXPECT_FALSE(ec) << "cannot make " << b << ": " << ec.message();
  if (text) write_file(b + "/config.json", *text);
  return b;
}

std::string ContainerTest::make_bundle(const std::vector<std::string>& args, const ConfigEdit& edit,
                                       const std::string& name) {
  auto d = base_config(args);
  if (edit) edit(d);
  return make_raw_bundle(to_json(d), name);
}

CmdResult ContainerTest::run_cmd(const std::vector<std::string>& args, const std::string& stdin_data,
                                 const RunOptions& opts) {
  return start_cmd(args, stdin_data, opts)->wait();
}

std::unique_ptr<Command> ContainerTest::start_cmd(const std::vector<std::string>& args,
                                                  const std::string& stdin_data, const RunOptions& opts) {
  std::vector<std::string> argv = {runtime_path()};
  if (opts.with_root) {
    argv.push_back("--root");
    argv.push_back(root_);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<Command>(argv, stdin_data, opts);
}

rapidjson::Document ContainerTest::state(const std::string& id) {
  CmdResult r = run_cmd({"state", id});
  rapidjson::Document d;
  if (!r.ok()) {
    ADD_FAILURE() << "state " << id << " failed:" << r;
    return d;
  }
  d.Parse(r.out.c_str());
  if (d.HasParseError() || !d.IsObject()) {
    ADD_FAILURE() << "state " << id << " printed no JSON object:" << r;
    d.SetNull();
    return d;
  }
  if (d.HasMember("pid") && d["pid"].IsInt() && d["pid"].GetInt() > 0) {
    remember_container_pid(d["pid"].GetInt());
  }
  return d;
}

std::string ContainerTest::status(const std::string& id) {
  CmdResult r = run_cmd({"state", id});
  if (!r.ok()) return "";
  auto d = parse_json(r.out);
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("status") || !d["status"].IsString()) return "";
  return d["status"].GetString();
}

pid_t ContainerTest::state_pid(const std::string& id) {
  auto d = state(id);
  if (!d.IsObject() || !d.HasMember("pid") || !d["pid"].IsInt()) return -1;
  return d["pid"].GetInt();
}

bool ContainerTest::wait_status(const std::string& id, const std::string& want,
                                std::chrono::milliseconds timeout) {
  std::string last;
  bool ok = wait_until([&] { return (last = status(id)) == want; }, timeout);
  if (!ok)
    ADD_FAILURE() << "container " << id << " did not reach status " << want << " (last: \"" << last << "\")";
  return ok;
}

std::string ContainerTest::start_container(const std::string& id, const std::vector<std::string>& args,
                                           const ConfigEdit& edit) {
  std::string b = make_bundle(args, edit);
  CmdResult c = run_cmd({"create", "--bundle", b, id});
  EXPECT_TRUE(c.ok()) << c;
  CmdResult s = run_cmd({"start", id});
  EXPECT_TRUE(s.ok()) << s;
  state(id);  // remembers the pid and its namespace for cleanup
  return b;
}

void ContainerTest::remember_container_pid(pid_t pid) {
  if (pid <= 0) return;
  if (auto t = start_time(pid)) container_pids_[pid] = t;
}

std::vector<std::string> ContainerTest::root_entries() const {
  std::vector<std::string> v;
  for (auto& e : root_listing())
    if (e.find('/') == std::string::npos) v.push_back(e);
  return v;
}

ContainerTest::Snapshot ContainerTest::snapshot() {
  return Snapshot{root_listing(), dir_listing(dir_), mount_snapshot(), cgroup_snapshot(), test_processes()};
}

void ContainerTest::expect_unchanged(const Snapshot& before, const std::string& what) {
  EXPECT_EQ(root_listing(), before.root) << what << ": --root changed";
  EXPECT_EQ(dir_listing(dir_), before.dir) << what << ": the test dir (bundles, --root) changed";
  auto now = mount_snapshot();
  if (now != before.mounts) {
    std::vector<std::string> added, removed;
    std::set_difference(now.begin(), now.end(), before.mounts.begin(), before.mounts.end(),
                        std::back_inserter(added));
    std::set_difference(before.mounts.begin(), before.mounts.end(), now.begin(), now.end(),
                        std::back_inserter(removed));
    std::ostringstream os;
    for (auto& a : added) os << "\n  + " << a;
    for (auto& r : removed) os << "\n  - " << r;
    ADD_FAILURE() << what << ": /proc/self/mountinfo changed:" << os.str();
  }
  EXPECT_EQ(cgroup_snapshot(), before.cgroups) << what << ": cgroups changed";
  std::set<pid_t> extra;
  bool gone = wait_until(
      [&] {
        extra.clear();
        auto procs = test_processes();
        std::set_difference(procs.begin(), procs.end(), before.procs.begin(), before.procs.end(),
                            std::inserter(extra, extra.end()));
        return extra.empty();
      },
      5s);
  if (!gone) {
    std::ostringstream os;
    for (pid_t p : extra) {
      os << "\n  " << p << ":";
      for (auto& a : process_cmdline(p)) os << " " << a;
    }
    ADD_FAILURE() << what << ": processes left behind:" << os.str();
  }
}

}  // namespace dkr_it
