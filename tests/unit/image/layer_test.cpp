// Layers applied to a directory: the changeset rules, metadata, and paths
// that try to leave the root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/image/layer.hpp"
#include "runtime/sys/file.hpp"
#include "tests/support/image_builder.hpp"

using namespace dkr_test;
namespace fs = std::filesystem;

namespace {

class LayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dkr-layer-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/rootfs";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    root_fd_ = dkr::sys::open_file(root_, O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override {
    root_fd_.reset();
    fs::remove_all(dir_);
  }

  // Applies the layer and checks its digests as unpack does.
  void apply(const Layer& l) {
    std::string blob = dir_ + "/blob";
    std::ofstream(blob, std::ios::binary | std::ios::trunc) << l.blob;
    dkr::image::LayerReader r(dkr::sys::open_file(blob, O_RDONLY), "test layer");
    dkr::image::apply_layer(root_fd_.get(), r);
    auto sums = r.finish();
    dkr::image::check_digest(dkr::image::Digest::parse(l.digest, "test"), sums.blob, "test layer");
    dkr::image::check_digest(dkr::image::Digest::parse(l.diff_id, "test"), sums.diff, "test layer uncompressed");
    EXPECT_EQ(sums.blob_size, l.blob.size());
  }
  std::string read(const std::string& rel) {
    std::ifstream f(root_ + "/" + rel, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& rel) {
    struct stat st;
    return lstat((root_ + "/" + rel).c_str(), &st) == 0;
  }
  struct stat stat_of(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(lstat((root_ + "/" + rel).c_str(), &st), 0) << rel;
    return st;
  }
  std::string dir_, root_;
  dkr::sys::Fd root_fd_;
};

TEST_F(LayerTest, KeepsOwnersModesTimesAndTypes) {
  Entry dev = file("dev/null", "");
  dev.type = Entry::CharDev;
  dev.major = 1;
  dev.minor = 3;
  dev.mode = 0666;
  Entry fifo = file("run/fifo", "", 0620, 7, 8);
  fifo.type = Entry::Fifo;
  Entry capped = file("bin/ping", "ELF", 04755, 0, 0);
  capped.xattrs["user.dkr-test"] = "kept";
  apply(make_layer({dir("bin", 0755), capped, file("etc/shadow", "secret", 0640, 0, 42),
                    dir("home/user", 0700, 1000, 1000), file("home/user/.profile", "x", 0600, 1000, 1000),
                    soft_link("bin/sh", "ping"), hard_link("bin/ping2", "bin/ping"), dir("dev"), dev, dir("run"), fifo},
                   Compression::Gzip));
  EXPECT_EQ(read("bin/ping"), "ELF");
  EXPECT_EQ(stat_of("bin/ping").st_mode & 07777, 04755u) << "setuid survives the chown";
  char value[16] = {};
  ASSERT_EQ(getxattr((root_ + "/bin/ping").c_str(), "user.dkr-test", value, sizeof value), 4) << strerror(errno);
  EXPECT_STREQ(value, "kept");
  EXPECT_EQ(stat_of("etc/shadow").st_gid, 42u);
  EXPECT_EQ(stat_of("etc/shadow").st_mode & 07777, 0640u);
  EXPECT_EQ(stat_of("etc").st_mode & 07777, 0755u) << "implicit parents";
  EXPECT_EQ(stat_of("home/user").st_uid, 1000u);
  EXPECT_EQ(stat_of("home/user").st_mode & 07777, 0700u);
  EXPECT_EQ(stat_of("home/user").st_mtime, 1700000000) << "directory times are set after their children";
  EXPECT_EQ(stat_of("home/user/.profile").st_mtime, 1700000000);
  EXPECT_EQ(fs::read_symlink(root_ + "/bin/sh"), "ping");
  EXPECT_EQ(stat_of("bin/ping2").st_ino, stat_of("bin/ping").st_ino);
  EXPECT_TRUE(S_ISCHR(stat_of("dev/null").st_mode));
  EXPECT_EQ(stat_of("dev/null").st_rdev, makedev(1, 3));
  EXPECT_TRUE(S_ISFIFO(stat_of("run/fifo").st_mode));
  EXPECT_EQ(stat_of("run/fifo").st_uid, 7u);
}

TEST_F(LayerTest, WhiteoutsAndOpaqueDirectoriesHideLowerLayersOnly) {
  apply(make_layer({dir("etc"), file("etc/a", "1"), file("etc/b", "2"), dir("var/lib/x"), file("var/lib/x/old", "o"),
                    file("var/lib/x/keep-me-not", "o"), file("tmpfile", "t"), dir("gone"), file("gone/deep", "d")},
                   Compression::None));
  apply(make_layer({whiteout("etc/a"), file("var/lib/x/new", "n"), opaque("var/lib/x"), whiteout("gone"),
                    file("tmpfile", "replaced"), file("etc/b", "b2"), whiteout("etc/never-existed")},
                   Compression::Zstd));
  EXPECT_FALSE(exists("etc/a"));
  EXPECT_EQ(read("etc/b"), "b2");
  EXPECT_EQ(read("var/lib/x/new"), "n") << "the opaque marker came after it in the same layer";
  EXPECT_FALSE(exists("var/lib/x/old"));
  EXPECT_FALSE(exists("var/lib/x/keep-me-not"));
  EXPECT_FALSE(exists("gone"));
  EXPECT_EQ(read("tmpfile"), "replaced");
  EXPECT_FALSE(exists(".wh.gone"));
  EXPECT_FALSE(exists("var/lib/x/.wh..wh..opq"));
}

TEST_F(LayerTest, ReplacesAcrossTypes) {
  apply(make_layer({dir("a"), file("a/inner", "x"), file("b", "file"), soft_link("c", "/etc")}));
  apply(make_layer({file("a", "now a file"), dir("b"), file("b/x", "y"), dir("c")}));
  EXPECT_EQ(read("a"), "now a file");
  EXPECT_TRUE(S_ISDIR(stat_of("b").st_mode));
  EXPECT_EQ(read("b/x"), "y");
  EXPECT_TRUE(S_ISDIR(stat_of("c").st_mode)) << "a directory replaces a symlink, it does not go through it";
}

TEST_F(LayerTest, PathsStayInsideTheRoot) {
  // A lower layer plants symlinks pointing out; an upper one writes through them.
  std::string outside = dir_ + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  apply(make_layer({soft_link("escape", outside), soft_link("up", "../../../.."), dir("usr/lib"), soft_link("lib", "usr/lib")}));
  apply(make_layer({file("escape/owned", "x"), file("up/etc/owned", "y"), file("../../dotdot", "z"),
                    file("/abs/file", "a"), file("lib/libc.so", "libc")}));
  EXPECT_TRUE(fs::is_empty(outside)) << "wrote through an absolute symlink";
  EXPECT_EQ(read(outside.substr(1) + "/owned"), "x") << "the symlink is resolved inside the root";
  EXPECT_EQ(read("etc/owned"), "y") << "\"..\" in a symlink stops at the root";
  EXPECT_EQ(read("dotdot"), "z") << "\"..\" in a path stops at the root";
  EXPECT_FALSE(exists("../dotdot"));
  EXPECT_EQ(read("abs/file"), "a");
  EXPECT_EQ(read("usr/lib/libc.so"), "libc") << "merged-/usr symlinks are followed";
}

TEST_F(LayerTest, HardLinksCannotReachOutside) {
  std::string outside = dir_ + "/outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0755), 0);
  std::ofstream(outside + "/secret") << "s";
  apply(make_layer({soft_link("escape", outside)}));
  EXPECT_THROW(apply(make_layer({hard_link("stolen", "escape/secret")})), dkr::Error);
  EXPECT_THROW(apply(make_layer({hard_link("stolen", "../outside/secret")})), dkr::Error);
  EXPECT_EQ(fs::hard_link_count(outside + "/secret"), 1u);
  EXPECT_FALSE(exists("stolen"));
}

TEST_F(LayerTest, CorruptLayersFail) {
  Layer l = make_layer({file("a", std::string(100000, 'a'))}, Compression::Gzip);
  l.blob.resize(l.blob.size() / 2);
  EXPECT_THROW(apply(l), dkr::Error);
}

TEST(CleanPath, ConfinesDotDot) {
  using dkr::image::clean_path;
  EXPECT_EQ(clean_path("./a//b/./c/"), "a/b/c");
  EXPECT_EQ(clean_path("/../../etc/passwd"), "etc/passwd");
  EXPECT_EQ(clean_path("a/../../b"), "b");
  EXPECT_EQ(clean_path("./"), "");
}

}  // namespace
