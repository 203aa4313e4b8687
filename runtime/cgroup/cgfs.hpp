// cgroupfs mechanics shared by the backends: writes with useful errors,
// tracked mkdir (for undo), recursive process lists, bounded waits, and
// removal of a cgroup tree.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroup/resources.hpp"

namespace dkr::cgroup::fs {

using namespace std::chrono_literals;

// Bounded waits (never fixed sleeps: they poll a condition or an event).
inline constexpr std::chrono::milliseconds kFreezeTimeout = 10s;
inline constexpr std::chrono::milliseconds kRemoveTimeout = 5s;

// nullopt if the file does not exist; other errors throw.
std::optional<std::string> try_read(const std::string& path);
bool exists(const std::string& path);
// One write(2) of value to dir/file; errors name the file.
void write(const std::string& dir, const std::string& file, std::string_view value);

// Executes translated writes in order. dir_of maps a Write's controller to
// the cgroup directory. Errors say which file and value, with a hint.
// restore: when a write fails, the files written before it get back the
// value they had, in reverse order (files that hold one value on one line;
// the others, such as per-device lists, are left as written).
void execute(const std::vector<Write>& writes, const std::function<std::string(const std::string&)>& dir_of, bool v2,
             bool restore = false);

// mkdir of every missing component of mountpoint + rel; each directory made
// is appended to created (outermost first).
void mkdir_tracked(const std::string& mountpoint, const std::string& rel, std::vector<std::string>& created);
// rmdir in reverse order, ignoring errors: the undo of a failed create.
void undo_mkdirs(const std::vector<std::string>& created);

// The pids in dir/cgroup.procs and in every descendant cgroup.
std::vector<pid_t> procs_recursive(const std::string& dir);

// Polls cond with a growing interval (50us .. 10ms) until it holds or timeout.
bool poll_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout);
// The value of key in a flat-keyed file such as cgroup.events.
std::optional<std::string> keyed_value(std::string_view content, std::string_view key);
// v2: waits until dir/cgroup.events has "key value", woken by the file's
// modification events (poll POLLPRI). False on timeout.
bool wait_event(const std::string& dir, std::string_view key, std::string_view value,
                std::chrono::milliseconds timeout);

// rmdir of dir and its child cgroups (deepest first). EBUSY (processes still
// exiting) is retried until timeout: on v2 woken by cgroup.events "populated
// 0", on v1 by polling. A missing dir is fine.
void remove_tree(const std::string& dir, bool v2, std::chrono::milliseconds timeout = kRemoveTimeout);

}  // namespace dkr::cgroup::fs
