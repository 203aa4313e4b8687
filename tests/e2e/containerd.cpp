#include "tests/e2e/containerd.hpp"

#include <sys/stat.h>

#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/e2e/text.hpp"

namespace dkr_e2e {

namespace {

const char* const kConfig = R"(# The end-to-end tests' containerd configuration (tests/e2e/containerd.cpp).
version = 2
root = "@HOME@/root"
state = "@HOME@/state"
# No kubelet here; the snapshotters that need file systems of their own
# and the tracing exporters only add noise to the log.
disabled_plugins = ["io.containerd.grpc.v1.cri",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "@SOCKET@"

[ttrpc]
  address = "@SOCKET@.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

# Not /opt/containerd.
[plugins."io.containerd.internal.v1.opt"]
  path = "@HOME@/opt"
)";

}  // namespace

Containerd::Containerd(const Sandbox& sandbox, const std::string& oci_archive)
    : home_(sandbox.path("containerd")), cgroup_parent_(sandbox.cgroup_parent()) {
  mkdir(home_.c_str(), 0755);
  socket_ = home_ + "/containerd.sock";
  log_path_ = home_ + "/containerd.log";
  std::string config = home_ + "/config.toml";
  write_file(config, substitute(kConfig, {{"@HOME@", home_}, {"@SOCKET@", socket_}}));
  daemon_ = std::make_unique<Daemon>(std::vector<std::string>{"containerd", "--config", config},
                                     std::vector<std::string>{"TMPDIR=" + home_}, log_path_);
  // Ready once it answers (a cold start takes well under a second; the
  // machine may be busy).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  Result version;
  while (!(version = ctr({"version"})).ok()) {
    if (!daemon_->running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("containerd did not come up (is it installed? tools/setup.sh installs it):" +
                               describe(version) + "log:\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The archive's image is named by its tag only ("e2e"); --base-name puts
  // the repository in front.
  Result imported = ctr({"image", "import", "--base-name", "localhost/busybox", oci_archive});
  if (!imported.ok()) throw std::runtime_error("ctr image import failed:" + describe(imported));
}

Containerd::~Containerd() { shut_down(); }

Result Containerd::ctr(std::vector<std::string> args, RunOptions opts) const {
  args.insert(args.begin(), {"ctr", "--address", socket_, "--namespace", kNamespace});
  return run(args, opts);
}

std::vector<std::string> Containerd::run_args(const Runtime& rt, const std::string& id,
                                              const std::vector<std::string>& flags) const {
  std::vector<std::string> args{"run", "--runc-binary", rt.path, "--cgroup", cgroup_parent_ + "/" + id};
  args.insert(args.end(), flags.begin(), flags.end());
  args.push_back(kImage);
  args.push_back(id);
  return args;
}

std::string Containerd::runtime_state_dir(const std::string& id) {
  return std::string("/run/containerd/runc/") + kNamespace + "/" + id;
}

std::vector<std::string> Containerd::shut_down() {
  std::vector<std::string> problems;
  if (!daemon_) return problems;
  if (daemon_->running()) {
    std::istringstream tasks(ctr({"task", "ls", "--quiet"}).out);
    for (std::string id; tasks >> id;) {
      ctr({"task", "kill", "--signal", "SIGKILL", "--all", id});
      Result r = ctr({"task", "delete", "--force", id});
      if (!r.ok()) problems.push_back(describe(r));
    }
    std::istringstream containers(ctr({"container", "ls", "--quiet"}).out);
    for (std::string id; containers >> id;) {
      Result r = ctr({"container", "delete", id});
      if (!r.ok()) problems.push_back(describe(r));
    }
  }
  if (!daemon_->stop()) problems.push_back("containerd did not stop on SIGTERM; killed it");
  daemon_.reset();
  return problems;
}

std::string Containerd::log() const { return read_file(log_path_); }

}  // namespace dkr_e2e
