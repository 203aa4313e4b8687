#include "tools/bench/runtimes.hpp"

#include "runtime/error.hpp"

namespace dkr::bench {

Command Runtime::command(std::vector<std::string> args) const {
    Command c;
    c.argv = {path, "--root", root};
    c.argv.insert(c.argv.end(), args.begin(), args.end());
    c.mntns = mntns;
    return c;
}

Runtime find_runtime(const std::string& spec, const std::string& built_dkr) {
    Runtime rt;
    size_t eq = spec.find('=');
    rt.name = spec.substr(0, eq);
    std::string where = eq != std::string::npos ? spec.substr(eq + 1) : rt.name == "dkr" ? built_dkr : rt.name;
    rt.path = find_program(where);
    if (rt.name.empty() || rt.path.empty()) throw Error("runtime " + spec + ": " + where + " not found");
    return rt;
}

bool has_command(Spawner& spawner, const Runtime& rt, const std::string& command) {
    Command c = rt.command({command, "--help"});
    return spawner.run(c).ok();
}

std::string runtime_version(Spawner& spawner, const Runtime& rt) {
    std::string text;
    spawner.run_capturing(Command({rt.path, "--version"}), text);
    return text.substr(0, text.find('\n'));
}

}  // namespace dkr::bench
