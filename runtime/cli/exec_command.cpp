// exec: runc's flags over Runtime::exec.
#include "runtime/cli/options.hpp"
#include "runtime/container.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cli {
namespace {

po::options_description exec_flags() {
    using Strings = std::vector<std::string>;
    po::options_description d("Options");
    d.add_options()
        ("console-socket", po::value<std::string>(),
         "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal")
        ("cwd", po::value<std::string>(), "current working directory in the container")
        ("env,e", po::value<Strings>()->composing(), "set environment variables")
        ("tty,t", po::bool_switch(), "allocate a pseudo-TTY")
        ("user,u", po::value<std::string>(), "UID (format: <uid>[:<gid>])")
        ("additional-gids,g", po::value<Strings>()->composing(), "additional gids")
        ("process,p", po::value<std::string>(), "path to the process.json")
        ("detach,d", po::bool_switch(), "detach from the container's process")
        ("pid-file", po::value<std::string>(), "specify the file to write the process id to")
        ("process-label", po::value<std::string>(), "set the asm process label for the process commonly used with selinux")
        ("apparmor", po::value<std::string>(), "set the apparmor profile for the process")
        ("no-new-privs", po::bool_switch(), "set the no new privileges value for the process")
        ("cap,c", po::value<Strings>()->composing(), "add a capability to the bounding set for the process")
        ("preserve-fds", po::value<int>()->default_value(0),
         "pass N additional file descriptors to the container (stdio + N in total)")
        ("ignore-paused", po::bool_switch(), "allow exec in a paused container");
    return d;
}

std::string text(const Parsed& p, const char* name) {
    return p.vm.count(name) ? p.vm[name].as<std::string>() : "";
}

std::vector<std::string> texts(const Parsed& p, const char* name) {
    return p.vm.count(name) ? p.vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

}  // namespace

int cmd_exec(const Invocation& inv) {
    Parsed p = parse_command_then_args(
        inv, "exec", "[command options] <container-id> <command> [command options]  || -p process.json <container-id>",
        exec_flags(), 1);
    if (p.help) return 0;
    ExecOptions o;
    o.process_file = text(p, "process");
    if (o.process_file.empty() && p.positional.size() < 2)
        throw UsageError("dkr: \"exec\" requires a minimum of 2 arguments");
    o.id = p.positional[0];
    o.args.assign(p.positional.begin() + 1, p.positional.end());
    o.cwd = text(p, "cwd");
    o.env = texts(p, "env");
    o.tty = p.vm["tty"].as<bool>();
    o.user = text(p, "user");
    o.additional_gids = texts(p, "additional-gids");
    o.caps = texts(p, "cap");
    o.no_new_privs = p.vm["no-new-privs"].as<bool>();
    o.apparmor = text(p, "apparmor");
    o.process_label = text(p, "process-label");
    if (p.vm.count("console-socket")) o.console_socket = sys::absolute_path(text(p, "console-socket"));
    o.detach = p.vm["detach"].as<bool>();
    o.pid_file = text(p, "pid-file");
    o.preserve_fds = preserve_fds(p);
    o.ignore_paused = p.vm["ignore-paused"].as<bool>();
    if (inv.parse_only) {
        // What the flags themselves say is parsed too: --user, -g, --cap.
        if (o.process_file.empty()) exec_process(o, spec::Process{});
        throw ParsedOnly{};
    }
    try {
        return runtime_for(inv).exec(o);
    } catch (const std::exception& e) {
        // As runc: 255, so that a failed exec cannot pass for the program's own status.
        throw StatusError(e.what(), kExecFailed);
    }
}

}  // namespace dkr::cli
