// state, list and the derivation of a container's status.
#include "runtime/container.hpp"

#include <sys/stat.h>

#include <optional>

#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/procfs.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

// "" when unreadable: every owner then shows as "#UID".
std::string read_passwd() {
    try {
        return sys::read_file("/etc/passwd");
    } catch (const Error&) {
        return "";
    }
}

std::string owner_name(uid_t uid, const std::string& passwd) {
    size_t pos = 0;
    std::string id = ":" + std::to_string(uid) + ":";
    while (pos < passwd.size()) {
        size_t end = passwd.find('\n', pos);
        if (end == std::string::npos) end = passwd.size();
        std::string line = passwd.substr(pos, end - pos);
        size_t first = line.find(':');
        size_t second = first == std::string::npos ? first : line.find(':', first + 1);
        if (second != std::string::npos && line.compare(second, id.size(), id) == 0) return line.substr(0, first);
        pos = end + 1;
    }
    return "#" + std::to_string(uid);
}

}  // namespace

Status Runtime::status_of(ContainerDir& dir, const ContainerState& s, bool locked_by_us, const cgroup::Host* host) {
    if (s.pid == 0) return !locked_by_us && !dir.try_lock_shared() ? Status::Creating : Status::Stopped;
    if (!process_alive(s.pid, s.pid_start_time)) return Status::Stopped;
    // A created container can be paused too (runc): the freezer comes first.
    if (!s.cgroup_path.empty() &&
        (host ? cgroup::open_manager(*host, s.cgroup_path) : cgroup::open_manager(s.cgroup_path))->frozen())
        return Status::Paused;
    return dir.fifo_exists() ? Status::Created : Status::Running;
}

std::string Runtime::state_json(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    ContainerState s = dir.read_state();
    return oci_state_json({&s, status_of(dir, s, false), ""}, true);
}

std::vector<ListEntry> Runtime::list() {
    std::vector<ListEntry> out;
    // Read once for all the containers, not once each.
    std::optional<cgroup::Host> host;
    std::optional<std::string> passwd;
    for (const auto& id : list_container_ids(root_)) {
        try {
            ContainerDir dir = ContainerDir::open(root_, id);
            ContainerState s = dir.read_state();
            if (!host && s.pid != 0 && !s.cgroup_path.empty()) host = cgroup::detect_host();
            Status st = status_of(dir, s, false, host ? &*host : nullptr);
            struct stat sb;
            uid_t uid = ::fstat(dir.fd(), &sb) == 0 ? sb.st_uid : 0;
            if (!passwd) passwd = read_passwd();
            out.push_back({std::move(s), st, owner_name(uid, *passwd)});
        } catch (const Error& e) {
            log_.warn("list: " + id + ": " + e.what());
        }
    }
    return out;
}

}  // namespace dkr
