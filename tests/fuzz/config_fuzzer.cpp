// config.json: the loader (RapidJSON, the embedded OCI schema, the semantic
// rules) either returns a model or throws dkr::Error; any other exception or
// crash is a bug.
#include "runtime/error.hpp"
#include "spec/loader.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        dkr::spec::parse_config(dkr_fuzz::as_text(data, size), "config.json");
    } catch (const dkr::Error&) {
    }
    return 0;
}
