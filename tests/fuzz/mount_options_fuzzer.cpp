// config.json mount options (comma-separated here): parse_mount_options
// takes any list (unknown options become filesystem data) and never throws;
// it sets and clears no flag at once.
#include "runtime/mount_options.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    dkr::MountOptions o = dkr::parse_mount_options(dkr_fuzz::split(dkr_fuzz::as_text(data, size), ','));
    dkr_fuzz::check((o.flags & o.clear) == 0, "no flag both set and cleared");
    dkr_fuzz::check((o.recursive_set & o.recursive_clear) == 0, "no recursive attribute both set and cleared");
    return 0;
}
