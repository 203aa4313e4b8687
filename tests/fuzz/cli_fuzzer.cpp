// The command line: NUL-separated words parsed as `dkr WORDS...` would parse
// them (global flags, the command, its flags and argument count) without
// running anything. A bad command line is a UsageError or a dkr::Error.
#include "runtime/cli/cli.hpp"
#include "runtime/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    try {
        dkr::cli::parse_command_line(dkr_fuzz::split(dkr_fuzz::as_text(data, size), '\0'));
    } catch (const dkr::cli::UsageError&) {
    } catch (const dkr::Error&) {
    }
    return 0;
}
