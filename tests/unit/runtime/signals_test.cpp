#include <gtest/gtest.h>

#include <csignal>

#include "runtime/error.hpp"
#include "runtime/signals.hpp"

using dkr::parse_signal;

TEST(Signals, NamesWithAndWithoutPrefix) {
    EXPECT_EQ(parse_signal("KILL"), SIGKILL);
    EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
    EXPECT_EQ(parse_signal("term"), SIGTERM);
    EXPECT_EQ(parse_signal("SigHup"), SIGHUP);
    EXPECT_EQ(parse_signal("WINCH"), SIGWINCH);
}

TEST(Signals, Numbers) {
    EXPECT_EQ(parse_signal("9"), 9);
    EXPECT_EQ(parse_signal("15"), 15);
    EXPECT_EQ(parse_signal(std::to_string(SIGRTMAX)), SIGRTMAX);
}

TEST(Signals, RealTime) {
    EXPECT_EQ(parse_signal("RTMIN"), SIGRTMIN);
    EXPECT_EQ(parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
    EXPECT_EQ(parse_signal("RTMAX-1"), SIGRTMAX - 1);
}

TEST(Signals, RejectsUnknownWithQuotedName) {
    for (const char* bad : {"FOO", "", "0", "-1", "9x", "65", "SIG", "RTMIN+99", "99999999999999999999"}) {
        try {
            parse_signal(bad);
            FAIL() << "accepted " << bad;
        } catch (const dkr::Error& e) {
            EXPECT_EQ(std::string(e.what()), std::string("unknown signal \"") + bad + "\"");
        }
    }
}

// Found by tests/fuzz/signal_fuzzer: a negative offset walked out of the
// real-time range ("RTMAX--2616" was signal 2680, "RTMIN+-3" was SIGSYS).
TEST(Signals, RealTimeOffsetsStayInRange) {
    for (const char* bad : {"RTMAX--2616", "sigrtmax--1", "RTMIN+-3", "RTMIN+-0x1", "RTMAX-+1"}) {
        EXPECT_THROW(parse_signal(bad), dkr::Error) << bad;
    }
    EXPECT_EQ(parse_signal("RTMIN+0"), SIGRTMIN);
    EXPECT_EQ(parse_signal("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMIN);
}
