// Shared by the cgroup_*_test.cpp files: where a container's cgroup is on
// this host, config edits for limits, and a fixture that removes the test's
// cgroups even when a runtime leaked them.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

namespace dkr_it {

// True on a pure cgroup v2 host (statfs of /sys/fs/cgroup).
bool cgroup_v2_host();
// The directory of an absolute cgroupsPath in controller's hierarchy ("" if
// that v1 hierarchy is not mounted). On a v2 host, the controller is ignored.
std::string cgroup_dir(const std::string& controller, const std::string& abs_path);
// The directories of abs_path that exist, in every cgroup hierarchy mounted.
std::vector<std::string> existing_cgroup_dirs(const std::string& abs_path);
// Whether the cgroup is frozen: freezer.state FROZEN (v1), "frozen 1" in cgroup.events (v2).
bool cgroup_frozen(const std::string& abs_path);

// Sets linux.resources from JSON text and, if not empty, linux.cgroupsPath.
ConfigEdit with_resources(const std::string& resources_json, const std::string& cgroups_path = "");
// The same, after edit, plus a read-only "cgroup" mount at /sys/fs/cgroup.
ConfigEdit with_cgroup_mount(const ConfigEdit& edit);

class CgroupTest : public ContainerTest {
 protected:
  void TearDown() override;
  // A unique absolute cgroupsPath for this test ("/dkr-it-<pid>-<what>"),
  // removed from every hierarchy in TearDown.
  std::string unique_cgroup(const std::string& what);
  // The init's /dev/shm (a tmpfs inside the container), seen from the host.
  static std::string container_shm(pid_t init_pid);

 private:
  std::vector<std::string> names_;
};

}  // namespace dkr_it
