// What both backends must do alike on the real cgroupfs (fixtures:
// real_fixtures.hpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <type_traits>

#include "real_fixtures.hpp"

namespace dkr::cgroup {
namespace {

using test::Child;
using test::eventually;

template <typename Fixture>
class RealBackends : public Fixture {};

using Backends = ::testing::Types<RealV1, RealV2>;
struct BackendName {
    template <typename T>
    static std::string GetName(int) {
        return std::is_same_v<T, RealV1> ? "V1" : "V2";
    }
};
TYPED_TEST_SUITE(RealBackends, Backends, BackendName);

TYPED_TEST(RealBackends, KillAllReachesForkedDescendants) {
    auto m = make_manager(this->host_, "/" + this->top_, "c1", false);
    m->create();
    Child& c = this->spawn([] {
        for (int i = 0; i < 3; ++i)
            if (::fork() == 0)
                for (;;) ::pause();
        return 0;
    });
    m->add_process(c.pid());
    EXPECT_EQ(c.go(), 0);
    EXPECT_TRUE(eventually([&] { return m->pids().size() == 4; })) << m->pids().size();
    m->kill_all(SIGKILL);
    c.wait();
    EXPECT_TRUE(eventually([&] { return m->pids().empty(); })) << m->pids().size();
    m->destroy();
}

TYPED_TEST(RealBackends, SignalOtherThanKill) {
    auto m = make_manager(this->host_, "/" + this->top_, "c1", false);
    m->create();
    Child& c = this->spawn();
    m->add_process(c.pid());
    m->kill_all(SIGTERM);
    int st = c.wait();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM) << st;
    m->destroy();
}

}  // namespace
}  // namespace dkr::cgroup
