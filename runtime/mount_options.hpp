// config.json mount options -> mount(2) flags, propagation and data string.
#pragma once

#include <string>
#include <vector>

namespace dkr {

struct MountOptions {
    unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...
    unsigned long clear = 0;        // flags an option turned off ("rw", "suid", ...)
    std::vector<unsigned long> propagation;  // MS_PRIVATE | MS_REC, ... in order
    // Recursive attributes ("rro", "rnosuid", ...) applied with mount_setattr(AT_RECURSIVE).
    // As for the flags, a later option wins: no attribute is in both.
    uint64_t recursive_set = 0, recursive_clear = 0;
    bool tmpcopyup = false;
    std::string data;               // filesystem options: "mode=755,size=65536k"
};

// Unknown options are passed to the filesystem as data, as runc does.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// "MS_NOSUID|MS_NODEV" for mount(2) flags ("0" for none), for --explain.
std::string mount_flag_names(unsigned long flags);

// Every option name parse_mount_options understands (for `dkr features`).
std::vector<std::string> known_mount_options();

}  // namespace dkr
