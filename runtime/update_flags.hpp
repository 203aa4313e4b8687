// `dkr update`'s flags (runc's) as the linux.resources they ask for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "spec/config.hpp"

namespace dkr {

// Each flag as given on the command line; nullopt when absent.
struct UpdateFlags {
    std::optional<std::string> blkio_weight, cpu_period, cpu_quota, cpu_share, cpu_rt_period, cpu_rt_runtime,
        cpuset_cpus, cpuset_mems, kernel_memory, kernel_memory_tcp, memory, memory_reservation, memory_swap,
        pids_limit, l3_cache_schema, mem_bw_schema;
};

// The Resources the flags ask for, read as runc 1.1 reads them: sizes such as
// "512k", "100m" or "1.5g" (binary units, "-1" for unlimited), signed or
// unsigned integers, and 0 or "" meaning "leave as it is". The Intel RDT
// schemas are not resources: see check_intel_rdt(). Throws dkr::Error naming
// the flag: "invalid value for memory: invalid size: 'abc'".
spec::Resources resources_from_flags(const UpdateFlags& f);

// docker's units.RAMInBytes: "1.5g" -> 1610612736, "10 MiB", "100" (bytes).
// Throws "invalid size: '<s>'".
int64_t parse_ram_bytes(const std::string& s);

// runc's checks of --l3-cache-schema / --mem-bw-schema: an error when the
// host's resctrl filesystem lacks the feature (as runc says it), and an
// error when it has it, since dkr does not manage Intel RDT.
void check_intel_rdt(const UpdateFlags& f, const std::string& mountinfo);

}  // namespace dkr
