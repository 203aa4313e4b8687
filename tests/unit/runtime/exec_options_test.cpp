// exec's process: --user parsed strictly, and runc's overrides applied to the
// container's process.
#include "runtime/exec_options.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"

using namespace dkr;

namespace {

using Strings = std::vector<std::string>;

TEST(ExecUser, UidAloneIsThatUid) {
    // CVE-2026-30892: crun took "1" for uid 0.
    UserIds u = parse_user("1");
    EXPECT_EQ(u.uid, 1u);
    EXPECT_FALSE(u.gid);
    EXPECT_EQ(parse_user("0").uid, 0u);
    EXPECT_EQ(parse_user("1000").uid, 1000u);
}

TEST(ExecUser, UidAndGid) {
    UserIds u = parse_user("1000:100");
    EXPECT_EQ(u.uid, 1000u);
    ASSERT_TRUE(u.gid);
    EXPECT_EQ(*u.gid, 100u);
    EXPECT_EQ(*parse_user("0:0").gid, 0u);
    EXPECT_EQ(parse_user("2147483647:2147483647").uid, 2147483647u);
}

TEST(ExecUser, GarbageIsRefused) {
    for (const char* bad : {"", ":", "x", "1x", "x1", " 1", "1 ", "+1", "-1", "1:", ":1", "1:2:3", "0x10", "1.0",
                            "2147483648", "4294967295", "99999999999", "1:-1", "1:+2", "１"}) {
        try {
            parse_user(bad);
            ADD_FAILURE() << "accepted \"" << bad << "\"";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("invalid --user"), std::string::npos) << e.what();
        }
    }
}

TEST(ExecUser, AdditionalGids) {
    EXPECT_EQ(parse_gid("27"), 27u);
    for (const char* bad : {"", "-1", "a", "1,2", "2147483648"}) EXPECT_THROW(parse_gid(bad), Error) << bad;
}

spec::Process base() {
    spec::Process p;
    p.args = {"sleep", "1000"};
    p.cwd = "/";
    p.env = {"PATH=/bin", "A=1"};
    p.terminal = true;
    p.user.uid = 5;
    p.user.gid = 6;
    p.user.additional_gids = {7};
    p.capabilities.emplace();
    p.capabilities->bounding = {"CAP_KILL"};
    p.capabilities->inheritable = {"CAP_KILL"};
    p.rlimits = {{"RLIMIT_NOFILE", 100, 200}};
    p.apparmor_profile = "profile";
    return p;
}

TEST(ExecProcess, KeepsTheContainersProcessWithoutFlags) {
    ExecOptions o;
    o.args = {"ps"};
    spec::Process p = exec_process(o, base());
    EXPECT_EQ(p.args, Strings{"ps"});
    EXPECT_EQ(p.cwd, "/");
    EXPECT_EQ(p.env, (Strings{"PATH=/bin", "A=1"}));
    EXPECT_FALSE(p.terminal) << "a terminal only with --tty, as runc";
    EXPECT_EQ(p.user.uid, 5u);
    EXPECT_EQ(p.user.gid, 6u);
    EXPECT_EQ(p.user.additional_gids, std::vector<uint32_t>{7});
    EXPECT_EQ(p.capabilities->bounding, Strings{"CAP_KILL"});
    ASSERT_EQ(p.rlimits.size(), 1u);
    EXPECT_EQ(p.apparmor_profile, "profile");
    EXPECT_FALSE(p.no_new_privileges);
}

TEST(ExecProcess, FlagsOverride) {
    ExecOptions o;
    o.args = {"id"};
    o.cwd = "/tmp";
    o.env = {"B=2"};
    o.tty = true;
    o.user = "1";
    o.additional_gids = {"8", "9"};
    o.caps = {"CAP_NET_ADMIN"};
    o.no_new_privs = true;
    o.apparmor = "other";
    o.process_label = "label";
    spec::Process p = exec_process(o, base());
    EXPECT_EQ(p.cwd, "/tmp");
    EXPECT_EQ(p.env, (Strings{"PATH=/bin", "A=1", "B=2"}));
    EXPECT_TRUE(p.terminal);
    EXPECT_EQ(p.user.uid, 1u);
    EXPECT_EQ(p.user.gid, 6u) << "--user UID keeps the configured gid";
    EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{7, 8, 9}));
    EXPECT_EQ(p.capabilities->bounding, (Strings{"CAP_KILL", "CAP_NET_ADMIN"}));
    EXPECT_EQ(p.capabilities->effective, Strings{"CAP_NET_ADMIN"});
    EXPECT_EQ(p.capabilities->permitted, Strings{"CAP_NET_ADMIN"});
    EXPECT_EQ(p.capabilities->ambient, Strings{"CAP_NET_ADMIN"});
    EXPECT_EQ(p.capabilities->inheritable, Strings{"CAP_KILL"}) << "never added to (CVE-2022-29162)";
    EXPECT_TRUE(p.no_new_privileges);
    EXPECT_EQ(p.apparmor_profile, "other");
    EXPECT_EQ(p.selinux_label, "label");
}

TEST(ExecProcess, CapsOnAProcessWithoutCapabilities) {
    ExecOptions o;
    o.args = {"id"};
    o.caps = {"CAP_CHOWN"};
    spec::Process none = base();
    none.capabilities.reset();
    spec::Process p = exec_process(o, none);
    ASSERT_TRUE(p.capabilities);
    EXPECT_EQ(p.capabilities->bounding, Strings{"CAP_CHOWN"});
}

TEST(ExecProcess, UnknownCapIsRefused) {
    ExecOptions o;
    o.args = {"id"};
    o.caps = {"CAP_NOPE"};
    try {
        exec_process(o, base());
        ADD_FAILURE() << "accepted CAP_NOPE";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "invalid --cap \"CAP_NOPE\": unknown capability");
    }
}

}  // namespace
