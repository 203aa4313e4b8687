#include "runtime/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "spec/sysctl.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace dkr {
namespace {

struct NamespaceType {
    const char* oci;
    const char* proc;
    int flag;
    const char* flag_name;
};

constexpr NamespaceType kTypes[] = {
    {"user", "user", CLONE_NEWUSER, "CLONE_NEWUSER"},         {"pid", "pid", CLONE_NEWPID, "CLONE_NEWPID"},
    {"network", "net", CLONE_NEWNET, "CLONE_NEWNET"},         {"mount", "mnt", CLONE_NEWNS, "CLONE_NEWNS"},
    {"ipc", "ipc", CLONE_NEWIPC, "CLONE_NEWIPC"},             {"uts", "uts", CLONE_NEWUTS, "CLONE_NEWUTS"},
    {"cgroup", "cgroup", CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {"time", "time", CLONE_NEWTIME, "CLONE_NEWTIME"},
};

const NamespaceType* find(const std::string& type) {
    for (const auto& t : kTypes)
        if (type == t.oci) return &t;
    return nullptr;
}

void join(const spec::Namespace& ns, Explainer ex) {
    const NamespaceType* t = find(ns.type);
    Step step(ex, [&] {
        return StepText{"setns(open(\"" + ns.path + "\"), " + t->flag_name + ")",
                        "joined the existing " + ns.type + " namespace named in config.json"};
    });
    sys::Fd fd = sys::open_file(ns.path, O_RDONLY);
    if (::setns(fd.get(), namespace_clone_flag(ns.type)) < 0)
        throw sys_error("join " + ns.type + " namespace", ns.path, errno);
}

// Whether `path` names the namespace of type `type` that this process is in.
bool is_own_namespace(const std::string& type, const std::string& path) {
    struct stat theirs, ours;
    std::string own = std::string("/proc/self/ns/") + namespace_proc_name(type);
    if (::stat(path.c_str(), &theirs) < 0) throw sys_error("stat namespace", path, errno);
    if (::stat(own.c_str(), &ours) < 0) throw sys_error("stat namespace", own, errno);
    return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

// RFC 6901: "~" and "/" in a key are escaped.
std::string pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return out;
}

}  // namespace

int namespace_clone_flag(const std::string& type) {
    const auto* t = find(type);
    return t ? t->flag : 0;
}

const char* namespace_proc_name(const std::string& type) {
    const auto* t = find(type);
    return t ? t->proc : "";
}

std::string clone_flag_names(int flags) {
    std::string out;
    for (const auto& t : kTypes)
        if (flags & t.flag) out += (out.empty() ? "" : "|") + std::string(t.flag_name);
    return out.empty() ? "0" : out;
}

int clone_flags_for(const spec::Linux& linux) {
    int flags = 0;
    for (const auto& ns : linux.namespaces)
        if (ns.path.empty() && ns.type != "time" && ns.type != "cgroup") flags |= namespace_clone_flag(ns.type);
    return flags;
}

void join_namespaces(const spec::Linux& linux, bool pid_and_time, Explainer ex) {
    for (const auto& t : kTypes) {
        if (t.flag == CLONE_NEWUSER) continue;
        bool parent_side = t.flag == CLONE_NEWPID || t.flag == CLONE_NEWTIME;
        if (parent_side != pid_and_time) continue;
        const spec::Namespace* ns = linux.find_namespace(t.oci);
        if (ns && !ns->path.empty()) join(*ns, ex);
    }
}

void join_user_namespace(const spec::Linux& linux, Explainer ex) {
    const spec::Namespace* ns = linux.find_namespace("user");
    if (ns && !ns->path.empty()) join(*ns, ex);
}

void unshare_cgroup_namespace(const spec::Linux& linux, Explainer ex) {
    const spec::Namespace* ns = linux.find_namespace("cgroup");
    if (!ns || !ns->path.empty()) return;
    Step step(ex, "unshare(CLONE_NEWCGROUP)",
              "a new cgroup namespace, made now that the init is in its cgroup: that cgroup is its root");
    if (::unshare(CLONE_NEWCGROUP) < 0) throw sys_error("unshare", "cgroup namespace", errno);
}

void prepare_time_namespace(const spec::Linux& linux, Explainer ex) {
    const spec::Namespace* ns = linux.find_namespace("time");
    if (!ns || !ns->path.empty()) return;
    Step step(ex, "unshare(CLONE_NEWTIME), write /proc/self/timens_offsets",
              "a new time namespace for the init (dkr's children enter it), with its clock offsets");
    if (::unshare(CLONE_NEWTIME) < 0) throw sys_error("unshare", "time namespace", errno);
    std::string offsets;
    for (const auto& [clock, off] : linux.time_offsets)
        offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
    if (!offsets.empty()) sys::write_file("/proc/self/timens_offsets", offsets);
}

void check_sysctl_namespaces(const spec::Linux& linux, const std::string& config_file) {
    for (const auto& [key, value] : linux.sysctl) {
        std::string type(spec::sysctl_namespace(key));
        const spec::Namespace* ns = linux.find_namespace(type);
        if (ns && !ns->path.empty() && is_own_namespace(type, ns->path))
            throw Error(config_file + ": /linux/sysctl/" + pointer_token(key) + ": the " + type + " namespace " +
                        ns->path + " is the host's: setting it would change the host's");
    }
}

void write_id_mappings(pid_t pid, const spec::Linux& linux) {
    auto format = [](const std::vector<spec::IdMapping>& maps) {
        std::string out;
        for (const auto& m : maps)
            out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
                   std::to_string(m.size) + "\n";
        return out;
    };
    std::string proc = "/proc/" + std::to_string(pid);
    try {
        if (!linux.uid_mappings.empty()) sys::write_file(proc + "/uid_map", format(linux.uid_mappings));
        if (!linux.gid_mappings.empty()) sys::write_file(proc + "/gid_map", format(linux.gid_mappings));
    } catch (...) {
        rethrow_with("user namespace mappings");
    }
}

ChildNamespaces::ChildNamespaces(const spec::Linux& linux) {
    const spec::Namespace* pid = linux.find_namespace("pid");
    if (pid && !pid->path.empty()) pid_ = sys::open_file("/proc/self/ns/pid", O_RDONLY);
    if (linux.find_namespace("time")) time_ = sys::open_file("/proc/self/ns/time", O_RDONLY);
}

ChildNamespaces::ChildNamespaces(int flags) {
    if (flags & CLONE_NEWPID) pid_ = sys::open_file("/proc/self/ns/pid", O_RDONLY);
    if (flags & CLONE_NEWTIME) time_ = sys::open_file("/proc/self/ns/time", O_RDONLY);
}

void ChildNamespaces::restore() {
    if (pid_ && ::setns(pid_.get(), CLONE_NEWPID) < 0) throw sys_error("return to", "our pid namespace", errno);
    if (time_ && ::setns(time_.get(), CLONE_NEWTIME) < 0) throw sys_error("return to", "our time namespace", errno);
    pid_.reset();
    time_.reset();
}

int foreign_namespaces(pid_t pid) {
    std::string proc = "/proc/" + std::to_string(pid) + "/ns/";
    int flags = 0;
    for (const auto& t : kTypes) {
        struct stat theirs, ours;
        std::string self = std::string("/proc/self/ns/") + t.proc;
        if (::stat(self.c_str(), &ours) < 0) continue;  // a type this kernel does not have
        if (::stat((proc + t.proc).c_str(), &theirs) < 0) throw sys_error("stat", proc + t.proc, errno);
        if (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev) flags |= t.flag;
    }
    return flags;
}

void join_process_namespaces(int pidfd, int flags) {
    if (flags != 0 && ::setns(pidfd, flags) < 0) throw sys_error("join the container's namespaces", "", errno);
}

}  // namespace dkr
