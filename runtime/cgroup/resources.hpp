// spec::Resources -> the ordered list of cgroup file writes, for v1 and v2.
// Pure: what the translation needs to know about the cgroup (does a file
// exist, the current memory limit) comes through a Probe, so tests can feed
// it. Only what the config asks for is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace dkr::cgroup {

struct Write {
    std::string controller;  // v1: the hierarchy's controller; v2: the file's controller ("cpu", "io", ...)
    std::string file;        // "memory.limit_in_bytes"
    std::string value;
    // The kernel may reject this value (EINVAL) until a later write lands
    // (cfs period vs quota, burst vs quota): retry it after the others.
    bool retry_on_einval = false;
    bool operator==(const Write&) const = default;
};

class Probe {
public:
    virtual ~Probe() = default;
    // v1: is the controller's hierarchy mounted? v2: always true (a missing
    // controller shows up as a missing file).
    virtual bool has_controller(const std::string& controller) const = 0;
    virtual bool exists(const std::string& controller, const std::string& file) const = 0;
    virtual std::optional<std::string> read(const std::string& controller, const std::string& file) const = 0;
};

// v1 device writes (devices.allow / devices.deny), from the last "a" rule on.
std::vector<Write> device_writes_v1(const std::vector<spec::DeviceCgroupRule>& rules);

// Everything but v2 devices (an eBPF program, see bpf.hpp). Throws dkr::Error
// for values the backend cannot honour.
std::vector<Write> translate_v1(const spec::Resources& r, const Probe& probe);
std::vector<Write> translate_v2(const spec::Resources& r, const Probe& probe);

// runc's conversions (libcontainer/cgroups/utils.go).
// cpu.shares [2, 262144] -> cpu.weight [1, 10000]: 1 + ((shares - 2) * 9999) / 262142
uint64_t cpu_shares_to_weight(uint64_t shares);
// blkio.weight [10, 1000] -> io.weight [1, 10000]: 1 + ((weight - 10) * 9999) / 990
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI memory.swap is memory+swap (v1 memsw); v2 memory.swap.max is swap only.
// -1 = max, 0 = unset. Throws when the combination is invalid.
int64_t memory_swap_to_v2(int64_t swap, int64_t memory);

}  // namespace dkr::cgroup
