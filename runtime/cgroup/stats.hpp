// Stats collection (runc's `events --stats` data) and the pure parsers of
// the cgroup stat file formats.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cgroup/manager.hpp"

namespace dkr::cgroup {

// "123\n" -> 123; "max" -> UINT64_MAX; a negative number (v1 "-1") -> 0.
// Throws dkr::Error on anything else.
uint64_t parse_stat_uint(std::string_view s);
// "key value" lines (memory.stat, cpu.stat, cgroup.events...); lines whose
// value is not a number are skipped.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);
// "1 2 3\n" (cpuacct.usage_percpu)
std::vector<uint64_t> parse_uint_list(std::string_view text);
// cpuset.cpus / cpuset.mems lists: "0-2,4\n" -> {0, 1, 2, 4}; "" -> {}.
// Throws dkr::Error on a malformed list.
std::vector<uint16_t> parse_cpu_list(std::string_view text);
// cpuacct.usage_all: "cpu user system" header, then one row per cpu.
void parse_cpuacct_usage_all(std::string_view text, std::vector<uint64_t>& user, std::vector<uint64_t>& kernel);
// v1 blkio files: "8:0 Read 123" lines (or "8:0 123"); "Total N" skipped.
std::vector<BlkioEntry> parse_blkio_v1(std::string_view text);
// v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0".
void parse_io_stat(std::string_view text, BlkioStats& out);
// 2097152 -> "2MB", 1073741824 -> "1GB", 65536 -> "64KB" (runc's naming).
std::string hugepage_size_name(uint64_t bytes);
// The host's huge page sizes, from /sys/kernel/mm/hugepages.
std::vector<std::string> hugepage_sizes(const std::string& sysfs_dir = "/sys/kernel/mm/hugepages");

// dir_of: a controller -> its cgroup directory, "" if the hierarchy is missing.
Stats collect_stats_v1(const std::function<std::string(const std::string&)>& dir_of);
Stats collect_stats_v2(const std::string& dir);

}  // namespace dkr::cgroup
