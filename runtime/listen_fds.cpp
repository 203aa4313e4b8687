#include "runtime/listen_fds.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace dkr {
namespace {

// A decimal number, or -1.
long number(const char* s) {
    if (!s || !*s) return -1;
    char* end;
    long v = std::strtol(s, &end, 10);
    return *end == '\0' && v >= 0 ? v : -1;
}

}  // namespace

int listen_fds() {
    long n = number(std::getenv("LISTEN_FDS"));
    if (n <= 0 || n > 1024 || number(std::getenv("LISTEN_PID")) != ::getpid()) return 0;
    return static_cast<int>(n);
}

std::vector<std::string> listen_fds_env(int n) {
    return {"LISTEN_FDS=" + std::to_string(n), "LISTEN_PID=1"};
}

}  // namespace dkr
