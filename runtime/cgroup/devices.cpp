#include "runtime/cgroup/devices.hpp"

#include <algorithm>

#include "runtime/error.hpp"

namespace dkr::cgroup {

namespace {

std::string rule_desc(const spec::DeviceCgroupRule& r) {
    std::string s = (r.allow ? "allow " : "deny ") + (r.type.empty() ? std::string("a") : r.type) + " ";
    s += r.major && *r.major >= 0 ? std::to_string(*r.major) : "*";
    s += ":";
    s += r.minor && *r.minor >= 0 ? std::to_string(*r.minor) : "*";
    s += " " + (r.access.empty() ? std::string("rwm") : r.access);
    return s;
}

int64_t number(const std::optional<int64_t>& v, const spec::DeviceCgroupRule& r) {
    if (!v || *v == -1) return -1;
    if (*v < 0 || *v > 0xffffffffLL)
        throw Error("cgroup: devices: invalid device number in rule \"" + rule_desc(r) + "\"");
    return *v;
}

bool same_device(const DeviceRule& a, const DeviceRule& b) {
    return a.type == b.type && a.major == b.major && a.minor == b.minor;
}

// v1 kernel: dev_exception_add merges the access of an identical entry.
void add_exception(std::vector<DeviceRule>& ex, const DeviceRule& r) {
    for (auto& e : ex)
        if (same_device(e, r)) {
            e.access |= r.access;
            return;
        }
    ex.push_back(r);
}

// v1 kernel: dev_exception_rm clears the access bits of an identical entry.
void remove_exception(std::vector<DeviceRule>& ex, const DeviceRule& r) {
    for (auto it = ex.begin(); it != ex.end(); ++it)
        if (same_device(*it, r)) {
            it->access &= ~r.access;
            if (it->access == 0) ex.erase(it);
            return;
        }
}

bool matches(const DeviceRule& e, char type, int64_t major, int64_t minor) {
    return e.type == type && (e.major == -1 || e.major == major) && (e.minor == -1 || e.minor == minor);
}

spec::DeviceCgroupRule allow_rule(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                                  const char* access) {
    spec::DeviceCgroupRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
}

}  // namespace

std::vector<DeviceRule> normalize_device_rules(const std::vector<spec::DeviceCgroupRule>& rules) {
    std::vector<DeviceRule> out;
    for (const auto& r : rules) {
        DeviceRule d;
        d.allow = r.allow;
        if (r.type.empty() || r.type == "a")
            d.type = 'a';
        else if (r.type == "c" || r.type == "b")
            d.type = r.type[0];
        else
            throw Error("cgroup: devices: invalid device type \"" + r.type + "\" in rule \"" + rule_desc(r) + "\"");
        d.major = number(r.major, r);
        d.minor = number(r.minor, r);
        if (!r.access.empty()) {
            d.access = 0;
            for (char c : r.access) {
                if (c == 'r')
                    d.access |= kAccRead;
                else if (c == 'w')
                    d.access |= kAccWrite;
                else if (c == 'm')
                    d.access |= kAccMknod;
                else
                    throw Error("cgroup: devices: invalid access \"" + r.access + "\" in rule \"" + rule_desc(r) +
                                "\"");
            }
        }
        if (d.type == 'a' && (d.major != -1 || d.minor != -1 || d.access != kAccAll)) {
            d.type = 'c';
            out.push_back(d);
            d.type = 'b';
        }
        out.push_back(d);
    }
    return out;
}

std::string device_rule_string(const DeviceRule& r) {
    std::string s(1, r.type);
    s += ' ';
    s += r.major == -1 ? "*" : std::to_string(r.major);
    s += ':';
    s += r.minor == -1 ? "*" : std::to_string(r.minor);
    s += ' ';
    if (r.access & kAccRead) s += 'r';
    if (r.access & kAccWrite) s += 'w';
    if (r.access & kAccMknod) s += 'm';
    return s;
}

DeviceState emulate_device_rules(const std::vector<DeviceRule>& rules) {
    DeviceState s;
    for (const auto& r : rules) {
        if (r.type == 'a') {
            s.default_allow = r.allow;
            s.exceptions.clear();
        } else if (r.allow == !s.default_allow) {
            add_exception(s.exceptions, r);
        } else {
            remove_exception(s.exceptions, r);
        }
    }
    return s;
}

bool device_access_allowed(const DeviceState& s, char type, int64_t major, int64_t minor, unsigned access) {
    if (s.default_allow) {
        // Denied if any exception matches any of the requested bits.
        for (const auto& e : s.exceptions)
            if (matches(e, type, major, minor) && (access & e.access)) return false;
        return true;
    }
    // Allowed only if one exception covers all of the requested bits.
    for (const auto& e : s.exceptions)
        if (matches(e, type, major, minor) && (access & ~e.access) == 0) return true;
    return false;
}

std::vector<spec::DeviceCgroupRule> default_allowed_devices() {
    return {
        allow_rule("c", std::nullopt, std::nullopt, "m"),
        allow_rule("b", std::nullopt, std::nullopt, "m"),
        allow_rule("c", 1, 3, "rwm"),               // /dev/null
        allow_rule("c", 1, 8, "rwm"),               // /dev/random
        allow_rule("c", 1, 7, "rwm"),               // /dev/full
        allow_rule("c", 5, 0, "rwm"),               // /dev/tty
        allow_rule("c", 1, 5, "rwm"),               // /dev/zero
        allow_rule("c", 1, 9, "rwm"),               // /dev/urandom
        allow_rule("c", 136, std::nullopt, "rwm"),  // /dev/pts/*
        allow_rule("c", 5, 2, "rwm"),               // /dev/ptmx
        allow_rule("c", 10, 200, "rwm"),            // /dev/net/tun
    };
}

std::vector<spec::DeviceCgroupRule> effective_device_rules(const std::vector<spec::DeviceCgroupRule>& config_rules,
                                                           const std::vector<spec::Device>& linux_devices) {
    std::vector<spec::DeviceCgroupRule> out;
    spec::DeviceCgroupRule deny_all;
    deny_all.allow = false;
    deny_all.type = "a";
    deny_all.access = "rwm";
    out.push_back(deny_all);
    out.insert(out.end(), config_rules.begin(), config_rules.end());
    for (auto& r : default_allowed_devices()) out.push_back(std::move(r));
    for (const auto& d : linux_devices) {
        if (d.type != "c" && d.type != "b" && d.type != "u") continue;  // fifos need no cgroup rule
        out.push_back(allow_rule(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm"));
    }
    return out;
}

}  // namespace dkr::cgroup
