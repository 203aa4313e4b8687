// podman as the tests run it: root, with a private containers.conf and
// storage.conf in the sandbox that suit this kind of machine (no systemd as
// PID 1, no journald, no network to give, no CAP_SYS_RESOURCE in the
// bounding set), and the busybox image imported from the tests' rootfs.
#pragma once

#include <string>
#include <vector>

#include "tests/e2e/process.hpp"
#include "tests/e2e/runtimes.hpp"
#include "tests/e2e/sandbox.hpp"

namespace dkr_e2e {

class Podman {
 public:
  static constexpr const char* kImage = "localhost/busybox:e2e";

  // Writes the configuration under sandbox.path("podman") and imports
  // rootfs_tar (a tarball of a root filesystem) as kImage. Throws
  // std::runtime_error if podman is missing or the import fails.
  Podman(const Sandbox& sandbox, const std::string& rootfs_tar);

  // podman --runtime RT ARGS, with the private configuration. `run` and
  // `create` also get --cgroup-parent (the sandbox's), as every container
  // must have its cgroup there.
  Result operator()(const Runtime& rt, std::vector<std::string> args, RunOptions opts = {}) const;

  // Writes kImage as an OCI archive (for `ctr image import`).
  void save_oci_archive(const std::string& path) const;

  // Removes every container and image; returns what failed, one line each.
  std::vector<std::string> shut_down() const;

  // The private containers.conf, for messages.
  const std::string& containers_conf() const { return containers_conf_; }

 private:
  Result plain(std::vector<std::string> args) const;

  std::string containers_conf_, cgroup_parent_;
  std::vector<std::string> env_;
};

}  // namespace dkr_e2e
