#include "runtime/cli/options.hpp"

#include <iostream>

namespace dkr::cli {

void print_command_help(const char* name, const char* usage, const po::options_description& desc) {
    std::cout << "Usage: dkr " << name << " " << usage << "\n\n" << desc << "\n";
}

Parsed parse_command(const Invocation& inv, const char* name, const char* usage,
                     po::options_description desc, size_t min_args, size_t max_args) {
    desc.add_options()("help,h", "show help");
    po::options_description all;
    all.add(desc).add_options()("args", po::value<std::vector<std::string>>(), "");
    po::positional_options_description pos;
    pos.add("args", -1);
    Parsed p;
    try {
        po::store(po::command_line_parser(inv.args).options(all).positional(pos).run(), p.vm);
        po::notify(p.vm);
    } catch (const po::error& e) {
        throw UsageError(std::string("dkr ") + name + ": " + e.what());
    }
    if (p.vm.count("help")) {
        print_command_help(name, usage, desc);
        p.help = true;
        return p;
    }
    if (p.vm.count("args")) p.positional = p.vm["args"].as<std::vector<std::string>>();
    if (p.positional.size() < min_args || p.positional.size() > max_args) {
        std::string want = min_args == max_args ? "exactly " + std::to_string(min_args)
                           : p.positional.size() < min_args ? "at least " + std::to_string(min_args)
                                                            : "at most " + std::to_string(max_args);
        throw UsageError(std::string("dkr: \"") + name + "\" requires " + want + " argument(s)");
    }
    return p;
}

}  // namespace dkr::cli
