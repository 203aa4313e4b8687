// dkr network: create, rm, ls, inspect, attach, and the hook that runtimes run.
#include <climits>
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include <rapidjson/document.h>

#include "runtime/cli/options.hpp"
#include "runtime/error.hpp"
#include "runtime/network/attach.hpp"
#include "runtime/network/bridge.hpp"
#include "runtime/network/bundle_hooks.hpp"
#include "runtime/network/store.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cli {
namespace {

using network::Store;

po::options_description flags() {
    po::options_description d("Options");
    d.add_options()("state-dir", po::value<std::string>()->default_value(network::kDefaultStateDir),
                    "directory of dkr's network records");
    return d;
}

Store store_of(const Parsed& p) { return Store(sys::absolute_path(p.vm["state-dir"].as<std::string>())); }

// Subcommand arguments as an Invocation of their own, for parse_command.
Invocation sub(const Invocation& inv) {
    return Invocation{inv.globals, inv.log, std::vector<std::string>(inv.args.begin() + 1, inv.args.end())};
}

int create(const Invocation& inv) {
    po::options_description d = flags();
    d.add_options()
        ("subnet", po::value<std::string>(), "IPv4 subnet of the network, e.g. 10.88.0.0/24 (required)")
        ("gateway", po::value<std::string>(), "address of the bridge (default: the subnet's first address)")
        ("bridge", po::value<std::string>(), "name of the bridge (default: dkr-NAME)")
        ("nat", po::bool_switch(), "masquerade the containers' traffic that leaves the subnet (uses nft)");
    Parsed p = parse_command(inv, "network create", "[command options] <name>", d, 1, 1);
    if (p.help) return 0;
    if (!p.vm.count("subnet")) throw UsageError("dkr network create: --subnet is required");
    network::NetworkOptions o;
    o.name = p.positional[0];
    o.subnet = p.vm["subnet"].as<std::string>();
    if (p.vm.count("gateway")) o.gateway = p.vm["gateway"].as<std::string>();
    if (p.vm.count("bridge")) o.bridge = p.vm["bridge"].as<std::string>();
    o.nat = p.vm["nat"].as<bool>();
    network::create_network(store_of(p), o);
    return 0;
}

int remove(const Invocation& inv) {
    po::options_description d = flags();
    d.add_options()("force,f", po::bool_switch(), "remove the network even with containers attached");
    Parsed p = parse_command(inv, "network rm", "[command options] <name>", d, 1, 1);
    if (p.help) return 0;
    network::remove_network(store_of(p), p.positional[0], p.vm["force"].as<bool>());
    return 0;
}

int list(const Invocation& inv) {
    Parsed p = parse_command(inv, "network ls", "[command options]", flags(), 0, 0);
    if (p.help) return 0;
    auto row = [](const std::string& name, const std::string& bridge, const std::string& subnet,
                  const std::string& gateway, const std::string& nat, const std::string& containers) {
        std::cout << std::left << std::setw(16) << name << " " << std::setw(15) << bridge << " " << std::setw(18)
                  << subnet << " " << std::setw(15) << gateway << " " << std::setw(3) << nat << " " << containers
                  << "\n";
    };
    row("NAME", "BRIDGE", "SUBNET", "GATEWAY", "NAT", "CONTAINERS");
    for (const auto& n : store_of(p).all())
        row(n.name, n.bridge, n.subnet.str(), network::format_ipv4(n.gateway), n.nat ? "yes" : "no",
            std::to_string(n.attachments.size()));
    return 0;
}

int inspect(const Invocation& inv) {
    Parsed p = parse_command(inv, "network inspect", "[command options] <name>", flags(), 1, 1);
    if (p.help) return 0;
    std::cout << network::network_to_json(store_of(p).load(p.positional[0]));
    return 0;
}

int attach(const Invocation& inv) {
    Parsed p = parse_command(inv, "network attach", "[command options] <name> <bundle>", flags(), 2, 2);
    if (p.help) return 0;
    char self[PATH_MAX];
    if (!::realpath("/proc/self/exe", self)) throw sys_error("resolve", "/proc/self/exe", errno);
    network::attach_bundle(p.positional[1], p.positional[0], self, store_of(p).dir());
    return 0;
}

// The OCI state on stdin: its id, and its pid when `need_pid`.
std::pair<std::string, pid_t> read_hook_state(bool need_pid) {
    std::string text = sys::read_fd(0);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError() || !doc.IsObject())
        throw Error("network hook: stdin is not the container's OCI state (a JSON object)");
    auto id = doc.FindMember("id");
    if (id == doc.MemberEnd() || !id->value.IsString()) throw Error("network hook: the state on stdin has no \"id\"");
    auto pid = doc.FindMember("pid");
    bool has_pid = pid != doc.MemberEnd() && pid->value.IsInt() && pid->value.GetInt() > 0;
    if (need_pid && !has_pid) throw Error("network hook: the state on stdin has no \"pid\" of a running init");
    return {id->value.GetString(), has_pid ? pid->value.GetInt() : 0};
}

int hook(const Invocation& inv) {
    Parsed p = parse_command(inv, "network hook", "[command options] up|down <name>  (OCI state on stdin)", flags(),
                             2, 2);
    if (p.help) return 0;
    const std::string& phase = p.positional[0];
    if (phase != "up" && phase != "down") throw UsageError("dkr network hook: expected up or down, got \"" + phase + "\"");
    auto [id, pid] = read_hook_state(phase == "up");
    if (phase == "up")
        network::connect(store_of(p), p.positional[1], id, pid);
    else
        network::disconnect(store_of(p), p.positional[1], id);
    return 0;
}

struct Sub {
    const char* name;
    const char* summary;
    CommandFn run;
};

const Sub kSubs[] = {
    {"create", "create a network: a bridge with an address from the subnet", create},
    {"rm", "remove a network and its bridge", remove},
    {"ls", "list networks", list},
    {"inspect", "print a network's record with its containers' addresses", inspect},
    {"attach", "add the hooks that connect a bundle's container to a network to its config.json", attach},
    {"hook", "the OCI hook: up (createRuntime) or down (poststop), reading the state on stdin", hook},
};

void print_usage() {
    std::cout << "Usage: dkr network <command> [command options] [arguments...]\n\nCommands:\n";
    for (const auto& s : kSubs) std::cout << "   " << std::left << std::setw(10) << s.name << s.summary << "\n";
}

}  // namespace

int cmd_network(const Invocation& inv) {
    if (inv.args.empty() || inv.args[0] == "--help" || inv.args[0] == "-h") {
        print_usage();
        if (inv.args.empty()) throw UsageError("dkr network: a command is required");
        return 0;
    }
    for (const auto& s : kSubs)
        if (inv.args[0] == s.name) return s.run(sub(inv));
    throw UsageError("dkr network: unknown command \"" + inv.args[0] + "\"");
}

}  // namespace dkr::cli
