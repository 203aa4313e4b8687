// Integration-test harness: runs the runtime binary (dkr, or any runtime with
// runc's CLI named by DKR_TEST_RUNTIME) as root against a busybox rootfs.
//
//   DKR_TEST_RUNTIME=/usr/sbin/runc build/tests/dkr_integration_tests
//
// runs the same tests against runc, to check the tests themselves. Tests that
// assert dkr's own wording check is_dkr() and say so.
//
// Process model: the test binary makes itself a child subreaper, so a process
// that a runtime leaves behind (container inits after `create`, anything a
// failed command leaks) is reparented to the test and can be found. Zombies are
// reaped only in TearDown, so runtimes meet zombie inits as they do on this
// machine, where PID 1 reaps orphans lazily: a zombie counts as exited, and no
// helper here waits for a PID to vanish.
#pragma once

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dkr_it {

using namespace std::chrono_literals;

// ---- environment ------------------------------------------------------------

// Absolute path of the runtime under test: $DKR_TEST_RUNTIME (a name is looked
// up in $PATH) or else the dkr binary built with the tests.
const std::string& runtime_path();
// True when the runtime under test is dkr (wording checks apply).
bool is_dkr();
// Absolute path of runc if installed, else "".
std::string find_runc();
// Absolute path of crun if installed, else "".
std::string find_crun();
// The shared busybox rootfs of this test-binary run (made by tools/mkrootfs.sh).
const std::string& rootfs_path();

// ---- results ------------------------------------------------------------------

struct CmdResult {
  std::vector<std::string> argv;
  int exit_code = -1;   // exit status, or 128+N when killed by signal N
  int term_signal = 0;  // N when killed by a signal
  bool timed_out = false;
  std::string out, err;

  bool ok() const { return exit_code == 0 && !timed_out; }
  // The error message on stderr with a runtime's log decoration removed:
  // runc's logrus text (time=... level=error msg="...") and json lines are
  // reduced to their msg, plain lines kept as they are. Lines joined by '\n'.
  std::string message() const;
  // Everything about the call, for assertion messages.
  std::string describe() const;
};
std::ostream& operator<<(std::ostream& os, const CmdResult& r);

struct RunOptions {
  std::string cwd;                          // working directory of the runtime ("" = inherit)
  std::chrono::milliseconds timeout = 60s;  // kill and fail the test when exceeded
  bool with_root = true;                    // prepend --root <test root>
  int gate_fd = -1;  // if >= 0, the child reads one byte from it before exec (to race starts)
  std::vector<int> pass_fds;     // become fds 3, 4, ... of the runtime (--preserve-fds)
  std::vector<std::string> env;  // NAME=VALUE added to the runtime's environment
};

// A runtime invocation running in the background. The destructor kills it (and
// its process group) if it is still running.
class Command {
 public:
  Command(std::vector<std::string> argv, const std::string& stdin_data, const RunOptions& opts);
  ~Command();
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  pid_t pid() const { return pid_; }
  bool finished();  // non-blocking
  // What it has written to stdout so far (reads what is pending; non-blocking).
  const std::string& out_so_far();
  // Waits for the exit (collecting output), killing it at the timeout.
  CmdResult wait();

 private:
  void pump(int timeout_ms);
  void collect_exit(int status);
  CmdResult result_;
  RunOptions opts_;
  pid_t pid_ = -1;
  int pidfd_ = -1, in_ = -1, out_ = -1, err_ = -1;
  std::string stdin_data_;
  size_t stdin_off_ = 0;
  bool done_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

// ---- small utilities -----------------------------------------------------------

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);
std::vector<std::string> split_lines(const std::string& s);
std::vector<std::string> split_ws(const std::string& s);
std::string trim(const std::string& s);
bool contains(const std::string& hay, const std::string& needle);
bool icontains(const std::string& hay, const std::string& needle);
// Parses JSON; on error the returned document HasParseError().
rapidjson::Document parse_json(const std::string& text);
std::string to_json(const rapidjson::Value& v);
// Polls pred every few ms until it is true or timeout passes; returns the last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s);
// State letter from /proc/PID/stat ('R', 'S', 'Z', ...), or 0 if there is no such process.
char process_state(pid_t pid);
// Gone or zombie.
bool process_exited(pid_t pid);
std::vector<std::string> process_cmdline(pid_t pid);
// Inode of /proc/PID/ns/pid, 0 if unreadable.
unsigned long pid_ns_inode(pid_t pid);
// Mask of caught signals (SigCgt of /proc/PID/status).
unsigned long long caught_signals(pid_t pid);
// /proc/self/mountinfo without the mount and parent ids: "dev root mountpoint - fstype source", sorted;
// without the mounts under other test runs' /tmp/dkr-it-* dirs (the machine is shared).
std::vector<std::string> mount_snapshot();
// Every path under dir, relative, recursively, sorted ("" entries excluded).
std::vector<std::string> dir_listing(const std::string& dir);
// Every cgroup directory under the test binary's private cgroups (where a
// container's cgroup goes when its cgroupsPath is empty), sorted.
std::vector<std::string> cgroup_snapshot();
// Best effort: removes the empty cgroup directories named name at the top of
// each hierarchy and under this process's own cgroup (where runc puts a
// container's cgroup when cgroupsPath is empty). Only for unique names.
void remove_empty_cgroups(const std::string& name);
// Parses an RFC 3339 UTC time with optional fraction ("2026-11-29T05:24:38.50109958Z").
std::optional<std::chrono::system_clock::time_point> parse_rfc3339_utc(const std::string& s);

// Path of a file of runc's captured output in shared/runc-reference (beside the repo).
std::string reference_path(const std::string& name);
// v[key] as a string ("" if absent or not a string).
std::string str_field(const rapidjson::Value& v, const char* key);
// v[key] as an integer, or -1 if absent or not an integer (never asserts).
long long int_field(const rapidjson::Value& v, const char* key);
// Member names of an object, in order.
std::vector<std::string> keys_of(const rapidjson::Value& v);
// v printed with a 2-space indent (the shape of runc's `state`).
std::string pretty_json(const rapidjson::Value& v);
// Expects a failed runtime command: exit status 1, exactly one non-empty line
// on stderr, and when text is not empty a message() containing it. Use
// EXPECT_CMD_ERROR to get the caller's line in the report.
void expect_error(const CmdResult& r, const std::string& text = "");
#define EXPECT_CMD_ERROR(r, text)        \
  do {                                   \
    SCOPED_TRACE("EXPECT_CMD_ERROR");    \
    ::dkr_it::expect_error((r), (text)); \
  } while (0)

// ---- the fixture -----------------------------------------------------------------

using ConfigEdit = std::function<void(rapidjson::Document&)>;

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The test's own directory (holds the --root dir and the bundles).
  const std::string& test_dir() const { return dir_; }
  // The --root directory given to every run_cmd.
  const std::string& root() const { return root_; }

  // The base config (runc's default spec shape, terminal false, root.path =
  // the shared rootfs, root.readonly true, hostname "dkrtest") with the given args.
  rapidjson::Document base_config(const std::vector<std::string>& args) const;
  // Writes DIR/config.json (DIR = test_dir()/name, default "bundle-N") from the
  // base config with args, edited by edit; returns the bundle dir.
  std::string make_bundle(const std::vector<std::string>& args, const ConfigEdit& edit = {},
                          const std::string& name = "");
  // A private copy of the busybox rootfs in test_dir()/name, for a test that
  // changes files in it (tools/mkrootfs.sh); "" on failure (with a failure added).
  std::string make_rootfs(const std::string& name);
  // A bundle whose config.json holds exactly text ("" name = "bundle-N"); no file if text is nullopt.
  std::string make_raw_bundle(const std::optional<std::string>& text, const std::string& name = "");

  // Runs the runtime with --root root() and args, capturing output, with a timeout.
  CmdResult run_cmd(const std::vector<std::string>& args, const std::string& stdin_data = "",
                    const RunOptions& opts = {});
  // The same, in the background.
  std::unique_ptr<Command> start_cmd(const std::vector<std::string>& args, const std::string& stdin_data = "",
                                     const RunOptions& opts = {});

  // runc with its own --root in the test dir, to compare with (containers it
  // leaves are deleted in TearDown). Call only when find_runc() is not "".
  CmdResult run_runc(const std::vector<std::string>& args, const std::string& stdin_data = "",
                     const RunOptions& opts = {});

  // `state ID` parsed (null document with an added failure if the command fails).
  rapidjson::Document state(const std::string& id);
  // The status field of `state ID`, or "" if state fails.
  std::string status(const std::string& id);
  // The pid field of `state ID`, or -1.
  pid_t state_pid(const std::string& id);
  // Polls `state ID` until status is want.
  bool wait_status(const std::string& id, const std::string& want, std::chrono::milliseconds timeout = 30s);
  // create+start of a bundle running args; asserts success, returns the bundle.
  std::string start_container(const std::string& id, const std::vector<std::string>& args,
                              const ConfigEdit& edit = {});

  // Listing of the --root dir (recursive), and its top-level names only.
  std::vector<std::string> root_listing() const { return dir_listing(root_); }
  std::vector<std::string> root_entries() const;

  // Live (not zombie) processes that belong to this test: our children other
  // than commands in flight, processes in the pid namespaces of containers seen
  // by state(), and processes whose cmdline, root or cwd points into the test's
  // dirs or the rootfs.
  std::set<pid_t> test_processes();

  struct Snapshot {
    std::vector<std::string> root, dir, mounts, cgroups;
    std::set<pid_t> procs;
  };
  Snapshot snapshot();
  // Expects --root (and the whole test dir, which holds it and the bundles),
  // /proc/self/mountinfo, the private cgroups and the test's processes as in before
  // (new processes get a few seconds to exit: a runtime may still be reaping).
  void expect_unchanged(const Snapshot& before, const std::string& what);

 private:
  void cleanup_containers();
  void cleanup_runc_containers();
  void kill_leftover_processes();
  void unmount_under(const std::vector<std::string>& prefixes);

  std::string dir_, root_;
  int bundle_seq_ = 0;
  // Container inits seen by state(): pid -> start time (guards against pid reuse).
  void remember_container_pid(pid_t pid);
  std::map<pid_t, unsigned long long> container_pids_;
};

}  // namespace dkr_it
