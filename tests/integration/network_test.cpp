// `dkr network`: bridges, veth pairs, addresses and NAT, set up by the
// createRuntime hook `dkr network hook up` and removed by its poststop twin,
// under the runtime being tested and under runc.
//
// Every test runs in a network namespace of its own that plays the host:
// its bridges, addresses, nftables tables and forwarding switch die with it,
// and no packet can reach the machine's real interfaces. Inside, the tests
// use 10.251.0.0/16 and 172.31.251.0/24 on links they make themselves.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

// A process parked in a new network namespace: a stand-in for a container's
// init, for driving the hook directly.
class NetnsHolder {
 public:
  NetnsHolder() {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2: " << strerror(errno);
      return;
    }
    pid_ = fork();
    if (pid_ == 0) {
      char ok = unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      (void)!write(p[1], &ok, 1);
      for (;;) pause();
    }
    close(p[1]);
    char ok = 0;
    if (pid_ < 0 || read(p[0], &ok, 1) != 1 || !ok) ADD_FAILURE() << "cannot park a process in a new netns";
    close(p[0]);
  }
  ~NetnsHolder() { stop(); }
  NetnsHolder(const NetnsHolder&) = delete;
  NetnsHolder& operator=(const NetnsHolder&) = delete;

  pid_t pid() const { return pid_; }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string dkr_binary() { return DKR_BINARY; }

// Absolute path of a system tool (the harness execs without a PATH search).
std::string tool(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"})
    if (access((dir + name).c_str(), X_OK) == 0) return dir + name;
  ADD_FAILURE() << name << " is not installed (tools/setup.sh installs it)";
  return name;
}

class NetworkTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    host_ns_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(host_ns_, 0) << strerror(errno);
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "a private network namespace for the test: " << strerror(errno);
    state_dir_ = test_dir() + "/netstate";
  }
  void TearDown() override {
    ContainerTest::TearDown();  // containers go (with their poststop hooks) while we are still inside
    if (host_ns_ >= 0) {
      EXPECT_EQ(setns(host_ns_, CLONE_NEWNET), 0) << strerror(errno);
      close(host_ns_);
    }
  }

  // Any program, without --root.
  CmdResult host(std::vector<std::string> argv, const std::string& stdin_data = "") {
    if (argv[0].find('/') == std::string::npos) argv[0] = tool(argv[0]);
    RunOptions o;
    o.with_root = false;
    return Command(argv, stdin_data, o).wait();
  }
  // `dkr network SUB ARGS... --state-dir <test's>`.
  CmdResult net(const std::string& sub, std::vector<std::string> args, const std::string& stdin_data = "") {
    std::vector<std::string> argv = {dkr_binary(), "network", sub};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--state-dir");
    argv.push_back(state_dir_);
    return host(argv, stdin_data);
  }
  void create_network(const std::string& name, const std::string& subnet, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--subnet", subnet, "--bridge", "dkrt-" + name, name});
    CmdResult r = net("create", extra);
    ASSERT_TRUE(r.ok()) << r;
  }
  // A bundle running args with CAP_NET_RAW (busybox ping opens raw sockets),
  // attached to the network.
  std::string bundle_on(const std::string& network, const std::vector<std::string>& args) {
    std::string b = make_bundle(args, [](rapidjson::Document& d) {
      auto& a = d.GetAllocator();
      rapidjson::Value caps(rapidjson::kObjectType);
      for (const char* set : {"bounding", "effective", "permitted"}) {
        rapidjson::Value list(rapidjson::kArrayType);
        list.PushBack("CAP_NET_RAW", a);
        caps.AddMember(rapidjson::StringRef(set), list, a);
      }
      d["process"].AddMember("capabilities", caps, a);
    });
    CmdResult r = net("attach", {network, b});
    EXPECT_TRUE(r.ok()) << r;
    return b;
  }
  // The network's record as JSON (null document when inspect fails).
  rapidjson::Document inspect(const std::string& name) {
    CmdResult r = net("inspect", {name});
    EXPECT_TRUE(r.ok()) << r;
    return parse_json(r.out);
  }
  // "id=address" for each container attached to the network.
  std::vector<std::string> attached(const std::string& name) {
    std::vector<std::string> v;
    auto d = inspect(name);
    if (!d.IsObject() || !d.HasMember("containers")) return {"<no record>"};
    for (auto& c : d["containers"].GetArray()) v.push_back(str_field(c, "id") + "=" + str_field(c, "address"));
    return v;
  }
  // Names of the links in the test's host namespace, sorted.
  std::vector<std::string> links() {
    CmdResult r = host({"ip", "-o", "link", "show"});
    EXPECT_TRUE(r.ok()) << r;
    std::vector<std::string> v;
    for (auto& line : split_lines(r.out)) {
      auto f = split_ws(line);  // "1: lo: <...> ..."
      if (f.size() < 2) continue;
      std::string name = f[1].substr(0, f[1].find_first_of("@:"));
      v.push_back(name);
    }
    std::sort(v.begin(), v.end());
    return v;
  }
  std::string ipv4_addresses() {
    CmdResult r = host({"ip", "-o", "-4", "addr", "show"});
    EXPECT_TRUE(r.ok()) << r;
    return r.out;
  }
  CmdResult ping_from_host(const std::string& address) {
    return host({rootfs_path() + "/bin/busybox", "ping", "-c", "1", "-W", "10", address});
  }
  // Network records left in the state directory.
  std::vector<std::string> records() {
    std::vector<std::string> v;
    for (auto& e : dir_listing(state_dir_))
      if (e.ends_with(".json")) v.push_back(e);
    return v;
  }

  std::string state_dir_;

 private:
  int host_ns_ = -1;
};

// ---- hooks under a runtime: dkr (the runtime under test) and runc ------------------

class NetworkRuntimeTest : public NetworkTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    NetworkTest::SetUp();
    if (HasFatalFailure()) return;
    if (GetParam() == "runc") {
      runtime_ = find_runc();
      if (runtime_.empty()) GTEST_SKIP() << "runc is not installed";
      runtime_root_ = test_dir() + "/runc-root";
    } else {
      runtime_ = runtime_path();
      runtime_root_ = root();
      if (is_dkr() && !hooks_work()) {
        std::cout << "[  SKIPPED ] " << runtime_ << " does not run OCI createRuntime hooks yet\n";
        GTEST_SKIP() << runtime_ << " does not run OCI createRuntime hooks yet";
      }
    }
  }
  void TearDown() override {
    if (GetParam() == "runc")
      for (auto& id : ids_) rt({"delete", "--force", id});
    NetworkTest::TearDown();
  }

  CmdResult rt(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {runtime_, "--root", runtime_root_};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.with_root = false;
    return Command(argv, "", o).wait();
  }
  std::string rt_status(const std::string& id) {
    CmdResult r = rt({"state", id});
    auto d = parse_json(r.out);
    return r.ok() && d.IsObject() ? str_field(d, "status") : "";
  }
  void start(const std::string& id, const std::string& bundle) {
    ids_.push_back(id);
    CmdResult c = rt({"create", "--bundle", bundle, id});
    ASSERT_TRUE(c.ok()) << c;
    CmdResult s = rt({"start", id});
    ASSERT_TRUE(s.ok()) << s;
  }
  void stop_and_delete(const std::string& id) {
    CmdResult k = rt({"kill", id, "KILL"});
    EXPECT_TRUE(k.ok()) << k;
    EXPECT_TRUE(wait_until([&] { return rt_status(id) == "stopped"; }, 30s)) << id << " did not stop";
    CmdResult d = rt({"delete", id});
    EXPECT_TRUE(d.ok()) << d;
  }

 private:
  // Whether this runtime runs createRuntime hooks (dkr's lifecycle engine
  // gains them apart from networking): one container whose hook touches a file.
  bool hooks_work() {
    static int known = -1;
    if (known >= 0) return known == 1;
    std::string mark = test_dir() + "/hook-ran";
    std::string b = make_bundle({"true"}, [&](rapidjson::Document& d) {
      auto& a = d.GetAllocator();
      rapidjson::Value hook(rapidjson::kObjectType), args(rapidjson::kArrayType), list(rapidjson::kArrayType),
          hooks(rapidjson::kObjectType);
      hook.AddMember("path", "/bin/sh", a);
      for (const std::string& s : std::vector<std::string>{"sh", "-c", "touch " + mark}) args.PushBack(rapidjson::Value(s.c_str(), a), a);
      hook.AddMember("args", args, a);
      list.PushBack(hook, a);
      hooks.AddMember("createRuntime", list, a);
      d.AddMember("hooks", hooks, a);
    });
    CmdResult r = rt({"run", "--bundle", b, "hook-probe"});
    known = r.ok() && access(mark.c_str(), F_OK) == 0 ? 1 : 0;
    return known == 1;
  }

  std::string runtime_, runtime_root_;
  std::vector<std::string> ids_;
};

TEST_P(NetworkRuntimeTest, TwoContainersReachEachOtherAndTheHost) {
  create_network("n1", "10.251.1.0/24");
  EXPECT_TRUE(contains(ipv4_addresses(), "10.251.1.1/24")) << ipv4_addresses();

  std::string a = bundle_on("n1", {"sleep", "600"});
  ASSERT_NO_FATAL_FAILURE(start("a", a));
  EXPECT_EQ(attached("n1"), std::vector<std::string>{"a=10.251.1.2"});

  // b looks at its own network, then pings a; it is removed when it exits.
  std::string b = bundle_on(
      "n1", {"sh", "-c", "ip -o -4 addr show eth0; ip route; ip -o link show lo; ping -c 1 -W 10 10.251.1.2"});
  CmdResult run = rt({"run", "--bundle", b, "b"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(contains(run.out, "inet 10.251.1.3/24")) << run;
  EXPECT_TRUE(contains(run.out, "default via 10.251.1.1 dev eth0")) << run;
  EXPECT_TRUE(contains(run.out, "LOOPBACK,UP")) << run;
  EXPECT_TRUE(contains(run.out, "1 packets received")) << run;
  rt({"delete", "--force", "b"});  // runc's `run` leaves nothing; this is for a runtime that does
  EXPECT_EQ(attached("n1"), std::vector<std::string>{"a=10.251.1.2"}) << "b's address was not released";

  CmdResult ping = ping_from_host("10.251.1.2");
  EXPECT_TRUE(ping.ok() && contains(ping.out, "1 packets received")) << ping;

  stop_and_delete("a");
  EXPECT_EQ(attached("n1"), std::vector<std::string>{});
  EXPECT_EQ(links(), (std::vector<std::string>{"dkrt-n1", "lo"})) << "veth ends left after delete";

  CmdResult rm = net("rm", {"n1"});
  EXPECT_TRUE(rm.ok()) << rm;
  EXPECT_EQ(links(), std::vector<std::string>{"lo"});
  EXPECT_FALSE(contains(ipv4_addresses(), "10.251.")) << ipv4_addresses();
  EXPECT_EQ(records(), std::vector<std::string>{});
}

TEST_P(NetworkRuntimeTest, NatLetsContainersReachBeyondTheHost) {
  // "Outside": a namespace linked to the host by a veth pair, with no route
  // back to the containers' subnet, so only masqueraded packets get answers.
  NetnsHolder outside;
  std::string outside_pid = std::to_string(outside.pid());
  for (auto& cmd : std::vector<std::vector<std::string>>{
           {"ip", "link", "add", "dkrt-out", "type", "veth", "peer", "name", "out0", "netns", outside_pid},
           {"ip", "addr", "add", "172.31.251.1/24", "dev", "dkrt-out"},
           {"ip", "link", "set", "dkrt-out", "up"},
           {"nsenter", "-t", outside_pid, "-n", "ip", "addr", "add", "172.31.251.2/24", "dev", "out0"},
           {"nsenter", "-t", outside_pid, "-n", "ip", "link", "set", "out0", "up"}}) {
    CmdResult r = host(cmd);
    ASSERT_TRUE(r.ok()) << r;
  }

  create_network("n2", "10.251.2.0/24", {"--nat"});
  CmdResult table = host({"nft", "list", "table", "ip", "dkr_n2"});
  ASSERT_TRUE(table.ok()) << table;
  EXPECT_TRUE(contains(table.out, "masquerade")) << table;
  EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_forward"), "1\n");

  std::string b = bundle_on("n2", {"ping", "-c", "1", "-W", "10", "172.31.251.2"});
  CmdResult run = rt({"run", "--bundle", b, "natted"});
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_TRUE(contains(run.out, "1 packets received")) << run;
  rt({"delete", "--force", "natted"});

  CmdResult rm = net("rm", {"n2"});
  EXPECT_TRUE(rm.ok()) << rm;
  CmdResult gone = host({"nft", "list", "table", "ip", "dkr_n2"});
  EXPECT_FALSE(gone.ok()) << "the NAT table outlived its network:" << gone;
  EXPECT_EQ(links(), (std::vector<std::string>{"dkrt-out", "lo"}));
}

INSTANTIATE_TEST_SUITE_P(Runtimes, NetworkRuntimeTest, ::testing::Values("under_test", "runc"),
                         [](const auto& info) { return info.param; });

// ---- the hook program on its own -----------------------------------------------------

std::string hook_state(const std::string& id, pid_t pid) {
  return R"({"ociVersion":"1.0.2","id":")" + id + R"(","status":"creating","pid":)" + std::to_string(pid) +
         R"(,"bundle":"/nonexistent"})";
}

TEST_F(NetworkTest, ConcurrentHooksGetDistinctAddresses) {
  create_network("n3", "10.251.3.0/24");
  constexpr int kContainers = 8;
  std::vector<std::unique_ptr<NetnsHolder>> inits;
  for (int i = 0; i < kContainers; ++i) inits.push_back(std::make_unique<NetnsHolder>());

  std::vector<std::unique_ptr<Command>> hooks;
  RunOptions o;
  o.with_root = false;
  for (int i = 0; i < kContainers; ++i)
    hooks.push_back(std::make_unique<Command>(
        std::vector<std::string>{dkr_binary(), "network", "hook", "up", "n3", "--state-dir", state_dir_},
        hook_state("c" + std::to_string(i), inits[i]->pid()), o));
  for (auto& h : hooks) {
    CmdResult r = h->wait();
    EXPECT_TRUE(r.ok()) << r;
  }

  auto got = attached("n3");
  ASSERT_EQ(got.size(), size_t(kContainers));
  std::set<std::string> addresses;
  for (int i = 0; i < kContainers; ++i) {
    std::string id = "c" + std::to_string(i);
    auto entry = std::find_if(got.begin(), got.end(), [&](auto& e) { return e.rfind(id + "=", 0) == 0; });
    ASSERT_NE(entry, got.end()) << id << " missing from " << ::testing::PrintToString(got);
    std::string address = entry->substr(id.size() + 1);
    addresses.insert(address);
    CmdResult inside = host({"nsenter", "-t", std::to_string(inits[i]->pid()), "-n", "ip", "-o", "-4", "addr"});
    EXPECT_TRUE(contains(inside.out, "eth0    inet " + address + "/24")) << id << ":" << inside;
  }
  EXPECT_EQ(addresses.size(), size_t(kContainers)) << ::testing::PrintToString(got);

  hooks.clear();
  for (int i = 0; i < kContainers; ++i)
    hooks.push_back(std::make_unique<Command>(
        std::vector<std::string>{dkr_binary(), "network", "hook", "down", "n3", "--state-dir", state_dir_},
        hook_state("c" + std::to_string(i), 0), o));
  for (auto& h : hooks) {
    CmdResult r = h->wait();
    EXPECT_TRUE(r.ok()) << r;
  }
  EXPECT_EQ(attached("n3"), std::vector<std::string>{});
  EXPECT_EQ(links(), (std::vector<std::string>{"dkrt-n3", "lo"}));
}

TEST_F(NetworkTest, DeadContainerAddressIsReclaimed) {
  create_network("n4", "10.251.4.0/30");  // room for exactly one container
  {
    NetnsHolder first;
    CmdResult up = net("hook", {"up", "n4"}, hook_state("first", first.pid()));
    ASSERT_TRUE(up.ok()) << up;
    NetnsHolder second;
    CmdResult full = net("hook", {"up", "n4"}, hook_state("second", second.pid()));
    EXPECT_CMD_ERROR(full, "no free address left in 10.251.4.0/30");
    EXPECT_EQ(links(), (std::vector<std::string>{"dkrt-n4", "dkv0afb0402", "lo"}));
  }  // both die without a poststop hook: the kernel removes first's veth pair

  EXPECT_TRUE(wait_until([&] { return links() == std::vector<std::string>{"dkrt-n4", "lo"}; }, 30s));
  NetnsHolder third;
  CmdResult up = net("hook", {"up", "n4"}, hook_state("third", third.pid()));
  EXPECT_TRUE(up.ok()) << up;
  EXPECT_EQ(attached("n4"), std::vector<std::string>{"third=10.251.4.2"});
  third.stop();
  EXPECT_TRUE(wait_until([&] { return links() == std::vector<std::string>{"dkrt-n4", "lo"}; }, 30s));
  CmdResult rm = net("rm", {"n4"});  // the stale entry does not hold the network
  EXPECT_TRUE(rm.ok()) << rm;
  EXPECT_EQ(records(), std::vector<std::string>{});
}

TEST_F(NetworkTest, RefusesBadRequestsAndLeavesNothing) {
  create_network("n5", "10.251.5.0/24");
  auto before_links = links();
  auto before_addresses = ipv4_addresses();

  EXPECT_CMD_ERROR(net("create", {"--subnet", "10.251.5.128/25", "other"}), "overlaps 10.251.5.0/24");
  EXPECT_CMD_ERROR(net("create", {"--subnet", "10.251.6.1/24", "other"}), "host bits are set");
  EXPECT_CMD_ERROR(net("create", {"--subnet", "10.251.6.0/24", "n5"}), "exists already");
  EXPECT_CMD_ERROR(net("create", {"--subnet", "10.251.6.0/24", "bad/name"}), "invalid network name");
  EXPECT_CMD_ERROR(net("create", {"other"}), "--subnet is required");

  // A container sharing the host's network namespace: the hook refuses it.
  CmdResult shared = net("hook", {"up", "n5"}, hook_state("shared", getpid()));
  EXPECT_CMD_ERROR(shared, "shares the host's network namespace");
  EXPECT_CMD_ERROR(net("hook", {"up", "n5"}, "not json"), "OCI state");
  EXPECT_CMD_ERROR(net("hook", {"up", "nope"}, hook_state("x", getpid())), "");

  // A bundle without a network namespace of its own cannot be attached.
  std::string b = make_bundle({"true"}, [](rapidjson::Document& d) {
    auto& ns = d["linux"]["namespaces"];
    for (auto it = ns.Begin(); it != ns.End(); ++it)
      if (str_field(*it, "type") == "network") {
        ns.Erase(it);
        break;
      }
  });
  std::string config_before = read_file(b + "/config.json");
  CmdResult r = net("attach", {"n5", b});
  EXPECT_CMD_ERROR(r, b + "/config.json: /linux/namespaces");
  EXPECT_EQ(read_file(b + "/config.json"), config_before);

  // A network in use is not removed.
  NetnsHolder init;
  ASSERT_TRUE(net("hook", {"up", "n5"}, hook_state("busy", init.pid())).ok());
  EXPECT_CMD_ERROR(net("rm", {"n5"}), "has containers attached: busy");
  ASSERT_TRUE(net("hook", {"down", "n5"}, hook_state("busy", 0)).ok());

  EXPECT_EQ(links(), before_links);
  EXPECT_EQ(ipv4_addresses(), before_addresses);
  EXPECT_EQ(attached("n5"), std::vector<std::string>{});
  EXPECT_EQ(records(), std::vector<std::string>{"n5.json"});
}

}  // namespace
}  // namespace dkr_it
