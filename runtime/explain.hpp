// --explain: one line per step the runtime takes, with the syscall behind it
// and its duration, for people learning how containers work.
//
//   explain: [init] pivot_root(".", ".") — made the rootfs the root of the mount namespace  0.41 ms
//
// Off (the default) an Explainer has no fd, and a Step costs one test of it:
// no clock read, no formatting, no allocation, no syscall.
#pragma once

#include <chrono>
#include <concepts>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/sys/fd.hpp"

namespace dkr {

// Where the lines go and who speaks: dkr itself writes to its stderr; the
// container init and exec's child write to a dup of it that they close
// before execve (their own stdio is the container's). Passed down by value.
class Explainer {
public:
    using Clock = std::chrono::steady_clock;

    Explainer() = default;  // off
    // `fd` is not owned (< 0: off); `who` names the process: "dkr", "init", "exec".
    Explainer(int fd, const char* who) : fd_(fd), who_(who) {}

    explicit operator bool() const { return fd_ >= 0; }
    int fd() const { return fd_; }

    // For a child whose stdio becomes the container's: a close-on-exec dup
    // of our fd at `min_fd` or above (above the fds it passes on). Invalid when off.
    sys::Fd dup_for_child(int min_fd) const;

    // The clock when on; the epoch (no read) when off.
    Clock::time_point start() const { return fd_ >= 0 ? Clock::now() : Clock::time_point{}; }
    // The line of a step that began at `started`. Nothing when off; write errors are ignored.
    void done(Clock::time_point started, std::string_view call, std::string_view meaning, bool failed = false) const;

    // "explain: [WHO] CALL — MEANING  0.41 ms\n", or "... failed after 0.41 ms\n".
    static std::string format_line(std::string_view who, std::string_view call, std::string_view meaning,
                                   std::chrono::nanoseconds took, bool failed);
    // Milliseconds: two decimals, three below 0.1 ms.
    static std::string format_duration(std::chrono::nanoseconds took);

private:
    int fd_ = -1;
    const char* who_ = "";
};

// What a step says: the syscall(s) as called, and what that did, in plain words.
struct StepText {
    std::string call, meaning;
};

// Text known when the code is written.
struct FixedText {
    const char* call;
    const char* meaning;
    StepText operator()() const { return {call, meaning}; }
};

// Times the rest of the enclosing scope. At its end, and only when explain
// is on, it calls describe() (so text is built only then, and may name what
// the step found) and writes the line, marked failed if an exception is
// leaving the scope.
template <typename Describe>
class [[nodiscard]] Step {
public:
    Step(Explainer ex, Describe describe) : ex_(ex), describe_(std::move(describe)) {
        if (ex_) {
            uncaught_ = std::uncaught_exceptions();
            started_ = Explainer::Clock::now();
        }
    }
    Step(Explainer ex, const char* call, const char* meaning)
        requires std::same_as<Describe, FixedText>
        : Step(ex, FixedText{call, meaning}) {}
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;
    ~Step() {
        if (!ex_) return;
        try {
            StepText text = describe_();
            ex_.done(started_, text.call, text.meaning, std::uncaught_exceptions() > uncaught_);
        } catch (...) {
            // Explaining must never turn a step into a failure.
        }
    }

private:
    Explainer ex_;
    Describe describe_;
    Explainer::Clock::time_point started_{};
    int uncaught_ = 0;
};

Step(Explainer, const char*, const char*) -> Step<FixedText>;

}  // namespace dkr
