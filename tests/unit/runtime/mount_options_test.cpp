#include <gtest/gtest.h>

#include <sys/mount.h>

#include <algorithm>

#include "runtime/mount_options.hpp"

using dkr::parse_mount_options;

TEST(MountOptions, FlagsPropagationAndData) {
    auto o = parse_mount_options({"nosuid", "noexec", "nodev", "ro", "rprivate", "mode=755", "size=65536k"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
    EXPECT_EQ(o.propagation, std::vector<unsigned long>{MS_PRIVATE | MS_REC});
    EXPECT_EQ(o.data, "mode=755,size=65536k");
}

TEST(MountOptions, LaterOptionWins) {
    auto o = parse_mount_options({"ro", "rw", "nosuid", "suid"});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.clear, static_cast<unsigned long>(MS_RDONLY | MS_NOSUID));
}

TEST(MountOptions, BindForms) {
    EXPECT_EQ(parse_mount_options({"bind"}).flags, static_cast<unsigned long>(MS_BIND));
    EXPECT_EQ(parse_mount_options({"rbind"}).flags, static_cast<unsigned long>(MS_BIND | MS_REC));
}

TEST(MountOptions, RecursiveAttributes) {
    auto o = parse_mount_options({"rro", "rnosuid", "rexec"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_NOEXEC));
    EXPECT_EQ(o.flags, 0u);
}

TEST(MountOptions, TmpcopyupAndUnknownAsData) {
    auto o = parse_mount_options({"tmpcopyup", "newinstance", "ptmxmode=0666"});
    EXPECT_TRUE(o.tmpcopyup);
    EXPECT_EQ(o.data, "newinstance,ptmxmode=0666");
}

TEST(MountOptions, KnownListIsSortedAndCoversRuncFeatures) {
    auto names = dkr::known_mount_options();
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    for (const char* n : {"acl", "bind", "rbind", "ro", "rro", "nosymfollow", "tmpcopyup", "runbindable"}) {
        if (std::string(n) == "acl") continue;  // filesystem data, not a flag
        EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    }
}

// Found by tests/fuzz/mount_options_fuzzer: "rnosuid,rsuid" both set and
// cleared MOUNT_ATTR_NOSUID; the later option must win, as for the flags.
TEST(MountOptions, LaterRecursiveAttributeWins) {
    auto o = parse_mount_options({"rnosuid", "rsuid", "rrw", "rro"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_NOSUID));
}
