#include <gtest/gtest.h>

#include <filesystem>

#include "runtime/error.hpp"
#include "runtime/network/attach.hpp"
#include "runtime/network/nat.hpp"
#include "runtime/network/store.hpp"
#include "runtime/sys/file.hpp"

using namespace dkr;
using namespace dkr::network;

namespace {

Network sample() {
    Network n;
    n.name = "n1";
    n.bridge = "dkr-n1";
    n.subnet = Subnet::parse("10.88.0.0/24");
    n.gateway = parse_ipv4("10.88.0.1");
    n.nat = true;
    n.attachments = {{"c1", parse_ipv4("10.88.0.2"), "dkv0a580002"}, {"c2", parse_ipv4("10.88.0.4"), "dkv0a580004"}};
    return n;
}

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dkr-net-store-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

TEST_F(StoreTest, RoundTripsNetworks) {
    Store store(dir_ + "/state");
    EXPECT_TRUE(store.all().empty());
    sys::Fd lock = store.lock();  // makes the directory
    EXPECT_FALSE(store.find("n1"));
    store.save(sample());
    Network other = sample();
    other.name = "a0";
    other.attachments.clear();
    store.save(other);
    Network back = store.load("n1");
    EXPECT_EQ(network_to_json(back), network_to_json(sample()));
    ASSERT_EQ(store.all().size(), 2u);
    EXPECT_EQ(store.all()[0].name, "a0");
    store.remove("n1");
    EXPECT_EQ(store.all().size(), 1u);
    try {
        store.load("n1");
        FAIL() << "loaded a removed network";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "network \"n1\" does not exist");
    }
}

TEST_F(StoreTest, CorruptFilesAreNamed) {
    Store store(dir_);
    std::string path = dir_ + "/bad.json";
    sys::write_file_atomic(path, R"({"name":"bad","bridge":"b","subnet":"10.0.0.0/24","gateway":"10.0.0.1"})");
    try {
        store.load("bad");
        FAIL() << "loaded a corrupt record";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), path + ": corrupt network file: \"nat\" is missing or not a boolean");
    }
    sys::write_file_atomic(path, "{");
    EXPECT_THROW(store.load("bad"), Error);
}

TEST(NetworkNames, OnlySafeCharacters) {
    EXPECT_NO_THROW(check_network_name("web-1.test_a"));
    EXPECT_THROW(check_network_name(""), Error);
    EXPECT_THROW(check_network_name("../x"), Error);
    EXPECT_THROW(check_network_name("-x"), Error);
    EXPECT_THROW(check_network_name(std::string(65, 'a')), Error);
}

TEST(Allocation, LowestFreeAddressSkipsGatewayAndTaken) {
    Network n = sample();
    EXPECT_EQ(format_ipv4(next_free_address(n)), "10.88.0.3");
    n.attachments.push_back({"c3", parse_ipv4("10.88.0.3"), "x"});
    EXPECT_EQ(format_ipv4(next_free_address(n)), "10.88.0.5");
    n.gateway = parse_ipv4("10.88.0.5");  // .1 is free now
    EXPECT_EQ(format_ipv4(next_free_address(n)), "10.88.0.1");
}

TEST(Allocation, FullSubnetIsAnError) {
    Network n = sample();
    n.subnet = Subnet::parse("10.88.0.0/30");
    n.attachments = {{"c1", parse_ipv4("10.88.0.2"), "x"}};
    try {
        next_free_address(n);
        FAIL() << "allocated from a full subnet";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "network \"n1\": no free address left in 10.88.0.0/30");
    }
}

TEST(Allocation, HostInterfaceNamesFitIfnamsiz) {
    EXPECT_EQ(host_interface_name(parse_ipv4("10.88.0.2")), "dkv0a580002");
    EXPECT_EQ(host_interface_name(parse_ipv4("255.255.255.254")).size(), 11u);
}

TEST(Nat, RulesetMasqueradesOnlyTrafficLeavingTheSubnet) {
    EXPECT_EQ(nat_ruleset(sample()),
              "table ip dkr_n1 {\n"
              "\tchain postrouting {\n"
              "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
              "\t\tip saddr 10.88.0.0/24 ip daddr != 10.88.0.0/24 masquerade\n"
              "\t}\n"
              "}\n");
}

}  // namespace
