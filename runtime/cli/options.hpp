// Boost.Program_options glue shared by the commands.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "runtime/cli/cli.hpp"

namespace dkr::cli {

namespace po = boost::program_options;

struct Parsed {
    po::variables_map vm;
    std::vector<std::string> positional;
    bool help = false;
};

// Parses a command's arguments; flags may come before or after the
// positional ones. `--help` is added to every command. Checks that the
// number of positional arguments is within [min_args, max_args]. For a
// parse-only invocation, throws ParsedOnly instead of returning.
Parsed parse_command(const Invocation& inv, const char* name, const char* usage,
                     po::options_description desc, size_t min_args, size_t max_args);

// The UsageError for a Boost.Program_options error met parsing `args`:
// "CONTEXT: what went wrong".
UsageError usage_error(const std::string& context, const po::error& e, const std::vector<std::string>& args);

// For commands that end with a command line of their own (exec): flags come
// first, then the positional arguments; everything after the first
// positional one (or after "--") is taken as it is. `positional` holds them
// all; at least min_args are required. A parse-only invocation leaves
// here only for --help: the caller checks the rest of its arguments and
// then throws ParsedOnly itself.
Parsed parse_command_then_args(const Invocation& inv, const char* name, const char* usage,
                               po::options_description desc, size_t min_args);

// --preserve-fds, checked: 0 or more.
int preserve_fds(const Parsed& p);

// Prints `dkr NAME --help`.
void print_command_help(const char* name, const char* usage, const po::options_description& desc);

}  // namespace dkr::cli
