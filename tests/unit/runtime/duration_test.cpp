#include "runtime/duration.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

namespace dkr {
namespace {

using namespace std::chrono_literals;

TEST(Duration, GoSyntax) {
    EXPECT_EQ(parse_duration("5s"), 5s);
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("1m30s"), 90s);
    EXPECT_EQ(parse_duration("1.5h"), 90min);
    EXPECT_EQ(parse_duration("100us"), 100us);
    EXPECT_EQ(parse_duration("100\u00b5s"), 100us);
    EXPECT_EQ(parse_duration("42ns"), 42ns);
    EXPECT_EQ(parse_duration("0"), 0s);
    EXPECT_EQ(parse_duration("-2s"), -2s);
    EXPECT_EQ(parse_duration("+.5s"), 500ms);
    for (const char* bad : {"", "5", "abc", "5x", "s", "1..5s", "-", "1s2"}) EXPECT_THROW(parse_duration(bad), Error) << bad;
}

}  // namespace
}  // namespace dkr
