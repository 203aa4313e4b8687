// Invalid configs: each error names the file and the JSON pointer, then says
// what was expected or found.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

#include "runtime/error.hpp"
#include "spec/loader.hpp"

namespace dkr::spec {
namespace {

constexpr const char* file = "/b/config.json";

constexpr const char* minimal = R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["sh"], "cwd": "/"},
    "root": {"path": "rootfs"}
})";

// The message parse_config throws for `json` (empty if it throws nothing).
std::string error_of(std::string_view json) {
    try {
        parse_config(json, file);
    } catch (const Error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no error for " << json;
    return {};
}

std::string serialize(const rapidjson::Document& doc) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    doc.Accept(writer);
    return buf.GetString();
}

// The minimal config with the value at `pointer` set to the JSON `value`.
std::string with(const char* pointer, std::string_view value) {
    rapidjson::Document doc, v(&doc.GetAllocator());
    doc.Parse(minimal);
    v.Parse(value.data(), value.size());
    EXPECT_FALSE(v.HasParseError()) << value;
    rapidjson::Pointer(pointer).Set(doc, v);
    return serialize(doc);
}

// The minimal config without the value at `pointer`.
std::string without(const char* pointer) {
    rapidjson::Document doc;
    doc.Parse(minimal);
    EXPECT_TRUE(rapidjson::Pointer(pointer).Erase(doc)) << pointer;
    return serialize(doc);
}

// Asserts the error names `pointer` and contains `what`.
void expect_error(std::string_view json, std::string_view pointer, std::string_view what) {
    const std::string msg = error_of(json);
    const std::string prefix = std::string(file) + ": " + std::string(pointer) + ": ";
    EXPECT_TRUE(msg.starts_with(prefix)) << msg << "\ndoes not start with " << prefix;
    EXPECT_NE(msg.find(what), std::string::npos) << msg << "\ndoes not contain " << what;
}

TEST(SpecErrors, MinimalBaseIsValid) {
    EXPECT_NO_THROW(parse_config(minimal, file));
}

// Syntax

TEST(SpecErrors, MalformedJsonGivesLineAndColumn) {
    EXPECT_EQ(error_of("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": }"),
              "/b/config.json: invalid JSON at line 3, column 14: Invalid value.");
}

TEST(SpecErrors, TrailingGarbageIsRejected) {
    const std::string json = std::string(minimal) + " {}";
    EXPECT_EQ(error_of(json), "/b/config.json: invalid JSON at line 5, column 3: "
                              "The document root must not be followed by other values.");
}

TEST(SpecErrors, EmptyInput) {
    EXPECT_EQ(error_of(""), "/b/config.json: invalid JSON at line 1, column 1: The document is empty.");
}

// Schema

// Found by tests/fuzz/config_fuzzer: {"annotations":{},"annotations":{"":{}}}
// made dkr crash (a schema error pointer that led nowhere: RapidJSON finds the
// first of two equal keys). runc would take the last value; dkr refuses.
TEST(SpecErrors, DuplicateKeysAreRejected) {
    EXPECT_EQ(error_of(R"({"annotations":{},"annotations":{"":{}}})"),
              "/b/config.json: /annotations: duplicate key \"annotations\"");
    EXPECT_EQ(error_of(R"({"process": {"env": [], "args": ["sh"], "args": ["true"]}})"),
              "/b/config.json: /process/args: duplicate key \"args\"");
    EXPECT_EQ(error_of(R"({"mounts": [{}, {"type": "bind", "type": "tmpfs"}]})"),
              "/b/config.json: /mounts/1/type: duplicate key \"type\"");
}

TEST(SpecErrors, RootMustBeAnObject) {
    EXPECT_EQ(error_of("[]"), "/b/config.json: /: expected type object, found array");
    // Found by config_fuzzer: a scalar document once reached undefined behaviour in the schema pruning.
    EXPECT_EQ(error_of("2"), "/b/config.json: /: expected type object, found integer");
    EXPECT_EQ(error_of(std::string("2\n\0\x1b\0{\0", 7)), "/b/config.json: /: expected type object, found integer");
}

TEST(SpecErrors, WrongTypeNamesExpectedAndFound) {
    EXPECT_EQ(error_of(with("/hostname", "5")), "/b/config.json: /hostname: expected type string, found integer");
    expect_error(with("/process/terminal", R"("yes")"), "/process/terminal", "expected type boolean, found string");
    expect_error(with("/process/args", R"(["sh", 1])"), "/process/args/1", "expected type string, found integer");
    expect_error(with("/process/user", R"({"uid": 1.5})"), "/process/user/uid", "expected type integer, found number");
    expect_error(with("/mounts", R"({"destination": "/x"})"), "/mounts", "expected type array, found object");
}

TEST(SpecErrors, MissingRequiredPropertyPointsAtItsObject) {
    EXPECT_EQ(error_of(without("/process/cwd")), "/b/config.json: /process: missing required property \"cwd\"");
    EXPECT_EQ(error_of(without("/ociVersion")), "/b/config.json: /: missing required property \"ociVersion\"");
    expect_error(with("/mounts", R"([{"type": "tmpfs"}])"), "/mounts/0", "missing required property \"destination\"");
    expect_error(with("/root", "{}"), "/root", "missing required property \"path\"");
}

TEST(SpecErrors, ValuesOutOfRange) {
    expect_error(with("/process/user", R"({"uid": -1})"), "/process/user/uid", "expected a value >= 0, found -1");
    expect_error(with("/process/user", R"({"uid": 4294967296})"), "/process/user/uid",
                 "expected a value <= 4294967295, found 4294967296");
    expect_error(with("/linux", R"({"devices": [{"type": "c", "path": "/dev/x", "fileMode": 644}]})"),
                 "/linux/devices/0/fileMode", "expected a value <= 512, found 644");
    // The schema allows any uint64 here; the model holds an unsigned int.
    expect_error(with("/process/consoleSize", R"({"height": 5000000000, "width": 80})"), "/process/consoleSize/height",
                 "expected a value <= 4294967295, found 5000000000");
}

TEST(SpecErrors, PatternMismatch) {
    expect_error(with("/process/rlimits", R"([{"type": "nofile", "soft": 1, "hard": 1}])"), "/process/rlimits/0/type",
                 "expected a string matching ^RLIMIT_[A-Z]+$, found \"nofile\"");
    expect_error(with("/linux", R"({"devices": [{"type": "x", "path": "/dev/x"}]})"), "/linux/devices/0/type",
                 "expected a string matching ^[cbup]$, found \"x\"");
}

// Definitions that are only $refs to another file's (Major, weight) are checked too.
TEST(SpecErrors, AliasedDefinitionsAreChecked) {
    expect_error(with("/linux", R"({"devices": [{"type": "c", "path": "/dev/x", "major": "one"}]})"),
                 "/linux/devices/0/major", "expected type integer, found string");
    expect_error(with("/linux", R"({"resources": {"blockIO": {"weight": "heavy"}}})"), "/linux/resources/blockIO/weight",
                 "expected type integer, found string");
}

// allOf and anyOf failures are explained by the branch that failed.
TEST(SpecErrors, CombinedSchemasGiveTheInnerReason) {
    expect_error(with("/linux", R"({"resources": {"blockIO": {"weightDevice": [{"minor": 0, "weight": 10}]}}})"),
                 "/linux/resources/blockIO/weightDevice/0", "missing required property \"major\"");
    expect_error(with("/linux", R"({"resources": {"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": -1}]}}})"),
                 "/linux/resources/blockIO/throttleReadBpsDevice/0/rate", "expected a value >= 0, found -1");
    expect_error(with("/linux", R"({"namespaces": [{"path": "/proc/1/ns/pid"}]})"), "/linux/namespaces/0",
                 "missing required property \"type\"");
}

TEST(SpecErrors, UnknownNamespaceType) {
    EXPECT_EQ(error_of(with("/linux", R"({"namespaces": [{"type": "pid"}, {"type": "foo"}]})")),
              "/b/config.json: /linux/namespaces/1/type: unknown namespace type \"foo\" "
              "(expected one of pid, network, mount, ipc, uts, user, cgroup, time)");
}

TEST(SpecErrors, UnknownSeccompNames) {
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_DENY"}})"), "/linux/seccomp/defaultAction",
                 "unknown seccomp action \"SCMP_ACT_DENY\" (expected one of SCMP_ACT_KILL, ");
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                                    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}})"),
                 "/linux/seccomp/syscalls/0/action", "unknown seccomp action \"SCMP_ACT_NOPE\"");
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
                                    "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_IS"}]}]}})"),
                 "/linux/seccomp/syscalls/0/args/0/op", "unknown seccomp operator \"SCMP_CMP_IS\"");
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}})"),
                 "/linux/seccomp/architectures/0", "unknown seccomp architecture \"SCMP_ARCH_Z80\"");
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_LOG"}]}})"),
                 "/linux/seccomp/syscalls/0/names", "expected at least 1 item, found 0");
}

TEST(SpecErrors, NonStringMapValue) {
    expect_error(with("/annotations", R"({"a": "b", "c": 1})"), "/annotations/c", "expected type string, found integer");
}

TEST(SpecErrors, OtherPlatformSectionsAreValidated) {
    expect_error(with("/windows", R"({"layerFolders": []})"), "/windows/layerFolders", "expected at least 1 item, found 0");
}

// Semantic rules

TEST(SpecErrors, ProcessAndRootAreRequired) {
    EXPECT_EQ(error_of(without("/process")), "/b/config.json: /: missing required property \"process\"");
    EXPECT_EQ(error_of(without("/root")), "/b/config.json: /: missing required property \"root\"");
    EXPECT_EQ(error_of(with("/root/path", R"("")")), "/b/config.json: /root/path: must not be empty");
}

TEST(SpecErrors, ArgsMustBeNonEmpty) {
    EXPECT_EQ(error_of(with("/process/args", "[]")), "/b/config.json: /process/args: must be a non-empty array of strings");
    EXPECT_EQ(error_of(without("/process/args")), "/b/config.json: /process/args: must be a non-empty array of strings");
}

TEST(SpecErrors, RelativePaths) {
    EXPECT_EQ(error_of(with("/process/cwd", R"("work")")),
              "/b/config.json: /process/cwd: must be an absolute path, found \"work\"");
    expect_error(with("/mounts", R"([{"destination": "/proc", "type": "proc"}, {"destination": "tmp", "type": "tmpfs"}])"),
                 "/mounts/1/destination", "must be an absolute path, found \"tmp\"");
    expect_error(with("/linux", R"({"namespaces": [{"type": "network", "path": "run/netns/x"}]})"),
                 "/linux/namespaces/0/path", "must be an absolute path");
    expect_error(with("/linux", R"({"devices": [{"type": "c", "path": "dev/fuse", "major": 10, "minor": 229}]})"),
                 "/linux/devices/0/path", "must be an absolute path");
    expect_error(with("/hooks", R"({"poststart": [{"path": "/bin/ok"}, {"path": "notify"}]})"),
                 "/hooks/poststart/1/path", "must be an absolute path, found \"notify\"");
}

TEST(SpecErrors, DuplicateNamespace) {
    EXPECT_EQ(error_of(with("/linux", R"({"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "pid"}]})")),
              "/b/config.json: /linux/namespaces/2/type: duplicate namespace type \"pid\"");
}

TEST(SpecErrors, UserNamespaceMappings) {
    expect_error(with("/linux", R"({"namespaces": [{"type": "user"}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})"),
                 "/linux/uidMappings", "must be a non-empty array for a new user namespace");
    expect_error(with("/linux", R"({"namespaces": [{"type": "user"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})"),
                 "/linux/gidMappings", "must be a non-empty array for a new user namespace");
    expect_error(with("/linux", R"({"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})"), "/linux/uidMappings",
                 "requires a \"user\" namespace");
}

TEST(SpecErrors, TimeOffsets) {
    expect_error(with("/linux", R"({"timeOffsets": {"boottime": {"secs": 1}}})"), "/linux/timeOffsets",
                 "requires a \"time\" namespace");
    expect_error(with("/linux", R"({"namespaces": [{"type": "time"}], "timeOffsets": {"realtime": {"secs": 1}}})"),
                 "/linux/timeOffsets/realtime", "unknown clock \"realtime\" (expected one of monotonic, boottime)");
    expect_error(with("/linux", R"({"namespaces": [{"type": "time"}], "timeOffsets": {"monotonic": {"secs": "1"}}})"),
                 "/linux/timeOffsets/monotonic/secs", "expected type integer, found string");
}

TEST(SpecErrors, Rlimits) {
    expect_error(with("/process/rlimits", R"([{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])"), "/process/rlimits/0/type",
                 "unknown rlimit type \"RLIMIT_FOO\"");
    EXPECT_EQ(error_of(with("/process/rlimits", R"([{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}])")),
              "/b/config.json: /process/rlimits/0/soft: soft limit 2048 is greater than hard limit 1024");
    expect_error(with("/process/rlimits", R"([{"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
                                               {"type": "RLIMIT_CORE", "soft": 1, "hard": 1}])"),
                 "/process/rlimits/1/type", "duplicate rlimit type \"RLIMIT_CORE\"");
}

TEST(SpecErrors, UnknownCapability) {
    EXPECT_EQ(error_of(with("/process/capabilities", R"({"bounding": ["CAP_KILL"], "ambient": ["CAP_KILL", "CAP_FLY"]})")),
              "/b/config.json: /process/capabilities/ambient/1: unknown capability \"CAP_FLY\"");
}

TEST(SpecErrors, EmptyMapKeys) {
    expect_error(with("/linux", R"({"sysctl": {"": "1"}})"), "/linux/sysctl", "must not have an empty key");
    expect_error(with("/annotations", R"({"": "x"})"), "/annotations", "must not have an empty key");
}

// Fields newer than the embedded schema get the loader's own checks.
TEST(SpecErrors, NewerFields) {
    expect_error(with("/process/ioPriority", R"({"priority": 1})"), "/process/ioPriority",
                 "missing required property \"class\"");
    expect_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_BE", "priority": "high"})"),
                 "/process/ioPriority/priority", "expected type integer, found string");
    expect_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_FAST", "priority": 1})"), "/process/ioPriority/class",
                 "unknown I/O priority class \"IOPRIO_CLASS_FAST\" (expected one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_FAST"})"), "/process/scheduler/policy",
                 "unknown scheduler policy \"SCHED_FAST\"");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_RECLAIM", "X"]})"),
                 "/process/scheduler/flags/1", "unknown scheduler flag \"X\"");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_OTHER", "nice": 3000000000})"), "/process/scheduler/nice",
                 "expected a value <= 2147483647, found 3000000000");
}

// JSON pointer tokens are escaped as RFC 6901 says.
TEST(SpecErrors, PointerTokensAreEscaped) {
    expect_error(with("/annotations", R"({"a/b~c": 1})"), "/annotations/a~1b~0c", "expected type string, found integer");
}

// A sysctl must belong to a namespace the container has of its own.
TEST(SpecErrors, SysctlOutsideOwnNamespaces) {
    expect_error(with("/linux", R"({"namespaces": [{"type": "mount"}], "sysctl": {"kernel.printk": "4"}})"),
                 "/linux/sysctl/kernel.printk", "is not in a separate kernel namespace");
    expect_error(with("/linux", R"({"namespaces": [{"type": "mount"}], "sysctl": {"net.ipv4.ip_forward": "1"}})"),
                 "/linux/sysctl/net.ipv4.ip_forward", "needs a \"network\" namespace");
    expect_error(with("/linux", R"({"namespaces": [{"type": "mount"}], "sysctl": {"fs.mqueue.msg_max": "1"}})"),
                 "/linux/sysctl/fs.mqueue.msg_max", "needs a \"ipc\" namespace");
    expect_error(with("/linux", R"({"namespaces": [{"type": "uts"}], "sysctl": {"kernel.hostname": "x"}})"),
                 "/linux/sysctl/kernel.hostname", "conflicts with the OCI \"hostname\" field");
    EXPECT_NO_THROW(parse_config(with("/linux", R"({"namespaces": [{"type": "ipc"}, {"type": "network"}, {"type": "uts"}],
        "sysctl": {"kernel.shmmax": "1", "net.core.somaxconn": "1", "kernel.domainname": "d"}})"), file));
}

TEST(SpecErrors, ProcessAttributeRanges) {
    expect_error(with("/process/ioPriority", R"({"class": "IOPRIO_CLASS_BE", "priority": 8})"),
                 "/process/ioPriority/priority", "must be between 0 and 7, found 8");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_OTHER", "nice": 20})"), "/process/scheduler/nice",
                 "must be between -20 and 19, found 20");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_FIFO"})"), "/process/scheduler/priority",
                 "must be between 1 and 99 for SCHED_FIFO, found 0");
    expect_error(with("/process/scheduler", R"({"policy": "SCHED_BATCH", "priority": 5})"), "/process/scheduler/priority",
                 "must be 0 for SCHED_BATCH, found 5");
    expect_error(with("/linux", R"({"personality": {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}})"),
                 "/linux/personality/flags", "the runtime-spec defines no personality flags");
}

TEST(SpecErrors, SeccompNotifyNeedsAListener) {
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}})"),
                 "/linux/seccomp/listenerPath", "is required with SCMP_ACT_NOTIFY");
    expect_error(with("/linux", R"({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "agent.sock"}})"),
                 "/linux/seccomp/listenerPath", "must be an absolute path");
}

}  // namespace
}  // namespace dkr::spec
