// The runtimes under comparison and how each is invoked.
#pragma once

#include <string>
#include <vector>

#include "tools/bench/spawn.hpp"

namespace dkr::bench {

struct Runtime {
    std::string name;     // as the table shows it
    std::string path;     // absolute
    std::string root;     // its --root, under the work directory
    int mntns = -1;       // mount namespace it runs in (-1: the tool's)
    std::string version;  // first line of `--version`
    std::string note;     // how it was run, when that differs from the others
    bool has_exec = false;

    // `path --root root args...`, entering mntns.
    Command command(std::vector<std::string> args) const;
};

// "NAME" or "NAME=PATH". Without a path, "dkr" is the dkr built with this
// tool and any other name is looked up in PATH. Throws if not found.
Runtime find_runtime(const std::string& spec, const std::string& built_dkr);

// Whether the runtime has a command: `RUNTIME COMMAND --help` succeeds.
bool has_command(Spawner& spawner, const Runtime& rt, const std::string& command);

// First line of `RUNTIME --version`.
std::string runtime_version(Spawner& spawner, const Runtime& rt);

}  // namespace dkr::bench
