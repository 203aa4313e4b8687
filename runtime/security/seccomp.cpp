#include "runtime/security/seccomp.hpp"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/error.hpp"
#include "runtime/security/sha256.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::security {

namespace {

constexpr const char* kLoc = "/linux/seccomp";  // a JSON pointer into config.json
constexpr size_t kMaxSyscallArgs = 6;
constexpr size_t kInsnSize = sizeof(struct sock_filter);  // 8
static_assert(kInsnSize == 8);

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string syscall_loc(size_t i) { return std::string(kLoc) + "/syscalls/" + std::to_string(i); }

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

// Returns the libseccomp action for an OCI action name. `where` is the JSON
// location of the object holding the action (for error messages) and
// `errno_field` the name of its errno field.
uint32_t parse_action(const std::string& action, const std::optional<uint32_t>& errno_ret, const std::string& where,
                      const char* action_field, const char* errno_field) {
    auto no_errno = [&]() {
        if (errno_ret)
            throw Error(where + ": " + errno_field + " can only be used with SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not " +
                        quoted(action));
    };
    auto ret_code = [&]() -> uint32_t {
        uint32_t v = errno_ret.value_or(EPERM);
        if (v > 0xffff) throw Error(where + ": " + errno_field + " " + std::to_string(v) + " is out of range");
        return v;
    };
    if (action == "SCMP_ACT_ALLOW") return no_errno(), SCMP_ACT_ALLOW;
    if (action == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret_code());
    if (action == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret_code());
    if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return no_errno(), SCMP_ACT_KILL_THREAD;
    if (action == "SCMP_ACT_KILL_PROCESS") return no_errno(), SCMP_ACT_KILL_PROCESS;
    if (action == "SCMP_ACT_TRAP") return no_errno(), SCMP_ACT_TRAP;
    if (action == "SCMP_ACT_LOG") return no_errno(), SCMP_ACT_LOG;
    if (action == "SCMP_ACT_NOTIFY") return no_errno(), SCMP_ACT_NOTIFY;
    if (action.empty()) throw Error(where + ": " + action_field + " is missing");
    throw Error(where + ": unknown action " + quoted(action));
}

bool parse_op(const std::string& op, scmp_compare& out) {
    static constexpr std::pair<const char*, scmp_compare> kOps[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    for (const auto& [name, value] : kOps)
        if (op == name) {
            out = value;
            return true;
        }
    return false;
}

uint32_t parse_arch(const std::string& name, const std::string& where) {
    constexpr std::string_view prefix = "SCMP_ARCH_";
    if (name.compare(0, prefix.size(), prefix) == 0 && name.size() > prefix.size()) {
        std::string lower = name.substr(prefix.size());
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        // "native" would silently mean "whatever this host is": not a real arch name.
        if (lower != "native") {
            uint32_t token = seccomp_arch_resolve_name(lower.c_str());
            if (token != 0) return token;
        }
    }
    throw Error(where + ": unknown architecture " + quoted(name));
}

std::string read_all_from(int fd) {
    if (::lseek(fd, 0, SEEK_SET) < 0) throw sys_error("lseek", "seccomp memfd", errno);
    return sys::read_fd(fd);
}

// Every field, fixed order: the cache key must change whenever the program could.
void json_string(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

void json_strings(std::string& out, const std::vector<std::string>& v) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ',';
        json_string(out, v[i]);
    }
    out += ']';
}

// ---- cache file format: magic, SHA-256(program), program ----
constexpr std::string_view kMagic = "DKRBPF01";
constexpr size_t kHeader = 8 + 32;
constexpr off_t kMaxCacheFile = 1 << 20;

std::string cache_entry(std::string_view bpf) {
    auto sum = Sha256().update(bpf).digest();
    std::string out(kMagic);
    out.append(reinterpret_cast<const char*>(sum.data()), sum.size());
    out.append(bpf);
    return out;
}

// The program stored in a valid, trustworthy entry, or "" if there is none.
std::string read_cache_entry(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return {};
    sys::Fd guard(fd);
    struct stat st;
    if (::fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022) ||
        st.st_size < static_cast<off_t>(kHeader + kInsnSize) || st.st_size > kMaxCacheFile)
        return {};
    std::string data;
    try {
        data = sys::read_fd(fd);
    } catch (const Error&) {
        return {};
    }
    if (data.size() < kHeader + kInsnSize || (data.size() - kHeader) % kInsnSize != 0) return {};
    if (std::string_view(data).substr(0, kMagic.size()) != kMagic) return {};
    std::string_view bpf = std::string_view(data).substr(kHeader);
    auto sum = Sha256().update(bpf).digest();
    if (std::memcmp(sum.data(), data.data() + kMagic.size(), sum.size()) != 0) return {};
    return std::string(bpf);
}

}  // namespace

bool seccomp_uses_notify(const spec::Seccomp& profile) {
    if (profile.default_action == "SCMP_ACT_NOTIFY") return true;
    return std::any_of(profile.syscalls.begin(), profile.syscalls.end(),
                       [](const spec::SeccompSyscall& s) { return s.action == "SCMP_ACT_NOTIFY"; });
}

unsigned int seccomp_filter_flags(const std::vector<std::string>& flags) {
    unsigned int bits = 0;
    for (size_t i = 0; i < flags.size(); ++i) {
        const std::string& f = flags[i];
        if (f == "SECCOMP_FILTER_FLAG_TSYNC")
            bits |= SECCOMP_FILTER_FLAG_TSYNC;
        else if (f == "SECCOMP_FILTER_FLAG_LOG")
            bits |= SECCOMP_FILTER_FLAG_LOG;
        else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
            bits |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        else if (f == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
            bits |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
        else if (f == "SECCOMP_FILTER_FLAG_NEW_LISTENER")
            bits |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        else
            throw Error(std::string(kLoc) + "/flags/" + std::to_string(i) + ": unknown flag " + quoted(f));
    }
    return bits;
}

std::string compile_filter(const spec::Seccomp& profile) {
    seccomp_filter_flags(profile.flags);  // validated here so that errors surface before the load

    const uint32_t def = parse_action(profile.default_action, profile.default_errno_ret, kLoc, "defaultAction",
                                      "defaultErrnoRet");
    if (def == SCMP_ACT_NOTIFY) throw Error(std::string(kLoc) + ": SCMP_ACT_NOTIFY cannot be the default action");

    Ctx ctx(seccomp_init(def));
    if (!ctx) throw Error(std::string(kLoc) + ": seccomp_init failed for defaultAction " + quoted(profile.default_action));

    for (size_t i = 0; i < profile.architectures.size(); ++i) {
        std::string where = std::string(kLoc) + "/architectures/" + std::to_string(i);
        uint32_t arch = parse_arch(profile.architectures[i], where);
        int r = seccomp_arch_add(ctx.get(), arch);
        if (r < 0 && r != -EEXIST) throw Error(where + ": seccomp_arch_add: " + std::strerror(-r), -r);
    }

    bool needs_notify = false;
    size_t rules = 0;
    for (size_t i = 0; i < profile.syscalls.size(); ++i) {
        const spec::SeccompSyscall& sc = profile.syscalls[i];
        const std::string where = syscall_loc(i);
        const uint32_t act = parse_action(sc.action, sc.errno_ret, where, "action", "errnoRet");

        // Conditions; validated even when the rule turns out to be skipped.
        std::vector<scmp_arg_cmp> conds;
        std::array<unsigned, kMaxSyscallArgs> per_index{};
        bool shared_index = false;
        for (size_t j = 0; j < sc.args.size(); ++j) {
            const spec::SeccompArg& a = sc.args[j];
            std::string awhere = where + "/args/" + std::to_string(j);
            if (a.index >= kMaxSyscallArgs)
                throw Error(awhere + ": index " + std::to_string(a.index) + " out of range (0-5)");
            scmp_compare op;
            if (!parse_op(a.op, op)) throw Error(awhere + ": unknown operator " + quoted(a.op));
            conds.push_back(scmp_arg_cmp{a.index, op, a.value, a.value_two});
            if (++per_index[a.index] > 1) shared_index = true;
        }
        for (size_t j = 0; j < sc.names.size(); ++j)
            if (sc.names[j].empty()) throw Error(where + "/names/" + std::to_string(j) + ": empty syscall name");

        if (act == SCMP_ACT_NOTIFY) {
            for (const std::string& name : sc.names)
                if (name == "write")
                    throw Error(where + ": SCMP_ACT_NOTIFY cannot be used for the write syscall");
            needs_notify = true;
        }
        if (act == def) continue;  // redundant; libseccomp would refuse it

        for (const std::string& name : sc.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) continue;  // unknown to libseccomp / this arch: skipped
            auto add = [&](unsigned count, const scmp_arg_cmp* array) {
                int r = seccomp_rule_add_array(ctx.get(), act, nr, count, array);
                if (r < 0)
                    throw Error(where + ": adding rule for syscall " + quoted(name) + ": " + std::strerror(-r), -r);
                ++rules;
            };
            if (conds.empty())
                add(0, nullptr);
            else if (shared_index)
                for (const scmp_arg_cmp& c : conds) add(1, &c);  // OR'ed, as runc does
            else
                add(static_cast<unsigned>(conds.size()), conds.data());
        }
    }

    if (needs_notify && seccomp_api_get() < 5)
        throw Error(std::string(kLoc) + ": SCMP_ACT_NOTIFY is not supported by this libseccomp/kernel");

    // Binary-tree dispatch for long profiles (runc's threshold). libseccomp
    // <= 2.5.4 misbehaves with the optimisation and zero rules.
    if (profile.syscalls.size() > 32 && rules > 0) seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

    int mfd = static_cast<int>(::syscall(SYS_memfd_create, "dkr-seccomp-bpf", MFD_CLOEXEC));
    if (mfd < 0) throw sys_error("memfd_create", "", errno);
    sys::Fd memfd(mfd);
    int r = seccomp_export_bpf(ctx.get(), memfd.get());
    if (r < 0) throw Error(std::string(kLoc) + ": seccomp_export_bpf: " + std::strerror(-r), -r);
    std::string bpf = read_all_from(memfd.get());
    if (bpf.empty() || bpf.size() % kInsnSize != 0)
        throw Error(std::string(kLoc) + ": seccomp_export_bpf produced " + std::to_string(bpf.size()) + " bytes");
    return bpf;
}

std::string seccomp_canonical_json(const spec::Seccomp& p) {
    std::string out = "{\"defaultAction\":";
    json_string(out, p.default_action);
    if (p.default_errno_ret) out += ",\"defaultErrnoRet\":" + std::to_string(*p.default_errno_ret);
    out += ",\"architectures\":";
    json_strings(out, p.architectures);
    out += ",\"flags\":";
    json_strings(out, p.flags);
    out += ",\"listenerPath\":";
    json_string(out, p.listener_path);
    out += ",\"listenerMetadata\":";
    json_string(out, p.listener_metadata);
    out += ",\"syscalls\":[";
    for (size_t i = 0; i < p.syscalls.size(); ++i) {
        const spec::SeccompSyscall& s = p.syscalls[i];
        if (i) out += ',';
        out += "{\"names\":";
        json_strings(out, s.names);
        out += ",\"action\":";
        json_string(out, s.action);
        if (s.errno_ret) out += ",\"errnoRet\":" + std::to_string(*s.errno_ret);
        out += ",\"args\":[";
        for (size_t j = 0; j < s.args.size(); ++j) {
            const spec::SeccompArg& a = s.args[j];
            if (j) out += ',';
            out += "{\"index\":" + std::to_string(a.index) + ",\"value\":" + std::to_string(a.value) +
                   ",\"valueTwo\":" + std::to_string(a.value_two) + ",\"op\":";
            json_string(out, a.op);
            out += '}';
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

std::string compiled_filter_cached(const spec::Seccomp& profile, std::string_view canonical_json,
                                   const std::string& cache_dir) {
    const scmp_version* v = seccomp_version();
    std::string material = "dkr-seccomp-bpf-cache-v1\n";
    material += "libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                std::to_string(v->micro) + "\n";
    material += "api " + std::to_string(seccomp_api_get()) + "\n";
    material += "arch " + std::to_string(seccomp_arch_native()) + "\n";
    material += canonical_json;
    const std::string path = sys::join(cache_dir, sha256_hex(material) + ".bpf");

    std::string bpf = read_cache_entry(path);
    if (!bpf.empty()) return bpf;

    bpf = compile_filter(profile);
    try {
        sys::mkdir_all(cache_dir, 0700);
        sys::write_file_atomic(path, cache_entry(bpf), 0600);
    } catch (const Error&) {
        // Best effort: a read-only or full cache directory only costs speed.
    }
    return bpf;
}

std::string compiled_filter_cached(const spec::Seccomp& profile, const std::string& cache_dir) {
    return compiled_filter_cached(profile, seccomp_canonical_json(profile), cache_dir);
}

sys::Fd load_filter(std::string_view bpf, const std::vector<std::string>& flags, bool notify) {
    if (bpf.empty() || bpf.size() % kInsnSize != 0)
        throw Error("seccomp: invalid filter program of " + std::to_string(bpf.size()) + " bytes");
    const size_t insns = bpf.size() / kInsnSize;
    if (insns > BPF_MAXINSNS)
        throw Error("seccomp: filter has " + std::to_string(insns) + " instructions, the kernel allows at most " +
                    std::to_string(BPF_MAXINSNS));

    unsigned int bits = seccomp_filter_flags(flags);
    if (notify) bits |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // TSYNC and NEW_LISTENER both use the return value; the kernel accepts
    // the pair only with TSYNC_ESRCH.
    if ((bits & SECCOMP_FILTER_FLAG_NEW_LISTENER) && (bits & SECCOMP_FILTER_FLAG_TSYNC))
        bits |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;

    std::vector<struct sock_filter> program(insns);  // aligned copy
    std::memcpy(program.data(), bpf.data(), bpf.size());
    struct sock_fprog prog{};
    prog.len = static_cast<unsigned short>(insns);
    prog.filter = program.data();

    long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, bits, &prog);
    if (r < 0) {
        int err = errno;
        if (err == EACCES)
            throw Error("seccomp(SECCOMP_SET_MODE_FILTER): permission denied: no_new_privs must be set or "
                        "CAP_SYS_ADMIN held",
                        err);
        throw sys_error("seccomp(SECCOMP_SET_MODE_FILTER)", "", err);
    }
    if (bits & SECCOMP_FILTER_FLAG_NEW_LISTENER) return sys::Fd(static_cast<int>(r));
    if (r > 0)  // TSYNC without TSYNC_ESRCH: the id of a thread that could not be synchronised
        throw Error("seccomp(SECCOMP_SET_MODE_FILTER): thread " + std::to_string(r) +
                    " could not be synchronised (SECCOMP_FILTER_FLAG_TSYNC)");
    return sys::Fd();
}

}  // namespace dkr::security
