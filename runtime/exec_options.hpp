// What `exec` runs: the process of --process FILE as it stands, or the
// container's own process with runc's command-line overrides applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/config.hpp"

namespace dkr {

struct ExecOptions {
    std::string id;
    std::string process_file;             // --process: replaces everything below
    std::vector<std::string> args;        // the command and its arguments
    std::string cwd;                      // --cwd
    std::vector<std::string> env;         // --env, appended
    bool tty = false;                     // --tty
    std::string user;                     // --user UID[:GID]
    std::vector<std::string> additional_gids;  // --additional-gids
    std::vector<std::string> caps;        // --cap, added to bounding, effective, permitted, ambient
    bool no_new_privs = false;            // --no-new-privs
    std::string apparmor;                 // --apparmor
    std::string process_label;            // --process-label
    std::string console_socket;
    bool detach = false;
    std::string pid_file;
    int preserve_fds = 0;
    bool ignore_paused = false;
};

// "UID[:GID]", each a decimal number from 0 to 2147483647 (runc's range).
// Anything else is an error: "1" is uid 1 (never 0, as crun once read it:
// CVE-2026-30892), and " 1", "+1", "-1", "1:", "0x1", "1:2:3" are refused.
struct UserIds {
    uint32_t uid = 0;
    std::optional<uint32_t> gid;
};
UserIds parse_user(const std::string& text);

// A gid for --additional-gids, with the same rules.
uint32_t parse_gid(const std::string& text);

// From the container's process (from state.json), as runc builds it: args
// replaced; cwd, apparmor, label replaced when given; env appended; caps
// added; terminal only with --tty; noNewPrivileges set by --no-new-privs;
// user and additional gids from --user and -g.
spec::Process exec_process(const ExecOptions& opts, spec::Process base);

}  // namespace dkr
