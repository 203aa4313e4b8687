#include "runtime/security/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "spec/linux_names.hpp"

namespace dkr::security {

namespace {

using spec::kCapabilityNames;
constexpr int kNumNames = std::size(kCapabilityNames);

int read_last_cap() {
    try {
        std::string s = sys::read_file("/proc/sys/kernel/cap_last_cap");
        char* end = nullptr;
        long v = std::strtol(s.c_str(), &end, 10);
        if (end != s.c_str() && v >= 0 && v < 64) return static_cast<int>(v);
    } catch (const Error&) {
        // /proc may not be mounted (e.g. after pivot_root): probe below.
    }
    int cap = 0;
    while (cap < 63 && ::prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0) ++cap;
    return cap;
}

std::string cap_label(int cap) {
    const char* n = cap_name(cap);
    return n ? std::string(n) : "capability " + std::to_string(cap);
}

}  // namespace

int cap_from_name(std::string_view name) {
    for (int i = 0; i < kNumNames; ++i)
        if (name == kCapabilityNames[i]) return i;
    return -1;
}

const char* cap_name(int cap) { return cap >= 0 && cap < kNumNames ? kCapabilityNames[cap].data() : nullptr; }

int max_known_cap() { return kNumNames - 1; }

int last_cap() {
    static const int cached = read_last_cap();
    return cached;
}

uint64_t caps_mask(const std::vector<std::string>& names, int last, const std::string& field) {
    uint64_t mask = 0;
    for (const std::string& name : names) {
        int cap = cap_from_name(name);
        if (cap < 0) throw Error(field + ": unknown capability \"" + name + "\"");
        if (cap > last) continue;  // the kernel does not have it: skipped, as runc does
        mask |= uint64_t{1} << cap;
    }
    return mask;
}

void drop_bounding_set(const spec::Capabilities& caps) {
    const int last = last_cap();
    const uint64_t keep = caps_mask(caps.bounding, last, "process.capabilities.bounding");
    for (int cap = 0; cap <= last; ++cap) {
        if (keep & (uint64_t{1} << cap)) continue;
        int r = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r == 0) continue;  // already absent (e.g. CAP_SYS_RESOURCE on a restricted host)
        if (r < 0 && errno == EINVAL) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            throw sys_error("prctl(PR_CAPBSET_DROP)", cap_label(cap), errno);
    }
}

void apply_capabilities(const spec::Capabilities& caps) {
    const int last = last_cap();
    const uint64_t eff = caps_mask(caps.effective, last, "process.capabilities.effective");
    const uint64_t prm = caps_mask(caps.permitted, last, "process.capabilities.permitted");
    const uint64_t inh = caps_mask(caps.inheritable, last, "process.capabilities.inheritable");
    const uint64_t amb = caps_mask(caps.ambient, last, "process.capabilities.ambient");

    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(eff >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(prm >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(inh >> (32 * i));
    }
    if (::syscall(SYS_capset, &hdr, data) < 0) {
        int err = errno;
        std::string detail;
        if (err == EPERM) {
            // Name what could not be granted: the usual cause is a cap missing
            // from the current permitted set or from the bounding set.
            __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
            __user_cap_data_struct cur[_LINUX_CAPABILITY_U32S_3] = {};
            if (::syscall(SYS_capget, &h, cur) == 0) {
                uint64_t have = uint64_t{cur[0].permitted} | uint64_t{cur[1].permitted} << 32;
                uint64_t have_inh = uint64_t{cur[0].inheritable} | uint64_t{cur[1].inheritable} << 32;
                for (int cap = 0; cap <= last; ++cap) {
                    uint64_t bit = uint64_t{1} << cap;
                    bool missing = ((prm | eff) & bit) && !(have & bit);
                    if ((eff & bit) && !(prm & bit)) missing = true;
                    if ((inh & bit) && !(have & bit) && !(have_inh & bit)) missing = true;
                    if ((inh & bit) && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0) missing = true;
                    if (missing) detail += (detail.empty() ? " (cannot grant " : ", ") + cap_label(cap);
                }
                if (!detail.empty()) detail += ")";
            }
        }
        throw Error("capset" + detail + ": " + std::strerror(err), err);
    }

    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        throw sys_error("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", "", errno);
    // An ambient cap needs to be permitted and inheritable. runc's default
    // spec lists ambient caps without inheritable ones and runc then leaves
    // them out; dkr does the same rather than refuse such configs.
    for (int cap = 0; cap <= last; ++cap) {
        uint64_t bit = uint64_t{1} << cap;
        if (!(amb & bit) || !(prm & bit) || !(inh & bit)) continue;
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            int err = errno;
            throw Error("prctl(PR_CAP_AMBIENT_RAISE) " + cap_label(cap) +
                            (err == EPERM ? " (an ambient cap must also be permitted and inheritable)" : "") +
                            ": " + std::strerror(err),
                        err);
        }
    }
}

}  // namespace dkr::security
