// Progress lines for downloads. On a terminal one line per blob is redrawn
// in place as bytes arrive; otherwise (a log, a pipe) each blob gets one line
// when it is done, so that logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace dkr::image {

std::string human_size(uint64_t bytes);

class Progress {
public:
    // `out` may be null: then nothing is printed. `tty`: redraw in place.
    Progress(std::ostream* out, bool tty) : out_(out), tty_(tty) {}

    void begin(const std::string& label, uint64_t total);
    void advance(uint64_t bytes);
    void end(const std::string& outcome);  // "done", "already present"
    void note(const std::string& line);    // a line of its own

private:
    void draw();

    std::ostream* out_;
    bool tty_;
    std::string label_;
    uint64_t total_ = 0, done_ = 0;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace dkr::image
