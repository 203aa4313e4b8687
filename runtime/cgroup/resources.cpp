#include "runtime/cgroup/resources.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "runtime/cgroup/devices.hpp"
#include "runtime/error.hpp"

namespace dkr::cgroup {

namespace {

constexpr uint64_t kMinShares = 2, kMaxShares = 262144;

class Out {
public:
    explicit Out(const Probe& p) : probe_(p) {}
    void need(const std::string& controller, const std::string& what) const {
        if (!probe_.has_controller(controller))
            throw Error("cgroup: cannot set " + what + ": the " + controller + " cgroup hierarchy is not mounted");
    }
    void add(const std::string& controller, const std::string& file, const std::string& value, bool retry = false) {
        writes.push_back(Write{controller, file, value, retry});
    }
    const Probe& probe() const { return probe_; }
    std::vector<Write> writes;

private:
    const Probe& probe_;
};

std::string num(int64_t v) { return std::to_string(v); }
std::string num(uint64_t v) { return std::to_string(v); }

// v2: 0 = unset (""), -1 = "max".
std::string num_or_max(int64_t v) {
    if (v == 0) return "";
    if (v == -1) return "max";
    return std::to_string(v);
}

std::optional<uint64_t> parse_u64(std::optional<std::string> s) {
    if (!s) return std::nullopt;
    std::string_view v = *s;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    if (v == "max") return std::numeric_limits<uint64_t>::max();
    uint64_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
    return out;
}

std::string dev(int64_t major, int64_t minor) { return std::to_string(major) + ":" + std::to_string(minor); }

void check_shares(uint64_t shares) {
    if (shares < kMinShares)
        throw Error("cgroup: cpu.shares " + num(shares) + ": the minimum allowed cpu-shares is " + num(kMinShares));
    if (shares > kMaxShares)
        throw Error("cgroup: cpu.shares " + num(shares) + ": the maximum allowed cpu-shares is " + num(kMaxShares));
}

void check_swappiness(const spec::MemoryResources& m) {
    if (m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max() && *m.swappiness > 100)
        throw Error("cgroup: invalid memory swappiness value: " + num(*m.swappiness) + " (valid range is 0-100)");
}

void check_usage(Out& o, const spec::MemoryResources& m, const std::string& file) {
    int64_t limit = m.limit.value_or(0);
    if (!m.check_before_update.value_or(false) || limit <= 0) return;
    auto usage = parse_u64(o.probe().read("memory", file));
    if (usage && *usage >= static_cast<uint64_t>(limit))
        throw Error("cgroup: rejecting memory limit " + num(limit) + " below the current usage " + num(*usage) + " (" +
                    file + ")");
}

void check_page_size(const std::string& size) {
    if (size.empty() || size.find('/') != std::string::npos || size.find('.') != std::string::npos)
        throw Error("cgroup: invalid hugepage size \"" + size + "\"");
}

std::string rdma_string(const std::string& device, const spec::RdmaLimit& l) {
    std::string s = device;
    if (l.hca_handles) s += " hca_handle=" + num(uint64_t{*l.hca_handles});
    if (l.hca_objects) s += " hca_object=" + num(uint64_t{*l.hca_objects});
    return s;
}

bool has_throttle(const spec::BlockIoResources& b) {
    return !b.throttle_read_bps_device.empty() || !b.throttle_write_bps_device.empty() ||
           !b.throttle_read_iops_device.empty() || !b.throttle_write_iops_device.empty();
}

// ---- v1 ----

void memory_v1(Out& o, const spec::MemoryResources& m) {
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0), reservation = m.reservation.value_or(0);
    bool swappiness = m.swappiness && *m.swappiness != std::numeric_limits<uint64_t>::max();
    // kernel and kernelTCP are ignored, as runc 1.1 does (kernel memory
    // limits are deprecated; recent kernels accept and ignore them).
    if (!limit && !swap && !reservation && !m.disable_oom_killer.value_or(false) && !swappiness && !m.use_hierarchy)
        return;
    o.need("memory", "memory limits");
    check_swappiness(m);
    check_usage(o, m, "memory.usage_in_bytes");

    const std::string memsw = "memory.memsw.limit_in_bytes";
    // Unlimited memory with swap not given: unlimited swap too (if swap is accounted).
    if (limit == -1 && swap == 0 && o.probe().exists("memory", memsw)) swap = -1;
    if (limit != 0 && swap != 0) {
        // memsw must stay >= the memory limit at every step: raise memsw
        // first when growing, lower the memory limit first when shrinking.
        uint64_t current =
            parse_u64(o.probe().read("memory", "memory.limit_in_bytes")).value_or(std::numeric_limits<uint64_t>::max());
        if (swap == -1 || current < static_cast<uint64_t>(swap)) {
            o.add("memory", memsw, num(swap));
            o.add("memory", "memory.limit_in_bytes", num(limit));
        } else {
            o.add("memory", "memory.limit_in_bytes", num(limit));
            o.add("memory", memsw, num(swap));
        }
    } else {
        if (limit) o.add("memory", "memory.limit_in_bytes", num(limit));
        if (swap) o.add("memory", memsw, num(swap));
    }
    if (reservation) o.add("memory", "memory.soft_limit_in_bytes", num(reservation));
    if (m.disable_oom_killer.value_or(false)) o.add("memory", "memory.oom_control", "1");
    if (swappiness) o.add("memory", "memory.swappiness", num(*m.swappiness));
    if (m.use_hierarchy) o.add("memory", "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0");
}

void cpu_v1(Out& o, const spec::CpuResources& c) {
    uint64_t shares = c.shares.value_or(0);
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    int64_t rt_runtime = c.realtime_runtime.value_or(0);
    uint64_t rt_period = c.realtime_period.value_or(0);
    if (!shares && !quota && !period && !c.burst && !rt_runtime && !rt_period && !c.idle) return;
    o.need("cpu", "cpu limits");
    if (shares) {
        check_shares(shares);
        o.add("cpu", "cpu.shares", num(shares));
    }
    // A period the kernel rejects for the old quota is retried after the quota.
    if (period) o.add("cpu", "cpu.cfs_period_us", num(period), quota != 0);
    if (quota) o.add("cpu", "cpu.cfs_quota_us", num(quota));
    if (c.burst) o.add("cpu", "cpu.cfs_burst_us", num(*c.burst), quota != 0);
    if (rt_period) o.add("cpu", "cpu.rt_period_us", num(rt_period));
    if (rt_runtime) o.add("cpu", "cpu.rt_runtime_us", num(rt_runtime));
    if (c.idle) o.add("cpu", "cpu.idle", num(*c.idle));
}

void blkio_v1(Out& o, const spec::BlockIoResources& b) {
    uint16_t weight = b.weight.value_or(0), leaf = b.leaf_weight.value_or(0);
    if (!weight && !leaf && b.weight_device.empty() && !has_throttle(b)) return;
    o.need("blkio", "blockIO limits");
    bool device_weights = false;
    for (const auto& wd : b.weight_device) device_weights |= wd.weight.value_or(0) != 0;
    std::string weight_file, weight_device_file;
    if (weight || device_weights) {
        // CFQ's files, else BFQ's (CFQ is gone since Linux 5.0).
        if (o.probe().exists("blkio", "blkio.weight")) {
            weight_file = "blkio.weight";
            weight_device_file = "blkio.weight_device";
        } else {
            weight_file = "blkio.bfq.weight";
            weight_device_file = "blkio.bfq.weight_device";
        }
    }
    if (weight) o.add("blkio", weight_file, num(uint64_t{weight}));
    if (leaf) o.add("blkio", "blkio.leaf_weight", num(uint64_t{leaf}));
    for (const auto& wd : b.weight_device) {
        if (wd.weight.value_or(0))
            o.add("blkio", weight_device_file, dev(wd.major, wd.minor) + " " + num(uint64_t{*wd.weight}));
        if (wd.leaf_weight.value_or(0))
            o.add("blkio", "blkio.leaf_weight_device", dev(wd.major, wd.minor) + " " + num(uint64_t{*wd.leaf_weight}));
    }
    auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* file) {
        for (const auto& t : list) o.add("blkio", file, dev(t.major, t.minor) + " " + num(t.rate));
    };
    throttle(b.throttle_read_bps_device, "blkio.throttle.read_bps_device");
    throttle(b.throttle_write_bps_device, "blkio.throttle.write_bps_device");
    throttle(b.throttle_read_iops_device, "blkio.throttle.read_iops_device");
    throttle(b.throttle_write_iops_device, "blkio.throttle.write_iops_device");
}

// ---- v2 ----

void memory_v2(Out& o, const spec::MemoryResources& m) {
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0), reservation = m.reservation.value_or(0);
    // swappiness, disableOOMKiller, kernel, kernelTCP and useHierarchy have
    // no v2 equivalent: ignored, as runc does.
    if (!limit && !swap && !reservation) return;
    check_swappiness(m);
    check_usage(o, m, "memory.current");
    int64_t swap_max;
    if (limit == -1 && swap == 0)
        swap_max = o.probe().exists("memory", "memory.swap.max") ? -1 : 0;
    else
        swap_max = memory_swap_to_v2(swap, limit);
    std::string swap_str = num_or_max(swap_max);
    if (swap_max == 0 && swap > 0) swap_str = "0";  // memory+swap == memory: no swap
    if (!swap_str.empty()) o.add("memory", "memory.swap.max", swap_str);
    if (limit) o.add("memory", "memory.max", num_or_max(limit));
    if (reservation) o.add("memory", "memory.low", num_or_max(reservation));
}

void io_v2(Out& o, const spec::BlockIoResources& b) {
    uint16_t weight = b.weight.value_or(0);
    bool device_weights = false;
    for (const auto& wd : b.weight_device) device_weights |= wd.weight.value_or(0) != 0;
    // Leaf weights have no v2 equivalent: ignored, as runc does.
    if (!weight && !device_weights && !has_throttle(b)) return;
    bool bfq = (weight || device_weights) && o.probe().exists("io", "io.bfq.weight");
    if (weight) {
        if (bfq) {
            o.add("io", "io.bfq.weight", num(uint64_t{weight}));
        } else {
            if (weight < 10 || weight > 1000)
                throw Error("cgroup: blockIO weight " + num(uint64_t{weight}) +
                            " cannot be converted to io.weight (valid range is 10-1000)");
            o.add("io", "io.weight", num(blkio_weight_to_io_weight(weight)));
        }
    }
    if (device_weights) {
        // Per-device BFQ weights (Linux 5.4+): io.bfq.weight then reads "default N".
        bool per_device = false;
        if (bfq) {
            auto content = o.probe().read("io", "io.bfq.weight");
            per_device = content && !parse_u64(content);
        }
        if (!per_device)
            throw Error(
                "cgroup: blockIO weightDevice needs per-device BFQ weights (io.bfq.weight), "
                "which this kernel or the device's scheduler does not provide");
        for (const auto& wd : b.weight_device)
            if (wd.weight.value_or(0))
                o.add("io", "io.bfq.weight", dev(wd.major, wd.minor) + " " + num(uint64_t{*wd.weight}));
    }
    auto throttle = [&](const std::vector<spec::ThrottleDevice>& list, const char* key) {
        for (const auto& t : list) o.add("io", "io.max", dev(t.major, t.minor) + " " + key + "=" + num(t.rate));
    };
    throttle(b.throttle_read_bps_device, "rbps");
    throttle(b.throttle_write_bps_device, "wbps");
    throttle(b.throttle_read_iops_device, "riops");
    throttle(b.throttle_write_iops_device, "wiops");
}

// The quota field of cpu.max ("max" or a number); "max" if unreadable.
std::string current_cpu_max_quota(const Out& o) {
    std::string content = o.probe().read("cpu", "cpu.max").value_or("");
    std::string quota = content.substr(0, content.find_first_of(" \n"));
    return quota.empty() ? "max" : quota;
}

void cpu_v2(Out& o, const spec::CpuResources& c) {
    if (c.realtime_runtime.value_or(0) || c.realtime_period.value_or(0))
        throw Error("cgroup: cpu realtimeRuntime/realtimePeriod (cpu.rt_*) are not supported on cgroup v2");
    uint64_t shares = c.shares.value_or(0);
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    if (c.idle) o.add("cpu", "cpu.idle", num(*c.idle));
    if (shares) {
        check_shares(shares);
        o.add("cpu", "cpu.weight", num(cpu_shares_to_weight(shares)));
    }
    if (c.burst) o.add("cpu", "cpu.max.burst", num(*c.burst), quota != 0);
    if (quota || period) {
        // One of the two alone keeps the other's current value (runc's
        // update): "<quota>" alone leaves the period as it is, and a period
        // alone is written with the quota that cpu.max has now.
        std::string v;
        if (quota)
            v = quota > 0 ? num(quota) : "max";
        else
            v = current_cpu_max_quota(o);
        if (period) v += " " + num(period);
        o.add("cpu", "cpu.max", v);
    }
}

}  // namespace

uint64_t cpu_shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    return 1 + ((weight - 10) * 9999) / 990;
}

int64_t memory_swap_to_v2(int64_t swap, int64_t memory) {
    if (memory == -1 && swap == 0) return -1;  // unlimited memory: unlimited swap
    if (swap == -1 || swap == 0) return swap;  // max, or unset
    if (memory == 0 || memory == -1) throw Error("cgroup: unable to set swap limit without memory limit");
    if (memory < 0) throw Error("cgroup: invalid memory value: " + num(memory));
    if (swap < memory) throw Error("cgroup: memory+swap limit should be >= memory limit");
    return swap - memory;
}

std::vector<Write> device_writes_v1(const std::vector<spec::DeviceCgroupRule>& rules) {
    std::vector<DeviceRule> norm = normalize_device_rules(rules);
    size_t start = 0;
    for (size_t i = 0; i < norm.size(); ++i)
        if (norm[i].type == 'a') start = i;  // an "a" rule resets all before it
    std::vector<Write> out;
    for (size_t i = start; i < norm.size(); ++i)
        out.push_back(Write{"devices", norm[i].allow ? "devices.allow" : "devices.deny", device_rule_string(norm[i])});
    return out;
}

std::vector<Write> translate_v1(const spec::Resources& r, const Probe& probe) {
    if (!r.unified.empty())
        throw Error("cgroup: invalid configuration: cannot use linux.resources.unified on cgroup v1");
    Out o(probe);
    if (r.cpu && (!r.cpu->cpus.empty() || !r.cpu->mems.empty())) {
        o.need("cpuset", "cpu.cpus/cpu.mems");
        if (!r.cpu->cpus.empty()) o.add("cpuset", "cpuset.cpus", r.cpu->cpus);
        if (!r.cpu->mems.empty()) o.add("cpuset", "cpuset.mems", r.cpu->mems);
    }
    if (!r.devices.empty()) {
        o.need("devices", "device rules");
        for (auto& w : device_writes_v1(r.devices)) o.writes.push_back(std::move(w));
    }
    if (r.memory) memory_v1(o, *r.memory);
    if (r.cpu) cpu_v1(o, *r.cpu);
    if (r.pids && r.pids->limit != 0) {
        o.need("pids", "pids limit");
        o.add("pids", "pids.max", r.pids->limit > 0 ? num(r.pids->limit) : "max");
    }
    if (r.block_io) blkio_v1(o, *r.block_io);
    for (const auto& h : r.hugepage_limits) {
        o.need("hugetlb", "hugepage limits");
        check_page_size(h.page_size);
        o.add("hugetlb", "hugetlb." + h.page_size + ".limit_in_bytes", num(h.limit));
    }
    if (r.network) {
        if (r.network->class_id.value_or(0)) {
            o.need("net_cls", "network classID");
            o.add("net_cls", "net_cls.classid", num(uint64_t{*r.network->class_id}));
        }
        for (const auto& p : r.network->priorities) {
            o.need("net_prio", "network priorities");
            o.add("net_prio", "net_prio.ifpriomap", p.name + " " + num(uint64_t{p.priority}));
        }
    }
    for (const auto& [device, limit] : r.rdma) {
        if (!limit.hca_handles && !limit.hca_objects) continue;
        o.need("rdma", "rdma limits");
        o.add("rdma", "rdma.max", rdma_string(device, limit));
    }
    return std::move(o.writes);
}

std::vector<Write> translate_v2(const spec::Resources& r, const Probe& probe) {
    if (r.network && (r.network->class_id.value_or(0) || !r.network->priorities.empty()))
        throw Error("cgroup: network classID/priorities (net_cls, net_prio) are not available on cgroup v2");
    Out o(probe);
    if (r.pids && r.pids->limit != 0) o.add("pids", "pids.max", r.pids->limit > 0 ? num(r.pids->limit) : "max");
    if (r.memory) memory_v2(o, *r.memory);
    if (r.block_io) io_v2(o, *r.block_io);
    if (r.cpu) cpu_v2(o, *r.cpu);
    if (r.cpu && !r.cpu->cpus.empty()) o.add("cpuset", "cpuset.cpus", r.cpu->cpus);
    if (r.cpu && !r.cpu->mems.empty()) o.add("cpuset", "cpuset.mems", r.cpu->mems);
    for (const auto& h : r.hugepage_limits) {
        check_page_size(h.page_size);
        o.add("hugetlb", "hugetlb." + h.page_size + ".max", num(h.limit));
    }
    for (const auto& [device, limit] : r.rdma) {
        if (!limit.hca_handles && !limit.hca_objects) continue;
        o.add("rdma", "rdma.max", rdma_string(device, limit));
    }
    // Written last and verbatim: they override anything above.
    for (const auto& [key, value] : r.unified) {
        if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
            throw Error("cgroup: linux.resources.unified key \"" + key + "\" must be a file name");
        o.add(key.substr(0, key.find('.')), key, value);
    }
    return std::move(o.writes);
}

}  // namespace dkr::cgroup
