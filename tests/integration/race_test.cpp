// Concurrent `create` of one id: exactly one wins, the others fail with the
// "exists" error, and what is left is one intact, deletable container; after
// its delete, no process, mount, cgroup or state dir is left. Concurrent
// `delete --force` of one container: all succeed, nothing is left.
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class RaceTest : public ContainerTest {
 protected:
  void check_outcome(const std::vector<CmdResult>& results, const std::string& id, const Snapshot& before) {
    int winners = 0;
    for (auto& r : results) {
      if (r.ok()) {
        ++winners;
        continue;
      }
      EXPECT_CMD_ERROR(r, "");
      EXPECT_TRUE(icontains(r.message(), "exist")) << r;
      if (is_dkr()) {
        EXPECT_TRUE(contains(r.message(), "container with id exists: " + id)) << r;
      }
    }
    EXPECT_EQ(winners, 1) << "exactly one create of \"" << id << "\" must succeed";

    CmdResult q = run_cmd({"list", "-q"});
    ASSERT_TRUE(q.ok()) << q;
    EXPECT_EQ(q.out, id + "\n");
    EXPECT_EQ(root_entries(), std::vector<std::string>{id});
    auto st = state(id);
    ASSERT_TRUE(st.IsObject());
    EXPECT_EQ(str_field(st, "status"), "created");
    pid_t pid = int_field(st, "pid");
    EXPECT_FALSE(process_exited(pid));

    CmdResult d = run_cmd({"delete", "--force", id});
    EXPECT_TRUE(d.ok()) << d;
    EXPECT_TRUE(wait_until([&] { return process_exited(pid); }));
    expect_unchanged(before, "racing creates of " + id + ", then delete");
  }

  // A pipe the children block on until release() writes one byte each.
  int gate_[2] = {-1, -1};
  void make_gate() { ASSERT_EQ(pipe2(gate_, O_CLOEXEC), 0); }
  void release(size_t n) {
    std::string bytes(n, 'g');
    ASSERT_EQ(write(gate_[1], bytes.data(), n), ssize_t(n));
  }
  // Runs n copies of `args` at once: each waits on the gate until all are started.
  std::vector<CmdResult> race(size_t n, const std::vector<std::string>& args) {
    make_gate();
    RunOptions o;
    o.gate_fd = gate_[0];
    o.timeout = 120s;
    std::vector<std::unique_ptr<Command>> cmds;
    for (size_t i = 0; i < n; ++i) cmds.push_back(start_cmd(args, "", o));
    release(n);
    std::vector<CmdResult> results;
    for (auto& c : cmds) results.push_back(c->wait());
    return results;
  }
  // Unique per test run: runc 1.1.5 can lose this race and leak the cgroup
  // named after the id, which TearDown then removes.
  std::string unique_id(const std::string& prefix) {
    id_ = prefix + "-" + test_dir().substr(test_dir().rfind('-') + 1);
    return id_;
  }
  std::string id_;
  void TearDown() override {
    for (int fd : gate_)
      if (fd >= 0) close(fd);
    ContainerTest::TearDown();
    if (!id_.empty()) remove_empty_cgroups(id_);
  }
};

TEST_F(RaceTest, TwoThreadsCreateOneId) {
  std::string b = make_bundle({"sleep", "1000"});
  make_gate();
  RunOptions o;
  o.gate_fd = gate_[0];
  std::string id = unique_id("race");
  Snapshot before = snapshot();
  std::vector<CmdResult> results(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] { results[i] = run_cmd({"create", "--bundle", b, id}, "", o); });
  release(2);
  for (auto& t : threads) t.join();
  check_outcome(results, id, before);
}

TEST_F(RaceTest, TwentyProcessesCreateOneId) {
  std::string b = make_bundle({"sleep", "1000"});
  std::string id = unique_id("race20");
  Snapshot before = snapshot();
  check_outcome(race(20, {"create", "--bundle", b, id}), id, before);
}

TEST_F(RaceTest, TwentyProcessesDeleteForceOneContainer) {
  std::string b = make_bundle({"sleep", "1000"});
  std::string id = unique_id("del20");
  Snapshot before = snapshot();
  ASSERT_TRUE(run_cmd({"create", "--bundle", b, id}).ok());
  ASSERT_TRUE(run_cmd({"start", id}).ok());
  pid_t pid = state_pid(id);
  for (auto& r : race(20, {"delete", "--force", id})) EXPECT_TRUE(r.ok()) << r;
  EXPECT_TRUE(process_exited(pid));
  expect_unchanged(before, "racing delete --force of " + id);
}

}  // namespace
}  // namespace dkr_it
