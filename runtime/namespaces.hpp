// OCI namespace types <-> clone flags, and joining existing namespaces.
#pragma once

#include <string>

#include "spec/config.hpp"

namespace dkr {

// CLONE_NEW* for an OCI type ("pid", "network", ...); 0 if unknown.
int namespace_clone_flag(const std::string& type);
// The /proc/PID/ns/ file name for an OCI type ("network" -> "net").
const char* namespace_proc_name(const std::string& type);

// Flags for the namespaces the config asks to create (those without a path).
// A time namespace is left out: it is unshared by the parent, see launch.cpp.
int clone_flags_for(const spec::Linux& linux);

// setns into every namespace given by path, the user namespace first, except
// pid (the parent joins that one so the init is born inside it) and time.
void join_namespaces(const spec::Linux& linux, bool pid_and_time);

// Parent side, before the init is cloned: a new time namespace with its
// offsets (they can only be set before a process enters it).
void prepare_time_namespace(const spec::Linux& linux);

// Before anything is made: a sysctl whose namespace is joined by a path that
// names the runtime's own namespace (the host's) would change the host.
// The error names the config file and /linux/sysctl/KEY.
void check_sysctl_namespaces(const spec::Linux& linux, const std::string& config_file);

// Parent side, after the clone: /proc/PID/{uid,gid}_map of a new user namespace.
void write_id_mappings(pid_t pid, const spec::Linux& linux);

}  // namespace dkr
