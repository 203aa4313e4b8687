// podman runs its containers on dkr as it does on runc: each case runs with
// `podman --runtime <runc>` and with `podman --runtime <dkr>`, checks what
// the container saw, and under dkr compares its observations with runc's.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tests/e2e/compare.hpp"
#include "tests/e2e/environment.hpp"
#include "tests/e2e/fingerprint.hpp"
#include "tests/e2e/text.hpp"

namespace dkr_e2e {
namespace {

const std::string kImage = Podman::kImage;

class PodmanTest : public RuntimeTest {
 protected:
  Podman& podman() { return E2e::get().podman(); }
};

// A named container of the case, removed (forcibly) when the case ends,
// whatever happened.
class Container {
 public:
  Container(Podman& podman, const Runtime& rt, const std::string& name)
      : podman_(podman), rt_(rt), name_(name + "-" + rt.name) {
    podman_(rt_, {"rm", "--force", "--time", "0", name_});
  }
  ~Container() { podman_(rt_, {"rm", "--force", "--time", "0", name_}); }
  const std::string& name() const { return name_; }
  // podman inspect --format FORMAT NAME, trimmed.
  std::string inspect(const std::string& format) const {
    return trim(podman_(rt_, {"inspect", "--format", format, name_}).out);
  }
  std::string status() const { return inspect("{{.State.Status}}"); }

 private:
  Podman& podman_;
  const Runtime& rt_;
  std::string name_;
};

// `podman run --rm IMAGE sh -c SCRIPT` with flags before the image.
Result run_sh(Podman& podman, const Runtime& rt, std::vector<std::string> flags, const std::string& script) {
  std::vector<std::string> args{"run", "--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {kImage, "sh", "-c", script});
  return podman(rt, args);
}

TEST_P(PodmanTest, RunRmEcho) {
  compared([&](const Runtime& rt, Observations& seen) {
    std::string cidfile = E2e::get().sandbox().path("cid-echo-" + rt.name);
    std::remove(cidfile.c_str());
    Result r = podman()(rt, {"run", "--rm", "--cidfile", cidfile, kImage, "echo", "hello"});
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "hello\n") << r;
    seen.add("stdout", r.out);
    std::string id = trim(read_file(cidfile));
    ASSERT_EQ(id.size(), 64u) << "container id from --cidfile: " << id;
    EXPECT_EQ(trim(podman()(rt, {"ps", "--all", "--quiet", "--no-trunc", "--filter", "id=" + id}).out), "")
        << "--rm left the container";
    EXPECT_FALSE(exists(rt.root + "/" + id)) << "the runtime left its state directory " << rt.root << "/" << id;
  });
}

// What a container sees of itself with podman's defaults.
TEST_P(PodmanTest, Defaults) {
  compared([&](const Runtime& rt, Observations& seen) {
    std::string cidfile = E2e::get().sandbox().path("cid-defaults-" + rt.name);
    std::remove(cidfile.c_str());
    Result r = podman()(rt, {"run", "--rm", "--cidfile", cidfile, kImage, "sh", "-c", fingerprint_script()});
    ASSERT_TRUE(r.ok()) << r;
    // The hostname is the id's first 12 digits.
    std::string id = trim(read_file(cidfile));
    observe_fingerprint(substitute(r.out, {{id, "ID"}}), id.substr(0, 12), seen);
    EXPECT_TRUE(contains(r.out, "CapEff:\t00000000a80425fb")) << "podman's default capabilities" << r;
    EXPECT_TRUE(contains(r.out, "Seccomp:\t2")) << "podman's default seccomp profile" << r;
  });
}

TEST_P(PodmanTest, ExitCodes) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result three = run_sh(podman(), rt, {}, "exit 3");
    EXPECT_EQ(three.exit_code, 3) << three;
    seen.add("exit 3", std::to_string(three.exit_code));
    // podman tells these apart by the runtime's error message.
    Result missing = podman()(rt, {"run", "--rm", kImage, "/no/such/program"});
    EXPECT_EQ(missing.exit_code, 127) << missing;
    seen.add("missing program", std::to_string(missing.exit_code));
    Result not_executable = podman()(rt, {"run", "--rm", kImage, "/etc/passwd"});
    EXPECT_EQ(not_executable.exit_code, 126) << not_executable;
    seen.add("not executable", std::to_string(not_executable.exit_code));
  });
}

TEST_P(PodmanTest, Hostname) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result r = run_sh(podman(), rt, {"--hostname", "e2e-host"}, "hostname; echo $(cat /etc/hostname)");
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "e2e-host\ne2e-host\n") << r;
    seen.add("hostname", r.out);
  });
}

TEST_P(PodmanTest, Environment) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result r = run_sh(podman(), rt, {"-e", "FOO=bar baz", "-e", "EMPTY="},
                      "echo \"$FOO|$EMPTY|$PATH|$HOME\"; env | grep -c '^EMPTY=$'");
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "bar baz||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n1\n") << r;
    seen.add("environment", r.out);
  });
}

TEST_P(PodmanTest, User) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result r = run_sh(podman(), rt, {"--user", "1000"}, "id; echo $HOME; touch /root/x 2>&1; true");
    ASSERT_TRUE(r.ok()) << r;
    auto out = lines(r.out);
    ASSERT_EQ(out.size(), 3u) << r;
    EXPECT_EQ(out[0], "uid=1000(user) gid=1000(user) groups=1000(user)") << r;
    EXPECT_EQ(out[1], "/home/user") << r;
    EXPECT_TRUE(contains(out[2], "Permission denied")) << r;
    seen.add("--user 1000", r.out);
    Result group = run_sh(podman(), rt, {"--user", "1000:5", "--group-add", "65534", "--workdir", "/tmp"},
                          "id; pwd; touch f && ls -n f");
    ASSERT_TRUE(group.ok()) << group;
    EXPECT_TRUE(contains(group.out, "uid=1000(user) gid=5(tty)")) << group;
    seen.add("--user 1000:5 --group-add --workdir",
             std::regex_replace(group.out, std::regex(" +[A-Z][a-z]{2} .*f$"), " f"));
  });
}

TEST_P(PodmanTest, ReadOnly) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result r = run_sh(podman(), rt, {"--read-only"},
                      "touch /x 2>&1; touch /tmp/y && echo tmp writable;"
                      "grep ' / ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1");
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_TRUE(contains(r.out, "Read-only file system")) << r;
    EXPECT_TRUE(contains(r.out, "tmp writable\nro\n")) << r;
    seen.add("--read-only", r.out);
  });
}

TEST_P(PodmanTest, Capabilities) {
  compared([&](const Runtime& rt, Observations& seen) {
    const std::string caps = "grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status";
    Result only_net_raw = run_sh(podman(), rt, {"--cap-drop", "all", "--cap-add", "NET_RAW"}, caps);
    ASSERT_TRUE(only_net_raw.ok()) << only_net_raw;
    EXPECT_EQ(only_net_raw.out, "CapPrm:\t0000000000002000\nCapEff:\t0000000000002000\nCapBnd:\t0000000000002000\n")
        << only_net_raw;
    seen.add("--cap-drop all --cap-add NET_RAW", only_net_raw.out);

    Result no_chown = run_sh(podman(), rt, {"--cap-drop", "CHOWN"}, "touch /tmp/f; chown 1000 /tmp/f");
    EXPECT_EQ(no_chown.exit_code, 1) << no_chown;
    EXPECT_TRUE(contains(no_chown.err, "Operation not permitted")) << no_chown;
    seen.add("--cap-drop CHOWN", std::to_string(no_chown.exit_code));

    // podman's seccomp profile allows mount(2) once CAP_SYS_ADMIN is added.
    const std::string mount = "mkdir /tmp/m && mount -t tmpfs tmpfs /tmp/m && echo mounted";
    Result without = run_sh(podman(), rt, {}, mount);
    EXPECT_NE(without.exit_code, 0) << without;
    Result with = run_sh(podman(), rt, {"--cap-add", "SYS_ADMIN"}, mount);
    EXPECT_EQ(with.out, "mounted\n") << with;
    seen.add("mount without/with SYS_ADMIN", std::to_string(without.exit_code) + " " + with.out);
  });
}

// The limits as the container sees them in its cgroup files (v1 or v2), and
// the pids limit at work.
TEST_P(PodmanTest, MemoryAndPidsLimits) {
  compared([&](const Runtime& rt, Observations& seen) {
    // A failed fork ends a busybox shell, so the sleeps are forked by a
    // subshell, and what follows uses builtins only: no task is left to fork.
    Result r = run_sh(podman(), rt, {"--memory", "64m", "--pids-limit", "50"},
                      "cd /sys/fs/cgroup; [ -d memory ] && cd memory && m=memory.limit_in_bytes || m=memory.max;"
                      "read v < $m; echo $v; cd /sys/fs/cgroup; [ -d pids ] && cd pids;"
                      "read v < pids.max; echo $v;"
                      "(i=0; while [ $i -lt 60 ]; do sleep 60 & i=$((i+1)); done) 2>/dev/null;"
                      "read v < pids.current; echo $v");
    ASSERT_TRUE(r.ok()) << r;
    auto out = lines(r.out);
    ASSERT_EQ(out.size(), 3u) << r;
    EXPECT_EQ(out[0], "67108864") << r;
    EXPECT_EQ(out[1], "50") << r;
    // The shell and the sleeps that could be forked: the limit, less the subshell.
    EXPECT_EQ(out[2], "49") << r;
    seen.add("limits", r.out);
  });
}

TEST_P(PodmanTest, NetworkNone) {
  compared([&](const Runtime& rt, Observations& seen) {
    Result r = run_sh(podman(), rt, {"--network", "none"}, "ls /sys/class/net; ip -o addr | cut -d' ' -f2,7");
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "lo\nlo 127.0.0.1/8\nlo ::1/128\n") << r;
    seen.add("interfaces", r.out);
  });
}

// -d, then ps, top and exec into the running container.
TEST_P(PodmanTest, DetachedPsTopExec) {
  compared([&](const Runtime& rt, Observations& seen) {
    Container c(podman(), rt, "detached");
    Result started = podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sleep", "1000"});
    ASSERT_TRUE(started.ok()) << started;
    EXPECT_TRUE(std::regex_match(trim(started.out), std::regex("[0-9a-f]{64}"))) << started;

    Result ps =
        podman()(rt, {"ps", "--all", "--filter", "name=^" + c.name() + "$", "--format", "{{.Names}} {{.Command}}"});
    EXPECT_EQ(ps.out, c.name() + " sleep 1000\n") << ps;
    EXPECT_EQ(c.status(), "running");
    seen.add("ps", ps.out.substr(c.name().size()) + c.status());

    Result top = podman()(rt, {"top", c.name(), "pid", "user", "args"});
    EXPECT_TRUE(top.ok()) << top;
    std::string procs;
    for (auto& line : lines(top.out)) procs += std::regex_replace(trim(line), std::regex(" +"), " ") + "\n";
    EXPECT_EQ(procs, "PID USER COMMAND\n1 root sleep 1000\n") << top;
    seen.add("top", procs);

    Result echo = podman()(rt, {"exec", c.name(), "echo", "hi"});
    EXPECT_EQ(echo.out, "hi\n") << echo;
    Result code = podman()(rt, {"exec", c.name(), "sh", "-c", "exit 5"});
    EXPECT_EQ(code.exit_code, 5) << code;
    Result as_user = podman()(rt, {"exec", "--user", "1000", "--env", "X=1", "--workdir", "/tmp", c.name(), "sh", "-c",
                                   "id -u; echo $X; pwd"});
    EXPECT_EQ(as_user.out, "1000\n1\n/tmp\n") << as_user;
    Result input = podman()(rt, {"exec", "-i", c.name(), "cat"}, with_input("piped in\n"));
    EXPECT_EQ(input.out, "piped in\n") << input;
    Result missing = podman()(rt, {"exec", c.name(), "/no/such/program"});
    EXPECT_EQ(missing.exit_code, 127) << missing;
    seen.add("exec", echo.out + std::to_string(code.exit_code) + " " + as_user.out + input.out +
                         std::to_string(missing.exit_code));
    // The exec'd processes are gone; the container's own is still there.
    Result after = podman()(rt, {"top", c.name(), "args"});
    EXPECT_EQ(lines(after.out).size(), 2u) << after;
  });
}

// A podman container's cgroup directory in a hierarchy ("freezer", "pids";
// "" for a cgroup2-only host), as podman's cgroupfs manager names it.
std::string cgroup_dir(const std::string& hierarchy, const std::string& id) {
  return "/sys/fs/cgroup" + (hierarchy.empty() ? "" : "/" + hierarchy) + E2e::get().sandbox().cgroup_parent() +
         "/libpod-" + id;
}

// The freezer state of a container, read on the host (cgroup v1, or v2's cgroup.freeze).
std::string freezer_state(const Container& c) {
  std::string id = c.inspect("{{.Id}}");
  if (std::string v1 = read_file(cgroup_dir("freezer", id) + "/freezer.state"); !v1.empty()) return trim(v1);
  std::string v2 = trim(read_file(cgroup_dir("", id) + "/cgroup.freeze"));
  return v2 == "1" ? "FROZEN" : v2 == "0" ? "THAWED" : "(no freezer state found)";
}

TEST_P(PodmanTest, PauseUnpause) {
  compared([&](const Runtime& rt, Observations& seen) {
    Container c(podman(), rt, "pause");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sleep", "1000"}).ok());
    Result paused = podman()(rt, {"pause", c.name()});
    ASSERT_TRUE(paused.ok()) << paused;
    EXPECT_EQ(c.status(), "paused");
    EXPECT_EQ(freezer_state(c), "FROZEN");
    Result ps = podman()(rt, {"ps", "--all", "--filter", "name=^" + c.name() + "$", "--format", "{{.Status}}"});
    EXPECT_TRUE(contains(ps.out, "Paused")) << ps;
    seen.add("paused", c.status() + " " + freezer_state(c));

    Result resumed = podman()(rt, {"unpause", c.name()});
    ASSERT_TRUE(resumed.ok()) << resumed;
    EXPECT_EQ(c.status(), "running");
    EXPECT_EQ(freezer_state(c), "THAWED");
    Result echo = podman()(rt, {"exec", c.name(), "echo", "awake"});
    EXPECT_EQ(echo.out, "awake\n") << echo;
    seen.add("unpaused", c.status() + " " + freezer_state(c) + " " + echo.out);
  });
}

TEST_P(PodmanTest, Kill) {
  compared([&](const Runtime& rt, Observations& seen) {
    Container c(podman(), rt, "kill");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sh", "-c",
                              "trap 'echo got USR1 > /tmp/sig' USR1; while :; do sleep 0.1; done"})
                    .ok());
    Result usr1 = podman()(rt, {"kill", "--signal", "USR1", c.name()});
    ASSERT_TRUE(usr1.ok()) << usr1;
    // Until the trap has run, cat fails (exit 1); any other failure is exec's.
    Result sig;
    wait_until([&] {
      sig = podman()(rt, {"exec", c.name(), "cat", "/tmp/sig"});
      return sig.exit_code != 1;
    });
    EXPECT_EQ(sig.out, "got USR1\n") << sig;
    seen.add("USR1", sig.out);

    Result killed = podman()(rt, {"kill", c.name()});
    ASSERT_TRUE(killed.ok()) << killed;
    EXPECT_TRUE(wait_until([&] { return c.status() == "exited"; })) << c.status();
    EXPECT_EQ(c.inspect("{{.State.ExitCode}}"), "137");
    seen.add("SIGKILL", c.status() + " " + c.inspect("{{.State.ExitCode}}"));
  });
}

TEST_P(PodmanTest, StopStartRestart) {
  compared([&](const Runtime& rt, Observations& seen) {
    // Exits on SIGTERM: stop returns as soon as it has.
    Container polite(podman(), rt, "stop-term");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", polite.name(), kImage, "sh", "-c",
                              "trap 'exit 0' TERM; while :; do sleep 0.1; done"})
                    .ok());
    Result stopped = podman()(rt, {"stop", "--time", "60", polite.name()});
    ASSERT_TRUE(stopped.ok()) << stopped;
    EXPECT_EQ(polite.status(), "exited");
    EXPECT_EQ(polite.inspect("{{.State.ExitCode}}"), "0");
    seen.add("stop on SIGTERM", polite.status() + " " + polite.inspect("{{.State.ExitCode}}"));

    // PID 1 without a handler ignores SIGTERM: stop falls back to SIGKILL.
    Container stubborn(podman(), rt, "stop-kill");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", stubborn.name(), kImage, "sleep", "1000"}).ok());
    Result forced = podman()(rt, {"stop", "--time", "1", stubborn.name()});
    ASSERT_TRUE(forced.ok()) << forced;
    EXPECT_EQ(stubborn.inspect("{{.State.ExitCode}}"), "137");
    seen.add("stop after timeout", stubborn.status() + " " + stubborn.inspect("{{.State.ExitCode}}"));

    // An exited container starts again (a new runtime container under the same id).
    Result again = podman()(rt, {"start", stubborn.name()});
    ASSERT_TRUE(again.ok()) << again;
    EXPECT_EQ(stubborn.status(), "running");
    Result restarted = podman()(rt, {"restart", "--time", "1", stubborn.name()});
    ASSERT_TRUE(restarted.ok()) << restarted;
    EXPECT_EQ(stubborn.status(), "running");
    Result echo = podman()(rt, {"exec", stubborn.name(), "echo", "back"});
    EXPECT_EQ(echo.out, "back\n") << echo;
    seen.add("start, restart", stubborn.status() + " " + echo.out);
  });
}

TEST_P(PodmanTest, Rm) {
  compared([&](const Runtime& rt, Observations& seen) {
    Container c(podman(), rt, "rm");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sleep", "1000"}).ok());
    std::string id = c.inspect("{{.Id}}");
    Result refused = podman()(rt, {"rm", c.name()});
    EXPECT_NE(refused.exit_code, 0) << "rm of a running container without --force" << refused;
    EXPECT_EQ(c.status(), "running");
    Result forced = podman()(rt, {"rm", "--force", "--time", "0", c.name()});
    ASSERT_TRUE(forced.ok()) << forced;
    EXPECT_EQ(trim(podman()(rt, {"ps", "--all", "--quiet", "--filter", "name=^" + c.name() + "$"}).out), "");
    EXPECT_FALSE(exists(rt.root + "/" + id)) << "the runtime left its state directory " << rt.root << "/" << id;
    for (auto cgroup : {cgroup_dir("pids", id), cgroup_dir("", id)})
      EXPECT_TRUE(wait_until([&] { return !exists(cgroup); }, std::chrono::seconds(10))) << cgroup << " is left";
    seen.add("rm --force", std::to_string(refused.exit_code != 0) + " " + std::to_string(exists(rt.root + "/" + id)));

    // An exited container is removed without --force.
    ASSERT_TRUE(podman()(rt, {"run", "--name", c.name(), kImage, "true"}).ok());
    Result removed = podman()(rt, {"rm", c.name()});
    EXPECT_TRUE(removed.ok()) << removed;
    seen.add("rm exited", std::to_string(removed.exit_code));
  });
}

TEST_P(PodmanTest, Tty) {
  compared([&](const Runtime& rt, Observations& seen) {
    // -t alone: the container's stdio is a terminal, ours a pipe.
    Result t = run_sh(podman(), rt, {"-t"}, "tty; [ -t 0 ] && [ -t 1 ] && echo terminal; exit 4");
    EXPECT_EQ(t.exit_code, 4) << t;
    EXPECT_EQ(t.out, "/dev/pts/0\r\nterminal\r\n") << t;
    seen.add("-t", t.out);

    // -it from a terminal of ours (24x80): input and, soon after the start,
    // the terminal's size reach the container.
    Result it = podman()(rt, {"run", "--rm", "-it", kImage, "sh"},
                         on_terminal("until stty size | grep -qv '^0 0'; do sleep 0.1; done 2>/dev/null;"
                                     "stty size; tty; exit 7\n"));
    EXPECT_EQ(it.exit_code, 7) << it;
    EXPECT_TRUE(contains(it.out, "24 80\r\n/dev/pts/0\r\n")) << it;
    seen.add("-it", std::to_string(it.exit_code) + " " + std::to_string(contains(it.out, "24 80\r\n/dev/pts/0\r\n")));

    // exec -t into a running container.
    Container c(podman(), rt, "tty");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sleep", "1000"}).ok());
    Result exec = podman()(rt, {"exec", "-t", c.name(), "sh", "-c", "tty; exit 2"});
    EXPECT_EQ(exec.exit_code, 2) << exec;
    EXPECT_TRUE(std::regex_match(exec.out, std::regex("/dev/pts/[0-9]+\r\n"))) << exec;
    seen.add("exec -t", std::to_string(exec.exit_code));
  });
}

// Why CRIU cannot checkpoint on this machine, or "" if it can.
std::string why_no_criu() {
  try {
    Result check = run({"criu", "check"});
    return check.ok() ? "" : "`criu check` fails: " + trim(check.err + check.out);
  } catch (const std::exception& e) {
    return std::string("criu is not installed: ") + e.what();
  }
}

// podman container checkpoint needs CRIU, and CRIU needs kernel features that
// not every kernel has.
TEST_P(PodmanTest, Checkpoint) {
  if (std::string why = why_no_criu(); !why.empty()) GTEST_SKIP() << "CRIU cannot checkpoint here: " << why;
  compared([&](const Runtime& rt, Observations& seen) {
    Container c(podman(), rt, "checkpoint");
    ASSERT_TRUE(podman()(rt, {"run", "-d", "--name", c.name(), kImage, "sh", "-c",
                              "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done"})
                    .ok());
    Result cp = podman()(rt, {"container", "checkpoint", c.name()});
    ASSERT_TRUE(cp.ok()) << cp;
    EXPECT_EQ(c.status(), "exited");
    Result restored = podman()(rt, {"container", "restore", c.name()});
    ASSERT_TRUE(restored.ok()) << restored;
    EXPECT_EQ(c.status(), "running");
    seen.add("checkpoint, restore", c.status());
  });
}

DKR_E2E_FOR_EACH_RUNTIME(PodmanTest);

}  // namespace
}  // namespace dkr_e2e
