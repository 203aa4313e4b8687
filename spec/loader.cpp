#include "spec/loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <concepts>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "spec/json.hpp"
#include "spec/schema.hpp"
#include "spec/validate.hpp"

namespace dkr::spec {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

// A value of the document with where it is, for error messages. Reading
// checks every type itself: the schema covers most fields, but not those of
// runtime-spec 1.1+ (ioPriority, scheduler, timeOffsets, ...).
struct Node {
    const Value& value;
    const Location& at;
    const std::string& file;
};

[[noreturn]] void wrong_type(const Node& n, std::string_view expected) {
    fail(n.file, n.at, std::string("expected type ").append(expected).append(", found ").append(type_name(n.value)));
}

void require_object(const Node& n) {
    if (!n.value.IsObject()) wrong_type(n, "object");
}

// The overloads of read() fill a model value from a node, one per type.

void read(const Node& n, std::string& out) {
    if (!n.value.IsString()) wrong_type(n, "string");
    out.assign(n.value.GetString(), n.value.GetStringLength());
}

void read(const Node& n, bool& out) {
    if (!n.value.IsBool()) wrong_type(n, "boolean");
    out = n.value.GetBool();
}

template <std::integral T>
void read(const Node& n, T& out) {
    const Value& v = n.value;
    if (!v.IsInt64() && !v.IsUint64()) wrong_type(n, "integer");
    if (v.IsInt64() && v.GetInt64() < 0) {
        if (!std::in_range<T>(v.GetInt64()))
            fail(n.file, n.at, "expected a value >= " + std::to_string(std::numeric_limits<T>::min()) + ", found " + to_json(v));
        out = static_cast<T>(v.GetInt64());
    } else {
        if (!std::in_range<T>(v.GetUint64()))
            fail(n.file, n.at, "expected a value <= " + std::to_string(std::numeric_limits<T>::max()) + ", found " + to_json(v));
        out = static_cast<T>(v.GetUint64());
    }
}

template <typename T>
void read(const Node& n, std::optional<T>& out) {
    read(n, out.emplace());
}

template <typename T>
void read(const Node& n, std::vector<T>& out) {
    if (!n.value.IsArray()) wrong_type(n, "array");
    out.resize(n.value.Size());
    for (SizeType i = 0; i < n.value.Size(); ++i) {
        const Location at(n.at, i);
        read(Node{n.value[i], at, n.file}, out[i]);
    }
}

template <typename T>
void read(const Node& n, std::map<std::string, T>& out) {
    require_object(n);
    for (const auto& member : n.value.GetObject()) {
        const std::string_view key(member.name.GetString(), member.name.GetStringLength());
        const Location at(n.at, key);
        read(Node{member.value, at, n.file}, out[std::string(key)]);
    }
}

const Value* member(const Node& obj, std::string_view name) {
    const auto it = obj.value.FindMember(key(name));
    return it == obj.value.MemberEnd() ? nullptr : &it->value;
}

template <typename T>
void read_member(const Node& obj, std::string_view name, const Value& value, T& out) {
    const Location at(obj.at, name);
    read(Node{value, at, obj.file}, out);
}

// Reads member `name` of `obj` into `out`; an absent member leaves `out` as it is.
template <typename T>
void field(const Node& obj, std::string_view name, T& out) {
    if (const Value* v = member(obj, name)) read_member(obj, name, *v, out);
}

// For members that the spec requires and the embedded schema does not know.
template <typename T>
void required_field(const Node& obj, std::string_view name, T& out) {
    const Value* v = member(obj, name);
    if (!v) fail(obj.file, obj.at, "missing required property " + quoted(name));
    read_member(obj, name, *v, out);
}

void read(const Node& n, ConsoleSize& out) {
    require_object(n);
    field(n, "height", out.height);
    field(n, "width", out.width);
}

void read(const Node& n, User& out) {
    require_object(n);
    field(n, "uid", out.uid);
    field(n, "gid", out.gid);
    field(n, "umask", out.umask);
    field(n, "additionalGids", out.additional_gids);
    field(n, "username", out.username);
}

void read(const Node& n, Capabilities& out) {
    require_object(n);
    field(n, "bounding", out.bounding);
    field(n, "effective", out.effective);
    field(n, "inheritable", out.inheritable);
    field(n, "permitted", out.permitted);
    field(n, "ambient", out.ambient);
}

void read(const Node& n, Rlimit& out) {
    require_object(n);
    field(n, "type", out.type);
    field(n, "soft", out.soft);
    field(n, "hard", out.hard);
}

void read(const Node& n, IoPriority& out) {
    require_object(n);
    required_field(n, "class", out.io_class);
    required_field(n, "priority", out.priority);
}

void read(const Node& n, Scheduler& out) {
    require_object(n);
    required_field(n, "policy", out.policy);
    field(n, "nice", out.nice);
    field(n, "priority", out.priority);
    field(n, "flags", out.flags);
    field(n, "runtime", out.runtime);
    field(n, "deadline", out.deadline);
    field(n, "period", out.period);
}

void read(const Node& n, Process& out) {
    require_object(n);
    field(n, "terminal", out.terminal);
    field(n, "consoleSize", out.console_size);
    field(n, "user", out.user);
    field(n, "args", out.args);
    field(n, "commandLine", out.command_line);
    field(n, "env", out.env);
    field(n, "cwd", out.cwd);
    field(n, "capabilities", out.capabilities);
    field(n, "rlimits", out.rlimits);
    field(n, "noNewPrivileges", out.no_new_privileges);
    field(n, "apparmorProfile", out.apparmor_profile);
    field(n, "oomScoreAdj", out.oom_score_adj);
    field(n, "selinuxLabel", out.selinux_label);
    field(n, "ioPriority", out.io_priority);
    field(n, "scheduler", out.scheduler);
}

void read(const Node& n, Root& out) {
    require_object(n);
    field(n, "path", out.path);
    field(n, "readonly", out.readonly);
}

void read(const Node& n, IdMapping& out) {
    require_object(n);
    field(n, "containerID", out.container_id);
    field(n, "hostID", out.host_id);
    field(n, "size", out.size);
}

void read(const Node& n, Mount& out) {
    require_object(n);
    field(n, "destination", out.destination);
    field(n, "type", out.type);
    field(n, "source", out.source);
    field(n, "options", out.options);
    field(n, "uidMappings", out.uid_mappings);
    field(n, "gidMappings", out.gid_mappings);
}

void read(const Node& n, Hook& out) {
    require_object(n);
    field(n, "path", out.path);
    field(n, "args", out.args);
    field(n, "env", out.env);
    field(n, "timeout", out.timeout);
}

void read(const Node& n, Hooks& out) {
    require_object(n);
    field(n, "prestart", out.prestart);
    field(n, "createRuntime", out.create_runtime);
    field(n, "createContainer", out.create_container);
    field(n, "startContainer", out.start_container);
    field(n, "poststart", out.poststart);
    field(n, "poststop", out.poststop);
}

void read(const Node& n, Namespace& out) {
    require_object(n);
    field(n, "type", out.type);
    field(n, "path", out.path);
}

void read(const Node& n, TimeOffset& out) {
    require_object(n);
    field(n, "secs", out.secs);
    field(n, "nanosecs", out.nanosecs);
}

void read(const Node& n, Device& out) {
    require_object(n);
    field(n, "type", out.type);
    field(n, "path", out.path);
    field(n, "major", out.major);
    field(n, "minor", out.minor);
    field(n, "fileMode", out.file_mode);
    field(n, "uid", out.uid);
    field(n, "gid", out.gid);
}

void read(const Node& n, DeviceCgroupRule& out) {
    require_object(n);
    field(n, "allow", out.allow);
    field(n, "type", out.type);
    field(n, "major", out.major);
    field(n, "minor", out.minor);
    field(n, "access", out.access);
}

void read(const Node& n, MemoryResources& out) {
    require_object(n);
    field(n, "limit", out.limit);
    field(n, "reservation", out.reservation);
    field(n, "swap", out.swap);
    field(n, "kernel", out.kernel);
    field(n, "kernelTCP", out.kernel_tcp);
    field(n, "swappiness", out.swappiness);
    field(n, "disableOOMKiller", out.disable_oom_killer);
    field(n, "useHierarchy", out.use_hierarchy);
    field(n, "checkBeforeUpdate", out.check_before_update);
}

void read(const Node& n, CpuResources& out) {
    require_object(n);
    field(n, "shares", out.shares);
    field(n, "quota", out.quota);
    field(n, "burst", out.burst);
    field(n, "period", out.period);
    field(n, "realtimeRuntime", out.realtime_runtime);
    field(n, "realtimePeriod", out.realtime_period);
    field(n, "cpus", out.cpus);
    field(n, "mems", out.mems);
    field(n, "idle", out.idle);
}

void read(const Node& n, PidsResources& out) {
    require_object(n);
    field(n, "limit", out.limit);
}

void read(const Node& n, WeightDevice& out) {
    require_object(n);
    field(n, "major", out.major);
    field(n, "minor", out.minor);
    field(n, "weight", out.weight);
    field(n, "leafWeight", out.leaf_weight);
}

void read(const Node& n, ThrottleDevice& out) {
    require_object(n);
    field(n, "major", out.major);
    field(n, "minor", out.minor);
    field(n, "rate", out.rate);
}

void read(const Node& n, BlockIoResources& out) {
    require_object(n);
    field(n, "weight", out.weight);
    field(n, "leafWeight", out.leaf_weight);
    field(n, "weightDevice", out.weight_device);
    field(n, "throttleReadBpsDevice", out.throttle_read_bps_device);
    field(n, "throttleWriteBpsDevice", out.throttle_write_bps_device);
    field(n, "throttleReadIOPSDevice", out.throttle_read_iops_device);
    field(n, "throttleWriteIOPSDevice", out.throttle_write_iops_device);
}

void read(const Node& n, HugepageLimit& out) {
    require_object(n);
    field(n, "pageSize", out.page_size);
    field(n, "limit", out.limit);
}

void read(const Node& n, NetworkPriority& out) {
    require_object(n);
    field(n, "name", out.name);
    field(n, "priority", out.priority);
}

void read(const Node& n, NetworkResources& out) {
    require_object(n);
    field(n, "classID", out.class_id);
    field(n, "priorities", out.priorities);
}

void read(const Node& n, RdmaLimit& out) {
    require_object(n);
    field(n, "hcaHandles", out.hca_handles);
    field(n, "hcaObjects", out.hca_objects);
}

void read(const Node& n, Resources& out) {
    require_object(n);
    field(n, "devices", out.devices);
    field(n, "memory", out.memory);
    field(n, "cpu", out.cpu);
    field(n, "pids", out.pids);
    field(n, "blockIO", out.block_io);
    field(n, "hugepageLimits", out.hugepage_limits);
    field(n, "network", out.network);
    field(n, "rdma", out.rdma);
    field(n, "unified", out.unified);
}

void read(const Node& n, SeccompArg& out) {
    require_object(n);
    field(n, "index", out.index);
    field(n, "value", out.value);
    field(n, "valueTwo", out.value_two);
    field(n, "op", out.op);
}

void read(const Node& n, SeccompSyscall& out) {
    require_object(n);
    field(n, "names", out.names);
    field(n, "action", out.action);
    field(n, "errnoRet", out.errno_ret);
    field(n, "args", out.args);
}

void read(const Node& n, Seccomp& out) {
    require_object(n);
    field(n, "defaultAction", out.default_action);
    field(n, "defaultErrnoRet", out.default_errno_ret);
    field(n, "architectures", out.architectures);
    field(n, "flags", out.flags);
    field(n, "listenerPath", out.listener_path);
    field(n, "listenerMetadata", out.listener_metadata);
    field(n, "syscalls", out.syscalls);
}

void read(const Node& n, IntelRdt& out) {
    require_object(n);
    field(n, "closID", out.clos_id);
    field(n, "l3CacheSchema", out.l3_cache_schema);
    field(n, "memBwSchema", out.mem_bw_schema);
    field(n, "enableCMT", out.enable_cmt);
    field(n, "enableMBM", out.enable_mbm);
}

void read(const Node& n, Personality& out) {
    require_object(n);
    field(n, "domain", out.domain);
    field(n, "flags", out.flags);
}

void read(const Node& n, Linux& out) {
    require_object(n);
    field(n, "uidMappings", out.uid_mappings);
    field(n, "gidMappings", out.gid_mappings);
    field(n, "timeOffsets", out.time_offsets);
    field(n, "sysctl", out.sysctl);
    field(n, "resources", out.resources);
    field(n, "cgroupsPath", out.cgroups_path);
    field(n, "namespaces", out.namespaces);
    field(n, "devices", out.devices);
    field(n, "seccomp", out.seccomp);
    field(n, "rootfsPropagation", out.rootfs_propagation);
    field(n, "maskedPaths", out.masked_paths);
    field(n, "readonlyPaths", out.readonly_paths);
    field(n, "mountLabel", out.mount_label);
    field(n, "intelRdt", out.intel_rdt);
    field(n, "personality", out.personality);
}

void read(const Node& n, Config& out) {
    require_object(n);
    field(n, "ociVersion", out.oci_version);
    field(n, "process", out.process);
    field(n, "root", out.root);
    field(n, "hostname", out.hostname);
    field(n, "domainname", out.domainname);
    field(n, "mounts", out.mounts);
    field(n, "hooks", out.hooks);
    field(n, "annotations", out.annotations);
    field(n, "linux", out.linux);
}

// "<file>: invalid JSON at line L, column C: <what>", counting from 1.
Error syntax_error(std::string_view json, const rapidjson::ParseResult& result, const std::string& file) {
    const std::string_view before = json.substr(0, result.Offset());
    const std::size_t newline = before.rfind('\n');
    const auto line = 1 + std::ranges::count(before, '\n');
    const std::size_t column = newline == std::string_view::npos ? before.size() + 1 : before.size() - newline;
    return Error(file + ": invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                 rapidjson::GetParseError_En(result.Code()));
}

// JSON lets an object hold a key twice: runc (Go) reads the last value,
// RapidJSON's look-ups find the first. Rather than run something other than
// what the caller meant, a duplicate is an error (this also keeps the schema
// check's error pointers unambiguous).
void reject_duplicate_keys(const Value& v, const Location& at, const std::string& file) {
    if (v.IsArray()) {
        for (SizeType i = 0; i < v.Size(); ++i) {
            const Location item(at, i);
            reject_duplicate_keys(v[i], item, file);
        }
        return;
    }
    if (!v.IsObject()) return;
    std::vector<std::string_view> names;
    for (const auto& m : v.GetObject()) {
        names.emplace_back(m.name.GetString(), m.name.GetStringLength());
        const Location member(at, names.back());
        reject_duplicate_keys(m.value, member, file);
    }
    std::ranges::sort(names);
    if (auto dup = std::ranges::adjacent_find(names); dup != names.end()) {
        const Location member(at, *dup);
        fail(file, member, "duplicate key " + quoted(*dup));
    }
}

// runc (Go) reads a member that is null as if it were absent (`"args": null`,
// `"hooks": null`, ...), and engines write such configs: do the same.
void drop_null_members(Value& v) {
    if (v.IsArray()) {
        for (auto& item : v.GetArray()) drop_null_members(item);
        return;
    }
    if (!v.IsObject()) return;
    for (auto m = v.MemberBegin(); m != v.MemberEnd();) {
        if (m->value.IsNull()) {
            m = v.EraseMember(m);
        } else {
            drop_null_members(m->value);
            ++m;
        }
    }
}

// Parses `json` into `doc`, or throws syntax_error; a key twice in an object
// is an error, a member that is null is dropped.
void parse_document(rapidjson::Document& doc, std::string_view json, const std::string& path) {
    // The default flags reject anything but whitespace after the document.
    if (const rapidjson::ParseResult result = doc.Parse(json.data(), json.size()); result.IsError())
        throw syntax_error(json, result, path);
    const Location root;
    reject_duplicate_keys(doc, root, path);
    drop_null_members(doc);
}

std::string read_text(const std::string& path) {
    try {
        return sys::read_file(path);
    } catch (const Error& e) {
        // The path once, then why: the same shape as every other config error.
        throw Error(path + ": " + std::strerror(e.code()), e.code());
    }
}

// The document as one model value; types are checked by read().
template <typename T>
T parse_part(std::string_view json, const std::string& path) {
    rapidjson::Document doc;
    parse_document(doc, json, path);
    T out;
    const Location root;
    read(Node{doc, root, path}, out);
    return out;
}

}  // namespace

Config parse_config(std::string_view json, const std::string& path) {
    rapidjson::Document doc;
    parse_document(doc, json, path);
    validate_schema(doc, path);

    Config config;
    const Location root;
    read(Node{doc, root, path}, config);
    validate_config(config, path);
    return config;
}

Resources parse_resources(std::string_view json, const std::string& path) {
    return parse_part<Resources>(json, path);
}

Config load_config(const std::string& path) {
    return parse_config(read_text(path), path);
}

Process parse_process(std::string_view json, const std::string& path) {
    Process process = parse_part<Process>(json, path);
    validate_process(process, path);
    return process;
}

Process load_process(const std::string& path) {
    return parse_process(read_text(path), path);
}

Hooks parse_hooks(std::string_view json, const std::string& path) {
    return parse_part<Hooks>(json, path);
}

}  // namespace dkr::spec
