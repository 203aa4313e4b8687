// The end-to-end tests' private corner of the machine. The test binary
// moves into a mount namespace of its own with a tmpfs on /run, so that
// everything the engines and runtimes keep at fixed places under /run
// (/run/runc, /run/dkr, /run/containerd/s, /run/containerd/runc, ...), the
// work directory with the engines' configuration and storage, and every mount
// they make exist only there and vanish with the namespace. /var/lib is an
// overlay whose writes go to the tmpfs too. Containers get cgroups under one
// parent of the test's own.
//
// The sandbox also records what the host had before at the places where the
// engines keep things by default, so the tests can check that the host was
// left as it was.
#pragma once

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

namespace dkr_e2e {

class Sandbox {
 public:
  // Needs root. Throws std::runtime_error if the namespace or tmpfs cannot be made.
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // The work directory, on the private tmpfs.
  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // Absolute cgroup path under which all containers go ("/dkr-e2e-PID").
  const std::string& cgroup_parent() const { return cgroup_parent_; }

  // Kills every process that the engines left: those in the sandbox's mount
  // namespace (daemons, shims, conmon) but this one, and those in the cgroups
  // under cgroup_parent() (containers), thawing frozen ones, after giving
  // them a while to exit on their own; then removes those cgroups. Returns
  // what it had to kill or could not remove, one line each.
  std::vector<std::string> kill_leftovers();

  // What changed on the host since the sandbox was made at the places where
  // engines keep state by default, one line each; empty if nothing did.
  std::vector<std::string> host_changes() const;

 private:
  std::vector<std::pair<std::string, std::vector<std::string>>> host_listings() const;
  std::vector<std::string> host_mounts_of_ours() const;
  std::set<pid_t> leftover_processes() const;

  std::string dir_, cgroup_parent_;
  int host_root_ = -1;   // "/" of the namespace the test started in
  pid_t host_pid_ = -1;  // a process in that namespace (the test's parent), for its mount table
  std::vector<std::pair<std::string, std::vector<std::string>>> host_before_;
};

}  // namespace dkr_e2e
