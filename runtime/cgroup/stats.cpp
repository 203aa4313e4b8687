#include "runtime/cgroup/stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>

#include "runtime/cgroup/cgfs.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        if (eol > pos) out.push_back(text.substr(pos, eol - pos));
        pos = eol + 1;
    }
    return out;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
        if (j > i) out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

bool to_u64(std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_dev(std::string_view s, uint64_t& major, uint64_t& minor) {
    size_t colon = s.find(':');
    return colon != std::string_view::npos && to_u64(s.substr(0, colon), major) && to_u64(s.substr(colon + 1), minor);
}

// The file's value, or 0 if the file is missing (controller or feature absent).
uint64_t read_uint(const std::string& dir, const std::string& file) {
    std::string path = sys::join(dir, file);
    auto content = fs::try_read(path);
    if (!content) return 0;
    try {
        return parse_stat_uint(*content);
    } catch (...) {
        rethrow_with(path);
    }
}

std::string read_or_empty(const std::string& dir, const std::string& file) {
    return fs::try_read(sys::join(dir, file)).value_or("");
}

uint64_t saturating_add(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }

void cpuset_v1(const std::string& dir, CpusetStats& out) {
    out.cpus = parse_cpu_list(read_or_empty(dir, "cpuset.cpus"));
    out.mems = parse_cpu_list(read_or_empty(dir, "cpuset.mems"));
    out.cpu_exclusive = read_uint(dir, "cpuset.cpu_exclusive");
    out.mem_hardwall = read_uint(dir, "cpuset.mem_hardwall");
    out.mem_exclusive = read_uint(dir, "cpuset.mem_exclusive");
    out.memory_migrate = read_uint(dir, "cpuset.memory_migrate");
    out.memory_spread_page = read_uint(dir, "cpuset.memory_spread_page");
    out.memory_spread_slab = read_uint(dir, "cpuset.memory_spread_slab");
    out.memory_pressure = read_uint(dir, "cpuset.memory_pressure");
    out.sched_load_balance = read_uint(dir, "cpuset.sched_load_balance");
    std::string level = read_or_empty(dir, "cpuset.sched_relax_domain_level");
    while (!level.empty() && (level.back() == '\n' || level.back() == ' ')) level.pop_back();
    auto [p, ec] = std::from_chars(level.data(), level.data() + level.size(), out.sched_relax_domain_level);
    if (!level.empty() && (ec != std::errc() || p != level.data() + level.size()))
        throw Error(sys::join(dir, "cpuset.sched_relax_domain_level") + ": cannot parse \"" + level + "\" as a number");
}

MemoryEntry memory_entry_v1(const std::string& dir, const std::string& prefix) {
    MemoryEntry e;
    e.usage = read_uint(dir, prefix + ".usage_in_bytes");
    e.max = read_uint(dir, prefix + ".max_usage_in_bytes");
    e.failcnt = read_uint(dir, prefix + ".failcnt");
    e.limit = read_uint(dir, prefix + ".limit_in_bytes");
    return e;
}

uint64_t pids_limit(const std::string& dir) {
    auto content = fs::try_read(sys::join(dir, "pids.max"));
    if (!content) return 0;
    uint64_t v = parse_stat_uint(*content);
    return v == kMax ? 0 : v;  // "max": no limit, reported as 0 (runc)
}

void blkio_v1(const std::string& dir, BlkioStats& out) {
    struct Source {
        const char* file;
        std::vector<BlkioEntry> BlkioStats::*field;
    };
    // The first group whose first file has data wins (runc's order: BFQ,
    // CFQ, then the throttle files that every kernel has).
    const std::vector<std::vector<Source>> groups = {
        {{"blkio.bfq.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.bfq.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive},
         {"blkio.io_queued_recursive", &BlkioStats::io_queued_recursive},
         {"blkio.io_service_time_recursive", &BlkioStats::io_service_time_recursive},
         {"blkio.io_wait_time_recursive", &BlkioStats::io_wait_time_recursive},
         {"blkio.io_merged_recursive", &BlkioStats::io_merged_recursive},
         {"blkio.time_recursive", &BlkioStats::io_time_recursive},
         {"blkio.sectors_recursive", &BlkioStats::sectors_recursive}},
        {{"blkio.throttle.io_serviced_recursive", &BlkioStats::io_serviced_recursive},
         {"blkio.throttle.io_service_bytes_recursive", &BlkioStats::io_service_bytes_recursive}},
        {{"blkio.throttle.io_serviced", &BlkioStats::io_serviced_recursive},
         {"blkio.throttle.io_service_bytes", &BlkioStats::io_service_bytes_recursive}},
    };
    for (const auto& group : groups) {
        auto first = fs::try_read(sys::join(dir, group[0].file));
        if (!first) continue;
        auto entries = parse_blkio_v1(*first);
        if (entries.empty()) continue;
        out.*(group[0].field) = std::move(entries);
        for (size_t i = 1; i < group.size(); ++i)
            if (auto content = fs::try_read(sys::join(dir, group[i].file)))
                out.*(group[i].field) = parse_blkio_v1(*content);
        return;
    }
}

}  // namespace

uint64_t parse_stat_uint(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    if (s == "max") return kMax;
    uint64_t v;
    if (to_u64(s, v)) return v;
    if (!s.empty() && s.front() == '-') {
        int64_t n;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc() && p == s.data() + s.size()) return 0;
    }
    throw Error("cgroup: cannot parse \"" + std::string(s) + "\" as a number");
}

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
    std::map<std::string, uint64_t> out;
    for (auto line : lines(text)) {
        auto f = fields(line);
        uint64_t v;
        if (f.size() == 2 && to_u64(f[1], v)) out[std::string(f[0])] = v;
    }
    return out;
}

std::vector<uint64_t> parse_uint_list(std::string_view text) {
    std::vector<uint64_t> out;
    for (auto line : lines(text))
        for (auto f : fields(line)) {
            uint64_t v;
            if (!to_u64(f, v)) throw Error("cgroup: cannot parse \"" + std::string(f) + "\" as a number");
            out.push_back(v);
        }
    return out;
}

std::vector<uint16_t> parse_cpu_list(std::string_view text) {
    std::vector<uint16_t> out;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    auto bad = [&] { return Error("cgroup: cannot parse \"" + std::string(text) + "\" as a cpu or node list"); };
    auto number = [&](std::string_view s) {
        uint16_t v;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size()) throw bad();
        return v;
    };
    if (text.empty()) return out;
    for (size_t pos = 0;;) {
        size_t comma = std::min(text.find(',', pos), text.size());
        std::string_view item = text.substr(pos, comma - pos);
        size_t dash = item.find('-');
        uint16_t first = number(item.substr(0, dash));
        uint16_t last = dash == std::string_view::npos ? first : number(item.substr(dash + 1));
        if (first > last) throw bad();
        for (uint32_t i = first; i <= last; ++i) out.push_back(static_cast<uint16_t>(i));
        if (comma == text.size()) return out;
        pos = comma + 1;
    }
}

void parse_cpuacct_usage_all(std::string_view text, std::vector<uint64_t>& user, std::vector<uint64_t>& kernel) {
    user.clear();
    kernel.clear();
    for (auto line : lines(text)) {
        auto f = fields(line);
        uint64_t cpu, u, k;
        if (f.size() != 3 || !to_u64(f[0], cpu) || !to_u64(f[1], u) || !to_u64(f[2], k)) continue;  // header
        user.push_back(u);
        kernel.push_back(k);
    }
}

std::vector<BlkioEntry> parse_blkio_v1(std::string_view text) {
    std::vector<BlkioEntry> out;
    for (auto line : lines(text)) {
        auto f = fields(line);
        BlkioEntry e;
        if (f.empty() || !parse_dev(f[0], e.major, e.minor)) continue;  // "Total N"
        if (f.size() == 3) {
            e.op = std::string(f[1]);
            if (!to_u64(f[2], e.value)) continue;
        } else if (f.size() == 2) {
            if (!to_u64(f[1], e.value)) continue;
        } else {
            continue;
        }
        out.push_back(std::move(e));
    }
    return out;
}

void parse_io_stat(std::string_view text, BlkioStats& out) {
    for (auto line : lines(text)) {
        auto f = fields(line);
        uint64_t major, minor;
        if (f.empty() || !parse_dev(f[0], major, minor)) continue;
        for (size_t i = 1; i < f.size(); ++i) {
            size_t eq = f[i].find('=');
            if (eq == std::string_view::npos) continue;
            std::string_view key = f[i].substr(0, eq);
            uint64_t v;
            if (!to_u64(f[i].substr(eq + 1), v)) continue;
            // Mapped to the v1 names and tables, as runc does.
            if (key == "rbytes")
                out.io_service_bytes_recursive.push_back({major, minor, "Read", v});
            else if (key == "wbytes")
                out.io_service_bytes_recursive.push_back({major, minor, "Write", v});
            else if (key == "rios")
                out.io_serviced_recursive.push_back({major, minor, "Read", v});
            else if (key == "wios")
                out.io_serviced_recursive.push_back({major, minor, "Write", v});
        }
    }
}

std::string hugepage_size_name(uint64_t bytes) {
    static const char* const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    double v = static_cast<double>(bytes);
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        ++u;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g%s", v, units[u]);
    return buf;
}

std::vector<std::string> hugepage_sizes(const std::string& sysfs_dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(sysfs_dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;  // "hugepages-2048kB"
        const std::string_view prefix = "hugepages-", suffix = "kB";
        if (name.size() <= prefix.size() + suffix.size() || name.substr(0, prefix.size()) != prefix ||
            name.substr(name.size() - suffix.size()) != suffix)
            continue;
        uint64_t kb;
        if (!to_u64(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()), kb)) continue;
        out.push_back(hugepage_size_name(kb * 1024));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

Stats collect_stats_v1(const std::function<std::string(const std::string&)>& dir_of) {
    Stats s;
    if (std::string d = dir_of("cpuacct"); !d.empty()) {
        s.cpu.usage.total = read_uint(d, "cpuacct.usage");
        s.cpu.usage.percpu = parse_uint_list(read_or_empty(d, "cpuacct.usage_percpu"));
        parse_cpuacct_usage_all(read_or_empty(d, "cpuacct.usage_all"), s.cpu.usage.percpu_user,
                                s.cpu.usage.percpu_kernel);
        // cpuacct.stat is in USER_HZ ticks.
        auto st = parse_flat_keyed(read_or_empty(d, "cpuacct.stat"));
        long hz = ::sysconf(_SC_CLK_TCK);
        if (hz <= 0) hz = 100;
        s.cpu.usage.user = st["user"] * (1000000000ULL / static_cast<uint64_t>(hz));
        s.cpu.usage.kernel = st["system"] * (1000000000ULL / static_cast<uint64_t>(hz));
    }
    if (std::string d = dir_of("cpu"); !d.empty()) {
        auto st = parse_flat_keyed(read_or_empty(d, "cpu.stat"));
        s.cpu.throttling.periods = st["nr_periods"];
        s.cpu.throttling.throttled_periods = st["nr_throttled"];
        s.cpu.throttling.throttled_time = st["throttled_time"];
    }
    if (std::string d = dir_of("cpuset"); !d.empty()) cpuset_v1(d, s.cpuset);
    if (std::string d = dir_of("memory"); !d.empty()) {
        s.memory.raw = parse_flat_keyed(read_or_empty(d, "memory.stat"));
        s.memory.cache = s.memory.raw.count("cache") ? s.memory.raw["cache"] : 0;
        s.memory.usage = memory_entry_v1(d, "memory");
        s.memory.swap = memory_entry_v1(d, "memory.memsw");
        s.memory.kernel = memory_entry_v1(d, "memory.kmem");
        s.memory.kernel_tcp = memory_entry_v1(d, "memory.kmem.tcp");
    }
    if (std::string d = dir_of("pids"); !d.empty()) {
        s.pids.current = read_uint(d, "pids.current");
        s.pids.limit = pids_limit(d);
    }
    if (std::string d = dir_of("blkio"); !d.empty()) blkio_v1(d, s.blkio);
    if (std::string d = dir_of("hugetlb"); !d.empty()) {
        for (const auto& size : hugepage_sizes()) {
            HugetlbStats h;
            std::string p = "hugetlb." + size;
            h.usage = read_uint(d, p + ".usage_in_bytes");
            h.max = read_uint(d, p + ".max_usage_in_bytes");
            h.failcnt = read_uint(d, p + ".failcnt");
            s.hugetlb[size] = h;
        }
    }
    return s;
}

Stats collect_stats_v2(const std::string& dir) {
    Stats s;
    {
        auto st = parse_flat_keyed(read_or_empty(dir, "cpu.stat"));
        s.cpu.usage.total = st["usage_usec"] * 1000;
        s.cpu.usage.user = st["user_usec"] * 1000;
        s.cpu.usage.kernel = st["system_usec"] * 1000;
        s.cpu.throttling.periods = st["nr_periods"];
        s.cpu.throttling.throttled_periods = st["nr_throttled"];
        s.cpu.throttling.throttled_time = st["throttled_usec"] * 1000;
    }
    if (auto stat = fs::try_read(sys::join(dir, "memory.stat"))) {
        s.memory.raw = parse_flat_keyed(*stat);
        s.memory.cache = s.memory.raw.count("file") ? s.memory.raw["file"] : 0;
        s.memory.usage.usage = read_uint(dir, "memory.current");
        s.memory.usage.limit = read_uint(dir, "memory.max");
        s.memory.usage.max = read_uint(dir, "memory.peak");
        s.memory.usage.failcnt = parse_flat_keyed(read_or_empty(dir, "memory.events"))["max"];
        // Reported as memory+swap, as v1 does.
        if (fs::exists(sys::join(dir, "memory.swap.current"))) {
            s.memory.swap.usage = saturating_add(read_uint(dir, "memory.swap.current"), s.memory.usage.usage);
            uint64_t swap_max = read_uint(dir, "memory.swap.max");
            s.memory.swap.limit = swap_max == kMax ? kMax : saturating_add(swap_max, s.memory.usage.limit);
            s.memory.swap.max = read_uint(dir, "memory.swap.peak");
            s.memory.swap.failcnt = parse_flat_keyed(read_or_empty(dir, "memory.swap.events"))["max"];
        }
    }
    s.pids.current = read_uint(dir, "pids.current");
    s.pids.limit = pids_limit(dir);
    parse_io_stat(read_or_empty(dir, "io.stat"), s.blkio);
    for (const auto& size : hugepage_sizes()) {
        std::string p = "hugetlb." + size;
        if (!fs::exists(sys::join(dir, p + ".current"))) continue;
        HugetlbStats h;
        h.usage = read_uint(dir, p + ".current");
        h.failcnt = parse_flat_keyed(read_or_empty(dir, p + ".events"))["max"];
        s.hugetlb[size] = h;
    }
    return s;
}

}  // namespace dkr::cgroup
