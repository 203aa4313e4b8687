// --root on a filesystem that cannot take the container's state: read-only,
// out of space, out of inodes. create fails with one clear line naming the
// path and the reason, and leaves nothing behind (no state dir, temp file,
// cgroup or process). Each test mounts a small tmpfs of its own under its
// test directory.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

class RootFsTest : public ContainerTest {
 protected:
  void TearDown() override {
    for (auto& m : mounts_) umount2(m.c_str(), MNT_DETACH);
    ContainerTest::TearDown();
  }

  // A fresh tmpfs at test_dir()/fs with the given options; returns its path.
  std::string mount_tmpfs(const std::string& options) {
    std::string dir = test_dir() + "/fs";
    EXPECT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
    EXPECT_EQ(mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()), 0)
        << "mount tmpfs " << options << ": " << strerror(errno);
    mounts_.push_back(dir);
    return dir;
  }

  // create under --root state_root fails with one line holding `text` (any
  // case) and `state_root`, and changes nothing.
  void expect_create_fails(const std::string& state_root, const std::string& text) {
    std::string b = make_bundle({"sleep", "1000"});
    Snapshot before = snapshot();
    RunOptions o;
    o.with_root = false;
    CmdResult r = run_cmd({"--root", state_root, "create", "--bundle", b, "c1"}, "", o);
    EXPECT_CMD_ERROR(r, "");
    EXPECT_TRUE(icontains(r.message(), text)) << r;
    EXPECT_TRUE(contains(r.message(), state_root)) << "the message should name the path:" << r;
    expect_unchanged(before, "create under " + state_root);
  }

  // Fills the filesystem holding dir with files until it takes no more.
  static void fill(const std::string& dir) {
    for (int i = 0;; ++i) {
      std::ofstream f(dir + "/fill-" + std::to_string(i));
      if (!f) return;
      std::string block(4096, 'x');
      for (int j = 0; j < 1024 && f; ++j) f << block << std::flush;
      if (!f) return;
    }
  }

 private:
  std::vector<std::string> mounts_;
};

TEST_F(RootFsTest, ReadOnlyRootIsAClearError) {
  std::string fs = mount_tmpfs("size=1m");
  std::string state_root = fs + "/state";
  ASSERT_EQ(mkdir(state_root.c_str(), 0711), 0) << strerror(errno);
  ASSERT_EQ(mount(nullptr, fs.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr), 0)
      << strerror(errno);
  expect_create_fails(state_root, "read-only file system");
  // Nor can a missing --root be made there.
  expect_create_fails(fs + "/missing", "read-only file system");
  // Reading still works.
  RunOptions o;
  o.with_root = false;
  CmdResult l = run_cmd({"--root", state_root, "list", "-q"}, "", o);
  EXPECT_TRUE(l.ok()) << l;
}

TEST_F(RootFsTest, FullRootIsAClearError) {
  std::string fs = mount_tmpfs("size=256k");
  std::string state_root = fs + "/state";
  ASSERT_EQ(mkdir(state_root.c_str(), 0711), 0) << strerror(errno);
  fill(fs);
  expect_create_fails(state_root, "no space left on device");
}

TEST_F(RootFsTest, RootOutOfInodesIsAClearError) {
  std::string fs = mount_tmpfs("size=1m,nr_inodes=16");
  std::string state_root = fs + "/state";
  ASSERT_EQ(mkdir(state_root.c_str(), 0711), 0) << strerror(errno);
  for (int i = 0;; ++i) {
    std::ofstream f(fs + "/inode-" + std::to_string(i));
    if (!f) break;
  }
  expect_create_fails(state_root, "no space left on device");
}

}  // namespace
}  // namespace dkr_it
