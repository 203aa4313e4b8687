#include "spec/validate.hpp"

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>

#include "spec/json.hpp"
#include "spec/linux_names.hpp"
#include "spec/sysctl.hpp"

namespace dkr::spec {

namespace {

using Names = std::span<const std::string_view>;

// Enumerations of runtime-spec 1.1+ fields, which the embedded schema predates.
constexpr std::string_view io_priority_classes[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"};
constexpr std::string_view scheduler_policies[] = {"SCHED_OTHER", "SCHED_FIFO",  "SCHED_RR",      "SCHED_BATCH",
                                                   "SCHED_ISO",   "SCHED_IDLE",  "SCHED_DEADLINE"};
constexpr std::string_view scheduler_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};
constexpr std::string_view time_offset_clocks[] = {"monotonic", "boottime"};

bool contains(Names names, std::string_view name) {
    return std::ranges::find(names, name) != names.end();
}

class Checker {
public:
    explicit Checker(const std::string& file) : file_(file) {}

    void config(const Config& c);
    void process(const Process& p, const Location& at) const;

private:
    [[noreturn]] void fail(const Location& at, std::string_view what) const { spec::fail(file_, at, what); }

    void absolute(const std::string& path, const Location& at) const {
        if (!path.starts_with('/')) fail(at, "must be an absolute path, found " + quoted(path));
    }
    // For short enumerations: the message lists the names.
    void one_of(const std::string& value, Names names, std::string_view noun, const Location& at) const {
        if (!contains(names, value)) fail(at, unknown_value(noun, quoted(value), names));
    }
    // Empty keys pass the schema but name nothing (the spec forbids them in annotations).
    void non_empty_keys(const std::map<std::string, std::string>& map, const Location& at) const {
        if (map.contains("")) fail(at, "must not have an empty key");
    }

    void capabilities(const Capabilities& caps, const Location& at) const;
    void rlimits(const std::vector<Rlimit>& rlimits, const Location& at) const;
    void hooks(const Hooks& hooks, const Location& at) const;
    void linux_section(const Linux& l, const Location& at) const;
    void namespaces(const std::vector<Namespace>& namespaces, const Location& at) const;
    void id_mappings(const Linux& l, const Location& at) const;
    void sysctl(const Linux& l, const Location& at) const;

    const std::string& file_;
};

void Checker::config(const Config& c) {
    const Location root;
    // Optional in the schema: the spec requires root on Linux, and process
    // before the container can start.
    if (!c.process) fail(root, "missing required property \"process\"");
    if (!c.root) fail(root, "missing required property \"root\"");

    const Location process_at(root, "process");
    process(*c.process, process_at);

    const Location root_at(root, "root");
    const Location root_path(root_at, "path");
    if (c.root->path.empty()) fail(root_path, "must not be empty");

    const Location mounts(root, "mounts");
    for (std::size_t i = 0; i < c.mounts.size(); ++i) {
        const Location mount(mounts, i);
        const Location destination(mount, "destination");
        absolute(c.mounts[i].destination, destination);
    }

    const Location hooks_at(root, "hooks");
    if (c.hooks) hooks(*c.hooks, hooks_at);

    const Location annotations(root, "annotations");
    non_empty_keys(c.annotations, annotations);

    const Location linux_at(root, "linux");
    if (c.linux) linux_section(*c.linux, linux_at);
}

void Checker::process(const Process& p, const Location& at) const {
    const Location args(at, "args");
    if (p.args.empty()) fail(args, "must be a non-empty array of strings");

    const Location cwd(at, "cwd");
    absolute(p.cwd, cwd);

    const Location caps(at, "capabilities");
    if (p.capabilities) capabilities(*p.capabilities, caps);

    const Location rlimits_at(at, "rlimits");
    rlimits(p.rlimits, rlimits_at);

    const Location io_priority(at, "ioPriority");
    const Location io_class(io_priority, "class");
    const Location io_level(io_priority, "priority");
    if (p.io_priority) {
        one_of(p.io_priority->io_class, io_priority_classes, "I/O priority class", io_class);
        if (p.io_priority->priority < 0 || p.io_priority->priority > 7)
            fail(io_level, "must be between 0 and 7, found " + std::to_string(p.io_priority->priority));
    }

    if (!p.scheduler) return;
    const Location scheduler(at, "scheduler");
    const Location policy(scheduler, "policy");
    one_of(p.scheduler->policy, scheduler_policies, "scheduler policy", policy);
    const Location flags(scheduler, "flags");
    for (std::size_t i = 0; i < p.scheduler->flags.size(); ++i) {
        const Location flag(flags, i);
        one_of(p.scheduler->flags[i], scheduler_flags, "scheduler flag", flag);
    }
    const Location nice(scheduler, "nice");
    if (int n = p.scheduler->nice.value_or(0); n < -20 || n > 19)
        fail(nice, "must be between -20 and 19, found " + std::to_string(n));
    // sched_setattr: the real-time policies take 1..99, the others only 0.
    const Location priority(scheduler, "priority");
    bool realtime = p.scheduler->policy == "SCHED_FIFO" || p.scheduler->policy == "SCHED_RR";
    int prio = p.scheduler->priority.value_or(0);
    if (realtime && (prio < 1 || prio > 99))
        fail(priority, "must be between 1 and 99 for " + p.scheduler->policy + ", found " + std::to_string(prio));
    if (!realtime && prio != 0)
        fail(priority, "must be 0 for " + p.scheduler->policy + ", found " + std::to_string(prio));
}

void Checker::capabilities(const Capabilities& caps, const Location& at) const {
    const std::pair<std::string_view, const std::vector<std::string>*> sets[] = {
        {"bounding", &caps.bounding},       {"effective", &caps.effective}, {"inheritable", &caps.inheritable},
        {"permitted", &caps.permitted},     {"ambient", &caps.ambient},
    };
    for (const auto& [name, set] : sets) {
        const Location set_at(at, name);
        for (std::size_t i = 0; i < set->size(); ++i) {
            const Location cap(set_at, i);
            if (!contains(kCapabilityNames, (*set)[i])) fail(cap, "unknown capability " + quoted((*set)[i]));
        }
    }
}

void Checker::rlimits(const std::vector<Rlimit>& rlimits, const Location& at) const {
    for (std::size_t i = 0; i < rlimits.size(); ++i) {
        const Rlimit& r = rlimits[i];
        const Location rlimit(at, i);
        const Location type(rlimit, "type");
        if (std::ranges::none_of(kRlimits, [&r](const RlimitName& n) { return n.name == r.type; }))
            fail(type, "unknown rlimit type " + quoted(r.type));
        if (std::ranges::any_of(std::span(rlimits).first(i), [&r](const Rlimit& earlier) { return earlier.type == r.type; }))
            fail(type, "duplicate rlimit type " + quoted(r.type));
        const Location soft(rlimit, "soft");
        if (r.soft > r.hard)
            fail(soft, "soft limit " + std::to_string(r.soft) + " is greater than hard limit " + std::to_string(r.hard));
    }
}

void Checker::hooks(const Hooks& hooks, const Location& at) const {
    const std::pair<std::string_view, const std::vector<Hook>*> lists[] = {
        {"prestart", &hooks.prestart},
        {"createRuntime", &hooks.create_runtime},
        {"createContainer", &hooks.create_container},
        {"startContainer", &hooks.start_container},
        {"poststart", &hooks.poststart},
        {"poststop", &hooks.poststop},
    };
    for (const auto& [name, list] : lists) {
        const Location list_at(at, name);
        for (std::size_t i = 0; i < list->size(); ++i) {
            const Location hook(list_at, i);
            const Location path(hook, "path");
            absolute((*list)[i].path, path);
        }
    }
}

void Checker::linux_section(const Linux& l, const Location& at) const {
    const Location namespaces_at(at, "namespaces");
    namespaces(l.namespaces, namespaces_at);
    id_mappings(l, at);

    const Location time_offsets(at, "timeOffsets");
    if (!l.time_offsets.empty() && !l.find_namespace("time"))
        fail(time_offsets, "requires a \"time\" namespace in /linux/namespaces");
    for (const auto& [clock, offset] : l.time_offsets) {
        const Location clock_at(time_offsets, clock);
        one_of(clock, time_offset_clocks, "clock", clock_at);
    }

    const Location sysctl_at(at, "sysctl");
    non_empty_keys(l.sysctl, sysctl_at);
    sysctl(l, sysctl_at);

    // SCMP_ACT_NOTIFY needs an agent to hand the notify fd to.
    const Location seccomp(at, "seccomp");
    const Location listener(seccomp, "listenerPath");
    if (l.seccomp) {
        bool notify = l.seccomp->default_action == "SCMP_ACT_NOTIFY" ||
                      std::ranges::any_of(l.seccomp->syscalls, [](const SeccompSyscall& s) { return s.action == "SCMP_ACT_NOTIFY"; });
        if (notify && l.seccomp->listener_path.empty()) fail(listener, "is required with SCMP_ACT_NOTIFY");
        if (!l.seccomp->listener_path.empty()) absolute(l.seccomp->listener_path, listener);
    }

    const Location personality(at, "personality");
    const Location personality_flags(personality, "flags");
    if (l.personality && !l.personality->flags.empty())
        fail(personality_flags, "the runtime-spec defines no personality flags, found " + quoted(l.personality->flags[0]));

    const Location devices(at, "devices");
    for (std::size_t i = 0; i < l.devices.size(); ++i) {
        const Location device(devices, i);
        const Location path(device, "path");
        absolute(l.devices[i].path, path);
    }

    const Location resources(at, "resources");
    const Location unified(resources, "unified");
    if (l.resources) non_empty_keys(l.resources->unified, unified);
}

// The schema checks each type's name; a namespace can still be listed twice.
void Checker::namespaces(const std::vector<Namespace>& namespaces, const Location& at) const {
    for (std::size_t i = 0; i < namespaces.size(); ++i) {
        const Namespace& ns = namespaces[i];
        const Location entry(at, i);
        const Location type(entry, "type");
        if (std::ranges::any_of(std::span(namespaces).first(i), [&ns](const Namespace& earlier) { return earlier.type == ns.type; }))
            fail(type, "duplicate namespace type " + quoted(ns.type));
        const Location path(entry, "path");
        if (!ns.path.empty()) absolute(ns.path, path);
    }
}

// Mappings belong to a user namespace; a new one (no path to join) needs them.
void Checker::id_mappings(const Linux& l, const Location& at) const {
    const Namespace* user = l.find_namespace("user");
    const std::pair<std::string_view, const std::vector<IdMapping>*> mappings[] = {
        {"uidMappings", &l.uid_mappings},
        {"gidMappings", &l.gid_mappings},
    };
    for (const auto& [name, list] : mappings) {
        const Location list_at(at, name);
        if (!user && !list->empty()) fail(list_at, "requires a \"user\" namespace in /linux/namespaces");
        if (user && user->path.empty() && list->empty())
            fail(list_at, "must be a non-empty array for a new user namespace");
    }
}

// A sysctl may only be set in a namespace of the container's own: anything
// else would change the host (runc's rules).
void Checker::sysctl(const Linux& l, const Location& at) const {
    for (const auto& [key, value] : l.sysctl) {
        const Location key_at(at, key);
        const std::string ns(sysctl_namespace(key));
        if (key == "kernel.hostname") fail(key_at, "conflicts with the OCI \"hostname\" field: set that instead");
        if (ns.empty()) fail(key_at, "is not in a separate kernel namespace: setting it would change the host's");
        if (!l.find_namespace(ns))
            fail(key_at, "needs a \"" + ns + "\" namespace in /linux/namespaces: the host's would change");
    }
}

}  // namespace

void validate_config(const Config& config, const std::string& file) {
    Checker(file).config(config);
}

void validate_process(const Process& process, const std::string& file) {
    const Location root;
    Checker(file).process(process, root);
}

}  // namespace dkr::spec
