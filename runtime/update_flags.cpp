#include "runtime/update_flags.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <type_traits>

#include "runtime/cgroup/host.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {

namespace {

// All of s as a number in the given base (0: Go's prefixes), or nullopt.
template <typename T>
std::optional<T> whole_number(const std::string& s, int base) {
    if (s.empty() || (std::is_unsigned_v<T> && (s[0] == '-' || s[0] == '+'))) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    T v = std::is_unsigned_v<T> ? static_cast<T>(std::strtoull(s.c_str(), &end, base))
                                : static_cast<T>(std::strtoll(s.c_str(), &end, base));
    if (*end != '\0' || errno == ERANGE) return std::nullopt;
    return v;
}

// strconv.ParseInt/ParseUint(s, 10, 64), as runc reads the cpu flags.
template <typename T>
T parse_decimal(const std::string& flag, const std::string& s) {
    auto v = whole_number<T>(s, 10);
    if (!v) throw Error("invalid value for " + flag + ": parsing \"" + s + "\": invalid syntax");
    return *v;
}

// The integer flags (--blkio-weight, --pids-limit), in Go's flag syntax.
int64_t parse_int_flag(const std::string& flag, const std::string& s) {
    auto v = whole_number<int64_t>(s, 0);
    if (!v) throw Error("invalid value \"" + s + "\" for flag -" + flag + ": parse error");
    return *v;
}

int64_t parse_size_flag(const std::string& flag, const std::string& s) {
    if (s == "-1") return -1;
    try {
        return parse_ram_bytes(s);
    } catch (...) {
        rethrow_with("invalid value for " + flag);
    }
}

bool has_resctrl_feature(const std::string& mountinfo, const char* info_dir) {
    for (const auto& m : cgroup::parse_mountinfo(mountinfo))
        if (m.fstype == "resctrl") return sys::path_exists(sys::join(m.mountpoint, std::string("info/") + info_dir));
    return false;
}

}  // namespace

int64_t parse_ram_bytes(const std::string& s) {
    auto bad = [&] { return Error("invalid size: '" + s + "'"); };
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > start;
    };
    if (!digits()) throw bad();
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) throw bad();
    }
    std::string number = s.substr(0, i);
    if (i < s.size() && s[i] == ' ') ++i;
    double multiplier = 1;
    static const std::string units = "kmgtp";
    if (i < s.size()) {
        size_t u = units.find(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
        if (u != std::string::npos) {
            multiplier = std::pow(1024.0, static_cast<double>(u + 1));
            ++i;
        }
    }
    if (i < s.size() && (s[i] == 'i' || s[i] == 'I')) ++i;
    if (i < s.size() && (s[i] == 'b' || s[i] == 'B')) ++i;
    if (i != s.size()) throw bad();
    double size = std::strtod(number.c_str(), nullptr) * multiplier;
    if (size >= static_cast<double>(std::numeric_limits<int64_t>::max())) throw bad();
    return static_cast<int64_t>(size);
}

spec::Resources resources_from_flags(const UpdateFlags& f) {
    spec::Resources r;
    auto& cpu = r.cpu.emplace();
    if (f.cpu_period) cpu.period = parse_decimal<uint64_t>("cpu-period", *f.cpu_period);
    if (f.cpu_rt_period) cpu.realtime_period = parse_decimal<uint64_t>("cpu-rt-period", *f.cpu_rt_period);
    if (f.cpu_share) cpu.shares = parse_decimal<uint64_t>("cpu-share", *f.cpu_share);
    if (f.cpu_quota) cpu.quota = parse_decimal<int64_t>("cpu-quota", *f.cpu_quota);
    if (f.cpu_rt_runtime) cpu.realtime_runtime = parse_decimal<int64_t>("cpu-rt-runtime", *f.cpu_rt_runtime);
    if (f.cpuset_cpus) cpu.cpus = *f.cpuset_cpus;
    if (f.cpuset_mems) cpu.mems = *f.cpuset_mems;

    auto& memory = r.memory.emplace();
    if (f.memory) memory.limit = parse_size_flag("memory", *f.memory);
    if (f.memory_swap) memory.swap = parse_size_flag("memory-swap", *f.memory_swap);
    if (f.kernel_memory) memory.kernel = parse_size_flag("kernel-memory", *f.kernel_memory);
    if (f.kernel_memory_tcp) memory.kernel_tcp = parse_size_flag("kernel-memory-tcp", *f.kernel_memory_tcp);
    if (f.memory_reservation) memory.reservation = parse_size_flag("memory-reservation", *f.memory_reservation);

    if (f.blkio_weight) {
        int64_t w = parse_int_flag("blkio-weight", *f.blkio_weight);
        if (w < 0 || w > std::numeric_limits<uint16_t>::max())
            throw Error("invalid value \"" + *f.blkio_weight + "\" for flag -blkio-weight: out of range");
        r.block_io.emplace().weight = static_cast<uint16_t>(w);
    }
    if (f.pids_limit) r.pids.emplace().limit = parse_int_flag("pids-limit", *f.pids_limit);
    return r;
}

void check_intel_rdt(const UpdateFlags& f, const std::string& mountinfo) {
    bool l3 = f.l3_cache_schema && !f.l3_cache_schema->empty();
    bool mb = f.mem_bw_schema && !f.mem_bw_schema->empty();
    if (l3 && !has_resctrl_feature(mountinfo, "L3")) throw Error("Intel RDT/CAT: l3 cache schema is not enabled");
    if (mb && !has_resctrl_feature(mountinfo, "MB")) throw Error("Intel RDT/MBA: memory bandwidth schema is not enabled");
    if (l3 || mb) throw Error("Intel RDT is not supported by dkr: --l3-cache-schema and --mem-bw-schema cannot be applied");
}

}  // namespace dkr
