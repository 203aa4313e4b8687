// OCI namespace types <-> clone flags, and joining existing namespaces.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/explain.hpp"
#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

// CLONE_NEW* for an OCI type ("pid", "network", ...); 0 if unknown.
int namespace_clone_flag(const std::string& type);
// The /proc/PID/ns/ file name for an OCI type ("network" -> "net").
const char* namespace_proc_name(const std::string& type);

// "CLONE_NEWNS|CLONE_NEWPID" for the namespace flags in `flags` ("0" for none), for --explain.
std::string clone_flag_names(int flags);

// Flags for the namespaces the config asks to create (those without a path).
// Time and cgroup namespaces are left out: see prepare_time_namespace and
// unshare_cgroup_namespace.
int clone_flags_for(const spec::Linux& linux);

// setns into every namespace given by path, except the user namespace (see
// join_user_namespace) and, unless pid_and_time, pid and time (the parent
// joins those before the clone: they apply to the children it makes).
void join_namespaces(const spec::Linux& linux, bool pid_and_time, Explainer ex);

// setns into the user namespace given by path, if any: done before the
// init's own namespaces are made, so that they belong to it.
void join_user_namespace(const spec::Linux& linux, Explainer ex);

// Init side, once the parent has put it in its cgroup: a new cgroup
// namespace, whose root is then the container's cgroup.
void unshare_cgroup_namespace(const spec::Linux& linux, Explainer ex);

// Parent side, before the init is cloned: a new time namespace with its
// offsets (they can only be set before a process enters it).
void prepare_time_namespace(const spec::Linux& linux, Explainer ex);

// Before anything is made: a sysctl whose namespace is joined by a path that
// names the runtime's own namespace (the host's) would change the host.
// The error names the config file and /linux/sysctl/KEY.
void check_sysctl_namespaces(const spec::Linux& linux, const std::string& config_file);

// Parent side, after the clone: /proc/PID/{uid,gid}_map of a new user namespace.
void write_id_mappings(pid_t pid, const spec::Linux& linux);

// The pid and time namespaces the parent sets for its children before the
// clone (join_namespaces with pid_and_time, prepare_time_namespace; exec's
// join_process_namespaces): saved before, restored after, so that what the
// parent forks later (hooks; LeakSanitizer's tracer in a sanitized build)
// runs in the runtime's own namespaces. Does nothing for a config (or
// CLONE_NEWPID|CLONE_NEWTIME flags) that sets neither.
class ChildNamespaces {
public:
    explicit ChildNamespaces(const spec::Linux& linux);
    explicit ChildNamespaces(int flags);
    void restore();

private:
    sys::Fd pid_, time_;
};

// CLONE_NEW* of each namespace of process `pid` that is not ours: the ones
// `exec` joins. Every type the kernel has is compared, user and cgroup included.
int foreign_namespaces(pid_t pid);

// setns(pidfd, flags): joins those namespaces of the process at once (user
// first, as the kernel orders it). pid and time apply to our children only.
void join_process_namespaces(int pidfd, int flags);

}  // namespace dkr
