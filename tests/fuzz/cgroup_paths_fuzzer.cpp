// Where a container's cgroup is. Input: the first byte (odd: a pure cgroup v2
// host), then four NUL-separated parts: /proc/self/mountinfo,
// /proc/self/cgroup, a saved cgroup path (state.json) and a cgroupsPath
// (config.json). Parsing the host never throws; decoding a saved path and
// resolving a cgroupsPath return or throw dkr::Error; and a resolved path,
// saved and decoded again, names the same cgroups: create and delete must
// agree on which cgroup is the container's.
#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/path.hpp"
#include "runtime/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dkr::cgroup;
    if (size == 0) return 0;
    bool unified = data[0] & 1;
    std::vector<std::string> parts = dkr_fuzz::split(dkr_fuzz::as_text(data + 1, size - 1), '\0');
    parts.resize(4);
    Host host = parse_host(parts[0], parts[1], unified);
    try {
        decode_paths(host, parts[2]);
    } catch (const dkr::Error&) {
    }
    Paths resolved;
    try {
        resolved = resolve_paths(host, parts[3], "c1");
    } catch (const dkr::Error&) {
        return 0;
    }
    std::string saved = encode_paths(host, resolved);
    if (saved.empty()) {
        // A host without cgroup hierarchies: "" is state.json's "no cgroup".
        dkr_fuzz::check(resolved.v1.empty() && resolved.v2.empty(), "only no cgroup at all is saved as \"\"");
        return 0;
    }
    Paths decoded = decode_paths(host, saved);
    dkr_fuzz::check(decoded.v1 == resolved.v1 && decoded.v2 == resolved.v2, "saved cgroup path decodes to the same cgroups");
    return 0;
}
