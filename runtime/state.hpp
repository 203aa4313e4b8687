// A container's record under --root/ID/: state.json (and exec.fifo until start).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/sys/fd.hpp"

namespace dkr {

// The runtime-spec version dkr reports, as runc 1.1 does.
inline constexpr const char* kOciVersion = "1.0.2-dev";
inline constexpr const char* kStateFile = "state.json";
inline constexpr const char* kExecFifo = "exec.fifo";
// A symlink whose target is the container's cgroup path: see write_cgroup_record.
inline constexpr const char* kCgroupRecord = "cgroup";
// The compiled seccomp program of the container, for `exec` (only with linux.seccomp).
inline constexpr const char* kSeccompFile = "seccomp.bpf";
// Under --root, beside the containers: runtime caches (compiled seccomp filters).
// list_container_ids skips exactly this name; create refuses it as an id.
inline constexpr const char* kCacheDir = ".cache";

// The container's seccomp filter as exec needs it: how to load the program
// kept in kSeccompFile, and where SCMP_ACT_NOTIFY's fd goes (the agent at
// linux.seccomp.listenerPath, told listenerMetadata).
struct SeccompRecord {
    std::vector<std::string> flags;
    bool notify = false;
    std::string listener_path, listener_metadata;
};

// What later commands need to find and judge a container. Status is not
// stored: it is derived from the process, the fifo and the freezer.
struct ContainerState {
    std::string id;
    pid_t pid = 0;                 // container init; 0 while creating
    uint64_t pid_start_time = 0;   // /proc/PID/stat starttime: guards against pid reuse
    std::string bundle;
    std::string rootfs;
    std::string created;           // RFC 3339 with nanoseconds, UTC
    std::string cgroup_path;       // resolved cgroup path; empty: none
    std::map<std::string, std::string> annotations;
    std::string hooks_json;        // config.json "hooks" object, kept for poststop at delete
    // What `exec` needs of the config, so that it reads neither the bundle
    // (which may have changed since create) nor the seccomp profile:
    std::string process_json;      // the container's process object (spec::to_json)
    std::optional<SeccompRecord> seccomp;
    bool no_new_keyring = false;
};

enum class Status { Creating, Created, Running, Paused, Stopped };
const char* status_name(Status s);

// RFC 3339 timestamp with trailing zeros of the nanoseconds trimmed (Go's RFC3339Nano).
std::string rfc3339_now();

// Container ids: ^[\w+\-.]+$ and not "." or "..".
void check_container_id(const std::string& id);

std::string state_to_json(const ContainerState& s);
// `path` is used in messages only. Throws on a truncated or corrupt file.
ContainerState state_from_json(const std::string& json, const std::string& path);

// The OCI state document `dkr state` prints (runc's extra fields included).
// `owner` is "" for state and "root" for list, as runc prints them.
struct OciState {
    const ContainerState* state;
    Status status;
    std::string owner;
};
std::string oci_state_json(const OciState& s, bool pretty);
std::string oci_state_list_json(const std::vector<OciState>& all);

// --root/ID as an open directory with an flock that serializes commands
// that change the container.
class ContainerDir {
public:
    // Opens an existing container's directory; "container does not exist" if absent.
    static ContainerDir open(const std::string& root, const std::string& id);
    // Makes the directory (and --root if needed); "container with id exists: ID" if present.
    static ContainerDir create(const std::string& root, const std::string& id);

    const std::string& path() const { return path_; }
    int fd() const { return fd_.get(); }
    // Exclusive, blocking. "container does not exist" (ENOENT) when the
    // container was deleted while we waited.
    void lock();
    bool try_lock_shared();  // false when a command holds it exclusively

    ContainerState read_state() const;
    void write_state(const ContainerState& s) const;
    // The cgroup path, kept a second time as the target of a symlink: made
    // in one syscall before the cgroup, it survives a state.json that cannot
    // be read, so that delete --force still reaches the container's processes.
    // No cgroup (""): no record.
    void write_cgroup_record(const std::string& cgroup_path) const;
    // nullopt when there is no record.
    std::optional<std::string> read_cgroup_record() const;
    bool fifo_exists() const;
    // Removes the directory and everything in it.
    void remove();

private:
    ContainerDir(std::string path, sys::Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
    std::string path_;
    sys::Fd fd_;
};

// Ids of the containers under `root` (sorted), empty when root does not exist.
std::vector<std::string> list_container_ids(const std::string& root);

}  // namespace dkr
