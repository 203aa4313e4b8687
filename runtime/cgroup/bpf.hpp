// cgroup v2 device control: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, generated from the emulated v1 rule state
// (devices.hpp) and attached to the cgroup with the bpf(2) syscall directly.
//
// The program reads bpf_cgroup_dev_ctx {access_type = access << 16 | type,
// major, minor}, checks the exceptions in order, and returns 1 (allow) or 0.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "runtime/cgroup/devices.hpp"

namespace dkr::cgroup {

// Pure: the instructions for a state. Throws for device numbers that do not fit.
std::vector<bpf_insn> device_filter_program(const DeviceState& state);

// Loads prog and attaches it to the cgroup directory with BPF_F_ALLOW_MULTI,
// then detaches the device programs that were attached there before (so a
// second apply() replaces the filter rather than stacking on it).
void attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& prog);

// The ids of the device programs attached to the cgroup directory.
std::vector<uint32_t> attached_device_programs(const std::string& cgroup_dir);

}  // namespace dkr::cgroup
