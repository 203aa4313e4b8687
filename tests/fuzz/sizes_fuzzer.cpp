// The sizes and durations of runc's flags: `dkr update --memory 1.5g`
// (parse_ram_bytes), every `dkr update` flag at once (resources_from_flags:
// sizes, integers, cpusets), and Go durations (parse_duration). Input: the
// first byte picks the parser; for the flags, NUL-separated values in the
// order of UpdateFlags. Each returns or throws dkr::Error.
#include "runtime/duration.hpp"
#include "runtime/error.hpp"
#include "runtime/update_flags.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::string text(dkr_fuzz::as_text(data + 1, size - 1));
    try {
        switch (data[0] % 3) {
            case 0: dkr::parse_ram_bytes(text); break;
            case 1: dkr::parse_duration(text); break;
            case 2: {
                std::vector<std::string> v = dkr_fuzz::split(text, '\0');
                dkr::UpdateFlags f;
                std::optional<std::string>* fields[] = {
                    &f.blkio_weight,  &f.cpu_period,        &f.cpu_quota,  &f.cpu_share,   &f.cpu_rt_period,
                    &f.cpu_rt_runtime, &f.cpuset_cpus,      &f.cpuset_mems, &f.kernel_memory, &f.kernel_memory_tcp,
                    &f.memory,        &f.memory_reservation, &f.memory_swap, &f.pids_limit};
                for (size_t i = 0; i < v.size() && i < std::size(fields); ++i)
                    if (!v[i].empty()) *fields[i] = v[i];
                dkr::resources_from_flags(f);
                break;
            }
        }
    } catch (const dkr::Error&) {
    }
    return 0;
}
