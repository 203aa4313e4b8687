// The root filesystem, read from inside the container's /proc/self/mountinfo
// and stat: root.readonly, mount options and propagation, tmpfs data,
// tmpcopyup, maskedPaths, readonlyPaths and linux.devices.
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

class MountTest : public IsolationTest {
 protected:
  // A host directory to bind into containers, holding the file "f".
  std::string host_source(const std::string& name) {
    std::string d = test_dir() + "/" + name;
    mkdir(d.c_str(), 0755);
    write_file(d + "/f", "host\n");
    return d;
  }
};

// The mountinfo line of mount point `at` as the container prints it:
// "<mount options> <optional fields> - <fstype> <source> <super options>".
std::string mountinfo_script(const std::string& at) {
  return "awk '$5 == \"" + at + "\" { s = $6; for (i = 7; $i != \"-\"; i++) s = s \" \" $i; "
         "print s \" - \" $(i+1) \" \" $(i+3) }' /proc/self/mountinfo";
}

// Each comma-separated option of a mountinfo field, as a set.
std::set<std::string> options_of(const std::string& field) {
  std::set<std::string> out;
  std::stringstream ss(field);
  std::string o;
  while (std::getline(ss, o, ',')) out.insert(o);
  return out;
}

TEST_F(MountTest, ReadonlyRoot) {
  for (bool ro : {true, false}) {
    SCOPED_TRACE(ro ? "readonly" : "writable");
    std::string b = make_bundle({"sh", "-c", mountinfo_script("/")},
                                [&](rapidjson::Document& d) { set_json(d, "/root/readonly", ro ? "true" : "false"); });
    auto line = split_ws(run_lines(b, ro ? "ro" : "rw", 1)[0]);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(options_of(line[0]).count(ro ? "ro" : "rw"), 1u) << line[0];
  }
}

TEST_F(MountTest, BindOptionsShowInMountinfo) {
  std::string src = host_source("src");
  std::string b = make_bundle(
      {"sh", "-c", mountinfo_script("/mnt/b") + "; cat /mnt/b/f; touch /mnt/b/g 2>/dev/null || echo refused"},
      [&](rapidjson::Document& d) {
        set_json(d, "/mounts/-",
                 R"({"destination": "/mnt/b", "type": "bind", "source": ")" + src +
                     R"(", "options": ["rbind", "ro", "nosuid", "nodev", "noexec", "noatime"]})");
      });
  auto lines = run_lines(b, "bindopts", 3);
  auto fields = split_ws(lines[0]);
  ASSERT_FALSE(fields.empty());
  auto opts = options_of(fields[0]);
  for (const char* o : {"ro", "nosuid", "nodev", "noexec", "noatime"}) EXPECT_EQ(opts.count(o), 1u) << o << ": " << lines[0];
  EXPECT_EQ(lines[1], "host");
  EXPECT_EQ(lines[2], "refused");
}

TEST_F(MountTest, RecursiveReadonlyCoversSubmounts) {
  std::string src = host_source("rsrc");
  std::string sub = src + "/sub";
  mkdir(sub.c_str(), 0755);
  ASSERT_EQ(mount("tmpfs", sub.c_str(), "tmpfs", 0, "size=1m"), 0) << strerror(errno);
  std::string b = make_bundle({"sh", "-c", mountinfo_script("/mnt/r") + "; " + mountinfo_script("/mnt/r/sub")},
                              [&](rapidjson::Document& d) {
                                set_json(d, "/mounts/-",
                                         R"({"destination": "/mnt/r", "type": "bind", "source": ")" + src +
                                             R"(", "options": ["rbind", "rro"]})");
                              });
  auto lines = run_lines(b, "rro", 2);
  umount2(sub.c_str(), MNT_DETACH);
  for (const auto& l : lines) {
    auto fields = split_ws(l);
    ASSERT_FALSE(fields.empty());
    EXPECT_EQ(options_of(fields[0]).count("ro"), 1u) << l;
  }
}

TEST_F(MountTest, TmpfsDataAndAtimeOptions) {
  std::string b = make_bundle({"sh", "-c", mountinfo_script("/scratch") + "; stat -c %a /scratch"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/mounts/-",
                                         R"({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                                             "options": ["nosuid", "strictatime", "mode=710", "size=1m"]})");
                              });
  auto lines = run_lines(b, "tmpfsopts", 2);
  auto fields = split_ws(lines[0]);
  ASSERT_GE(fields.size(), 4u) << lines[0];
  EXPECT_EQ(options_of(fields[0]).count("nosuid"), 1u) << lines[0];
  EXPECT_EQ(options_of(fields[0]).count("relatime"), 0u) << "strictatime: " << lines[0];
  EXPECT_EQ(fields[fields.size() - 2], "tmpfs");
  auto super = options_of(fields.back());
  EXPECT_EQ(super.count("size=1024k"), 1u) << lines[0];
  EXPECT_EQ(super.count("mode=710"), 1u) << lines[0];
  EXPECT_EQ(lines[1], "710");
}

// rslave of a source with no peers leaves the mount private, in runc too.
TEST_F(MountTest, PropagationFlags) {
  std::string src = host_source("psrc");
  const std::pair<const char*, bool> cases[] = {{"rshared", true}, {"shared", true}, {"rslave", false}, {"rprivate", false}};
  for (const auto& [option, shared] : cases) {
    SCOPED_TRACE(option);
    std::string b = make_bundle({"sh", "-c", mountinfo_script("/mnt/p")}, [&](rapidjson::Document& d) {
      set_json(d, "/mounts/-",
               R"({"destination": "/mnt/p", "type": "bind", "source": ")" + src + R"(", "options": ["rbind", ")" +
                   option + R"("]})");
    });
    auto line = run_lines(b, std::string("prop-") + option, 1)[0];
    EXPECT_EQ(contains(line, " shared:"), shared) << line;
  }
}

TEST_F(MountTest, RootfsPropagationShared) {
  std::string b = make_bundle({"sh", "-c", mountinfo_script("/")}, [](rapidjson::Document& d) {
    set_json(d, "/linux/rootfsPropagation", R"("shared")");
  });
  auto line = run_lines(b, "rootshared", 1)[0];
  EXPECT_FALSE(line.empty());
}

TEST_F(MountTest, TmpcopyupKeepsTheRootfsContent) {
  std::string b = make_bundle({"sh", "-c", mountinfo_script("/etc") + "; grep ^root: /etc/passwd; stat -c %a /etc/passwd"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/mounts/-",
                                         R"({"destination": "/etc", "type": "tmpfs", "source": "tmpfs",
                                             "options": ["tmpcopyup", "ro"]})");
                              });
  auto lines = run_lines(b, "copyup", 3);
  auto fields = split_ws(lines[0]);
  ASSERT_GE(fields.size(), 4u) << lines[0];
  EXPECT_EQ(fields[fields.size() - 2], "tmpfs") << lines[0];
  EXPECT_EQ(options_of(fields[0]).count("ro"), 1u) << lines[0];
  EXPECT_EQ(lines[1].rfind("root:x:0:0:", 0), 0u) << lines[1];
  struct stat st;
  ASSERT_EQ(stat((rootfs_path() + "/etc/passwd").c_str(), &st), 0);
  EXPECT_EQ(lines[2], [&] {
    char buf[8];
    snprintf(buf, sizeof buf, "%o", st.st_mode & 07777);
    return std::string(buf);
  }());
}

TEST_F(MountTest, MaskedAndReadonlyPaths) {
  std::string b = make_bundle(
      {"sh", "-c",
       "stat -c '%F %t:%T' /proc/keys; ls -A /sys/firmware | wc -l; " + mountinfo_script("/sys/firmware") + "; " +
           "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo refused; " + mountinfo_script("/proc/sys")},
      [](rapidjson::Document& d) {
        set_json(d, "/linux/maskedPaths", R"(["/proc/keys", "/sys/firmware", "/no/such/path"])");
        set_json(d, "/linux/readonlyPaths", R"(["/proc/sys", "/no/such/path"])");
      });
  auto lines = run_lines(b, "masked", 5);
  EXPECT_EQ(lines[0], "character special file 1:3");
  EXPECT_EQ(lines[1], "0") << "a masked directory is empty";
  auto fw = split_ws(lines[2]);
  ASSERT_FALSE(fw.empty());
  EXPECT_EQ(options_of(fw[0]).count("ro"), 1u) << lines[2];
  EXPECT_EQ(lines[3], "refused");
  auto sys = split_ws(lines[4]);
  ASSERT_FALSE(sys.empty());
  EXPECT_EQ(options_of(sys[0]).count("ro"), 1u) << lines[4];
}

// The cgroup tree and a masked directory as /proc/mounts shows them: each
// source named after its type (as runc names them), and on a host with v1
// hierarchies only those (runc leaves a hybrid host's cgroup2 out).
TEST_F(MountTest, CgroupTreeAndMaskedDirectoryAsRuncShowsThem) {
  std::string b = make_bundle(
      {"sh", "-c", "awk '$2 ~ \"^/sys/fs/cgroup\" || $2 == \"/sys/firmware\" { print $1, $2, $3 }' /proc/self/mounts"},
      [](rapidjson::Document& d) {
        set_json(d, "/linux/maskedPaths", R"(["/sys/firmware"])");
        set_json(d, "/mounts/-",
                 R"({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})");
      });
  CmdResult r = run_cmd({"run", "-b", b, "cgroup-tree"});
  ASSERT_TRUE(r.ok()) << r;
  bool host_v1 = contains(read_file("/proc/self/mounts"), " cgroup rw");
  size_t hierarchies = 0;
  for (auto& line : split_lines(r.out)) {
    auto f = split_ws(line);
    ASSERT_EQ(f.size(), 3u) << line;
    EXPECT_EQ(f[0], f[2]) << "the source is named after the type: " << line;
    if (host_v1) {
      EXPECT_NE(f[2], "cgroup2") << "a hybrid host's cgroup2 is not mounted: " << r.out;
    }
    hierarchies += f[2] == "cgroup" || f[2] == "cgroup2";
  }
  EXPECT_GT(hierarchies, 0u) << r.out;
  EXPECT_TRUE(contains(r.out, "tmpfs /sys/firmware tmpfs")) << r.out;
}

TEST_F(MountTest, DevicesWithModesAndOwners) {
  std::string b = make_bundle({"stat", "-c", "%n %a %u %g %t:%T %F", "/dev/null", "/dev/tty", "/dev/mydev", "/dev/sub/fifo"},
                              [](rapidjson::Document& d) {
                                set_json(d, "/linux/devices",
                                         R"([{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 7,
                                              "fileMode": 384, "uid": 1000, "gid": 1001},
                                             {"path": "/dev/sub/fifo", "type": "p", "fileMode": 416}])");
                              });
  auto lines = run_lines(b, "devices", 4);
  EXPECT_EQ(lines[0], "/dev/null 666 0 0 1:3 character special file");
  EXPECT_EQ(lines[1], "/dev/tty 666 0 0 5:0 character special file");
  EXPECT_EQ(lines[2], "/dev/mydev 600 1000 1001 1:7 character special file");
  EXPECT_EQ(lines[3], "/dev/sub/fifo 640 0 0 0:0 fifo");
}

// An idmapped bind mount in a user namespace: the host's root-owned files are
// the container root's, and a file the container root makes is the host root's.
// (Onto directories the rootfs has: the unmapped host root owns the rootfs.)
TEST_F(MountTest, IdmappedBindMount) {
  if (!is_dkr()) GTEST_SKIP() << "the runtime under test is not dkr: runc 1.1.5 has no idmapped mounts";
  std::string src = host_source("idsrc");
  write_file(src + "/user", "");
  ASSERT_EQ(chown((src + "/user").c_str(), 1000, 1000), 0);
  ASSERT_EQ(chmod(src.c_str(), 0777), 0);
  std::string b = make_bundle(
      {"sh", "-c", "stat -c '%u:%g' /run/f /run/user /var/f; touch /run/made"},
      [&](rapidjson::Document& d) {
        add_user_namespace(d);
        std::string maps = R"("uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                              "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}])";
        set_json(d, "/mounts/-",
                 R"({"destination": "/run", "type": "bind", "source": ")" + src + R"(", "options": ["rbind", "idmap"], )" +
                     maps + "}");
        set_json(d, "/mounts/-",
                 R"({"destination": "/var", "type": "bind", "source": ")" + src + R"(", "options": ["rbind"]})");
      });
  auto lines = run_lines(b, "idmap", 3);
  EXPECT_EQ(lines[0], "0:0") << "a host root file in the idmapped mount";
  EXPECT_EQ(lines[1], "1000:1000");
  EXPECT_EQ(lines[2], "65534:65534") << "without idmap the host's root is unmapped";
  struct stat st;
  ASSERT_EQ(stat((src + "/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the container's root writes as the host's root through the idmapped mount";
}

}  // namespace
}  // namespace dkr_it
