// The measurements: every runtime on the same bundles, interleaved run by
// run (iteration i starts with runtime i mod R) so that drift of this shared
// machine spreads over all of them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tools/bench/floors.hpp"
#include "tools/bench/runtimes.hpp"
#include "tools/bench/spawn.hpp"

namespace dkr::bench {

// Figure keys, in the order the report shows them. Times are in ms, RSS in KiB.
inline constexpr const char* kRun = "run";                  // run /bin/true to exit, delete included
inline constexpr const char* kRunSeccomp = "run_seccomp";   // the same with a seccomp profile
inline constexpr const char* kCreate = "create";
inline constexpr const char* kStart = "start";
inline constexpr const char* kWait = "wait";                // start returned -> the program exited
inline constexpr const char* kStartWait = "start_wait";
inline constexpr const char* kDelete = "delete";
inline constexpr const char* kExec = "exec";                // exec /bin/true into a running container
inline constexpr const char* kState1 = "state_1";           // with 1 container present
inline constexpr const char* kList1 = "list_1";
inline constexpr const char* kStateMany = "state_many";     // with Setup::many containers present
inline constexpr const char* kListMany = "list_many";
// ru_maxrss of each runtime command (it covers the children it waited for),
// and VmHWM of the container init waiting for `start` (its set-up before exec).
inline constexpr const char* kRssRun = "rss_run";
inline constexpr const char* kRssCreate = "rss_create";
inline constexpr const char* kRssInit = "rss_init";
inline constexpr const char* kRssStart = "rss_start";
inline constexpr const char* kRssDelete = "rss_delete";
inline constexpr const char* kRssExec = "rss_exec";
inline constexpr const char* kRssState = "rss_state";
inline constexpr const char* kRssList = "rss_list";

struct Series {
    std::vector<double> samples;
    std::string missing;  // why there are no (more) samples
};

// figure -> column (runtime or floor name) -> series
using Results = std::map<std::string, std::map<std::string, Series>>;

struct Setup {
    std::vector<Runtime> runtimes;  // the first is the reference of the ratios
    std::string rootfs;
    std::string work;               // scratch directory (pid files)
    std::string true_bundle;        // runs /bin/true
    std::string sleep_bundle;       // runs until killed: the target of exec, state and list
    std::string seccomp_bundle;     // /bin/true with a seccomp profile; "" to skip
    std::vector<Floor> floors;      // measured in the run figure only
    int iterations = 50;
    int many = 100;
    bool quiet = false;             // no progress lines on stderr
};

// Runs every phase and returns the samples. Containers it made are deleted
// before it returns, also when it throws.
Results measure(Spawner& spawner, const Setup& setup);

}  // namespace dkr::bench
