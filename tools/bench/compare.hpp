// The comparison exercise: the same bundle under each runtime, with a probe
// that prints what the container sees (hostname, ids, capabilities,
// NoNewPrivs, seccomp mode, mounts, namespaces, cgroups and their limits,
// rlimits, environment), compared aspect by aspect against the first runtime.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/bench/runtimes.hpp"
#include "tools/bench/spawn.hpp"

namespace dkr::bench {

// The probe's program (process.args) for the bundle the comparison runs.
std::vector<std::string> probe_args();

struct Aspect {
    explicit Aspect(std::string n) : name(std::move(n)) {}

    std::string name;
    std::map<std::string, std::vector<std::string>> seen;  // runtime -> lines, normalized
    bool same = true;
};

struct Comparison {
    std::vector<std::string> runtimes;
    std::map<std::string, std::string> errors;  // runtime -> why it has no output
    std::vector<Aspect> aspects;
};

// Runs `bundle` (made with probe_args()) once under each runtime.
Comparison compare_runtimes(Spawner& spawner, const std::vector<Runtime>& runtimes, const std::string& bundle);

std::string comparison_text(const Comparison& c);
std::string comparison_json(const Comparison& c);

}  // namespace dkr::bench
