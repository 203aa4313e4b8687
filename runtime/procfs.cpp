#include "runtime/procfs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace dkr {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    buf[n] = '\0';
    // comm may hold spaces and parentheses: fields start after the last ')'.
    char* p = strrchr(buf, ')');
    if (!p || p[1] != ' ') return std::nullopt;
    p += 2;
    ProcStat st;
    st.state = *p;
    // starttime is field 22; the state is field 3.
    for (int field = 3; field < 22; ++field) {
        p = strchr(p, ' ');
        if (!p) return std::nullopt;
        ++p;
    }
    st.start_time = strtoull(p, nullptr, 10);
    return st;
}

bool process_alive(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return false;
    auto st = read_proc_stat(pid);
    return st && st->state != 'Z' && st->state != 'X' && st->start_time == start_time;
}

}  // namespace dkr
