// containerd as the tests run it: a daemon of their own with a private
// config.toml, root, state dir and socket in the sandbox (the CRI plugin off:
// there is no kubelet), driven with ctr through the runc shim
// (io.containerd.runc.v2), which `ctr run --runc-binary` points at a runtime.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/process.hpp"
#include "tests/e2e/runtimes.hpp"
#include "tests/e2e/sandbox.hpp"

namespace dkr_e2e {

class Containerd {
 public:
  static constexpr const char* kImage = "localhost/busybox:e2e";
  static constexpr const char* kNamespace = "dkr-e2e";

  // Writes the configuration under sandbox.path("containerd"), starts the
  // daemon, waits until it answers and imports oci_archive (made from
  // kImage). Throws std::runtime_error, with the daemon's log, if any fails.
  Containerd(const Sandbox& sandbox, const std::string& oci_archive);
  ~Containerd();

  // ctr --address SOCKET --namespace kNamespace ARGS.
  Result ctr(std::vector<std::string> args, RunOptions opts = {}) const;

  // `ctr run` up to the command: run --runc-binary RT --cgroup PARENT/ID FLAGS kImage ID.
  std::vector<std::string> run_args(const Runtime& rt, const std::string& id,
                                    const std::vector<std::string>& flags = {}) const;

  // The runtime's state directory of a container: the runc shim passes
  // --root /run/containerd/runc/NAMESPACE to the runtime.
  static std::string runtime_state_dir(const std::string& id);

  // Kills and deletes every task and container, then stops the daemon;
  // returns what failed, one line each.
  std::vector<std::string> shut_down();

  // The daemon's log, for messages.
  std::string log() const;

 private:
  std::string home_, socket_, log_path_, cgroup_parent_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace dkr_e2e
