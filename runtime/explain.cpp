#include "runtime/explain.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace dkr {

std::string Explainer::format_duration(std::chrono::nanoseconds took) {
    double ms = std::chrono::duration<double, std::milli>(took).count();
    char buf[48];
    std::snprintf(buf, sizeof buf, ms < 0.1 ? "%.3f ms" : "%.2f ms", ms);
    return buf;
}

std::string Explainer::format_line(std::string_view who, std::string_view call, std::string_view meaning,
                                   std::chrono::nanoseconds took, bool failed) {
    std::string line = "explain: [";
    line.append(who).append("] ").append(call);
    if (!meaning.empty()) line.append(" — ").append(meaning);
    line.append(failed ? "  failed after " : "  ").append(format_duration(took)).append("\n");
    return line;
}

sys::Fd Explainer::dup_for_child(int min_fd) const {
    // Failing to dup only loses the child's lines.
    return sys::Fd(fd_ >= 0 ? ::fcntl(fd_, F_DUPFD_CLOEXEC, min_fd) : -1);
}

void Explainer::done(Clock::time_point started, std::string_view call, std::string_view meaning, bool failed) const {
    if (fd_ < 0) return;
    auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started);
    std::string line = format_line(who_, call, meaning, took, failed);
    // One write per line, so that the lines of dkr and of its children do not mix.
    for (size_t off = 0; off < line.size();) {
        ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

}  // namespace dkr
