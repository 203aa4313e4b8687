#include "runtime/cli/options.hpp"

#include <algorithm>
#include <cstdint>
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

namespace {

// Index of the first word of `args` that is not a flag or a flag's value.
size_t first_positional(const std::vector<std::string>& args, const po::options_description& desc) {
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") return i;
        if (a.size() < 2 || a[0] != '-') return i;
        bool is_long = a[1] == '-';
        // Boost names a short option with its dash ("-u").
        std::string name = is_long ? a.substr(2, a.find('=') - 2) : a.substr(0, 2);
        // Boost finds "" ambiguous and lets "--=x" through the parser: say what runc says.
        if (name.empty() || name == "-") throw UsageError("bad flag syntax: " + a);
        const po::option_description* opt = desc.find_nothrow(name, false, false, false);
        bool inline_value = is_long ? a.find('=') != std::string::npos : a.size() > 2;
        if (opt && opt->semantic()->max_tokens() > 0 && !inline_value) ++i;
    }
    return args.size();
}

void check_count(const char* name, size_t got, size_t min_args, size_t max_args) {
    if (got >= min_args && got <= max_args) return;
    std::string want = min_args == max_args ? "exactly " + std::to_string(min_args)
                       : got < min_args     ? "at least " + std::to_string(min_args)
                                            : "at most " + std::to_string(max_args);
    throw UsageError(std::string("dkr: \"") + name + "\" requires " + want + " argument(s)");
}

// Parses `words` into p.vm; false when --help was asked for (and printed).
bool store(po::command_line_parser parser, const std::vector<std::string>& words, const Invocation& inv,
           const char* name, const char* usage, const po::options_description& shown, Parsed& p) {
    try {
        po::store(parser.run(), p.vm);
        po::notify(p.vm);
    } catch (const po::error& e) {
        throw usage_error(std::string("dkr ") + name, e, words);
    }
    if (!p.vm.count("help")) return true;
    if (inv.parse_only) throw ParsedOnly{};
    print_command_help(name, usage, shown);
    p.help = true;
    return false;
}

}  // namespace

int preserve_fds(const Parsed& p) {
    int n = p.vm["preserve-fds"].as<int>();
    if (n < 0) throw UsageError("dkr: --preserve-fds must not be negative");
    return n;
}

Parsed parse_command_then_args(const Invocation& inv, const char* name, const char* usage,
                               po::options_description desc, size_t min_args) {
    desc.add_options()("help,h", "show help");
    size_t split = first_positional(inv.args, desc);
    std::vector<std::string> flags(inv.args.begin(), inv.args.begin() + static_cast<long>(split));
    Parsed p;
    if (!store(po::command_line_parser(flags).options(desc), flags, inv, name, usage, desc, p)) return p;
    if (split < inv.args.size() && inv.args[split] == "--") ++split;
    p.positional.assign(inv.args.begin() + static_cast<long>(split), inv.args.end());
    check_count(name, p.positional.size(), min_args, SIZE_MAX);
    return p;
}

Parsed parse_command(const Invocation& inv, const char* name, const char* usage,
                     po::options_description desc, size_t min_args, size_t max_args) {
    desc.add_options()("help,h", "show help");
    po::options_description all;
    all.add(desc).add_options()("args", po::value<std::vector<std::string>>(), "");
    po::positional_options_description pos;
    pos.add("args", -1);
    Parsed p;
    if (!store(po::command_line_parser(inv.args).options(all).positional(pos), inv.args, inv, name, usage, desc, p))
        return p;
    if (p.vm.count("args")) p.positional = p.vm["args"].as<std::vector<std::string>>();
    check_count(name, p.positional.size(), min_args, max_args);
    if (inv.parse_only) throw ParsedOnly{};
    return p;
}

}  // namespace dkr::cli
