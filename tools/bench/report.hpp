// The results as a table or JSON, with the targets checked.
#pragma once

#include <utility>
#include <string>
#include <vector>

#include "tools/bench/measure.hpp"

namespace dkr::bench {

struct RunInfo {
    std::string command;                       // the tool's command line
    std::string kernel;                        // uname -r
    std::string started;                       // UTC, RFC 3339
    std::vector<Runtime> runtimes;             // the first is the reference
    std::vector<std::pair<std::string, std::string>> floors;  // name, what it runs
    std::string rootfs;
    std::string seccomp_profile;               // where the seccomp case's profile came from
    int iterations = 0;
    int many = 0;
};

enum class Verdict { Pass, Fail, NotApplicable };

struct Target {
    std::string what;   // "run <= 0.8 x crun"
    double value = 0;   // the reference runtime's figure
    double limit = 0;
    std::string unit;   // "ms" or "KiB"
    Verdict verdict = Verdict::NotApplicable;
    std::string note;   // why n/a
};

// The targets for the reference runtime, against the runtimes named
// crun and runc and the unshare floor when they were measured.
std::vector<Target> check_targets(const Results& results, const RunInfo& info);

std::string report_table(const Results& results, const RunInfo& info, const std::vector<Target>& targets);
std::string report_json(const Results& results, const RunInfo& info, const std::vector<Target>& targets);

}  // namespace dkr::bench
