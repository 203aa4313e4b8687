// The rest of runc's surface that engines use: --preserve-fds and
// LISTEN_FDS, NOTIFY_SOCKET, --no-new-keyring, --keep, --no-subreaper, the
// JSON log, `features`, --help on every command and --version. Each case
// runs against runc too (DKR_TEST_RUNTIME=runc) or compares with it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <map>
#include <memory>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include "runtime/sys/fd_passing.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/isolation_helpers.hpp"

#ifndef DKR_TEST_SD_NOTIFY
#error "DKR_TEST_SD_NOTIFY must be defined (tests/CMakeLists.txt does)"
#endif

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

class EngineFlagsTest : public ContainerTest {
 protected:
  // Pipes whose read ends hold `texts`, for fds passed to the runtime.
  std::vector<int> readable_fds(const std::vector<std::string>& texts) {
    std::vector<int> fds;
    for (auto& t : texts) {
      int p[2];
      EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
      EXPECT_EQ(write(p[1], t.data(), t.size()), ssize_t(t.size()));
      close(p[1]);
      fds.push_back(p[0]);
      owned_.push_back(p[0]);
    }
    return fds;
  }
  void TearDown() override {
    for (int fd : owned_) close(fd);
    ContainerTest::TearDown();
  }
  // A directory shared with the container at /gate (read-write).
  ConfigEdit with_gate(const std::string& dir) {
    fs::create_directories(dir);
    return [dir](rapidjson::Document& d) {
      set_json(d, "/mounts/-", R"({"destination": "/gate", "type": "bind", "source": ")" + dir +
                                   R"(", "options": ["rbind", "rw"]})");
    };
  }
  // The runtime with its own environment set up by `sh -c`, so that
  // $LISTEN_PID can be the runtime's own pid: `sh` execs into it.
  CmdResult run_through_sh(const std::string& env, const std::vector<std::string>& args, const RunOptions& o) {
    std::vector<std::string> argv = {"/bin/sh", "-c", env + " exec \"$0\" \"$@\"", runtime_path(), "--root", root()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions opts = o;
    opts.with_root = false;
    return Command(argv, "", opts).wait();
  }

 private:
  std::vector<int> owned_;
};

RunOptions no_root() {
  RunOptions o;
  o.with_root = false;
  return o;
}

const std::string kShowFds =
    "cat <&3; cat <&4; test -e /proc/self/fd/5 && echo fd5-passed || echo fd5-closed";

TEST_F(EngineFlagsTest, PreserveFdsOnRun) {
  std::string b = make_bundle({"sh", "-c", kShowFds});
  RunOptions o;
  o.pass_fds = readable_fds({"three\n", "four\n", "five\n"});
  CmdResult r = run_cmd({"run", "--preserve-fds", "2", "-b", b, "pfr"}, "", o);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "three\nfour\nfd5-closed\n");
}

TEST_F(EngineFlagsTest, PreserveFdsOnCreateReachTheProgramAtStart) {
  std::string gate = test_dir() + "/gate";
  std::string b = make_bundle({"sh", "-c", "{ " + kShowFds + "; } > /gate/out; sleep 100000"}, with_gate(gate));
  RunOptions o;
  o.pass_fds = readable_fds({"three\n", "four\n", "five\n"});
  CmdResult c = run_cmd({"create", "--preserve-fds", "2", "-b", b, "pfc"}, "", o);
  ASSERT_TRUE(c.ok()) << c;
  ASSERT_TRUE(run_cmd({"start", "pfc"}).ok());
  ASSERT_TRUE(wait_until([&] { return split_lines(read_file(gate + "/out")).size() == 3; })) << read_file(gate + "/out");
  EXPECT_EQ(read_file(gate + "/out"), "three\nfour\nfd5-closed\n");
}

TEST_F(EngineFlagsTest, ListenFdsComeFirst) {
  std::string b = make_bundle(
      {"sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4; cat <&5; "
                   "test -e /proc/self/fd/6 && echo fd6-passed || echo fd6-closed"});
  RunOptions o;
  o.pass_fds = readable_fds({"listen-a\n", "listen-b\n", "preserved\n", "extra\n"});
  CmdResult r = run_through_sh("LISTEN_FDS=2 LISTEN_PID=$$", {"run", "--preserve-fds", "1", "-b", b, "lfd"}, o);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "2 1\nlisten-a\nlisten-b\npreserved\nfd6-closed\n");
}

TEST_F(EngineFlagsTest, ListenFdsForAnotherProcessAreIgnored) {
  std::string b = make_bundle({"sh", "-c", "echo \"[$LISTEN_FDS]\"; test -e /proc/self/fd/3 && echo fd3-passed || echo fd3-closed"});
  RunOptions o;
  o.pass_fds = readable_fds({"x\n"});
  CmdResult r = run_through_sh("LISTEN_FDS=1 LISTEN_PID=1", {"run", "-b", b, "lfo"}, o);
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "[]\nfd3-closed\n");
}

// The host side of sd_notify: a datagram socket that collects what comes
// (closing any fd that comes with it).
class NotifyReceiver {
 public:
  explicit NotifyReceiver(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      ADD_FAILURE() << "bind " << path << ": " << strerror(errno);
  }
  ~NotifyReceiver() { close(fd_); }
  const std::string& path() const { return path_; }
  // Takes the datagrams that are there.
  void collect() {
    pollfd p = {fd_, POLLIN, 0};
    while (poll(&p, 1, 0) == 1) {
      char buf[4096];
      dkr::sys::Fd passed;  // closed: nothing is expected with the messages
      size_t n = dkr::sys::recv_with_fd(fd_, buf, sizeof buf, passed, "notify socket");
      messages_.emplace_back(buf, n);
    }
  }
  // Collects until there are `count` (false on timeout).
  bool wait_for(size_t count) {
    return wait_until([&] {
      collect();
      return messages_.size() >= count;
    });
  }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

ConfigEdit with_sd_notify() {
  return [](rapidjson::Document& d) {
    set_json(d, "/mounts/-", R"({"destination": "/sd_notify", "type": "bind", "source": ")" DKR_TEST_SD_NOTIFY
                             R"(", "options": ["bind", "ro"]})");
  };
}

TEST_F(EngineFlagsTest, NotifySocketRunDetachedWaitsForReady) {
  NotifyReceiver host(test_dir() + "/notify.sock");
  std::string gate = test_dir() + "/gate";
  ConfigEdit gate_mount = with_gate(gate);
  std::string b = make_bundle(
      {"sh", "-c", "echo $NOTIFY_SOCKET > /gate/env; while [ ! -e /gate/go ]; do usleep 10000; done; "
                   "/sd_notify READY=1; exec sleep 100000"},
      [&](rapidjson::Document& d) {
        gate_mount(d);
        with_sd_notify()(d);
      });
  RunOptions o;
  o.env = {"NOTIFY_SOCKET=" + host.path()};
  auto run = start_cmd({"run", "-d", "-b", b, "notified"}, "", o);
  ASSERT_TRUE(wait_until([&] { return !read_file(gate + "/env").empty(); })) << "the program never ran";
  EXPECT_EQ(read_file(gate + "/env"), "/run/notify/notify.sock\n");
  host.collect();
  EXPECT_TRUE(host.messages().empty()) << "READY before the program said so";
  EXPECT_FALSE(run->finished()) << "run -d returned before READY";
  write_file(gate + "/go", "");
  ASSERT_TRUE(host.wait_for(2)) << "READY never came through: " << testing::PrintToString(host.messages());
  CmdResult r = run->wait();
  ASSERT_TRUE(r.ok()) << r;
  pid_t pid = state_pid("notified");
  EXPECT_EQ(host.messages(),
            (std::vector<std::string>{"READY=1\n", "MAINPID=" + std::to_string(pid) + "\n"}));
}

TEST_F(EngineFlagsTest, NotifySocketForegroundRunRelaysReady) {
  NotifyReceiver host(test_dir() + "/notify.sock");
  std::string b = make_bundle({"sh", "-c", "/sd_notify READY=1 && echo sent"}, with_sd_notify());
  RunOptions o;
  o.env = {"NOTIFY_SOCKET=" + host.path()};
  auto run = start_cmd({"run", "-b", b, "fgnotify"}, "", o);
  pid_t runtime = run->pid();
  ASSERT_TRUE(host.wait_for(2)) << "READY never came through: " << testing::PrintToString(host.messages());
  CmdResult r = run->wait();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "sent\n");
  // In the foreground the runtime is the process to watch, as runc says.
  EXPECT_EQ(host.messages(),
            (std::vector<std::string>{"READY=1\n", "MAINPID=" + std::to_string(runtime) + "\n"}));
}

TEST_F(EngineFlagsTest, NotifySocketAtStartNeedsItAtCreate) {
  std::string b = make_bundle({"sleep", "100000"});
  ASSERT_TRUE(run_cmd({"create", "-b", b, "late"}).ok());
  RunOptions o;
  o.env = {"NOTIFY_SOCKET=" + test_dir() + "/notify.sock"};
  CmdResult r = run_cmd({"start", "late"}, "", o);
  EXPECT_CMD_ERROR(r, is_dkr() ? "NOTIFY_SOCKET is set but container late was created without it" : "notify");
  EXPECT_EQ(status("late"), "created");
}

TEST_F(EngineFlagsTest, NewSessionKeyringUnlessNoNewKeyring) {
  std::string b = make_bundle({"cat", "/proc/keys"});
  CmdResult fresh = run_cmd({"run", "-b", b, "kr1"});
  ASSERT_TRUE(fresh.ok()) << fresh;
  EXPECT_TRUE(contains(fresh.out, "keyring   _ses.kr1: ")) << "no session keyring of its own:\n" << fresh.out;
  CmdResult inherited = run_cmd({"run", "--no-new-keyring", "-b", b, "kr2"});
  ASSERT_TRUE(inherited.ok()) << inherited;
  EXPECT_FALSE(contains(inherited.out, "_ses.kr2")) << inherited.out;
}

TEST_F(EngineFlagsTest, KeepLeavesTheStoppedContainer) {
  std::string b = make_bundle({"sh", "-c", "exit 3"});
  CmdResult r = run_cmd({"run", "--keep", "-b", b, "kept"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(status("kept"), "stopped");
  ASSERT_TRUE(run_cmd({"delete", "kept"}).ok());
  EXPECT_TRUE(root_listing().empty());
}

pid_t ppid_of(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("PPid:", 0) == 0) return std::stoi(line.substr(5));
  return -1;
}

// In the host's pid namespace an orphan of the container goes to the
// nearest subreaper: the foreground runtime, or with --no-subreaper this
// test; and it is killed with the container.
class SubreaperTest : public EngineFlagsTest, public ::testing::WithParamInterface<bool> {};

TEST_P(SubreaperTest, OrphansOfTheContainer) {
  const bool no_subreaper = GetParam();
  std::string gate = test_dir() + "/gate";
  ConfigEdit gate_mount = with_gate(gate);
  std::string b = make_bundle(
      {"sh", "-c", "sh -c 'sleep 100000 & echo $! > /gate/pid'; while [ ! -e /gate/done ]; do usleep 10000; done"},
      [&](rapidjson::Document& d) {
        gate_mount(d);
        set_json(d, "/linux/namespaces", R"([{"type": "ipc"}, {"type": "uts"}, {"type": "mount"}])");
      });
  std::vector<std::string> args = {"run", "-b", b, "orphans"};
  if (no_subreaper) args.insert(args.begin() + 1, "--no-subreaper");
  auto run = start_cmd(args);
  ASSERT_TRUE(wait_until([&] { return !read_file(gate + "/pid").empty(); }));
  pid_t orphan = std::stoi(read_file(gate + "/pid"));
  pid_t want = no_subreaper ? getpid() : run->pid();
  EXPECT_TRUE(wait_until([&] { return ppid_of(orphan) == want; }))
      << "the orphan's parent is " << ppid_of(orphan) << ", not " << want;
  write_file(gate + "/done", "");
  CmdResult r = run->wait();
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(process_exited(orphan)) << "the container's last process outlived its removal";
  kill(orphan, SIGKILL);
  waitpid(orphan, nullptr, 0);
}

INSTANTIATE_TEST_SUITE_P(Flag, SubreaperTest, ::testing::Values(false, true));

// The JSON log lines byte for byte as runc writes them (the time aside):
// containerd's shim parses them.
TEST_F(EngineFlagsTest, JsonLogLinesAsRunc) {
  const std::regex time_re(R"("time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")");
  auto lines_of = [&](const std::string& file) {
    std::vector<std::string> out;
    for (auto& l : split_lines(read_file(file))) out.push_back(std::regex_replace(l, time_re, R"("time":"T")"));
    return out;
  };
  std::string log = test_dir() + "/log.json";
  run_cmd({"--log", log, "--log-format", "json", "start", "nosuch"});
  run_cmd({"--log", log, "--log-format", "json", "state", "nosuch"});
  std::vector<std::string> got = lines_of(log);
  ASSERT_EQ(got.size(), 2u) << read_file(log);
  for (auto& line : got) {
    auto d = parse_json(line);
    ASSERT_FALSE(d.HasParseError()) << line;
    EXPECT_EQ(keys_of(d), (std::vector<std::string>{"level", "msg", "time"})) << line;
  }
  EXPECT_EQ(got[1], R"({"level":"error","msg":"container does not exist","time":"T"})");
  std::vector<std::string> reference = lines_of(reference_path("log-format-json.txt"));
  ASSERT_EQ(reference.size(), 2u);
  EXPECT_EQ(got[1], reference[1]) << "not the shape of runc's line";

  std::string runc = find_runc();
  if (runc.empty()) return;
  std::string runc_log = test_dir() + "/runc-log.json";
  RunOptions o;
  o.with_root = false;
  for (const char* cmd : {"start", "state"})
    Command({runc, "--root", test_dir() + "/runc-root", "--log", runc_log, "--log-format", "json", cmd, "nosuch"}, "", o)
        .wait();
  EXPECT_EQ(got, lines_of(runc_log));
}

// The same structure as runc's features document: every member runc has,
// with the same JSON type (the runtime-spec's features schema is not in
// this Debian's schema package).
void expect_same_shape(const rapidjson::Value& want, const rapidjson::Value& got, const std::string& at) {
  ASSERT_EQ(want.GetType() == rapidjson::kTrueType ? rapidjson::kFalseType : want.GetType(),
            got.GetType() == rapidjson::kTrueType ? rapidjson::kFalseType : got.GetType())
      << at << ": runc's is " << to_json(want) << ", ours " << to_json(got);
  if (want.IsArray()) {
    EXPECT_FALSE(got.Empty()) << at;
    for (auto& item : got.GetArray()) EXPECT_TRUE(item.IsString()) << at;
  }
  if (!want.IsObject() || at == "/annotations") return;
  for (auto& m : want.GetObject()) {
    std::string key = m.name.GetString();
    ASSERT_TRUE(got.HasMember(key.c_str())) << at << "/" << key << " is missing";
    expect_same_shape(m.value, got[key.c_str()], at + "/" + key);
  }
}

TEST_F(EngineFlagsTest, FeaturesHaveTheRuntimeSpecShape) {
  CmdResult r = run_cmd({"features"}, "", no_root());
  ASSERT_TRUE(r.ok()) << r;
  auto got = parse_json(r.out);
  ASSERT_FALSE(got.HasParseError()) << r.out;
  auto want = parse_json(read_file(reference_path("features.json")));
  ASSERT_FALSE(want.HasParseError());
  expect_same_shape(want, got, "");
  std::regex version(R"(\d+\.\d+\.\d+(-dev)?)");
  EXPECT_TRUE(std::regex_match(str_field(got, "ociVersionMin"), version));
  EXPECT_TRUE(std::regex_match(str_field(got, "ociVersionMax"), version));
  auto strings = [](const rapidjson::Value& v) {
    std::set<std::string> out;
    for (auto& s : v.GetArray()) out.insert(s.GetString());
    return out;
  };
  EXPECT_EQ(strings(got["hooks"]), strings(want["hooks"]));
  EXPECT_EQ(strings(got["linux"]["capabilities"]), strings(want["linux"]["capabilities"]));
  for (auto& ns : strings(want["linux"]["namespaces"])) EXPECT_TRUE(strings(got["linux"]["namespaces"]).count(ns)) << ns;
  EXPECT_TRUE(got["linux"]["seccomp"]["enabled"].GetBool());
  EXPECT_TRUE(strings(got["linux"]["seccomp"]["archs"]).count("SCMP_ARCH_X86_64"));
}

// The runtime-spec's features schema (tests/data/features-schema), its
// $refs to defs.json and defs-linux.json served from the OCI schema package.
class SchemaFiles : public rapidjson::IRemoteSchemaDocumentProvider {
 public:
  const rapidjson::SchemaDocument* GetRemoteDocument(const char* uri, rapidjson::SizeType length) override {
    std::string name(uri, length);
    // RapidJSON 1.1.0 (Debian 12's) hands over the URI one character short.
    for (std::string known : {"defs.json", "defs-linux.json", "features-linux.json", "features-schema.json"})
      if (known.rfind(name, 0) == 0 && known.size() <= name.size() + 1) name = known;
    auto found = docs_.find(name);
    if (found != docs_.end()) return found->second.get();
    std::string dir = name.rfind("features", 0) == 0 ? DKR_SOURCE_DIR "/tests/data/features-schema" : DKR_SCHEMA_DIR;
    rapidjson::Document& d = *(texts_[name] = std::make_unique<rapidjson::Document>(parse_json(read_file(dir + "/" + name))));
    EXPECT_FALSE(d.HasParseError()) << name;
    if (name == "defs-linux.json") {
      // runtime-spec 1.2 added the time namespace; this schema package predates it.
      auto& types = d["definitions"]["NamespaceType"]["enum"];
      types.PushBack("time", d.GetAllocator());
    }
    return (docs_[name] = std::make_unique<rapidjson::SchemaDocument>(d, this)).get();
  }

 private:
  std::map<std::string, std::unique_ptr<rapidjson::Document>> texts_;
  std::map<std::string, std::unique_ptr<rapidjson::SchemaDocument>> docs_;
};

TEST_F(EngineFlagsTest, FeaturesValidateAgainstTheRuntimeSpecSchema) {
  CmdResult r = run_cmd({"features"}, "", no_root());
  ASSERT_TRUE(r.ok()) << r;
  auto got = parse_json(r.out);
  ASSERT_FALSE(got.HasParseError()) << r.out;
  SchemaFiles files;
  const rapidjson::SchemaDocument* schema = files.GetRemoteDocument("features-schema.json", 20);
  rapidjson::SchemaValidator validator(*schema);
  bool valid = got.Accept(validator);
  rapidjson::StringBuffer where;
  validator.GetInvalidDocumentPointer().StringifyUriFragment(where);
  EXPECT_TRUE(valid) << "invalid at " << where.GetString() << ": " << validator.GetInvalidSchemaKeyword() << "\n"
                     << r.out;

  // The check has teeth: a namespace type the spec does not know fails it.
  got["linux"]["namespaces"].PushBack("nosuch", got.GetAllocator());
  rapidjson::SchemaValidator strict(*schema);
  EXPECT_FALSE(got.Accept(strict));
}

TEST_F(EngineFlagsTest, HelpOnEveryCommand) {
  CmdResult top = run_cmd({"--help"}, "", no_root());
  ASSERT_TRUE(top.ok()) << top;
  std::vector<std::string> commands;
  bool in_list = false;
  for (auto& line : split_lines(top.out)) {
    if (line == "Commands:" || line == "COMMANDS:") {
      in_list = true;
    } else if (in_list && trim(line).empty()) {
      break;
    } else if (in_list) {
      std::string name = split_ws(line).at(0);
      if (name.back() == ',') name.pop_back();  // runc: "help, h"
      commands.push_back(name);
    }
  }
  for (const char* needed : {"create", "start", "run", "exec", "state", "kill", "delete", "list", "features", "spec"})
    EXPECT_NE(std::find(commands.begin(), commands.end(), needed), commands.end()) << needed << " not listed";
  for (auto& c : commands) {
    if (c == "help" || c == "h") continue;
    CmdResult h = run_cmd({c, "--help"}, "", no_root());
    EXPECT_EQ(h.exit_code, 0) << c << h;
    EXPECT_FALSE(trim(h.out).empty()) << c << h;
    if (is_dkr()) {
      EXPECT_TRUE(contains(h.out, "Usage: dkr " + c)) << h;
    }
  }
}

TEST_F(EngineFlagsTest, VersionInRuncsFormat) {
  // runc's lines, less "go:": NAME version V / commit: / spec: / libseccomp:
  std::vector<std::string> want_keys;
  for (auto& line : split_lines(read_file(reference_path("version.txt")))) {
    std::string key = line.substr(0, line.find(':'));
    if (key != "go" && line.find(" version ") == std::string::npos) want_keys.push_back(key);
  }
  for (const char* flag : {"--version", "-v"}) {
    CmdResult r = run_cmd({flag}, "", no_root());
    ASSERT_TRUE(r.ok()) << r;
    auto lines = split_lines(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(\w+ version \S+)"))) << lines[0];
    std::vector<std::string> keys;
    for (size_t i = 1; i < lines.size(); ++i) {
      std::string key = lines[i].substr(0, lines[i].find(':'));
      EXPECT_NE(lines[i].find(": "), std::string::npos) << lines[i];
      if (key != "go") keys.push_back(key);
    }
    EXPECT_EQ(keys, want_keys) << r.out;
    EXPECT_TRUE(contains(r.out, "\nspec: 1.0.2-dev\n")) << r.out;
  }
}

}  // namespace
}  // namespace dkr_it
