#include "runtime/sys/strings.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

using dkr::sys::split;
using dkr::sys::words;
using V = std::vector<std::string_view>;

TEST(Strings, SplitKeepsEmptyPieces) {
    EXPECT_EQ(split("a,,b", ','), (V{"a", "", "b"}));
    EXPECT_EQ(split("", ','), (V{""}));
    EXPECT_EQ(split("a,", ','), (V{"a", ""}));
    EXPECT_EQ(split("line1\nline2\n", '\n'), (V{"line1", "line2", ""}));
}

TEST(Strings, WordsDropsRunsOfBlanks) {
    EXPECT_EQ(words("  22 27 0:21\t/ /proc  rw \n"), (V{"22", "27", "0:21", "/", "/proc", "rw"}));
    EXPECT_EQ(words(""), V{});
    EXPECT_EQ(words(" \t\n"), V{});
    EXPECT_EQ(words("one"), (V{"one"}));
}
