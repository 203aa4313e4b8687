// Namespaces, read from inside the container: new ones of all eight types,
// joined ones by path (the pid namespace before the init is born), user
// namespace mappings, time namespace offsets, and sysctl, which only a
// namespace the container owns may take.
#include <unistd.h>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

class NamespaceTest : public IsolationTest {
 protected:
  // readlink /proc/PID/ns/NAME, e.g. "net:[4026531840]".
  static std::string ns_of(const std::string& pid, const std::string& name) {
    char buf[128];
    ssize_t n = readlink(("/proc/" + pid + "/ns/" + name).c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, size_t(n)) : "";
  }
};

constexpr const char* kAllTypes[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

std::string print_namespaces() {
  std::string script;
  for (const char* n : kAllTypes) script += std::string("readlink /proc/self/ns/") + n + "; ";
  return script;
}

// runc 1.1.5 knows no time namespace, and wants uid mappings even for a
// user namespace it joins: those cases run against dkr only.
#define SKIP_UNLESS_DKR(why) \
  if (!is_dkr()) GTEST_SKIP() << "the runtime under test is not dkr; runc 1.1.5 " why

TEST_F(NamespaceTest, AllEightTypesAreNew) {
  if (ns_of("self", "time").empty()) GTEST_SKIP() << "this kernel has no time namespaces";
  SKIP_UNLESS_DKR("has no time namespaces");
  std::string b = make_bundle({"sh", "-c", print_namespaces()}, [](rapidjson::Document& d) {
    set_json(d, "/linux/namespaces/-", R"({"type": "cgroup"})");
    set_json(d, "/linux/namespaces/-", R"({"type": "time"})");
    add_user_namespace(d);
  });
  auto inside = run_lines(b, "allns", std::size(kAllTypes));
  for (size_t i = 0; i < inside.size(); ++i)
    EXPECT_NE(inside[i], ns_of("self", kAllTypes[i])) << kAllTypes[i] << " is the host's";
}

TEST_F(NamespaceTest, UserNamespaceFromInside) {
  auto edit = [](rapidjson::Document& d) {
    add_user_namespace(d);
    set_json(d, "/process/oomScoreAdj", "100");
    set_json(d, "/linux/namespaces/-", R"({"type": "cgroup"})");
    set_json(d, "/mounts/-", R"({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})");
    set_json(d, "/mounts/-",
             R"({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                 "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})");
  };
  // From the host: the process runs as the mapped ids.
  start_container("userns", {"sleep", "1000"}, edit);
  pid_t pid = state_pid("userns");
  ASSERT_GT(pid, 0);
  auto status = colon_fields(read_file("/proc/" + std::to_string(pid) + "/status"));
  EXPECT_EQ(split_ws(status["Uid"]).at(0), std::to_string(kUsernsHostBase));
  EXPECT_EQ(split_ws(status["Gid"]).at(0), std::to_string(kUsernsHostBase));

  std::string b = make_bundle({"sh", "-c",
                               "cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; touch /tmp/f; "
                               "stat -c '%u:%g' /tmp/f; stat -c '%t:%T' /dev/null /dev/zero; "
                               "echo x > /dev/null && echo written; ls /sys/fs/cgroup | wc -l; "
                               "cat /proc/self/setgroups /proc/self/oom_score_adj"},
                              edit);
  auto lines = run_lines(b, "userns2", 11);
  EXPECT_EQ(split_ws(lines[0]), (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(split_ws(lines[1]), (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(lines[2], "0");
  EXPECT_EQ(lines[3], "0");
  EXPECT_EQ(lines[4], "0:0") << "a file made in the container belongs to its root";
  EXPECT_EQ(lines[5], "1:3") << "the host's /dev/null is bound in";
  EXPECT_EQ(lines[6], "1:5");
  EXPECT_EQ(lines[7], "written");
  EXPECT_NE(lines[8], "0") << "the cgroup hierarchy is mounted";
  EXPECT_EQ(lines[9], "allow") << "as runc leaves it for a root-created user namespace";
  EXPECT_EQ(lines[10], "100") << "oomScoreAdj applies to an init in a user namespace too";
}

TEST_F(NamespaceTest, JoinedByPathIncludingPid) {
  SKIP_UNLESS_DKR("cannot join a user namespace without mappings");
  start_container("owner", {"sleep", "1000"}, [](rapidjson::Document& d) { add_user_namespace(d); });
  std::string owner = std::to_string(state_pid("owner"));
  ASSERT_NE(owner, "-1");
  const char* joined[][2] = {{"user", "user"}, {"network", "net"}, {"ipc", "ipc"}, {"uts", "uts"}, {"pid", "pid"}};
  std::string b = make_bundle({"sh", "-c", print_namespaces() + "echo $$; hostname"}, [&](rapidjson::Document& d) {
    set_json(d, "/linux/namespaces", R"([{"type": "mount"}])");
    for (auto& [type, proc] : joined)
      set_json(d, "/linux/namespaces/-",
               R"({"type": ")" + std::string(type) + R"(", "path": "/proc/)" + owner + "/ns/" + proc + R"("})");
    erase_json(d, "/hostname");  // the uts namespace is not the container's own
    erase_json(d, "/mounts/5");  // sysfs needs a network namespace of our own user namespace's
  });
  auto lines = run_lines(b, "joiner", std::size(kAllTypes) + 2);
  for (size_t i = 0; i < std::size(kAllTypes); ++i) {
    std::string type = kAllTypes[i];
    bool is_joined = false;
    for (auto& j : joined) is_joined |= type == j[1];
    if (is_joined) {
      EXPECT_EQ(lines[i], ns_of(owner, type)) << type << " was not joined";
    } else if (type == "mnt") {
      EXPECT_NE(lines[i], ns_of(owner, type));
    }
  }
  EXPECT_NE(lines[std::size(kAllTypes)], "1") << "the init must be born in the joined pid namespace, not be its PID 1";
  EXPECT_EQ(lines.back(), "dkrtest") << "the joined uts namespace's hostname";
}

TEST_F(NamespaceTest, TimeNamespaceOffsets) {
  if (ns_of("self", "time").empty()) GTEST_SKIP() << "this kernel has no time namespaces";
  SKIP_UNLESS_DKR("has no time namespaces");
  std::string b = make_bundle({"sh", "-c", "cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/linux/namespaces/-", R"({"type": "time"})");
                                set_json(d, "/linux/timeOffsets",
                                         R"({"boottime": {"secs": 8640000, "nanosecs": 0},
                                             "monotonic": {"secs": 864000, "nanosecs": 5}})");
                              });
  auto lines = run_lines(b, "timens", 3);
  EXPECT_EQ(split_ws(lines[0]), (std::vector<std::string>{"monotonic", "864000", "5"}));
  EXPECT_EQ(split_ws(lines[1]), (std::vector<std::string>{"boottime", "8640000", "0"}));
  long host_uptime = std::stol(split_ws(read_file("/proc/uptime"))[0]);
  EXPECT_GE(std::stol(lines[2]), 8640000 + host_uptime - 5) << "boottime offset not applied";
}

TEST_F(NamespaceTest, SysctlInOwnNamespaces) {
  std::string host_forward = read_file("/proc/sys/net/ipv4/ip_forward");
  std::string b = make_bundle({"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmni"},
                              [&](rapidjson::Document& d) {
                                std::string flipped = trim(host_forward) == "1" ? "0" : "1";
                                set_json(d, "/linux/sysctl",
                                         R"({"net.ipv4.ip_forward": ")" + flipped + R"(", "kernel.shmmni": "1234"})");
                              });
  CmdResult r = run_cmd({"run", "-b", b, "sysctl"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, std::string(trim(host_forward) == "1" ? "0" : "1") + "\n1234\n");
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_forward"), host_forward);
}

// A sysctl the container has no namespace of its own for would change the host's.
TEST_F(NamespaceTest, SysctlOutsideOwnNamespacesIsRefused) {
  auto sysctl = [](const char* key, const std::function<void(rapidjson::Document&)>& more = {}) {
    return [key, more](rapidjson::Document& d) {
      set_json(d, "/linux/sysctl", R"({")" + std::string(key) + R"(": "1"})");
      if (more) more(d);
    };
  };
  std::string own_net = "/proc/" + std::to_string(getpid()) + "/ns/net";
  expect_refusals({
      {"/linux/sysctl/kernel.printk", "kernel.printk", sysctl("kernel.printk")},
      {"/linux/sysctl/net.ipv4.ip_forward", "network",
       sysctl("net.ipv4.ip_forward",
              [](rapidjson::Document& d) {
                set_json(d, "/linux/namespaces", R"([{"type": "pid"}, {"type": "mount"}])");
                erase_json(d, "/hostname");
              })},
      {"/linux/sysctl/net.ipv4.ip_forward", "host's",
       sysctl("net.ipv4.ip_forward",
              [&](rapidjson::Document& d) {
                set_json(d, "/linux/namespaces/1", R"({"type": "network", "path": ")" + own_net + R"("})");
              })},
  });
}

}  // namespace
}  // namespace dkr_it
