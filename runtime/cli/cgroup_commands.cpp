// pause, resume, update, events, ps: the commands that act on a container's cgroup.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>

#include "runtime/cli/options.hpp"
#include "runtime/container.hpp"
#include "runtime/duration.hpp"
#include "runtime/error.hpp"
#include "runtime/events.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/update_flags.hpp"
#include "spec/loader.hpp"

extern char** environ;

namespace dkr::cli {
namespace {

// The id-only commands.
std::string id_argument(const Invocation& inv, const char* name, bool& help) {
    Parsed p = parse_command(inv, name, "<container-id>", po::options_description("Options"), 1, 1);
    help = p.help;
    return help ? "" : p.positional[0];
}

// update's flags that take a value, by name: all are read as strings, then
// converted as runc converts them (resources_from_flags).
struct FlagSpec {
    const char* name;
    std::optional<std::string> UpdateFlags::*field;
    const char* help;
};
const FlagSpec kUpdateFlags[] = {
    {"blkio-weight", &UpdateFlags::blkio_weight, "Specifies per cgroup weight, range is from 10 to 1000"},
    {"cpu-period", &UpdateFlags::cpu_period, "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default"},
    {"cpu-quota", &UpdateFlags::cpu_quota, "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpu-share", &UpdateFlags::cpu_share, "CPU shares (relative weight vs. other containers)"},
    {"cpu-rt-period", &UpdateFlags::cpu_rt_period, "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default"},
    {"cpu-rt-runtime", &UpdateFlags::cpu_rt_runtime, "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period"},
    {"cpuset-cpus", &UpdateFlags::cpuset_cpus, "CPU(s) to use"},
    {"cpuset-mems", &UpdateFlags::cpuset_mems, "Memory node(s) to use"},
    {"kernel-memory", &UpdateFlags::kernel_memory, "(ignored, as by runc) Kernel memory limit (in bytes)"},
    {"kernel-memory-tcp", &UpdateFlags::kernel_memory_tcp, "(ignored, as by runc) Kernel memory limit for tcp buffer (in bytes)"},
    {"memory", &UpdateFlags::memory, "Memory limit (in bytes)"},
    {"memory-reservation", &UpdateFlags::memory_reservation, "Memory reservation or soft_limit (in bytes)"},
    {"memory-swap", &UpdateFlags::memory_swap, "Total memory usage (memory + swap); set '-1' to enable unlimited swap"},
    {"pids-limit", &UpdateFlags::pids_limit, "Maximum number of pids allowed in the container"},
    {"l3-cache-schema", &UpdateFlags::l3_cache_schema, "The string of Intel RDT/CAT L3 cache schema"},
    {"mem-bw-schema", &UpdateFlags::mem_bw_schema, "The string of Intel RDT/MBA memory bandwidth schema"},
};

std::string read_resources_input(const std::string& path) {
    if (path != "-") return sys::read_file(path);
    std::ostringstream in;
    in << std::cin.rdbuf();
    return in.str();
}

// Runs the program (looked up in $PATH) with stdout and stderr into one pipe,
// as Go's CombinedOutput; returns the wait status and the output.
std::pair<int, std::string> run_combined(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw sys_error("pipe", "", errno);
    sys::Fd rd(fds[0]), wr(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, wr.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, wr.get(), 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc == ENOENT) throw Error("exec: \"" + argv[0] + "\": executable file not found in $PATH");
    if (rc != 0) throw sys_error("exec", argv[0], rc);
    wr.reset();
    std::string out;
    try {
        out = sys::read_fd(rd.get());
    } catch (...) {
        ::waitpid(pid, nullptr, 0);
        throw;
    }
    int status;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw sys_error("waitpid", argv[0], errno);
    return {status, out};
}

std::vector<std::string> fields_of(const std::string& line) {
    std::istringstream ss(line);
    return {std::istream_iterator<std::string>(ss), std::istream_iterator<std::string>()};
}

// runc's ps table: ps's header, then the lines whose PID column is in pids.
void print_ps_table(const std::vector<pid_t>& pids, std::vector<std::string> ps_args) {
    if (ps_args.empty()) ps_args = {"-ef"};
    ps_args.insert(ps_args.begin(), "ps");
    auto [status, output] = run_combined(ps_args);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error((WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                       : "signal: " + std::string(strsignal(WTERMSIG(status)))) +
                    ": " + output);
    std::istringstream lines(output);
    std::string header;
    std::getline(lines, header);
    std::vector<std::string> titles = fields_of(header);
    auto pid_column = std::find(titles.begin(), titles.end(), "PID");
    if (pid_column == titles.end()) throw Error("couldn't find PID field in ps output");
    size_t index = static_cast<size_t>(pid_column - titles.begin());
    std::cout << header << "\n";
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        std::vector<std::string> f = fields_of(line);
        char* end = nullptr;
        long pid = index < f.size() ? std::strtol(f[index].c_str(), &end, 10) : 0;
        if (index >= f.size() || *end != '\0') throw Error("unable to parse pid: " + line);
        if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(pid)) != pids.end()) std::cout << line << "\n";
    }
}

}  // namespace

int cmd_pause(const Invocation& inv) {
    bool help;
    std::string id = id_argument(inv, "pause", help);
    if (!help) runtime_for(inv).pause(id);
    return 0;
}

int cmd_resume(const Invocation& inv) {
    bool help;
    std::string id = id_argument(inv, "resume", help);
    if (!help) runtime_for(inv).resume(id);
    return 0;
}

int cmd_update(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()("resources,r", po::value<std::string>(),
                    "path to the file containing the resources to update (a linux.resources JSON object) or '-' "
                    "to read from the standard input; all other options are then ignored");
    for (const auto& f : kUpdateFlags) d.add_options()(f.name, po::value<std::string>(), f.help);
    Parsed p = parse_command(inv, "update", "[command options] <container-id>", d, 1, 1);
    if (p.help) return 0;
    UpdateFlags flags;
    for (const auto& f : kUpdateFlags)
        if (p.vm.count(f.name)) flags.*(f.field) = p.vm[f.name].as<std::string>();
    spec::Resources resources;
    if (p.vm.count("resources")) {
        std::string path = p.vm["resources"].as<std::string>();
        resources = spec::parse_resources(read_resources_input(path), path == "-" ? "stdin" : path);
    } else {
        resources = resources_from_flags(flags);
    }
    check_intel_rdt(flags, sys::read_file("/proc/self/mountinfo"));
    runtime_for(inv).update(p.positional[0], resources);
    return 0;
}

int cmd_events(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()
        ("interval", po::value<std::string>()->default_value("5s"), "set the stats collection interval")
        ("stats", po::bool_switch(), "display the container's stats then exit");
    Parsed p = parse_command(inv, "events", "[command options] <container-id>", d, 1, 1);
    if (p.help) return 0;
    std::string interval = p.vm["interval"].as<std::string>();
    std::chrono::nanoseconds every;
    try {
        every = parse_duration(interval);
    } catch (const Error&) {
        throw UsageError("invalid value \"" + interval + "\" for flag -interval: parse error");
    }
    const std::string& id = p.positional[0];
    Runtime rt = runtime_for(inv);
    if (every.count() <= 0) throw Error("duration interval must be greater than 0");
    if (p.vm["stats"].as<bool>()) {
        std::cout << stats_event_json(id, rt.stats(id)) << std::endl;
        return 0;
    }
    rt.events(id, std::chrono::ceil<std::chrono::milliseconds>(every),
              [](const std::string& line) { std::cout << line << std::endl; });
    return 0;
}

int cmd_ps(const Invocation& inv) {
    // Flags come before the id; everything after it goes to ps(1), as runc
    // passes it (a "--" right after the id is dropped).
    size_t i = 0;
    while (i < inv.args.size() && inv.args[i].size() > 1 && inv.args[i][0] == '-' && inv.args[i] != "--")
        i += (inv.args[i] == "--format" || inv.args[i] == "-f") ? 2 : 1;
    if (i < inv.args.size() && inv.args[i] == "--") ++i;
    Invocation own{inv.globals, inv.log,
                   std::vector<std::string>(inv.args.begin(), inv.args.begin() + static_cast<long>(std::min(i + 1, inv.args.size())))};
    std::vector<std::string> ps_args;
    if (i + 1 < inv.args.size()) ps_args.assign(inv.args.begin() + static_cast<long>(i) + 1, inv.args.end());
    if (!ps_args.empty() && ps_args[0] == "--") ps_args.erase(ps_args.begin());

    po::options_description d("Options");
    d.add_options()("format,f", po::value<std::string>()->default_value("table"), "select one of: table or json");
    Parsed p = parse_command(own, "ps", "[command options] <container-id> [ps options]", d, 1, 1);
    if (p.help) return 0;
    std::vector<pid_t> pids = runtime_for(inv).pids(p.positional[0]);
    std::string format = p.vm["format"].as<std::string>();
    if (format == "json") {
        // Go encodes an empty list as null.
        std::string json;
        for (pid_t pid : pids) json += (json.empty() ? "[" : ",") + std::to_string(pid);
        std::cout << (json.empty() ? "null" : json + "]") << "\n";
        return 0;
    }
    if (format != "table") throw Error("invalid format option");
    print_ps_table(pids, ps_args);
    return 0;
}

}  // namespace dkr::cli
