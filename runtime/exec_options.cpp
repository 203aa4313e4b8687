#include "runtime/exec_options.hpp"

#include <limits>

#include "runtime/error.hpp"
#include "runtime/security/capabilities.hpp"

namespace dkr {
namespace {

constexpr uint64_t kMaxId = std::numeric_limits<int32_t>::max();

// Strict decimal: digits only, no sign, no spaces, in the range runc accepts.
std::optional<uint32_t> parse_id(const std::string& s) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > kMaxId) return std::nullopt;
    return static_cast<uint32_t>(v);
}

}  // namespace

UserIds parse_user(const std::string& text) {
    size_t colon = text.find(':');
    std::optional<uint32_t> uid = parse_id(text.substr(0, colon));
    std::optional<uint32_t> gid;
    if (colon != std::string::npos) {
        gid = parse_id(text.substr(colon + 1));
        if (!gid) uid.reset();
    }
    if (!uid) throw Error("invalid --user \"" + text + "\": expected UID[:GID], decimal numbers from 0 to " + std::to_string(kMaxId));
    return {*uid, gid};
}

uint32_t parse_gid(const std::string& text) {
    std::optional<uint32_t> gid = parse_id(text);
    if (!gid) throw Error("invalid --additional-gids \"" + text + "\": expected a decimal number from 0 to " + std::to_string(kMaxId));
    return *gid;
}

spec::Process exec_process(const ExecOptions& opts, spec::Process p) {
    p.args = opts.args;
    if (!opts.cwd.empty()) p.cwd = opts.cwd;
    if (!opts.apparmor.empty()) p.apparmor_profile = opts.apparmor;
    if (!opts.process_label.empty()) p.selinux_label = opts.process_label;
    if (!opts.caps.empty()) {
        spec::Capabilities& c = p.capabilities ? *p.capabilities : p.capabilities.emplace();
        for (const auto& cap : opts.caps) {
            if (security::cap_from_name(cap) < 0) throw Error("invalid --cap \"" + cap + "\": unknown capability");
            for (auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient}) set->push_back(cap);
        }
    }
    p.env.insert(p.env.end(), opts.env.begin(), opts.env.end());
    p.terminal = opts.tty;
    if (opts.no_new_privs) p.no_new_privileges = true;
    if (!opts.user.empty()) {
        UserIds ids = parse_user(opts.user);
        p.user.uid = ids.uid;
        if (ids.gid) p.user.gid = *ids.gid;
    }
    for (const auto& g : opts.additional_gids) p.user.additional_gids.push_back(parse_gid(g));
    return p;
}

}  // namespace dkr
