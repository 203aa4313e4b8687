// state.json: state_from_json returns a state or throws dkr::Error ("corrupt
// state"); a state it accepts survives a round trip through state_to_json,
// and prints as the OCI state document for every status.
#include "runtime/error.hpp"
#include "runtime/state.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dkr;
    ContainerState s;
    try {
        s = state_from_json(std::string(dkr_fuzz::as_text(data, size)), "state.json");
    } catch (const Error&) {
        return 0;
    }
    std::string json = state_to_json(s);
    ContainerState again = state_from_json(json, "state.json (written back)");
    dkr_fuzz::check(state_to_json(again) == json, "state.json round trip");
    for (Status st : {Status::Creating, Status::Created, Status::Running, Status::Paused, Status::Stopped})
        oci_state_json({&s, st, "root"}, true);
    return 0;
}
