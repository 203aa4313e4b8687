#include "tests/e2e/sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/e2e/text.hpp"

namespace dkr_e2e {

namespace {

// Where engines and runtimes keep things when not told otherwise, relative to "/".
const char* const kEngineDefaults[] = {
    "run/runc",
    "run/dkr",
    "run/crun",
    "run/containerd",
    "run/containers",
    "run/libpod",
    "run/netns",
    "var/lib/containers",
    "var/lib/containerd",
    "var/lib/cni",
    "etc/cni",
    "etc/containers",
    "var/tmp",
    "dev/shm",
    "opt/containerd",
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

// Sorted names in a directory, or {"(absent)"}.
std::vector<std::string> listing(int dirfd, const std::string& rel) {
  int fd = openat(dirfd, rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {"(absent)"};
  DIR* d = fdopendir(fd);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  return f;
}

// Mount points of the cgroup hierarchies (v1 controllers and cgroup2).
std::vector<std::string> cgroup_roots() {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> roots;
  for (std::string line; std::getline(in, line);) {
    auto f = fields(line);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (dash != f.end() && dash + 1 != f.end() && (dash[1] == "cgroup" || dash[1] == "cgroup2")) roots.push_back(f[4]);
  }
  return roots;
}

// Every directory under top, deepest first.
std::vector<std::string> subtree(const std::string& top) {
  std::vector<std::string> dirs;
  struct stat st;
  if (stat(top.c_str(), &st) != 0) return dirs;
  std::vector<std::string> todo{top};
  while (!todo.empty()) {
    std::string d = todo.back();
    todo.pop_back();
    dirs.push_back(d);
    for (auto& n : listing(AT_FDCWD, d)) {
      std::string p = d + "/" + n;
      if (n != "(absent)" && stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) todo.push_back(p);
    }
  }
  std::sort(dirs.begin(), dirs.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
  return dirs;
}

std::string mount_ns_of(pid_t pid) {
  char buf[64];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, size_t(n)) : "";
}

// State letter from /proc/PID/stat, 0 if gone.
char process_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto p = stat.rfind(')');
  return p == std::string::npos || p + 2 >= stat.size() ? 0 : stat[p + 2];
}

std::string describe_process(pid_t pid) {
  std::string cmd = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(cmd.begin(), cmd.end(), '\0', ' ');
  return std::to_string(pid) + " " + cmd;
}

}  // namespace

Sandbox::Sandbox() {
  if (geteuid() != 0) throw std::runtime_error("the end-to-end tests run engines as root: run them as root");
  host_root_ = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  host_pid_ = getppid();
  host_before_ = host_listings();
  if (unshare(CLONE_NEWNS) != 0) fail("unshare(CLONE_NEWNS)");
  // Nothing mounted here may reach the host, nor anything of the host's here.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("making / private");
  if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4g") != 0) fail("mounting a tmpfs on /run");
  dir_ = "/run/dkr-e2e";
  if (mkdir(dir_.c_str(), 0755) != 0) fail("mkdir " + dir_);
  // What is written to /var/lib goes to the tmpfs: podman keeps its blob-info
  // cache in /var/lib/containers/cache whatever its storage configuration.
  std::string upper = path("var-lib"), work = path("var-lib.work");
  if (mkdir(upper.c_str(), 0755) != 0 || mkdir(work.c_str(), 0755) != 0) fail("mkdir " + upper);
  std::string options = "lowerdir=/var/lib,upperdir=" + upper + ",workdir=" + work;
  if (mount("overlay", "/var/lib", "overlay", 0, options.c_str()) != 0) fail("mounting an overlay on /var/lib");
  cgroup_parent_ = "/dkr-e2e-" + std::to_string(getpid());
}

Sandbox::~Sandbox() {
  if (host_root_ >= 0) close(host_root_);
}

std::set<pid_t> Sandbox::leftover_processes() const {
  std::set<pid_t> found;
  const std::string own_ns = mount_ns_of(getpid());
  DIR* proc = opendir("/proc");
  while (dirent* e = proc ? readdir(proc) : nullptr) {
    pid_t pid = pid_t(std::atoi(e->d_name));
    if (pid > 0 && pid != getpid() && mount_ns_of(pid) == own_ns) found.insert(pid);
  }
  if (proc) closedir(proc);
  for (auto& root : cgroup_roots())
    for (auto& cg : subtree(root + cgroup_parent_)) {
      std::istringstream procs(read_file(cg + "/cgroup.procs"));
      for (pid_t pid; procs >> pid;) found.insert(pid);
    }
  // Zombies are dead already; whoever is their parent reaps them.
  std::erase_if(found, [](pid_t pid) {
    char s = process_state(pid);
    return s == 0 || s == 'Z';
  });
  return found;
}

std::vector<std::string> Sandbox::kill_leftovers() {
  std::vector<std::string> report;
  // Engines finish their own clean-up (podman's cleanup processes, exiting
  // shims) in the background for a moment.
  wait_until([&] { return leftover_processes().empty(); }, std::chrono::seconds(30));
  auto roots = cgroup_roots();
  std::set<pid_t> reported;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (std::set<pid_t> left; !(left = leftover_processes()).empty();) {
    if (std::chrono::steady_clock::now() > deadline) {
      for (pid_t pid : left) report.push_back("could not kill " + describe_process(pid));
      break;
    }
    for (auto& root : roots)
      for (auto& cg : subtree(root + cgroup_parent_))
        if (exists(cg + "/freezer.state")) std::ofstream(cg + "/freezer.state") << "THAWED";
    for (pid_t pid : left) {
      if (reported.insert(pid).second) report.push_back("killed a leftover process: " + describe_process(pid));
      kill(pid, SIGKILL);
    }
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& root : roots)
    for (auto& cg : subtree(root + cgroup_parent_)) {
      // A cgroup can stay busy for a moment after its last process died.
      bool gone = wait_until([&] { return rmdir(cg.c_str()) == 0 || errno == ENOENT; }, std::chrono::seconds(5));
      if (!gone) report.push_back("could not remove cgroup " + cg + ": " + std::strerror(errno));
    }
  return report;
}

std::vector<std::pair<std::string, std::vector<std::string>>> Sandbox::host_listings() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> all;
  for (const char* rel : kEngineDefaults) all.emplace_back(rel, listing(host_root_, rel));
  // Cgroups that engines make at the top of each hierarchy by default, and ours.
  for (auto& root : cgroup_roots()) {
    std::vector<std::string> engines;
    for (auto& n : listing(AT_FDCWD, root))
      if (n == "libpod_parent" || n == "machine.slice" || n.rfind("dkr-e2e", 0) == 0) engines.push_back(n);
    all.emplace_back(root, engines);
  }
  return all;
}

std::vector<std::string> Sandbox::host_mounts_of_ours() const {
  std::ifstream in("/proc/" + std::to_string(host_pid_) + "/mountinfo");
  std::vector<std::string> ours;
  for (std::string line; std::getline(in, line);)
    if (line.find("dkr-e2e") != std::string::npos || line.find("/run/containerd") != std::string::npos ||
        line.find("/containers/storage") != std::string::npos)
      ours.push_back(line);
  return ours;
}

std::vector<std::string> Sandbox::host_changes() const {
  std::vector<std::string> changes;
  auto now = host_listings();
  for (size_t i = 0; i < now.size() && i < host_before_.size(); ++i) {
    auto& [where, after] = now[i];
    auto& before = host_before_[i].second;
    if (after == before) continue;
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (auto& n : v) s += (s.empty() ? "" : " ") + n;
      return s;
    };
    changes.push_back(where + ": was [" + join(before) + "], now [" + join(after) + "]");
  }
  for (auto& m : host_mounts_of_ours()) changes.push_back("host mount: " + m);
  return changes;
}

}  // namespace dkr_e2e
