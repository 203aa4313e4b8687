// The dkr command line: runc's commands, flags and exit codes over the
// lifecycle library. Each command is a function taking its own arguments.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/log.hpp"

namespace dkr {
class Runtime;
}

namespace dkr::cli {

struct Globals {
    std::string root = "/run/dkr";
    std::string log_path;
    LogFormat log_format = LogFormat::Text;
    bool debug = false;
    bool explain = false;  // --explain: each step on stderr (runtime/explain.hpp)
    bool systemd_cgroup = false;
};

// What a command gets: the globals, a logger and its own arguments (after the command name).
struct Invocation {
    const Globals& globals;
    const Logger& log;
    std::vector<std::string> args;
    // Parse the arguments and do nothing else (parse_command_line).
    bool parse_only = false;
};

// Thrown for a bad flag or argument count; main prints it and exits 1, as runc.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Thrown by parse_command for a parse-only invocation once the command's
// arguments are parsed: it leaves the command before the command acts.
struct ParsedOnly {};

// An error after which the command exits with `status` rather than 1.
struct StatusError : std::runtime_error {
    StatusError(const std::string& msg, int status) : std::runtime_error(msg), status(status) {}
    int status;
};
inline constexpr int kExecFailed = 255;

using CommandFn = int (*)(const Invocation&);

// The lifecycle engine for a command: --root, the logger, --systemd-cgroup
// and, with --explain, an Explainer on stderr.
Runtime runtime_for(const Invocation& inv);

struct Command {
    const char* name;
    const char* summary;
    CommandFn run;
    // Puts a process into a container: runs from a sealed copy of the binary
    // (security/sealed_exe.hpp, CVE-2019-5736).
    bool seals_exe = false;
};

// Every command, in the order `dkr --help` lists them.
const std::vector<Command>& commands();

// Parses the global flags and runs the command (re-executing a sealed copy
// of the binary, from argv, first for the commands that need it). logger_out
// is pointed at `logger` once --log and --log-format are known, for main's
// error line.
int dispatch(char** argv, const std::vector<std::string>& args, Globals& g, const Logger*& logger_out,
             Logger& logger);

// Parses a whole command line, global flags and the command's own, as
// dispatch does, and does nothing else: no command runs, no log file opens,
// nothing is printed. Throws UsageError or dkr::Error as dispatch would.
void parse_command_line(const std::vector<std::string>& args);

int cmd_create(const Invocation&);
int cmd_start(const Invocation&);
int cmd_run(const Invocation&);
int cmd_state(const Invocation&);
int cmd_kill(const Invocation&);
int cmd_delete(const Invocation&);
int cmd_list(const Invocation&);
int cmd_spec(const Invocation&);
int cmd_network(const Invocation&);
int cmd_image(const Invocation&);
int cmd_pause(const Invocation&);
int cmd_resume(const Invocation&);
int cmd_update(const Invocation&);
int cmd_events(const Invocation&);
int cmd_ps(const Invocation&);
int cmd_exec(const Invocation&);
int cmd_features(const Invocation&);

}  // namespace dkr::cli
