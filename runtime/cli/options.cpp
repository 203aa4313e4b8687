#include "runtime/cli/options.hpp"

#include <algorithm>
#include <iostream>

namespace dkr::cli {

UsageError usage_error(const std::string& context, const po::error& e, const std::vector<std::string>& args) {
    // Boost.Program_options 1.74 formats these messages by replacing
    // placeholders such as %original_token% with the user's words until none
    // is left: a word that holds a placeholder makes what() loop forever.
    const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
    bool placeholder = std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.find('%') != std::string::npos; });
    if (named && placeholder) return UsageError(context + ": invalid option or option value: " + named->get_option_name());
    return UsageError(context + ": " + e.what());
}

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
        throw usage_error(std::string("dkr ") + name, e, inv.args);
    }
    if (p.vm.count("help")) {
        if (inv.parse_only) throw ParsedOnly{};
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
    if (inv.parse_only) throw ParsedOnly{};
    return p;
}

}  // namespace dkr::cli
