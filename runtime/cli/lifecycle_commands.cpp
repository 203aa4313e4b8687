// create, start, run, state, kill, delete, list, features, spec.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "runtime/cli/options.hpp"
#include "runtime/container.hpp"
#include "runtime/error.hpp"
#include "runtime/features.hpp"
#include "runtime/signals.hpp"
#include "runtime/sys/file.hpp"
#include "spec/default_spec.hpp"

namespace dkr::cli {

Runtime runtime_for(const Invocation& inv) {
    Explainer explain(inv.globals.explain ? STDERR_FILENO : -1, "dkr");
    return Runtime(inv.globals.root, inv.log, inv.globals.systemd_cgroup, explain);
}

namespace {

po::options_description create_flags() {
    po::options_description d("Options");
    d.add_options()
        ("bundle,b", po::value<std::string>(), "path to the root of the bundle directory (default: current directory)")
        ("console-socket", po::value<std::string>(),
         "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
        ("pid-file", po::value<std::string>(), "file to write the container init's pid to")
        ("no-pivot", po::bool_switch(), "use MS_MOVE and chroot instead of pivot_root (for a rootfs on a ramdisk)")
        ("no-new-keyring", po::bool_switch(),
         "do not create a new session keyring for the container: it inherits the caller's")
        ("preserve-fds", po::value<int>()->default_value(0),
         "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)");
    return d;
}

CreateOptions create_options(const Parsed& p) {
    CreateOptions o;
    o.id = p.positional.at(0);
    if (p.vm.count("bundle")) o.bundle = p.vm["bundle"].as<std::string>();
    if (p.vm.count("pid-file")) o.pid_file = p.vm["pid-file"].as<std::string>();
    if (p.vm.count("console-socket")) o.console_socket = sys::absolute_path(p.vm["console-socket"].as<std::string>());
    o.no_pivot = p.vm["no-pivot"].as<bool>();
    o.no_new_keyring = p.vm["no-new-keyring"].as<bool>();
    o.preserve_fds = preserve_fds(p);
    return o;
}

bool is_bundle_dir(const std::string& path) {
    struct stat st;
    return path.find('/') != std::string::npos || path == "."
               ? ::stat(sys::join(path, "config.json").c_str(), &st) == 0
               : false;
}

std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    char real[PATH_MAX];
    if (path == "." && ::realpath(".", real)) path = real;
    return path.substr(path.rfind('/') + 1);
}

// Go's text/tabwriter as runc sets it up: minwidth 12, padding 3, last cell unpadded.
void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& r : rows)
        for (size_t i = 0; i + 1 < r.size(); ++i) {
            if (width.size() <= i) width.resize(i + 1, 12);
            width[i] = std::max(width[i], r[i].size() + 3);
        }
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line.append(width[i] - r[i].size(), ' ');
        }
        std::cout << line << "\n";
    }
}

}  // namespace

int cmd_create(const Invocation& inv) {
    Parsed p = parse_command(inv, "create", "[command options] <container-id>", create_flags(), 1, 1);
    if (p.help) return 0;
    runtime_for(inv).create(create_options(p));
    return 0;
}

int cmd_start(const Invocation& inv) {
    Parsed p = parse_command(inv, "start", "<container-id>", po::options_description("Options"), 1, 1);
    if (p.help) return 0;
    runtime_for(inv).start(p.positional[0]);
    return 0;
}

int cmd_run(const Invocation& inv) {
    po::options_description d = create_flags();
    d.add_options()
        ("detach,d", po::bool_switch(), "detach from the container's process")
        ("keep", po::bool_switch(), "do not delete the container after it exits")
        ("no-subreaper", po::bool_switch(), "disable the use of the subreaper used to reap reparented processes");
    Parsed p = parse_command(inv, "run", "[command options] <container-id>|<bundle-path>", d, 1, 1);
    if (p.help) return 0;
    CreateOptions o = create_options(p);
    // `dkr run PATH`: a bundle directory given where the id goes, as learners type it.
    if (!p.vm.count("bundle") && is_bundle_dir(o.id)) {
        o.bundle = o.id;
        o.id = base_name(o.id);
    }
    RunOptions r;
    r.detach = p.vm["detach"].as<bool>();
    r.keep = p.vm["keep"].as<bool>();
    r.no_subreaper = p.vm["no-subreaper"].as<bool>();
    return runtime_for(inv).run(o, r);
}

int cmd_state(const Invocation& inv) {
    Parsed p = parse_command(inv, "state", "<container-id>", po::options_description("Options"), 1, 1);
    if (p.help) return 0;
    std::cout << runtime_for(inv).state_json(p.positional[0]) << "\n";
    return 0;
}

int cmd_kill(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()("all,a", po::bool_switch(), "send the signal to all processes in the container");
    Parsed p = parse_command(inv, "kill", "[command options] <container-id> [signal]", d, 1, 2);
    if (p.help) return 0;
    int sig = parse_signal(p.positional.size() > 1 ? p.positional[1] : "SIGTERM");
    runtime_for(inv).kill(p.positional[0], sig, p.vm["all"].as<bool>());
    return 0;
}

int cmd_delete(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()("force,f", po::bool_switch(), "forcibly delete the container if it is still running (uses SIGKILL)");
    Parsed p = parse_command(inv, "delete", "[command options] <container-id>", d, 1, 1);
    if (p.help) return 0;
    runtime_for(inv).remove(p.positional[0], p.vm["force"].as<bool>());
    return 0;
}

int cmd_list(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()
        ("format,f", po::value<std::string>()->default_value("table"), "table or json")
        ("quiet,q", po::bool_switch(), "display only container IDs");
    Parsed p = parse_command(inv, "list", "[command options]", d, 0, 0);
    if (p.help) return 0;
    std::string format = p.vm["format"].as<std::string>();
    if (format != "table" && format != "json") throw UsageError("invalid format option");
    std::vector<ListEntry> all = runtime_for(inv).list();
    if (p.vm["quiet"].as<bool>()) {
        for (const auto& e : all) std::cout << e.state.id << "\n";
        return 0;
    }
    if (format == "json") {
        std::vector<OciState> states;
        for (const auto& e : all) states.push_back({&e.state, e.status, e.owner});
        std::cout << oci_state_list_json(states) << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& e : all)
        rows.push_back({e.state.id, std::to_string(e.status == Status::Stopped ? 0 : e.state.pid),
                        status_name(e.status), e.state.bundle, e.state.created, e.owner});
    print_table(rows);
    return 0;
}

int cmd_features(const Invocation& inv) {
    Parsed p = parse_command(inv, "features", "", po::options_description("Options"), 0, 0);
    if (p.help) return 0;
    std::cout << features_json() << "\n";
    return 0;
}

int cmd_spec(const Invocation& inv) {
    po::options_description d("Options");
    d.add_options()("bundle,b", po::value<std::string>(), "path to the root of the bundle directory");
    Parsed p = parse_command(inv, "spec", "[command options]", d, 0, 0);
    if (p.help) return 0;
    std::string dir = p.vm.count("bundle") ? p.vm["bundle"].as<std::string>() : ".";
    std::string path = sys::join(dir, "config.json");
    if (sys::path_exists(path)) throw Error("File config.json exists. Remove it first");
    sys::write_file_atomic(path, spec::default_config_json(), 0666 & ~0022);
    return 0;
}

}  // namespace dkr::cli
