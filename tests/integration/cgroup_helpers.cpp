#include "tests/integration/cgroup_helpers.hpp"

#include <rapidjson/document.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <algorithm>
#include <sstream>

namespace dkr_it {

namespace {

struct CgroupMount {
  std::string mount_point, fstype, options;
};

std::vector<CgroupMount> cgroup_mounts() {
  std::vector<CgroupMount> out;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    auto f = split_ws(line);
    // id parent dev root mountpoint options [optional...] - fstype source super-options
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || f.end() - dash < 4) continue;
    if (dash[1] == "cgroup" || dash[1] == "cgroup2") out.push_back({f[4], dash[1], dash[3]});
  }
  return out;
}

}  // namespace

bool cgroup_v2_host() {
  struct statfs st;
  return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

std::string cgroup_dir(const std::string& controller, const std::string& abs_path) {
  for (auto& m : cgroup_mounts()) {
    if (cgroup_v2_host() ? m.fstype == "cgroup2"
                         : m.fstype == "cgroup" && contains("," + m.options + ",", "," + controller + ","))
      return m.mount_point + abs_path;
  }
  return "";
}

std::vector<std::string> existing_cgroup_dirs(const std::string& abs_path) {
  std::vector<std::string> out;
  for (auto& m : cgroup_mounts())
    if (access((m.mount_point + abs_path).c_str(), F_OK) == 0) out.push_back(m.mount_point + abs_path);
  return out;
}

bool cgroup_frozen(const std::string& abs_path) {
  if (cgroup_v2_host()) return contains(read_file(cgroup_dir("", abs_path) + "/cgroup.events"), "frozen 1");
  return trim(read_file(cgroup_dir("freezer", abs_path) + "/freezer.state")) == "FROZEN";
}

ConfigEdit with_resources(const std::string& resources_json, const std::string& cgroups_path) {
  return [resources_json, cgroups_path](rapidjson::Document& d) {
    auto& a = d.GetAllocator();
    rapidjson::Document r(&a);
    r.Parse(resources_json.c_str());
    ASSERT_FALSE(r.HasParseError()) << resources_json;
    d["linux"].AddMember("resources", rapidjson::Value(r, a), a);
    if (!cgroups_path.empty()) d["linux"].AddMember("cgroupsPath", rapidjson::Value(cgroups_path.c_str(), a), a);
  };
}

ConfigEdit with_cgroup_mount(const ConfigEdit& edit) {
  return [edit](rapidjson::Document& d) {
    if (edit) edit(d);
    auto& a = d.GetAllocator();
    rapidjson::Value m(rapidjson::kObjectType);
    m.AddMember("destination", "/sys/fs/cgroup", a);
    m.AddMember("type", "cgroup", a);
    m.AddMember("source", "cgroup", a);
    rapidjson::Value opts(rapidjson::kArrayType);
    for (const char* o : {"nosuid", "noexec", "nodev", "relatime", "ro"}) opts.PushBack(rapidjson::StringRef(o), a);
    m.AddMember("options", opts, a);
    d["mounts"].PushBack(m, a);
  };
}

void CgroupTest::TearDown() {
  ContainerTest::TearDown();  // deletes the containers, which removes their cgroups
  for (auto& name : names_) {
    remove_empty_cgroups(name);
    EXPECT_TRUE(existing_cgroup_dirs("/" + name).empty()) << "cgroup /" << name << " left behind";
  }
}

std::string CgroupTest::unique_cgroup(const std::string& what) {
  names_.push_back("dkr-it-" + std::to_string(getpid()) + "-" + what);
  return "/" + names_.back();
}

std::string CgroupTest::container_shm(pid_t init_pid) { return "/proc/" + std::to_string(init_pid) + "/root/dev/shm"; }

}  // namespace dkr_it
