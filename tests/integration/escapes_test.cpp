// Regression tests for the container escapes other runtimes shipped. Each
// would fail on a naive runtime; each checks the host, not only the runtime's
// word. Run with DKR_TEST_RUNTIME=runc to see which runc 1.1.5 closes
// (it predates the fixes for CVE-2024-21626 and CVE-2025-31133).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

// Names in dir (not followed: a runtime may have left dangling symlinks there).
std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class EscapeTest : public IsolationTest {
 protected:
  // An empty directory on the host that a hostile rootfs points its symlinks at.
  std::string host_dir(const std::string& name) {
    std::string d = test_dir() + "/" + name;
    EXPECT_EQ(mkdir(d.c_str(), 0755), 0) << d << ": " << strerror(errno);
    return d;
  }
  // Runs bundle, which must succeed (a symlink in the rootfs resolves inside
  // it, as in runc) without adding anything to host or a mount on the host.
  void expect_host_untouched(const std::string& bundle, const std::string& host) {
    auto mounts_before = mount_snapshot();
    CmdResult r = run_cmd({"run", "-b", bundle, "hostile"});
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_EQ(names_in(host), std::vector<std::string>{}) << "the runtime created files on the host";
    EXPECT_EQ(mount_snapshot(), mounts_before) << "the runtime left a mount on the host";
  }
  // A rootfs copy in which link (an empty directory or nothing) is a symlink to target.
  std::string rootfs_with_symlink(const std::string& link, const std::string& target) {
    std::string rootfs = make_rootfs("rootfs");
    std::string at = rootfs + link;
    rmdir(at.c_str());
    EXPECT_EQ(symlink(target.c_str(), at.c_str()), 0) << at << ": " << strerror(errno);
    return rootfs;
  }
  // A container on its own rootfs copy; the base config otherwise.
  std::string bundle_on(const std::string& rootfs, const std::vector<std::string>& args,
                        const ConfigEdit& edit = {}) {
    return make_bundle(args, [&](rapidjson::Document& d) {
      set_json(d, "/root/path", jstr(rootfs));
      if (edit) edit(d);
    });
  }
};

std::string stat_line(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return path + ": " + strerror(errno);
  return path + " mode " + std::to_string(st.st_mode) + " uid " + std::to_string(st.st_uid) + " gid " +
         std::to_string(st.st_gid) + " rdev " + std::to_string(st.st_rdev);
}

// CVE-2019-18837, CVE-2021-30465, CVE-2024-45310: a mount destination that is
// a symlink out of the rootfs (absolute or by "..") must resolve inside it.
class SymlinkDestinationTest : public EscapeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SymlinkDestinationTest, MountStaysInsideTheRootfs) {
  std::string host = host_dir("host");
  std::string rootfs = rootfs_with_symlink("/escape", GetParam() ? "../../../../../../../../../.." + host : host);
  std::string b = bundle_on(rootfs, {"sh", "-c", "grep -c ' /escape/x ' /proc/self/mountinfo || true"},
                            [](rapidjson::Document& d) {
                              set_json(d, "/mounts/-",
                                       R"({"destination": "/escape/x", "type": "tmpfs", "source": "tmpfs"})");
                            });
  expect_host_untouched(b, host);
}

INSTANTIATE_TEST_SUITE_P(Symlink, SymlinkDestinationTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Relative" : "Absolute"; });

// The same for /dev itself: device nodes and the /dev mounts must land in the
// rootfs, whether the config mounts a tmpfs on /dev or uses the rootfs's.
class DevSymlinkTest : public EscapeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(DevSymlinkTest, DevicesStayInsideTheRootfs) {
  bool tmpfs_dev = GetParam();
  std::string host = host_dir("hostdev");
  std::string rootfs = rootfs_with_symlink("/dev", host);
  std::string b = bundle_on(rootfs, {"sh", "-c", "echo hi > /dev/null && ls /dev"}, [&](rapidjson::Document& d) {
    set_json(d, "/root/readonly", "false");
    if (!tmpfs_dev) erase_json(d, "/mounts/1");  // the /dev tmpfs
    set_json(d, "/linux/devices",
             R"([{"path": "/dev/mine", "type": "c", "major": 1, "minor": 7, "fileMode": 438}])");
  });
  expect_host_untouched(b, host);
}

INSTANTIATE_TEST_SUITE_P(Dev, DevSymlinkTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "TmpfsDev" : "RootfsDev"; });

// CVE-2024-21626: a leaked host directory fd as process.cwd ("/proc/self/fd/N")
// gave the container the host's filesystem. Either create refuses it or the
// cwd is inside the container.
TEST_F(EscapeTest, CwdThroughProcSelfFdNeverReachesTheHost) {
  for (int fd = 3; fd <= 9; ++fd) {
    SCOPED_TRACE("cwd /proc/self/fd/" + std::to_string(fd));
    std::string b = make_bundle({"sh", "-c", "ls -a . ..; cat /proc/self/mountinfo | wc -l"},
                                [&](rapidjson::Document& d) {
                                  set_json(d, "/process/cwd", jstr("/proc/self/fd/" + std::to_string(fd)));
                                });
    CmdResult r = run_cmd({"run", "-b", b, "cwdfd" + std::to_string(fd)});
    if (!r.ok()) continue;  // refused: fine
    for (const char* host_only : {"state.json", "exec.fifo", "cgroup.procs", "config.json", "tasks"})
      EXPECT_FALSE(contains(r.out, host_only)) << "the container's cwd is a host directory:" << r;
  }
}

// No runtime fd reaches the program: the shell (PID 1) holds only stdio.
TEST_F(EscapeTest, NoHostFileDescriptorReachesTheContainer) {
  std::string b = make_bundle({"sh", "-c", "ls /proc/1/fd; for f in /proc/1/fd/*; do readlink $f; done; true"});
  CmdResult r = run_cmd({"run", "-b", b, "fds"});
  ASSERT_TRUE(r.ok()) << r;
  auto lines = split_lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r;
  EXPECT_EQ(split_ws(lines[0] + " " + lines[1] + " " + lines[2]), (std::vector<std::string>{"0", "1", "2"}))
      << "PID 1 holds more than its stdio:" << r;
  EXPECT_EQ(lines.size(), 6u) << "PID 1 holds more than its stdio:" << r;
}

// CVE-2025-31133: maskedPaths are covered with the host's real /dev/null, even
// when the rootfs's /dev/null is a symlink to something else.
TEST_F(EscapeTest, MaskedPathsUseTheRealDevNull) {
  std::string rootfs = rootfs_with_symlink("/dev/null", "/proc/sys/kernel/core_pattern");
  std::string host_null = stat_line("/dev/null");
  std::string b = bundle_on(rootfs, {"sh", "-c", "stat -c '%F %t:%T' /proc/keys /proc/timer_list"},
                            [](rapidjson::Document& d) {
                              erase_json(d, "/mounts/1");  // /dev comes from the rootfs
                              set_json(d, "/linux/maskedPaths", R"(["/proc/keys", "/proc/timer_list"])");
                            });
  CmdResult r = run_cmd({"run", "-b", b, "masked"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "character special file 1:3\ncharacter special file 1:3\n")
      << "a masked path is not the null device:" << r;
  EXPECT_EQ(stat_line("/dev/null"), host_null);
}

// CVE-2019-16884, CVE-2019-19921: nothing but procfs may cover /proc, and no
// bundle mount may cover the parts of it the runtime writes to.
TEST_F(EscapeTest, MountsOverProcAreRefused) {
  std::string host = host_dir("fakeproc");
  const std::pair<const char*, std::string> cases[] = {
      {"bind over /proc", R"({"destination": "/proc", "type": "bind", "source": ")" + host +
                              R"(", "options": ["rbind"]})"},
      {"tmpfs over /proc/self", R"({"destination": "/proc/self", "type": "tmpfs", "source": "tmpfs"})"},
  };
  for (const auto& [what, mount] : cases) {
    SCOPED_TRACE(what);
    std::string b = make_bundle({"true"}, [&](rapidjson::Document& d) { set_json(d, "/mounts/-", mount); });
    expect_create_refused(b, "/proc", "");
  }
}

// CVE-2022-29162: the inheritable set is empty unless the config lists some.
TEST_F(EscapeTest, InheritableCapabilitiesAreEmptyUnlessAsked) {
  std::string b = make_bundle({"grep", "-E", "^Cap(Inh|Amb)", "/proc/self/status"}, [](rapidjson::Document& d) {
    set_json(d, "/process/capabilities",
             R"({"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                 "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                 "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]})");
  });
  CmdResult r = run_cmd({"run", "-b", b, "inh"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "CapInh:\t0000000000000000\nCapAmb:\t0000000000000000\n");

  std::string asked = make_bundle({"grep", "^CapInh", "/proc/self/status"}, [](rapidjson::Document& d) {
    set_json(d, "/process/capabilities",
             R"({"bounding": ["CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
                 "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"]})");
  });
  CmdResult r2 = run_cmd({"run", "-b", asked, "inh2"});
  ASSERT_TRUE(r2.ok()) << r2;
  EXPECT_EQ(r2.out, "CapInh:\t0000000000000400\n");
}

// Device set-up never changes the owner or mode of a host file: not of one
// bound over a device path, not of the host nodes bound in a user namespace.
TEST_F(EscapeTest, DeviceSetupNeverChownsHostFiles) {
  std::string host_file = test_dir() + "/hostnode";
  write_file(host_file, "");
  ASSERT_EQ(chmod(host_file.c_str(), 0644), 0);
  std::string before_file = stat_line(host_file), before_null = stat_line("/dev/null"),
              before_zero = stat_line("/dev/zero");
  std::string b = make_bundle({"true"}, [&](rapidjson::Document& d) {
    set_json(d, "/mounts/-",
             R"({"destination": "/dev/mydev", "type": "bind", "source": ")" + host_file + R"(", "options": ["bind"]})");
    set_json(d, "/linux/devices",
             R"([{"path": "/dev/mydev", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 1000, "gid": 1000}])");
  });
  CmdResult r = run_cmd({"run", "-b", b, "devown"});
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(stat_line(host_file), before_file) << "the runtime changed a host file bound over a device";

  std::string userns = make_bundle({"true"}, [](rapidjson::Document& d) {
    add_user_namespace(d);
    set_json(d, "/linux/devices",
             R"([{"path": "/dev/zero", "type": "c", "major": 1, "minor": 5, "fileMode": 384, "uid": 1000, "gid": 1000}])");
  });
  CmdResult r2 = run_cmd({"run", "-b", userns, "devownns"});
  EXPECT_TRUE(r2.ok()) << r2;
  EXPECT_EQ(stat_line("/dev/null"), before_null);
  EXPECT_EQ(stat_line("/dev/zero"), before_zero);
}

// `exec --user` must not chown anything on the host (crun 1.8.1 chowned the
// host's /dev/null to the exec user).
TEST_F(EscapeTest, ExecAsUserNeverChownsHostFiles) {
  CmdResult help = run_cmd({"exec", "--help"});
  if (!help.ok()) GTEST_SKIP() << "the runtime has no exec command yet:" << help;
  std::string before_null = stat_line("/dev/null"), before_tty = stat_line("/dev/tty");
  start_container("execuser", {"sleep", "1000"});
  CmdResult e = run_cmd({"exec", "--user", "1000:1000", "execuser", "sh", "-c", "id -u; echo x > /dev/null"});
  EXPECT_TRUE(e.ok()) << e;
  EXPECT_EQ(e.out, "1000\n") << e;
  EXPECT_EQ(stat_line("/dev/null"), before_null);
  EXPECT_EQ(stat_line("/dev/tty"), before_tty);
}

// CVE-2019-5736: a container process that gets hold of /proc/PID/exe of a
// runtime process must not be able to write the runtime's binary once that
// process is gone. The runtime runs from a copy here, so that a failure
// clobbers only the copy. Container A (the attacker) waits for the pid of its
// target in a file, opens /proc/PID/exe if it may, and after the target is
// gone writes through /proc/self/fd/3, the reopen that made the CVE.
class RuntimeBinaryTest : public EscapeTest {
 protected:
  void SetUp() override {
    EscapeTest::SetUp();
    copy_ = test_dir() + "/runtime-copy";
    fs::copy_file(runtime_path(), copy_);
    chmod(copy_.c_str(), 0755);
    original_ = read_file(copy_);
    attacker_ = make_rootfs("rootfs-a");
    write_file(attacker_ + "/attack.sh", R"(
wait_for() { while [ ! -e "$1" ]; do usleep 10000; done; }
wait_for /target
p=$(cat /target)
if head -c 1 /proc/$p/exe >/dev/null 2>&1; then exec 3</proc/$p/exe; echo opened > /opened; else echo denied > /opened; fi
wait_for /go
if (echo pwned > /proc/self/fd/3) 2>/dev/null; then echo written > /result; else echo refused > /result; fi
sleep 1000
)");
    std::string a = make_bundle({"sh", "/attack.sh"}, [&](rapidjson::Document& d) {
      set_json(d, "/root/path", jstr(attacker_));
      set_json(d, "/root/readonly", "false");
    });
    CmdResult c = run_cmd({"create", "-b", a, "attacker"});
    ASSERT_TRUE(c.ok()) << c;
    ASSERT_TRUE(run_cmd({"start", "attacker"}).ok());
    attacker_pid_ = state_pid("attacker");
    ASSERT_GT(attacker_pid_, 0);
  }

  CmdResult run_copy(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {copy_, "--root", root()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.with_root = false;
    return Command(argv, "", o).wait();
  }

  // A bundle for the target: its own rootfs copy, in the attacker's pid namespace.
  std::string target_bundle(const std::vector<std::string>& args) {
    std::string rootfs = make_rootfs("rootfs-b");
    EXPECT_FALSE(rootfs.empty());
    return make_bundle(args, [&](rapidjson::Document& d) {
      set_json(d, "/root/path", jstr(rootfs));
      set_json(d, "/linux/namespaces/0",
               R"({"type": "pid", "path": ")" + ("/proc/" + std::to_string(attacker_pid_) + "/ns/pid") + R"("})");
    });
  }

  // Tells the attacker the target's pid (as its pid namespace numbers it)
  // and waits until it has tried to open /proc/PID/exe.
  std::string aim_at(pid_t host_pid) {
    auto status = colon_fields(read_file("/proc/" + std::to_string(host_pid) + "/status"));
    auto nspids = split_ws(status["NSpid"]);
    EXPECT_EQ(nspids.size(), 2u) << "the target is not in the attacker's pid namespace";
    if (nspids.size() != 2) return "";
    write_file(attacker_ + "/target", nspids[1]);
    EXPECT_TRUE(wait_until([&] { return !trim(read_file(attacker_ + "/opened")).empty(); }, 60s));
    return trim(read_file(attacker_ + "/opened"));
  }

  // Lets the attacker write, and checks the binary is as it was.
  void expect_binary_intact() {
    write_file(attacker_ + "/go", "");
    EXPECT_TRUE(wait_until([&] { return !trim(read_file(attacker_ + "/result")).empty(); }, 60s));
    std::string result = trim(read_file(attacker_ + "/result"));
    EXPECT_TRUE(read_file(copy_) == original_) << "the runtime binary was overwritten from the container";
    EXPECT_EQ(result, "refused");
  }

  // The runtime's binary run as a container process (`... --root /r state x`),
  // blocked reading the fifo at /r/x/state.json.
  static bool runtime_blocked(pid_t pid) {
    auto argv = process_cmdline(pid);
    return argv.size() == 5 && argv[1] == "--root" && process_state(pid) == 'S';
  }

  // The target's init is our child (we are a subreaper): the attacker's
  // PID 1 can only die once every process of its namespace is reaped.
  static void reap(pid_t pid) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

  std::string copy_, original_, attacker_;
  pid_t attacker_pid_ = -1;
};

// The init between create and start is a copy of the runtime process.
TEST_F(RuntimeBinaryTest, NotWritableThroughTheInitBeforeStart) {
  std::string b = target_bundle({"true"});
  CmdResult c = run_copy({"create", "-b", b, "target"});
  ASSERT_TRUE(c.ok()) << c;
  pid_t init = state_pid("target");
  ASSERT_GT(init, 0);
  std::string opened = aim_at(init);
  RecordProperty("attacker_open", opened);
  CmdResult s = run_copy({"start", "target"});
  ASSERT_TRUE(s.ok()) << s;
  expect_binary_intact();
  reap(init);
}

// The init execs "/proc/self/exe" from the rootfs (as a "#!/proc/self/exe"
// script would): the process then runs the runtime's binary as a container
// process. It blocks reading a fifo, so the attacker can aim at it.
TEST_F(RuntimeBinaryTest, NotWritableThroughAnExecOfProcSelfExe) {
  std::string b = target_bundle({"/proc/self/exe", "--root", "/r", "state", "x"});
  std::string rootfs = test_dir() + "/rootfs-b";
  fs::create_directories(rootfs + "/r/x");
  ASSERT_EQ(mkfifo((rootfs + "/r/x/state.json").c_str(), 0600), 0) << strerror(errno);
  CmdResult c = run_copy({"create", "-b", b, "target"});
  ASSERT_TRUE(c.ok()) << c;
  pid_t init = state_pid("target");
  ASSERT_GT(init, 0);
  run_copy({"start", "target"});  // may fail: a runtime may refuse to exec its own binary
  ASSERT_TRUE(wait_until([&] { return runtime_blocked(init) || process_exited(init); }));
  if (!runtime_blocked(init)) {
    // The runtime refused the exec (runc 1.1.5 does): nothing to aim at.
    EXPECT_TRUE(read_file(copy_) == original_);
    reap(init);
    return;
  }
  std::string opened = aim_at(init);
  EXPECT_EQ(opened, "opened") << "the exe'd runtime is an ordinary container process: the attacker may open it";
  kill(init, SIGKILL);
  reap(init);
  expect_binary_intact();
}

// The same through `exec`: the process dkr exec puts into a running
// container runs "/proc/self/exe", which is then whatever binary exec ran as.
TEST_F(RuntimeBinaryTest, NotWritableThroughAnExecdProcSelfExe) {
  std::string b = target_bundle({"sleep", "1000"});
  std::string rootfs = test_dir() + "/rootfs-b";
  fs::create_directories(rootfs + "/r/x");
  ASSERT_EQ(mkfifo((rootfs + "/r/x/state.json").c_str(), 0600), 0) << strerror(errno);
  ASSERT_TRUE(run_copy({"create", "-b", b, "target"}).ok());
  pid_t init = state_pid("target");
  ASSERT_GT(init, 0);
  // Whatever fails below, the target must go: the attacker's pid namespace
  // cannot end while our unreaped child is in it.
  pid_t p = -1;
  auto attack = [&] {
    ASSERT_TRUE(run_copy({"start", "target"}).ok());
    std::string pid_file = test_dir() + "/exec.pid";
    CmdResult e = run_copy({"exec", "-d", "--pid-file", pid_file, "target", "/proc/self/exe", "--root", "/r", "state", "x"});
    if (!e.ok() && contains(e.err, "No such file or directory"))
      GTEST_SKIP() << "the runtime's binary cannot run in the busybox rootfs (a dynamically linked build, such as "
                      "the sanitized one, lacks its libraries there): "
                   << e;
    if (!e.ok()) {
      // The runtime refused to exec its own binary: nothing to aim at.
      EXPECT_TRUE(read_file(copy_) == original_);
      return;
    }
    p = std::stoi(read_file(pid_file));
    ASSERT_TRUE(wait_until([&] { return runtime_blocked(p) || process_exited(p); }));
    if (!runtime_blocked(p)) {
      EXPECT_TRUE(read_file(copy_) == original_);
      return;
    }
    EXPECT_EQ(aim_at(p), "opened") << "the exec'd runtime is an ordinary container process: the attacker may open it";
    kill(p, SIGKILL);
    expect_binary_intact();
  };
  attack();
  if (p > 0) {
    kill(p, SIGKILL);
    reap(p);
  }
  kill(init, SIGKILL);
  reap(init);
}

}  // namespace
}  // namespace dkr_it
