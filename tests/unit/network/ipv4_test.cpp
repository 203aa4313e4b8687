#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/network/ipv4.hpp"

using namespace dkr;
using namespace dkr::network;

namespace {

std::string parse_error(const std::string& cidr) {
    try {
        Subnet::parse(cidr);
    } catch (const Error& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(Ipv4, ParsesAndFormatsDottedQuads) {
    EXPECT_EQ(parse_ipv4("10.88.0.2"), 0x0a580002u);
    EXPECT_EQ(format_ipv4(0xac1ffb01u), "172.31.251.1");
    EXPECT_THROW(parse_ipv4("10.88.0"), Error);
    EXPECT_THROW(parse_ipv4("10.88.0.256"), Error);
    EXPECT_THROW(parse_ipv4(" 10.88.0.1"), Error);
}

TEST(Ipv4, SubnetArithmetic) {
    Subnet s = Subnet::parse("10.88.0.0/24");
    EXPECT_EQ(s.str(), "10.88.0.0/24");
    EXPECT_EQ(s.mask(), 0xffffff00u);
    EXPECT_EQ(format_ipv4(s.broadcast()), "10.88.0.255");
    EXPECT_EQ(format_ipv4(s.first_host()), "10.88.0.1");
    EXPECT_EQ(format_ipv4(s.last_host()), "10.88.0.254");
    EXPECT_TRUE(s.contains(parse_ipv4("10.88.0.77")));
    EXPECT_FALSE(s.contains(parse_ipv4("10.88.1.1")));
    EXPECT_TRUE(s.overlaps(Subnet::parse("10.88.0.128/25")));
    EXPECT_TRUE(s.overlaps(Subnet::parse("10.0.0.0/8")));
    EXPECT_FALSE(s.overlaps(Subnet::parse("10.88.1.0/24")));
}

TEST(Ipv4, BadSubnetsAreNamed) {
    EXPECT_EQ(parse_error("10.88.0.0"), "invalid subnet \"10.88.0.0\": expected ADDRESS/PREFIX, e.g. 10.88.0.0/24");
    EXPECT_EQ(parse_error("10.88.0.1/24"),
              "invalid subnet \"10.88.0.1/24\": host bits are set (did you mean 10.88.0.0/24?)");
    EXPECT_EQ(parse_error("10.88.0.0/31"), "invalid subnet \"10.88.0.0/31\": the prefix must be between 8 and 30");
    EXPECT_EQ(parse_error("10.88.0.0/x"), "invalid subnet \"10.88.0.0/x\": the prefix is not a number");
    EXPECT_EQ(parse_error("10.88.0.0/"), "invalid subnet \"10.88.0.0/\": the prefix is not a number");
    EXPECT_EQ(parse_error("ten/24"), "invalid subnet \"ten/24\": invalid IPv4 address \"ten\"");
}

}  // namespace
