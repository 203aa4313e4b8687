#include "tests/e2e/podman.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

#include "tests/e2e/text.hpp"

namespace dkr_e2e {

namespace {

// The smaller of want and this process's hard limit of resource.
std::string hard_limit_at_most(int resource, rlim_t want) {
  rlimit rl{};
  getrlimit(resource, &rl);
  return std::to_string(std::min(want, rl.rlim_max));
}

const char* const kContainersConf = R"(# The end-to-end tests' podman configuration (tests/e2e/podman.cpp).
[containers]
# No network to give here: containers get none unless a test asks.
netns = "none"
# podman's defaults (1048576) exceed the hard limits here, and raising a hard
# limit needs CAP_SYS_RESOURCE, which this machine's bounding set lacks.
default_ulimits = ["nofile=@NOFILE@:@NOFILE@", "nproc=@NPROC@:@NPROC@"]

[network]
network_config_dir = "@HOME@/cni"

[engine]
# systemd is not PID 1 here, and there is no journald.
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "@HOME@/events.log"
# Not /dev/shm/libpod_lock, which the host would share.
lock_type = "file"
tmp_dir = "@HOME@/tmp"
image_copy_tmp_dir = "@HOME@/image-tmp"
runtime = "runc"
# podman asks these for JSON log lines, and reads their errors from them.
runtime_supports_json = ["crun", "runc", "dkr"]

# Also for the commands that find a container's runtime by the name podman
# recorded for it.
[engine.runtimes]
runc = ["@RUNC@"]
dkr = ["@DKR@"]
)";

const char* const kStorageConf = R"([storage]
driver = "overlay"
graphroot = "@HOME@/storage"
runroot = "@HOME@/run"
)";

}  // namespace

Podman::Podman(const Sandbox& sandbox, const std::string& rootfs_tar) : cgroup_parent_(sandbox.cgroup_parent()) {
  const std::string home = sandbox.path("podman");
  for (auto d : {"", "/cni", "/tmp", "/image-tmp", "/home"}) mkdir((home + d).c_str(), 0755);
  containers_conf_ = home + "/containers.conf";
  std::string storage_conf = home + "/storage.conf";
  const Runtime &runc = runtime("runc"), &dkr = runtime("dkr");
  write_file(containers_conf_, substitute(kContainersConf, {{"@HOME@", home},
                                                            {"@NOFILE@", hard_limit_at_most(RLIMIT_NOFILE, 1024)},
                                                            {"@NPROC@", hard_limit_at_most(RLIMIT_NPROC, 4096)},
                                                            {"@RUNC@", runc.path},
                                                            {"@DKR@", dkr.path}}));
  write_file(storage_conf, substitute(kStorageConf, {{"@HOME@", home}}));
  env_ = {"CONTAINERS_CONF=" + containers_conf_, "CONTAINERS_STORAGE_CONF=" + storage_conf,
          "TMPDIR=" + home + "/image-tmp", "HOME=" + home + "/home"};

  Result imported = plain({"import", rootfs_tar, kImage});
  if (!imported.ok())
    throw std::runtime_error("podman import failed (is podman installed? tools/setup.sh installs it):" +
                             describe(imported));
}

Result Podman::plain(std::vector<std::string> args) const {
  args.insert(args.begin(), "podman");
  RunOptions opts;
  opts.env = env_;
  return run(args, opts);
}

Result Podman::operator()(const Runtime& rt, std::vector<std::string> args, RunOptions opts) const {
  if (!args.empty() && (args[0] == "run" || args[0] == "create"))
    args.insert(args.begin() + 1, "--cgroup-parent=" + cgroup_parent_);
  args.insert(args.begin(), {"podman", "--runtime", rt.path});
  opts.env.insert(opts.env.begin(), env_.begin(), env_.end());
  return run(args, opts);
}

void Podman::save_oci_archive(const std::string& path) const {
  Result saved = plain({"save", "--format", "oci-archive", "-o", path, kImage});
  if (!saved.ok()) throw std::runtime_error("podman save failed:" + describe(saved));
}

std::vector<std::string> Podman::shut_down() const {
  std::vector<std::string> problems;
  for (auto args : {std::vector<std::string>{"rm", "--all", "--force", "--time", "0"},
                    std::vector<std::string>{"rmi", "--all", "--force"}}) {
    Result r = plain(args);
    if (!r.ok()) problems.push_back(describe(r));
  }
  return problems;
}

}  // namespace dkr_e2e
