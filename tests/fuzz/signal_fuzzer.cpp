// `dkr kill ID SIGNAL`: parse_signal returns a signal number in 1..SIGRTMAX or
// throws dkr::Error.
#include <csignal>

#include "runtime/error.hpp"
#include "runtime/signals.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        int sig = dkr::parse_signal(dkr_fuzz::as_text(data, size));
        dkr_fuzz::check(sig >= 1 && sig <= SIGRTMAX, "signal number in range");
    } catch (const dkr::Error&) {
    }
    return 0;
}
