#include "runtime/features.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "runtime/mount_options.hpp"
#include "runtime/security/capabilities.hpp"
#include "spec/linux_names.hpp"

namespace dkr {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

constexpr const char* kOciVersionMin = "1.0.0";
constexpr const char* kOciVersionMax = "1.3.0";  // the model and the schema checks of spec/

constexpr const char* kHooks[] = {"prestart",         "createRuntime", "createContainer",
                                  "startContainer",   "poststart",     "poststop"};
constexpr const char* kNamespaces[] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
// What security/seccomp.cpp takes.
constexpr const char* kSeccompActions[] = {
    "SCMP_ACT_ALLOW",      "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",   "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_LOG",        "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
};
constexpr const char* kSeccompOperators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",       "SCMP_CMP_LE",
                                             "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};
struct SeccompFlag {
    const char* name;
    unsigned bit;
};
constexpr SeccompFlag kSeccompFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

bool arch_usable(std::string_view name) {
    std::string lower(name.substr(std::string_view("SCMP_ARCH_").size()));
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    uint32_t arch = seccomp_arch_resolve_name(lower.c_str());
    if (arch == 0) return false;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) return false;
    int rc = seccomp_arch_add(ctx, arch);
    seccomp_release(ctx);
    return rc == 0 || rc == -EEXIST;
}

// The kernel's answer for a flag with no program: EFAULT when it knows the
// flag. WAIT_KILLABLE_RECV is only valid with NEW_LISTENER.
bool kernel_has_flag(unsigned bit) {
    if (bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) bit |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    return ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bit, nullptr) < 0 && errno == EFAULT;
}

template <typename Names>
void strings(Writer& w, const char* key, const Names& names) {
    w.Key(key);
    w.StartArray();
    for (const auto& n : names) w.String(n.c_str());
    w.EndArray();
}

template <size_t N>
void strings(Writer& w, const char* key, const char* const (&names)[N]) {
    w.Key(key);
    w.StartArray();
    for (const char* n : names) w.String(n);
    w.EndArray();
}

void enabled(Writer& w, const char* key, bool on) {
    w.Key(key);
    w.StartObject();
    w.Key("enabled");
    w.Bool(on);
    w.EndObject();
}

void seccomp(Writer& w) {
    w.Key("seccomp");
    w.StartObject();
    w.Key("enabled");
    w.Bool(true);
    strings(w, "actions", kSeccompActions);
    strings(w, "operators", kSeccompOperators);
    std::vector<std::string> archs, known, supported;
    // Those a filter cannot hold on this host (unknown to libseccomp, or of
    // another byte order) are left out.
    for (std::string_view a : spec::kSeccompArchs)
        if (arch_usable(a)) archs.emplace_back(a);
    strings(w, "archs", archs);
    for (const auto& f : kSeccompFlags) {
        known.emplace_back(f.name);
        if (kernel_has_flag(f.bit)) supported.emplace_back(f.name);
    }
    strings(w, "knownFlags", known);
    strings(w, "supportedFlags", supported);
    w.EndObject();
}

void linux_features(Writer& w) {
    w.Key("linux");
    w.StartObject();
    strings(w, "namespaces", kNamespaces);
    std::vector<std::string> caps;
    for (int c = 0; c <= security::max_known_cap(); ++c) caps.emplace_back(security::cap_name(c));
    strings(w, "capabilities", caps);
    w.Key("cgroup");
    w.StartObject();
    for (const auto& [key, on] : {std::pair{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false},
                                  {"rdma", true}}) {
        w.Key(key);
        w.Bool(on);
    }
    w.EndObject();
    seccomp(w);
    // As runc means them: dkr applies the labels (process_attrs.hpp) where the host has the LSM.
    enabled(w, "apparmor", true);
    enabled(w, "selinux", true);
    enabled(w, "intelRdt", false);
    w.Key("mountExtensions");
    w.StartObject();
    enabled(w, "idmap", true);  // idmapped_mounts.hpp
    w.EndObject();
    w.EndObject();
}

}  // namespace

std::string features_json() {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.SetIndent(' ', 4);
    w.StartObject();
    w.Key("ociVersionMin");
    w.String(kOciVersionMin);
    w.Key("ociVersionMax");
    w.String(kOciVersionMax);
    strings(w, "hooks", kHooks);
    strings(w, "mountOptions", known_mount_options());
    linux_features(w);
    w.Key("annotations");
    w.StartObject();
    const scmp_version* v = seccomp_version();
    std::string libseccomp =
        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    w.Key("io.github.seccomp.libseccomp.version");
    w.String(libseccomp.c_str());
    w.Key("dkr.version");
    w.String(DKR_VERSION);
    w.EndObject();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace dkr
