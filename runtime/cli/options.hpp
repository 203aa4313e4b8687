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

// Prints `dkr NAME --help`.
void print_command_help(const char* name, const char* usage, const po::options_description& desc);

}  // namespace dkr::cli
