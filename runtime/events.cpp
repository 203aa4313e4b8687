// events: runc's event JSON, and the loop that streams stats and OOM notices.
#include "runtime/events.hpp"

#include <poll.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cerrno>

#include "runtime/container.hpp"
#include "runtime/error.hpp"

namespace dkr {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, const char* k) { w.Key(k); }

void uint_field(Writer& w, const char* k, uint64_t v) {
    key(w, k);
    w.Uint64(v);
}

// A field tagged `json:",omitempty"`: left out when zero.
void uint_omitempty(Writer& w, const char* k, uint64_t v) {
    if (v) uint_field(w, k, v);
}

template <typename T>
void list_omitempty(Writer& w, const char* k, const std::vector<T>& v) {
    if (v.empty()) return;
    key(w, k);
    w.StartArray();
    for (T x : v) w.Uint64(x);
    w.EndArray();
}

void cpu(Writer& w, const cgroup::CpuStats& c) {
    w.StartObject();
    key(w, "usage");
    w.StartObject();
    uint_omitempty(w, "total", c.usage.total);
    list_omitempty(w, "percpu", c.usage.percpu);
    list_omitempty(w, "percpu_kernel", c.usage.percpu_kernel);
    list_omitempty(w, "percpu_user", c.usage.percpu_user);
    uint_field(w, "kernel", c.usage.kernel);
    uint_field(w, "user", c.usage.user);
    w.EndObject();
    key(w, "throttling");
    w.StartObject();
    uint_omitempty(w, "periods", c.throttling.periods);
    uint_omitempty(w, "throttledPeriods", c.throttling.throttled_periods);
    uint_omitempty(w, "throttledTime", c.throttling.throttled_time);
    w.EndObject();
    w.EndObject();
}

void cpuset(Writer& w, const cgroup::CpusetStats& c) {
    w.StartObject();
    list_omitempty(w, "cpus", c.cpus);
    uint_field(w, "cpu_exclusive", c.cpu_exclusive);
    list_omitempty(w, "mems", c.mems);
    uint_field(w, "mem_hardwall", c.mem_hardwall);
    uint_field(w, "mem_exclusive", c.mem_exclusive);
    uint_field(w, "memory_migrate", c.memory_migrate);
    uint_field(w, "memory_spread_page", c.memory_spread_page);
    uint_field(w, "memory_spread_slab", c.memory_spread_slab);
    uint_field(w, "memory_pressure", c.memory_pressure);
    uint_field(w, "sched_load_balance", c.sched_load_balance);
    key(w, "sched_relax_domain_level");
    w.Int64(c.sched_relax_domain_level);
    w.EndObject();
}

void memory_entry(Writer& w, const char* k, const cgroup::MemoryEntry& e) {
    key(w, k);
    w.StartObject();
    uint_field(w, "limit", e.limit);
    uint_omitempty(w, "usage", e.usage);
    uint_omitempty(w, "max", e.max);
    uint_field(w, "failcnt", e.failcnt);
    w.EndObject();
}

void memory(Writer& w, const cgroup::MemoryStats& m) {
    w.StartObject();
    uint_omitempty(w, "cache", m.cache);
    memory_entry(w, "usage", m.usage);
    memory_entry(w, "swap", m.swap);
    memory_entry(w, "kernel", m.kernel);
    memory_entry(w, "kernelTCP", m.kernel_tcp);
    if (!m.raw.empty()) {
        key(w, "raw");
        w.StartObject();
        for (const auto& [k, v] : m.raw) uint_field(w, k.c_str(), v);
        w.EndObject();
    }
    w.EndObject();
}

void blkio_entries(Writer& w, const char* k, const std::vector<cgroup::BlkioEntry>& entries) {
    if (entries.empty()) return;
    key(w, k);
    w.StartArray();
    for (const auto& e : entries) {
        w.StartObject();
        uint_omitempty(w, "major", e.major);
        uint_omitempty(w, "minor", e.minor);
        if (!e.op.empty()) {
            key(w, "op");
            w.String(e.op.c_str());
        }
        uint_omitempty(w, "value", e.value);
        w.EndObject();
    }
    w.EndArray();
}

void blkio(Writer& w, const cgroup::BlkioStats& b) {
    w.StartObject();
    blkio_entries(w, "ioServiceBytesRecursive", b.io_service_bytes_recursive);
    blkio_entries(w, "ioServicedRecursive", b.io_serviced_recursive);
    blkio_entries(w, "ioQueueRecursive", b.io_queued_recursive);
    blkio_entries(w, "ioServiceTimeRecursive", b.io_service_time_recursive);
    blkio_entries(w, "ioWaitTimeRecursive", b.io_wait_time_recursive);
    blkio_entries(w, "ioMergedRecursive", b.io_merged_recursive);
    blkio_entries(w, "ioTimeRecursive", b.io_time_recursive);
    blkio_entries(w, "sectorsRecursive", b.sectors_recursive);
    w.EndObject();
}

void hugetlb(Writer& w, const std::map<std::string, cgroup::HugetlbStats>& pages) {
    w.StartObject();
    for (const auto& [size, h] : pages) {
        key(w, size.c_str());
        w.StartObject();
        uint_omitempty(w, "usage", h.usage);
        uint_omitempty(w, "max", h.max);
        uint_field(w, "failcnt", h.failcnt);
        w.EndObject();
    }
    w.EndObject();
}

void event_head(Writer& w, const char* type, const std::string& id) {
    key(w, "type");
    w.String(type);
    key(w, "id");
    w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
}

// Milliseconds from now until t, for poll(2); 0 if t has passed.
int ms_until(std::chrono::steady_clock::time_point t) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(t - std::chrono::steady_clock::now()).count();
    return ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, INT32_MAX));
}

}  // namespace

std::string stats_event_json(const std::string& id, const cgroup::Stats& s) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    event_head(w, "stats", id);
    key(w, "data");
    w.StartObject();
    key(w, "cpu");
    cpu(w, s.cpu);
    key(w, "cpuset");
    cpuset(w, s.cpuset);
    key(w, "memory");
    memory(w, s.memory);
    key(w, "pids");
    w.StartObject();
    uint_omitempty(w, "current", s.pids.current);
    uint_omitempty(w, "limit", s.pids.limit);
    w.EndObject();
    key(w, "blkio");
    blkio(w, s.blkio);
    key(w, "hugetlb");
    hugetlb(w, s.hugetlb);
    key(w, "intel_rdt");
    w.StartObject();
    w.EndObject();
    key(w, "network_interfaces");
    w.Null();
    w.EndObject();
    w.EndObject();
    return buf.GetString();
}

std::string oom_event_json(const std::string& id) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    event_head(w, "oom", id);
    w.EndObject();
    return buf.GetString();
}

void Runtime::events(const std::string& id, std::chrono::milliseconds interval,
                     const std::function<void(const std::string&)>& emit) {
    if (interval.count() <= 0) throw Error("duration interval must be greater than 0");
    std::unique_ptr<cgroup::Manager> cg = running_cgroup(id);
    std::unique_ptr<cgroup::OomWatch> watch = cg->watch_oom();
    auto next = std::chrono::steady_clock::now() + interval;
    for (;;) {
        cgroup::OomWatch::News news = watch->read();
        for (uint64_t i = 0; i < news.ooms; ++i) emit(oom_event_json(id));
        if (news.gone) return;
        struct pollfd p = {watch->fd(), POLLIN, 0};
        int rc = ::poll(&p, 1, ms_until(next));
        if (rc < 0 && errno != EINTR) throw sys_error("poll", "OOM notifications of " + id, errno);
        auto now = std::chrono::steady_clock::now();
        if (now < next) continue;
        // Ticks missed while collecting are dropped, as Go's ticker does.
        next = std::max(next + interval, now);
        // As runc: a failed collection is logged and the stream goes on.
        try {
            emit(stats_event_json(id, cg->stats()));
        } catch (const Error& e) {
            log_.log(LogLevel::Error, e.what());
        }
    }
}

}  // namespace dkr
