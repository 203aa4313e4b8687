#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include "runtime/explain.hpp"
#include "runtime/sys/fd.hpp"

// Counts the allocations of this test binary, to show that a Step costs none when off.
namespace {
thread_local long allocations = 0;
}  // namespace

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // new is malloc here: free is its match
#endif
void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace dkr {
namespace {

using namespace std::chrono_literals;

// A pipe whose write end an Explainer writes to.
struct Pipe {
    sys::Fd read, write;
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
        read.reset(fds[0]);
        write.reset(fds[1]);
    }
    std::string drain() {
        std::string out;
        char buf[4096];
        for (ssize_t n; (n = ::read(read.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
        return out;
    }
};

TEST(Explain, DurationInMilliseconds) {
    EXPECT_EQ(Explainer::format_duration(410us), "0.41 ms");
    EXPECT_EQ(Explainer::format_duration(12345678ns), "12.35 ms");
    EXPECT_EQ(Explainer::format_duration(2s), "2000.00 ms");
    // Below 0.1 ms a third decimal, so that a fast step does not read as free.
    EXPECT_EQ(Explainer::format_duration(41us), "0.041 ms");
    EXPECT_EQ(Explainer::format_duration(0ns), "0.000 ms");
}

TEST(Explain, LineNamesWhoTheCallWhatItDidAndTheDuration) {
    EXPECT_EQ(Explainer::format_line("init", "pivot_root(\".\", \".\")", "made the rootfs the root", 410us, false),
              "explain: [init] pivot_root(\".\", \".\") — made the rootfs the root  0.41 ms\n");
    EXPECT_EQ(Explainer::format_line("dkr", "clone3(CLONE_NEWNS)", "", 1ms, false),
              "explain: [dkr] clone3(CLONE_NEWNS)  1.00 ms\n");
    EXPECT_EQ(Explainer::format_line("exec", "setns(pidfd, CLONE_NEWNS)", "joined", 250us, true),
              "explain: [exec] setns(pidfd, CLONE_NEWNS) — joined  failed after 0.25 ms\n");
}

TEST(Explain, OffCostsNothing) {
    Explainer off;
    EXPECT_FALSE(off);
    EXPECT_EQ(off.start(), Explainer::Clock::time_point{});  // no clock read
    int described = 0;
    long before = allocations;
    {
        Step step(off, [&] {
            ++described;
            return StepText{std::string(100, 'x'), "never built"};
        });
        Step fixed(off, "mount(...)", "not written");
    }
    EXPECT_EQ(described, 0);
    EXPECT_EQ(allocations, before);
}

TEST(Explain, OnWritesOneLinePerStepAtItsEnd) {
    Pipe pipe;
    Explainer on(pipe.write.get(), "init");
    EXPECT_TRUE(on);
    std::string found = "unknown";
    long before = allocations;
    {
        Step step(on, [&] { return StepText{"execve(\"" + found + "\")", "ran it"}; });
        found = "/bin/sh";  // the text is built at the end: it can name what the step found
        EXPECT_EQ(pipe.drain(), "");
    }
    EXPECT_GT(allocations, before);  // the counter that shows "off" allocates nothing does count
    {
        Step fixed(on, "sethostname(\"c1\")", "named the host");
    }
    std::string out = pipe.drain();
    EXPECT_EQ(out.find("explain: [init] execve(\"/bin/sh\") — ran it  "), 0u) << out;
    size_t second = out.find('\n') + 1;
    EXPECT_EQ(out.find("explain: [init] sethostname(\"c1\") — named the host  ", second), second) << out;
    EXPECT_EQ(out.back(), '\n');
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
}

TEST(Explain, StepLeftByAnExceptionIsMarkedFailed) {
    Pipe pipe;
    Explainer on(pipe.write.get(), "dkr");
    EXPECT_THROW(
        {
            Step step(on, "mkdir(\"/sys/fs/cgroup/x\")", "made the cgroup");
            throw std::runtime_error("EACCES");
        },
        std::runtime_error);
    std::string out = pipe.drain();
    EXPECT_NE(out.find("made the cgroup  failed after "), std::string::npos) << out;
}

TEST(Explain, DurationCoversTheStep) {
    Pipe pipe;
    Explainer on(pipe.write.get(), "dkr");
    auto t = on.start();
    EXPECT_NE(t, Explainer::Clock::time_point{});
    ::usleep(20000);
    on.done(t, "nanosleep", "slept");
    std::string out = pipe.drain();
    double ms = std::stod(out.substr(out.rfind("  ") + 2));
    EXPECT_GE(ms, 20.0) << out;
}

TEST(Explain, ChildGetsACloseOnExecDupAboveThePassedFds) {
    EXPECT_FALSE(Explainer().dup_for_child(3).valid());
    Pipe pipe;
    sys::Fd dup = Explainer(pipe.write.get(), "dkr").dup_for_child(40);
    ASSERT_TRUE(dup.valid());
    EXPECT_GE(dup.get(), 40);
    EXPECT_TRUE(::fcntl(dup.get(), F_GETFD) & FD_CLOEXEC);
    Explainer child(dup.get(), "init");
    child.done(child.start(), "sethostname(\"c\")", "");
    EXPECT_EQ(pipe.drain().find("explain: [init] sethostname(\"c\")  "), 0u);
}

TEST(Explain, WriteErrorsAreIgnored) {
    Pipe pipe;
    Explainer closed(pipe.write.get(), "dkr");
    pipe.read.reset();  // the write fails with EPIPE
    std::signal(SIGPIPE, SIG_IGN);
    EXPECT_NO_THROW({ Step s(closed, "write", "nobody reads"); });
    std::signal(SIGPIPE, SIG_DFL);
}

}  // namespace
}  // namespace dkr
