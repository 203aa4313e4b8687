// The parse-only entry point of the command line (what the CLI fuzzer drives):
// it parses as dkr would and runs nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "runtime/cli/cli.hpp"
#include "runtime/error.hpp"

using dkr::cli::parse_command_line;
using dkr::cli::UsageError;

TEST(CliParse, AcceptsWhatDkrAcceptsAndRunsNothing) {
    // A create of a bundle that does not exist would fail if it ran.
    EXPECT_NO_THROW(parse_command_line({"--root", "/nonexistent/root", "create", "--bundle", "/nonexistent", "c1"}));
    EXPECT_NO_THROW(parse_command_line({"--log", "/nonexistent/dir/log", "delete", "-f", "c1"}));
    EXPECT_NO_THROW(parse_command_line({"kill", "-a", "c1", "KILL"}));
    EXPECT_NO_THROW(parse_command_line({"list", "--format", "json"}));
    EXPECT_NO_THROW(parse_command_line({"state", "--help"}));
    EXPECT_NO_THROW(parse_command_line({"--version"}));
    EXPECT_NO_THROW(parse_command_line({"--explain", "run", "--bundle", "/nonexistent", "c1"}));
    EXPECT_NO_THROW(parse_command_line({"--root", "/r", "--explain", "exec", "c1", "ls"}));
    EXPECT_NO_THROW(parse_command_line({}));
}

TEST(CliParse, RejectsWhatDkrRejects) {
    EXPECT_THROW(parse_command_line({"nosuchcommand"}), UsageError);
    EXPECT_THROW(parse_command_line({"start"}), UsageError);
    EXPECT_THROW(parse_command_line({"state", "a", "b"}), UsageError);
    EXPECT_THROW(parse_command_line({"create", "--bogus", "c1"}), UsageError);
    EXPECT_THROW(parse_command_line({"--log-format", "xml", "list"}), UsageError);
    // Found by cli_fuzzer: an empty long name once escaped as a Boost exception.
    EXPECT_THROW(parse_command_line({"exec", "--=usEr", "1:2", "c1", "ls"}), UsageError);
    EXPECT_THROW(parse_command_line({"--explain=yes", "list"}), UsageError);  // a switch takes no value
}

TEST(CliParse, ExecTakesItsCommandLineAsItIs) {
    // Flags end at the container id; what follows is the command's, dashes and all.
    EXPECT_NO_THROW(parse_command_line({"exec", "-t", "-u", "1:2", "-g", "10", "--cap", "CAP_KILL", "c1", "ls", "-la"}));
    EXPECT_NO_THROW(parse_command_line({"exec", "c1", "sh", "--bogus-for-sh"}));
    EXPECT_NO_THROW(parse_command_line({"exec", "-p", "/p.json", "c1"}));
    EXPECT_NO_THROW(parse_command_line({"run", "--keep", "--no-subreaper", "--preserve-fds", "2", "c1"}));
    EXPECT_NO_THROW(parse_command_line({"features"}));
    EXPECT_THROW(parse_command_line({"exec", "c1"}), UsageError);
    EXPECT_THROW(parse_command_line({"exec", "--bogus", "c1", "ls"}), UsageError);
    EXPECT_THROW(parse_command_line({"exec", "--preserve-fds", "-1", "c1", "ls"}), UsageError);
    // --user is parsed strictly: "1" is uid 1; anything but UID[:GID] is refused.
    EXPECT_NO_THROW(parse_command_line({"exec", "--user", "1", "c1", "id"}));
    for (const char* bad : {"x", "+1", "-1", "1:", "1:2:3", "0x1"})
        EXPECT_THROW(parse_command_line({"exec", "--user", bad, "c1", "id"}), dkr::Error) << bad;
    EXPECT_THROW(parse_command_line({"exec", "-g", "-5", "c1", "id"}), dkr::Error);
    EXPECT_THROW(parse_command_line({"exec", "--cap", "CAP_NOPE", "c1", "id"}), dkr::Error);
}

// Found by tests/fuzz/cli_fuzzer: Boost.Program_options formats an error by
// replacing placeholders with the user's words until none is left, so a word
// holding one ("--x%original_token%") made dkr loop forever.
TEST(CliParse, PlaceholderInAWordIsAnErrorNotAHang) {
    for (std::vector<std::string> args : {std::vector<std::string>{"--x%original_token%", "list"},
                                          {"--log-f%original_token%ug", "delete", "c0"},
                                          {"kill", "--%canonical_option%", "c1"},
                                          {"create", "--bundle=%value%", "--bundle", "x", "c1"}}) {
        auto parsed = std::async(std::launch::async, [args] {
            try {
                parse_command_line(args);
                return std::string("accepted");
            } catch (const UsageError& e) {
                return std::string(e.what());
            }
        });
        ASSERT_EQ(parsed.wait_for(std::chrono::seconds(60)), std::future_status::ready) << args[0] << ": hangs";
        EXPECT_NE(parsed.get(), "accepted") << args[0];
    }
}
