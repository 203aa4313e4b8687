// tmpcopyup's copy: contents, modes, owners and symlinks (copied, not followed).
#include "runtime/copy_tree.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>


#include <gtest/gtest.h>

#include "runtime/sys/file.hpp"
#include "tests/unit/security/test_support.hpp"

namespace dkr {
namespace {

class CopyTreeTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(mkdir(from_.c_str(), 0755), 0);
        ASSERT_EQ(mkdir(to_.c_str(), 0755), 0);
    }
    testing::TempDir dir_;
    std::string from_ = dir_ / "from", to_ = dir_ / "to";
};

TEST_F(CopyTreeTest, CopiesFilesDirectoriesAndSymlinks) {
    sys::write_file_atomic(from_ + "/file", "content", 0640);
    ASSERT_EQ(mkdir((from_ + "/sub").c_str(), 0710), 0);
    sys::write_file_atomic(from_ + "/sub/inner", "deep", 0600);
    ASSERT_EQ(symlink("/etc/passwd", (from_ + "/link").c_str()), 0);
    ASSERT_EQ(mkfifo((from_ + "/fifo").c_str(), 0620), 0);
    ASSERT_EQ(chmod((from_ + "/fifo").c_str(), 0620), 0);  // whatever our umask
    ASSERT_EQ(chmod((from_ + "/sub").c_str(), 0710), 0);
    if (geteuid() == 0) {
        ASSERT_EQ(lchown((from_ + "/file").c_str(), 1000, 1001), 0);
    }

    sys::Fd from = sys::open_file(from_, O_PATH | O_DIRECTORY);
    sys::Fd to = sys::open_file(to_, O_PATH | O_DIRECTORY);
    copy_tree(from.get(), to.get());

    EXPECT_EQ(sys::read_file(to_ + "/file"), "content");
    EXPECT_EQ(sys::read_file(to_ + "/sub/inner"), "deep");
    EXPECT_EQ(sys::read_link(to_ + "/link"), "/etc/passwd") << "a symlink is copied as a link";
    struct stat st;
    ASSERT_EQ(stat((to_ + "/file").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    if (geteuid() == 0) {
        EXPECT_EQ(st.st_uid, 1000u);
        EXPECT_EQ(st.st_gid, 1001u);
    }
    ASSERT_EQ(stat((to_ + "/sub").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0710u);
    ASSERT_EQ(lstat((to_ + "/fifo").c_str(), &st), 0);
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0620u);
}

}  // namespace
}  // namespace dkr
