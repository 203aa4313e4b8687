// Many containers at once: 50 containers created, started, killed and
// deleted by 8 concurrent workers. Every command succeeds, and afterwards no
// process, mount, cgroup or state directory is left.
#include <atomic>
#include <mutex>
#include <thread>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class LoadTest : public ContainerTest {
 protected:
  // `state ID`'s status, or "" (safe from any thread: no fixture state is touched).
  std::string status_of(const std::string& id) {
    CmdResult r = run_cmd({"state", id});
    auto d = parse_json(r.out);
    return r.ok() && d.IsObject() ? str_field(d, "status") : "";
  }
};

TEST_F(LoadTest, FiftyContainersByEightWorkers) {
  constexpr int kContainers = 50, kWorkers = 8;
  std::string b = make_bundle({"sleep", "1000"});
  Snapshot before = snapshot();
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto expect = [&](bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard<std::mutex> lk(mu);
    failures.push_back(what);
  };
  auto worker = [&] {
    for (int i; (i = next++) < kContainers;) {
      std::string id = "load-" + std::to_string(i);
      CmdResult c = run_cmd({"create", "--bundle", b, id});
      expect(c.ok(), c.describe());
      CmdResult s = run_cmd({"start", id});
      expect(s.ok(), s.describe());
      expect(status_of(id) == "running", id + " not running after start");
      CmdResult k = run_cmd({"kill", id, "KILL"});
      expect(k.ok(), k.describe());
      expect(wait_until([&] { return status_of(id) == "stopped"; }), id + " not stopped after kill");
      CmdResult d = run_cmd({"delete", id});
      expect(d.ok(), d.describe());
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  std::string all;
  for (auto& f : failures) all += "\n" + f;
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures:" << all;
  expect_unchanged(before, "50 containers by 8 workers");
}

}  // namespace
}  // namespace dkr_it
