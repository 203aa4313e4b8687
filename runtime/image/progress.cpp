#include "runtime/image/progress.hpp"

#include <cstdio>

namespace dkr::image {

std::string human_size(uint64_t bytes) {
    char buf[32];
    if (bytes < 1024)
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
    else if (bytes < 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return buf;
}

void Progress::begin(const std::string& label, uint64_t total) {
    label_ = label;
    total_ = total;
    done_ = 0;
    last_draw_ = {};
    if (out_ && tty_) draw();
}

void Progress::advance(uint64_t bytes) {
    done_ += bytes;
    if (!out_ || !tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    draw();
}

void Progress::draw() {
    constexpr int kWidth = 30;
    std::string bar;
    if (total_ > 0) {
        int filled = static_cast<int>(kWidth * std::min(done_, total_) / total_);
        bar = "[" + std::string(filled, '=') + (filled < kWidth ? ">" : "") +
              std::string(filled < kWidth ? kWidth - filled - 1 : 0, ' ') + "] ";
    }
    *out_ << "\r\033[K" << label_ << " " << bar << human_size(done_)
          << (total_ ? " / " + human_size(total_) : std::string()) << std::flush;
}

void Progress::end(const std::string& outcome) {
    if (!out_) return;
    if (tty_) *out_ << "\r\033[K";
    *out_ << label_ << " " << outcome << " (" << human_size(done_ ? done_ : total_) << ")\n" << std::flush;
}

void Progress::note(const std::string& line) {
    if (out_) *out_ << line << "\n" << std::flush;
}

}  // namespace dkr::image
