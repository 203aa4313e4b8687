// The sealed copies of the running binary (CVE-2019-5736): neither can be
// opened for writing, and both are the same program as the original.
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "runtime/security/sealed_exe.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::security {
namespace {

std::string contents(int fd) {
    sys::Fd readable = sys::open_file("/proc/self/fd/" + std::to_string(fd), O_RDONLY);
    return sys::read_fd(readable.get());
}

TEST(SealedExe, TheTestBinaryIsNotSealed) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    struct statvfs sv;
    ASSERT_EQ(statvfs("/proc/self/exe", &sv), 0);
    if (sv.f_flag & ST_RDONLY) GTEST_SKIP() << "the test binary is on a read-only mount";
    EXPECT_FALSE(exe_is_sealed());
}

TEST(SealedExe, OverlayCopyIsOnAReadOnlySuperblock) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (a new overlayfs mount)";
    sys::Fd exe = sealed_overlay_exe();
    struct statvfs sv;
    ASSERT_EQ(fstatvfs(exe.get(), &sv), 0);
    EXPECT_TRUE(sv.f_flag & ST_RDONLY);
    int w = open(("/proc/self/fd/" + std::to_string(exe.get())).c_str(), O_WRONLY | O_CLOEXEC);
    EXPECT_LT(w, 0);
    EXPECT_EQ(errno, EROFS);
    if (w >= 0) close(w);
    EXPECT_TRUE(contents(exe.get()) == sys::read_file("/proc/self/exe")) << "not the same program";
}

TEST(SealedExe, MemfdCopyIsSealedAgainstWrites) {
    sys::Fd exe = sealed_memfd_exe();
    int seals = fcntl(exe.get(), F_GET_SEALS);
    EXPECT_EQ(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
              F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    EXPECT_LT(write(exe.get(), "x", 1), 0);
    EXPECT_TRUE(contents(exe.get()) == sys::read_file("/proc/self/exe")) << "not the same program";
}

}  // namespace
}  // namespace dkr::security
