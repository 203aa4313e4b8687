#include "spec/default_spec.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "spec/loader.hpp"

namespace dkr::spec {
namespace {

TEST(DefaultSpec, IsRuncSpecOutputByteForByte) {
    // runc 1.1.5's own output, captured on this kind of machine.
    std::ifstream reference(DKR_SOURCE_DIR "/tests/data/runc-reference/spec-default.json", std::ios::binary);
    ASSERT_TRUE(reference) << "missing runc reference output";
    std::ostringstream text;
    text << reference.rdbuf();
    EXPECT_EQ(default_config_json(), text.str());
}

TEST(DefaultSpec, ParsesIntoRuncDefaults) {
    const Config c = parse_config(default_config_json(), "config.json");
    EXPECT_EQ(c.oci_version, "1.0.2-dev");
    EXPECT_EQ(c.hostname, "runc");
    ASSERT_TRUE(c.process);
    EXPECT_TRUE(c.process->terminal);
    EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(c.process->cwd, "/");
    EXPECT_EQ(c.process->user.uid, 0u);
    EXPECT_TRUE(c.process->no_new_privileges);
    ASSERT_TRUE(c.process->capabilities);
    EXPECT_EQ(c.process->capabilities->bounding,
              (std::vector<std::string>{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}));
    EXPECT_TRUE(c.process->capabilities->inheritable.empty());
    ASSERT_EQ(c.process->rlimits.size(), 1u);
    EXPECT_EQ(c.process->rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(c.process->rlimits[0].soft, 1024u);
    EXPECT_EQ(c.process->rlimits[0].hard, 1024u);
    ASSERT_TRUE(c.root);
    EXPECT_EQ(c.root->path, "rootfs");
    EXPECT_TRUE(c.root->readonly);
    ASSERT_EQ(c.mounts.size(), 7u);
    EXPECT_EQ(c.mounts[2].destination, "/dev/pts");
    EXPECT_EQ(c.mounts[2].options.back(), "gid=5");
    ASSERT_TRUE(c.linux);
    ASSERT_EQ(c.linux->namespaces.size(), 5u);
    EXPECT_NE(c.linux->find_namespace("mount"), nullptr);
    EXPECT_EQ(c.linux->find_namespace("user"), nullptr);
    EXPECT_EQ(c.linux->masked_paths.size(), 10u);
    EXPECT_EQ(c.linux->readonly_paths.back(), "/proc/sysrq-trigger");
    ASSERT_TRUE(c.linux->resources);
    ASSERT_EQ(c.linux->resources->devices.size(), 1u);
    EXPECT_FALSE(c.linux->resources->devices[0].allow);
    EXPECT_EQ(c.linux->resources->devices[0].access, "rwm");
}

}  // namespace
}  // namespace dkr::spec
