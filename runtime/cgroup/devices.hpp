// Device cgroup rules: validation, the v1 writes, and an emulation of the
// v1 kernel semantics (default allow/deny plus an exception list) that the
// v2 eBPF program is generated from, so both backends agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace dkr::cgroup {

// Access bits, as in BPF_DEVCG_ACC_*.
enum : unsigned { kAccMknod = 1, kAccRead = 2, kAccWrite = 4, kAccAll = 7 };

struct DeviceRule {
    char type = 'a';     // 'a' (all, resets the state), 'c', 'b'
    int64_t major = -1;  // -1: any
    int64_t minor = -1;
    unsigned access = kAccAll;
    bool allow = false;
    bool operator==(const DeviceRule&) const = default;
};

// Validates and normalizes OCI rules: empty type means 'a', empty access
// means "rwm", -1 major/minor means any. An 'a' rule that is not
// "a *:* rwm" does not reset the state: it is split into the same rule for
// 'c' and for 'b' (the v1 kernel would otherwise treat it as a reset).
std::vector<DeviceRule> normalize_device_rules(const std::vector<spec::DeviceCgroupRule>& rules);

// "c 1:3 rwm", "a *:* rwm", "b 8:* r"
std::string device_rule_string(const DeviceRule& r);

// The state the v1 kernel would reach applying the rules in order, starting
// from the parent's state (assumed: allow all).
struct DeviceState {
    bool default_allow = true;
    std::vector<DeviceRule> exceptions;  // deny exceptions if default_allow, else allow exceptions
};
DeviceState emulate_device_rules(const std::vector<DeviceRule>& rules);
// Would the state let this access through (v1 kernel semantics)?
bool device_access_allowed(const DeviceState& s, char type, int64_t major, int64_t minor, unsigned access);

// runc 1.1's defaults (libcontainer/specconv AllowedDevices): mknod of any
// c/b device, /dev/{null,zero,full,random,urandom,tty,ptmx,pts/*,net/tun}.
std::vector<spec::DeviceCgroupRule> default_allowed_devices();

// What runc puts in the device cgroup: deny all, then the config's
// linux.resources.devices, then the defaults, then an rwm allow rule for each
// linux.devices entry. Pass the result as Resources::devices.
std::vector<spec::DeviceCgroupRule> effective_device_rules(const std::vector<spec::DeviceCgroupRule>& config_rules,
                                                           const std::vector<spec::Device>& linux_devices);

}  // namespace dkr::cgroup
