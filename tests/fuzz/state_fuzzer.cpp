// state.json: state_from_json returns a state or throws dkr::Error ("corrupt
// state"); a state it accepts is read back the same after state_to_json
// (the hooks are kept as JSON: their text may change, as numbers that are
// not integers do, but they stay an object), and prints as the OCI state
// document for every status.
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
    ContainerState again = state_from_json(state_to_json(s), "state.json (written back)");
    dkr_fuzz::check(again.id == s.id && again.pid == s.pid && again.pid_start_time == s.pid_start_time &&
                        again.bundle == s.bundle && again.rootfs == s.rootfs && again.created == s.created &&
                        again.cgroup_path == s.cgroup_path && again.annotations == s.annotations &&
                        again.hooks_json.empty() == s.hooks_json.empty(),
                    "state.json round trip");
    for (Status st : {Status::Creating, Status::Created, Status::Running, Status::Paused, Status::Stopped})
        oci_state_json({&s, st, "root"}, true);
    return 0;
}
