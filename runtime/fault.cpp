// Only in fault-injection builds: see fault.hpp.
#ifdef DKR_FAULT_INJECTION

#include "runtime/fault.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/error.hpp"

namespace dkr {

void fault_point(const char* step) {
    const char* spec = std::getenv("DKR_FAULT");
    size_t n = std::strlen(step);
    if (!spec || std::strncmp(spec, step, n) != 0 || spec[n] != ':') return;
    std::string action = spec + n + 1;
    if (action == "fail") throw Error(std::string("fault injected at ") + step);
    if (action != "kill") throw Error("DKR_FAULT=" + std::string(spec) + ": the action must be fail or kill");
    ::kill(::getpid(), SIGKILL);
    // A pid namespace's init ignores signals from inside it, its own
    // SIGKILL included: it leaves the same abrupt way.
    ::_exit(128 + SIGKILL);
}

}  // namespace dkr

#endif
