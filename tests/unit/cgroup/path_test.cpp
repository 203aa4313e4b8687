// Host parsing, cgroupsPath resolution (runc 1.1, cgroupfs driver) and the
// saved path format.
#include "runtime/cgroup/path.hpp"

#include <gtest/gtest.h>

#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "tests/support/error_of.hpp"

namespace dkr::cgroup {
namespace {

// This machine's layout: hybrid, cpu and cpuacct mounted separately, the
// caller in a nested memory cgroup.
const char* kHybridMountinfo =
    "22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* kHybridCgroup =
    "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
    "4:memory:/process_api/abc\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

const char* kV2Mountinfo =
    "25 1 0:21 / / rw - ext4 /dev/vda rw\n"
    "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
const char* kV2Cgroup = "0::/user.slice/user-0.slice/session-1.scope\n";

std::string keys(const Host& h) {
    std::string s;
    for (const auto& x : h.v1) s += x.key() + "@" + x.mountpoint + "@" + x.own_path + " ";
    return s;
}

using dkr::test::error_of;

TEST(Host, ParsesThisMachinesHybridLayout) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    EXPECT_FALSE(h.unified);
    EXPECT_EQ(keys(h),
              "cpu@/sys/fs/cgroup/cpu@/ cpuacct@/sys/fs/cgroup/cpuacct@/ cpuset@/sys/fs/cgroup/cpuset@/ "
              "memory@/sys/fs/cgroup/memory@/process_api/abc devices@/sys/fs/cgroup/devices@/ "
              "freezer@/sys/fs/cgroup/freezer@/ blkio@/sys/fs/cgroup/blkio@/ pids@/sys/fs/cgroup/pids@/ "
              "name=systemd@/sys/fs/cgroup/systemd@/ ");
    ASSERT_TRUE(h.v2);
    EXPECT_EQ(h.v2->mountpoint, "/sys/fs/cgroup/unified");
    EXPECT_EQ(h.v2->own_path, "/");
    EXPECT_EQ(h.find_v1("cpuacct")->mountpoint, "/sys/fs/cgroup/cpuacct");
    EXPECT_EQ(h.find_v1("hugetlb"), nullptr);
}

TEST(Host, CoMountedControllersAndEscapes) {
    const char* mi =
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/net\\040cls rw - cgroup cgroup rw,net_cls,net_prio\n"
        "34 31 0:31 / /sys/fs/cgroup/foo rw - cgroup cgroup rw,name=foo\n";
    const char* pc = "3:name=foo:/\n2:net_cls,net_prio:/n\n1:cpu,cpuacct:/c\n";
    Host h = parse_host(mi, pc, false);
    EXPECT_EQ(keys(h), "cpuacct,cpu@/sys/fs/cgroup/cpu,cpuacct@/c net_cls,net_prio@/sys/fs/cgroup/net cls@/n ");
    EXPECT_FALSE(h.v2);
}

TEST(Host, PureV2) {
    Host h = parse_host(kV2Mountinfo, kV2Cgroup, true);
    EXPECT_TRUE(h.unified);
    EXPECT_TRUE(h.v1.empty());
    ASSERT_TRUE(h.v2);
    EXPECT_EQ(h.v2->mountpoint, "/sys/fs/cgroup");
    EXPECT_EQ(h.v2->own_path, "/user.slice/user-0.slice/session-1.scope");
}

TEST(Host, MountRootInACgroupNamespace) {
    Hierarchy h;
    h.mount_root = "/docker/abc";
    h.own_path = "/docker/abc/x";
    EXPECT_EQ(h.own_relative(), "/x");
    h.own_path = "/docker/abc";
    EXPECT_EQ(h.own_relative(), "/");
    h.own_path = "/elsewhere";
    EXPECT_EQ(h.own_relative(), "/");
}

TEST(Path, CleanPathLikeRunc) {
    EXPECT_EQ(clean_path(""), "");
    EXPECT_EQ(clean_path("/a/./b//c/"), "/a/b/c");
    EXPECT_EQ(clean_path("/../../a"), "/a");
    EXPECT_EQ(clean_path("../../a/b"), "a/b");
    EXPECT_EQ(clean_path("a/../../b"), "b");
    EXPECT_EQ(clean_path(".."), ".");
    EXPECT_EQ(clean_path("/"), "/");
}

TEST(Path, SystemdFormIsNotSupported) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    EXPECT_TRUE(is_systemd_path("system.slice:docker:abc"));
    EXPECT_FALSE(is_systemd_path("/system.slice:docker:abc"));
    EXPECT_FALSE(is_systemd_path("a:b"));
    EXPECT_NE(error_of([&] { resolve_paths(h, "system.slice:dkr:c1", "c1"); }).find("systemd cgroup driver"),
              std::string::npos);
    EXPECT_NE(error_of([&] { make_manager(h, "/dkr/c1", "c1", true); }).find("systemd cgroup driver is not supported"),
              std::string::npos);
}

TEST(Path, AbsoluteIsUsedAsIsInEveryHierarchy) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    Paths p = resolve_paths(h, "/dkr/../dkr/c1/", "c1");
    ASSERT_EQ(p.v1.size(), h.v1.size());
    for (const auto& x : p.v1) EXPECT_EQ(x, "/dkr/c1");
    EXPECT_EQ(p.v2, "/dkr/c1");
    EXPECT_EQ(encode_paths(h, p), "/dkr/c1");
}

TEST(Path, RelativeNestsUnderTheCallersCgroupOnV1) {
    // runc 1.1.5 on this machine: memory:/process_api/<hash>/foo/bar, every other /foo/bar.
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    Paths p = resolve_paths(h, "foo/bar", "c1");
    for (size_t i = 0; i < h.v1.size(); ++i)
        EXPECT_EQ(p.v1[i], h.v1[i].has("memory") ? "/process_api/abc/foo/bar" : "/foo/bar") << h.v1[i].key();
    EXPECT_EQ(p.v2, "/foo/bar");
    std::string saved = encode_paths(h, p);
    EXPECT_EQ(saved, "/foo/bar;memory:/process_api/abc/foo/bar");
    Paths back = decode_paths(h, saved);
    EXPECT_EQ(back.v1, p.v1);
    EXPECT_EQ(back.v2, p.v2);
}

TEST(Path, EmptyUsesTheContainerIdRelative) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    Paths p = resolve_paths(h, "", "c1");
    EXPECT_EQ(encode_paths(h, p), "/c1;memory:/process_api/abc/c1");
    EXPECT_NE(error_of([&] { resolve_paths(h, "", ""); }).find("empty"), std::string::npos);
}

TEST(Path, RelativeOnV2GoesUnderTheParentOfTheCallersCgroup) {
    Host h = parse_host(kV2Mountinfo, kV2Cgroup, true);
    EXPECT_EQ(resolve_paths(h, "dkr/c1", "c1").v2, "/user.slice/user-0.slice/dkr/c1");
    EXPECT_EQ(resolve_paths(h, "", "c1").v2, "/user.slice/user-0.slice/c1");
    EXPECT_EQ(resolve_paths(h, "/dkr/c1", "c1").v2, "/dkr/c1");
    EXPECT_EQ(encode_paths(h, resolve_paths(h, "/dkr/c1", "c1")), "/dkr/c1");
    Host root = parse_host(kV2Mountinfo, "0::/\n", true);
    EXPECT_EQ(resolve_paths(root, "c1", "x").v2, "/c1");
}

TEST(Path, RejectsRootsAndTheCallersOwnCgroup) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    EXPECT_NE(error_of([&] { resolve_paths(h, "/", "c1"); }).find("root"), std::string::npos);
    EXPECT_NE(error_of([&] { resolve_paths(h, "/..", "c1"); }).find("root"), std::string::npos);
    EXPECT_THROW(resolve_paths(h, "..", "c1"), Error);  // "." : the caller's own cgroups
    // An ancestor of the caller's memory cgroup would take the caller with it.
    EXPECT_NE(error_of([&] { resolve_paths(h, "/process_api", "c1"); }).find("holds this process"), std::string::npos);
    EXPECT_NE(error_of([&] { resolve_paths(h, "a;b", "c1"); }).find("';'"), std::string::npos);
    Host v2 = parse_host(kV2Mountinfo, kV2Cgroup, true);
    EXPECT_NE(error_of([&] { resolve_paths(v2, "/user.slice", "c1"); }).find("holds this process"), std::string::npos);
}

TEST(Path, DecodeValidates) {
    Host h = parse_host(kHybridMountinfo, kHybridCgroup, false);
    EXPECT_THROW(decode_paths(h, ""), Error);
    EXPECT_THROW(decode_paths(h, "relative"), Error);
    EXPECT_THROW(decode_paths(h, "/"), Error);
    EXPECT_THROW(decode_paths(h, "/a;memory:"), Error);
    EXPECT_THROW(decode_paths(h, "/a;memory:/x/../y"), Error);
    Host v2 = parse_host(kV2Mountinfo, kV2Cgroup, true);
    EXPECT_EQ(decode_paths(v2, "/dkr/c1").v2, "/dkr/c1");
    EXPECT_NE(error_of([&] { decode_paths(v2, "/c1;memory:/x/c1"); }).find("cgroup v1"), std::string::npos);
}

TEST(Path, UnifiedMirrorOverride) {
    Host h = parse_host(kHybridMountinfo,
                        "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                        "4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/init.scope\n",
                        false);
    Paths p = resolve_paths(h, "c1", "c1");
    EXPECT_EQ(p.v2, "/init.scope/c1");
    std::string saved = encode_paths(h, p);
    EXPECT_EQ(saved, "/c1;:/init.scope/c1");
    EXPECT_EQ(decode_paths(h, saved).v2, "/init.scope/c1");
}

// Found by tests/fuzz/cgroup_paths_fuzzer: a host without cgroup hierarchies
// resolves to no cgroup at all, saved as "" (state.json's "no cgroup"), which
// is not a saved path to decode.
TEST(Path, NoHierarchiesIsNoCgroup) {
    Host h = parse_host("22 1 0:21 / / rw,relatime - ext4 /dev/vda rw\n", "", false);
    Paths p = resolve_paths(h, "/c1", "c1");
    EXPECT_TRUE(p.v1.empty());
    EXPECT_EQ(p.v2, "");
    EXPECT_EQ(encode_paths(h, p), "");
}

// Found by tests/fuzz/cgroup_paths_fuzzer: a caller's cgroup from
// /proc/self/cgroup that is not absolute, or that holds ';', gave resolved
// paths that did not decode back to the same cgroups.
TEST(Path, ResolvedPathsAlwaysDecodeBack) {
    Host odd = parse_host(kHybridMountinfo, "8:pids:8\n", false);
    Paths p = resolve_paths(odd, "dkr/c1", "c1");
    for (const auto& v : p.v1) EXPECT_EQ(v.front(), '/') << v;
    Paths back = decode_paths(odd, encode_paths(odd, p));
    EXPECT_EQ(back.v1, p.v1);
    EXPECT_EQ(back.v2, p.v2);

    Host semicolon = parse_host(kHybridMountinfo, "4:memory:/a;b\n", false);
    EXPECT_NE(error_of([&] { resolve_paths(semicolon, "c1", "c1"); }).find("contains ';'"), std::string::npos);
}

}  // namespace
}  // namespace dkr::cgroup
