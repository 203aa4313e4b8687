// The command table, global flags, dispatch, and the parse-only entry point.
#include <seccomp.h>

#include <iostream>

#include "runtime/cli/options.hpp"
#include "runtime/security/sealed_exe.hpp"
#include "runtime/state.hpp"

namespace dkr::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> all = {
        {"create", "create a container", cmd_create, true},
        {"delete", "delete any resources held by the container often used with detached container", cmd_delete},
        {"events", "display container events such as OOM notifications, cpu, memory, and IO usage statistics", cmd_events},
        {"exec", "execute new process inside the container", cmd_exec, true},
        {"features", "show the enabled features", cmd_features},
        {"image", "make bundles from OCI images and pull images from registries (runs dkr-image)", cmd_image},
        {"kill", "kill sends the specified signal (default: SIGTERM) to the container's init process", cmd_kill},
        {"list", "lists containers started by dkr with the given root", cmd_list},
        {"network", "manage networks and connect containers to them (bridge, veth, addresses, NAT)", cmd_network},
        {"pause", "pause suspends all processes inside the container", cmd_pause},
        {"ps", "ps displays the processes running inside a container", cmd_ps},
        {"resume", "resumes all processes that have been previously paused", cmd_resume},
        {"run", "create and run a container", cmd_run, true},
        {"spec", "create a new specification file", cmd_spec},
        {"start", "executes the user defined process in a created container", cmd_start},
        {"state", "output the state of a container", cmd_state},
        {"update", "update container resource constraints", cmd_update},
    };
    return all;
}

namespace {

po::options_description global_flags() {
    po::options_description d("Global options");
    d.add_options()
        ("root", po::value<std::string>()->default_value("/run/dkr"), "root directory for storage of container state")
        ("log", po::value<std::string>(), "log file path (default: stderr)")
        ("log-format", po::value<std::string>()->default_value("text"), "log format: text or json")
        ("debug", po::bool_switch(), "enable debug logging")
        ("explain", po::bool_switch(),
         "print each step create, start, run and exec take (namespaces, mounts, pivot_root, capabilities, seccomp, "
         "exec, ...), the syscall behind it and its duration, on stderr")
        ("systemd-cgroup", po::bool_switch(), "use the systemd cgroup driver (not supported yet)")
        ("help,h", "show help")
        ("version,v", "print the version");
    return d;
}

// Global flags end at the first word that is neither a flag nor a flag's value.
size_t command_index(const std::vector<std::string>& args) {
    static const char* with_value[] = {"--root", "--log", "--log-format", "--criu", "--rootless"};
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.empty() || a[0] != '-') return i;
        for (const char* f : with_value)
            if (a == f) ++i;
    }
    return args.size();
}

void print_help(const po::options_description& globals) {
    std::cout << "dkr: an OCI container runtime with runc's command line\n\n"
                 "Usage: dkr [global options] command [command options] [arguments...]\n\nCommands:\n";
    for (const auto& c : commands()) {
        std::string name = c.name;
        std::cout << "   " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') << c.summary << "\n";
    }
    std::cout << "\n" << globals;
}

void print_version() {
    const scmp_version* v = seccomp_version();
    std::cout << "dkr version " << DKR_VERSION << "\ncommit: " << DKR_COMMIT << "\nspec: " << kOciVersion
              << "\nlibseccomp: " << v->major << "." << v->minor << "." << v->micro << "\n";
}

int run(char** argv, const std::vector<std::string>& args, Globals& g, const Logger*& logger_out, Logger& logger,
        bool parse_only) {
    size_t ci = command_index(args);
    po::options_description desc = global_flags();
    po::variables_map vm;
    try {
        std::vector<std::string> global_args(args.begin(), args.begin() + static_cast<long>(ci));
        po::store(po::command_line_parser(global_args).options(desc).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw usage_error("dkr", e, args);
    }
    g.root = vm["root"].as<std::string>();
    g.debug = vm["debug"].as<bool>();
    g.explain = vm["explain"].as<bool>();
    g.systemd_cgroup = vm["systemd-cgroup"].as<bool>();
    std::string format = vm["log-format"].as<std::string>();
    if (format != "text" && format != "json") throw UsageError("dkr: invalid log format \"" + format + "\"");
    g.log_format = format == "json" ? LogFormat::Json : LogFormat::Text;
    if (vm.count("log")) g.log_path = vm["log"].as<std::string>();
    if (!parse_only) {
        logger = Logger(g.log_path, g.log_format, g.debug);
        logger_out = &logger;
    }

    if (vm.count("version")) {
        if (!parse_only) print_version();
        return 0;
    }
    if (vm.count("help") || ci == args.size()) {
        if (!parse_only) print_help(desc);
        return 0;
    }
    const std::string& name = args[ci];
    for (const auto& c : commands()) {
        if (name != c.name) continue;
        if (c.seals_exe && !parse_only) security::reexec_sealed(argv);
        Invocation inv{g, logger, std::vector<std::string>(args.begin() + static_cast<long>(ci) + 1, args.end()),
                       parse_only};
        try {
            return c.run(inv);
        } catch (const ParsedOnly&) {
            return 0;
        }
    }
    throw UsageError("No help topic for '" + name + "'");
}

}  // namespace

int dispatch(char** argv, const std::vector<std::string>& args, Globals& g, const Logger*& logger_out,
             Logger& logger) {
    return run(argv, args, g, logger_out, logger, false);
}

void parse_command_line(const std::vector<std::string>& args) {
    Globals g;
    Logger logger;
    const Logger* unused = &logger;
    run(nullptr, args, g, unused, logger, true);
}

}  // namespace dkr::cli

