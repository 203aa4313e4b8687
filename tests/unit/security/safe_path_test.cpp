#include "runtime/security/safe_path.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>

#include "runtime/error.hpp"
#include "tests/unit/security/test_support.hpp"

using namespace dkr;
using namespace dkr::security;
using dkr::testing::require;
using dkr::testing::run_in_child;
using dkr::testing::TempDir;

namespace {

bool exists(const std::string& p) {
    struct stat st;
    return ::lstat(p.c_str(), &st) == 0;
}

struct stat stat_fd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) throw std::runtime_error("fstat");
    return st;
}

struct stat stat_path(const std::string& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) < 0) throw std::runtime_error("lstat " + p);
    return st;
}

bool same_file(int fd, const std::string& p) {
    struct stat a = stat_fd(fd), b = stat_path(p);
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// errno carried by the dkr::Error that fn throws (0 if it does not throw).
int error_code(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.code() ? e.code() : -1;
    }
    return 0;
}

}  // namespace

// A hostile rootfs:
//   etc/evil   -> /tmp/<outside>      (absolute, dangling on the host)
//   a/b        -> ../../../..         (climbs above the root)
//   etc/abs    -> /etc                (absolute, inside)
//   loop1 <-> loop2                   (a loop)
//   file                              (a regular file)
//   up         -> /../../a/b/../etc   (mix)
class SafePath : public ::testing::Test {
protected:
    void SetUp() override {
        root = tmp / "root";
        // A name in the host's /tmp that must never be created.
        outside_name = "dkr-outside-xyz-" + tmp.path().substr(tmp.path().rfind('-') + 1);
        outside = "/tmp/" + outside_name;
        host_dir = "/dkr-host-dir-" + tmp.path().substr(tmp.path().rfind('-') + 1);
        ASSERT_FALSE(exists(outside));
        ASSERT_FALSE(exists(host_dir));
        for (const char* d : {"", "/etc", "/tmp", "/a"}) ASSERT_EQ(::mkdir((root + d).c_str(), 0755), 0);
        ASSERT_EQ(::symlink(outside.c_str(), (root + "/etc/evil").c_str()), 0);
        ASSERT_EQ(::symlink("../../../..", (root + "/a/b").c_str()), 0);
        ASSERT_EQ(::symlink("/etc", (root + "/etc/abs").c_str()), 0);
        ASSERT_EQ(::symlink("loop2", (root + "/loop1").c_str()), 0);
        ASSERT_EQ(::symlink("loop1", (root + "/loop2").c_str()), 0);
        ASSERT_EQ(::symlink("/../../a/b/../etc", (root + "/up").c_str()), 0);
        ASSERT_EQ(::symlink(host_dir.c_str(), (root + "/hostlink").c_str()), 0);
        sys::write_file_atomic(root + "/file", "content", 0644);
        root_fd = sys::open_file(root, O_PATH | O_DIRECTORY);
    }
    void TearDown() override {
        // Never leave anything outside behind, even when a test failed.
        EXPECT_FALSE(exists(outside)) << "created outside the root: " << outside;
        EXPECT_FALSE(exists(host_dir)) << "created outside the root: " << host_dir;
        try {
            sys::remove_all(outside);
        } catch (...) {
        }
        try {
            sys::remove_all(host_dir);
        } catch (...) {
        }
    }

    TempDir tmp;
    std::string root, outside, outside_name, host_dir;
    sys::Fd root_fd;
};

using OpenFn = sys::Fd (*)(int, std::string_view, int, mode_t);

class OpenInRoot : public SafePath, public ::testing::WithParamInterface<OpenFn> {
protected:
    sys::Fd open(std::string_view path, int flags, mode_t mode = 0) { return GetParam()(root_fd.get(), path, flags, mode); }
};

TEST_P(OpenInRoot, AbsoluteSymlinkIsResolvedInsideTheRoot) {
    sys::Fd fd = open("etc/evil", O_WRONLY | O_CREAT, 0644);
    sys::write_all(fd.get(), "inside", "evil");
    EXPECT_EQ(sys::read_file(root + "/tmp/" + outside_name), "inside");
    EXPECT_TRUE(same_file(fd.get(), root + "/tmp/" + outside_name));
    EXPECT_FALSE(exists(outside));
    // Absolute form of the same path, and through the inside absolute link.
    sys::Fd again = open("/etc/evil", O_RDONLY);
    EXPECT_TRUE(same_file(again.get(), root + "/tmp/" + outside_name));
    sys::Fd via_abs = open("/etc/abs/abs/file-through-abs", O_WRONLY | O_CREAT, 0600);
    EXPECT_TRUE(same_file(via_abs.get(), root + "/etc/file-through-abs"));
}

TEST_P(OpenInRoot, DotDotSymlinkStopsAtTheRoot) {
    sys::Fd fd = open("a/b/etc/through-b", O_WRONLY | O_CREAT | O_EXCL, 0600);
    EXPECT_TRUE(same_file(fd.get(), root + "/etc/through-b"));
    sys::Fd dots = open("/../../../a/b/../../etc/../file", O_RDONLY);
    EXPECT_TRUE(same_file(dots.get(), root + "/file"));
    sys::Fd up = open("up/abs/evil", O_RDONLY | O_CREAT, 0600);
    EXPECT_TRUE(same_file(up.get(), root + "/tmp/" + outside_name));
    sys::Fd top = open("a/b", O_PATH | O_DIRECTORY);
    EXPECT_TRUE(same_file(top.get(), root));
}

TEST_P(OpenInRoot, NeverReachesHostFiles) {
    // The root has no etc/passwd: the host's must not be found.
    EXPECT_EQ(error_code([&] { open("../../../../etc/passwd", O_RDONLY); }), ENOENT);
    EXPECT_EQ(error_code([&] { open("a/b/etc/passwd", O_RDONLY); }), ENOENT);
    EXPECT_EQ(error_code([&] { open("/etc/abs/passwd", O_RDONLY); }), ENOENT);
    EXPECT_EQ(error_code([&] { open("hostlink/x", O_WRONLY | O_CREAT, 0600); }), ENOENT);
}

TEST_P(OpenInRoot, EmptyAndSlashAreTheRoot) {
    EXPECT_TRUE(same_file(open("", O_PATH).get(), root));
    EXPECT_TRUE(same_file(open("/", O_RDONLY | O_DIRECTORY).get(), root));
    EXPECT_TRUE(same_file(open("..", O_PATH).get(), root));
    EXPECT_TRUE(same_file(open("etc/", O_PATH).get(), root + "/etc"));
}

TEST_P(OpenInRoot, SymlinkLoopIsEloop) {
    EXPECT_EQ(error_code([&] { open("loop1", O_RDONLY); }), ELOOP);
    EXPECT_EQ(error_code([&] { open("loop2/x", O_WRONLY | O_CREAT, 0600); }), ELOOP);
}

TEST_P(OpenInRoot, FinalSymlinkIsNotFollowedWithNofollow) {
    sys::Fd link = open("etc/evil", O_PATH | O_NOFOLLOW);
    EXPECT_TRUE(S_ISLNK(stat_fd(link.get()).st_mode));
    EXPECT_EQ(error_code([&] { open("etc/evil", O_RDONLY | O_NOFOLLOW); }), ELOOP);
    // O_CREAT|O_EXCL never follows a final symlink.
    EXPECT_EQ(error_code([&] { open("etc/evil", O_WRONLY | O_CREAT | O_EXCL, 0600); }), EEXIST);
    EXPECT_FALSE(exists(root + "/tmp/" + outside_name));
}

TEST_P(OpenInRoot, ComponentErrors) {
    EXPECT_EQ(error_code([&] { open("file/x", O_RDONLY); }), ENOTDIR);
    EXPECT_EQ(error_code([&] { open("file/", O_RDONLY); }), ENOTDIR);
    EXPECT_EQ(error_code([&] { open("missing/x", O_WRONLY | O_CREAT, 0600); }), ENOENT);
    EXPECT_EQ(error_code([&] { open("missing", O_RDONLY); }), ENOENT);
    EXPECT_EQ(error_code([&] { open(std::string_view("fi\0le", 5), O_RDONLY); }), EINVAL);
    sys::Fd f = open("file", O_RDONLY);
    EXPECT_EQ(sys::read_fd(f.get()), "content");
    EXPECT_TRUE(::fcntl(f.get(), F_GETFD) & FD_CLOEXEC);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, OpenInRoot,
                         ::testing::Values(static_cast<OpenFn>(&open_in_root),
                                           static_cast<OpenFn>(&open_in_root_fallback)),
                         [](const ::testing::TestParamInfo<OpenFn>& i) {
                             return i.param == static_cast<OpenFn>(&open_in_root) ? "openat2" : "fallback";
                         });

TEST_F(SafePath, IfExistsGivesNoFdForAMissingPathAndThrowsForOtherErrors) {
    EXPECT_FALSE(open_in_root_if_exists(root_fd.get(), "missing", O_RDONLY));
    EXPECT_FALSE(open_in_root_if_exists(root_fd.get(), "missing/x", O_PATH));
    // The host's /etc/passwd is not inside: absent, not found outside.
    EXPECT_FALSE(open_in_root_if_exists(root_fd.get(), "a/b/etc/passwd", O_RDONLY));
    sys::Fd f = open_in_root_if_exists(root_fd.get(), "/etc/abs/../file", O_RDONLY);
    ASSERT_TRUE(f);
    EXPECT_TRUE(same_file(f.get(), root + "/file"));
    EXPECT_EQ(error_code([&] { open_in_root_if_exists(root_fd.get(), "file/x", O_RDONLY); }), ENOTDIR);
    EXPECT_EQ(error_code([&] { open_in_root_if_exists(root_fd.get(), "loop1", O_RDONLY); }), ELOOP);
}

TEST_F(SafePath, MkdirAllCreatesMissingDirectories) {
    sys::Fd fd = mkdir_all_in_root(root_fd.get(), "/x/y/z", 0750);
    struct stat st = stat_path(root + "/x/y/z");
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_TRUE(same_file(fd.get(), root + "/x/y/z"));
    EXPECT_TRUE(S_ISDIR(stat_fd(fd.get()).st_mode));
    // Existing: same directory back, nothing changes.
    sys::Fd again = mkdir_all_in_root(root_fd.get(), "x/y/z/", 0750);
    EXPECT_TRUE(same_file(again.get(), root + "/x/y/z"));
    EXPECT_TRUE(same_file(mkdir_all_in_root(root_fd.get(), "/", 0755).get(), root));
}

TEST_F(SafePath, MkdirAllCreatesDeepTrees) {
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "/d" + std::to_string(i);
    sys::Fd fd = mkdir_all_in_root(root_fd.get(), deep, 0755);
    EXPECT_TRUE(same_file(fd.get(), root + deep));
}

TEST_F(SafePath, MkdirAllThroughSymlinksStaysInside) {
    // hostlink -> /dkr-host-dir-...: the target is made inside the root.
    sys::Fd fd = mkdir_all_in_root(root_fd.get(), "hostlink/sub", 0755);
    EXPECT_TRUE(same_file(fd.get(), root + host_dir + "/sub"));
    EXPECT_FALSE(exists(host_dir));
    sys::Fd b = mkdir_all_in_root(root_fd.get(), "a/b/made/here", 0755);
    EXPECT_TRUE(same_file(b.get(), root + "/made/here"));
    sys::Fd abs = mkdir_all_in_root(root_fd.get(), "etc/abs/conf.d", 0755);
    EXPECT_TRUE(same_file(abs.get(), root + "/etc/conf.d"));
    EXPECT_EQ(error_code([&] { mkdir_all_in_root(root_fd.get(), "loop1/x", 0755); }), ELOOP);
    EXPECT_EQ(error_code([&] { mkdir_all_in_root(root_fd.get(), "file/x", 0755); }), ENOTDIR);
    EXPECT_EQ(error_code([&] { mkdir_all_in_root(root_fd.get(), "file", 0755); }), ENOTDIR);
}

TEST_F(SafePath, CreateFileMakesParentsAndAnEmptyFile) {
    sys::Fd fd = create_file_in_root(root_fd.get(), "/dev/null", 0644);
    struct stat st = stat_path(root + "/dev/null");
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_size, 0);
    EXPECT_TRUE(S_ISDIR(stat_path(root + "/dev").st_mode));
    EXPECT_TRUE(same_file(fd.get(), root + "/dev/null"));
    EXPECT_TRUE(::fcntl(fd.get(), F_GETFL) & O_PATH);

    // Existing file: same inode, content kept.
    sys::Fd f = create_file_in_root(root_fd.get(), "file", 0600);
    EXPECT_TRUE(same_file(f.get(), root + "/file"));
    EXPECT_EQ(sys::read_file(root + "/file"), "content");

    // Dangling absolute symlink: the target is created inside.
    sys::Fd evil = create_file_in_root(root_fd.get(), "etc/evil", 0600);
    EXPECT_TRUE(same_file(evil.get(), root + "/tmp/" + outside_name));
    sys::Fd h = create_file_in_root(root_fd.get(), "a/b/hostlink/deep/file", 0600);
    EXPECT_TRUE(same_file(h.get(), root + host_dir + "/deep/file"));
    EXPECT_EQ(error_code([&] { create_file_in_root(root_fd.get(), "loop1", 0600); }), ELOOP);
}

TEST_F(SafePath, FallbackWalkerIsUsedByTheCreators) {
    // The creators walk in user space whenever something is missing: make sure
    // a path mixing every kind of symlink ends where the kernel would put it.
    sys::Fd fd = create_file_in_root(root_fd.get(), "up/abs/../a/b/x/y", 0600);
    EXPECT_TRUE(same_file(fd.get(), root + "/x/y"));
    sys::Fd again = open_in_root_fallback(root_fd.get(), "up/abs/../a/b/x/y", O_PATH, 0);
    EXPECT_TRUE(same_file(again.get(), root + "/x/y"));
    sys::Fd k = open_in_root(root_fd.get(), "up/abs/../a/b/x/y", O_PATH);
    EXPECT_TRUE(same_file(k.get(), root + "/x/y"));
}

TEST(SafePathChecks, FdPath) {
    EXPECT_EQ(fd_path(5), "/proc/self/fd/5");
    sys::Fd f = sys::open_file("/proc/self/status", O_RDONLY);
    EXPECT_EQ(sys::read_file(fd_path(f.get())).substr(0, 5), "Name:");
}

TEST(SafePathChecks, DevNull) {
    TempDir tmp;
    sys::Fd null = sys::open_file("/dev/null", O_PATH);
    EXPECT_NO_THROW(check_fd_is_dev_null(null.get()));
    sys::Fd rw = sys::open_file("/dev/null", O_RDWR);
    EXPECT_NO_THROW(check_fd_is_dev_null(rw.get()));

    sys::write_file_atomic(tmp / "fake-null", "");
    sys::Fd reg = sys::open_file(tmp / "fake-null", O_PATH);
    EXPECT_THROW(check_fd_is_dev_null(reg.get()), Error);

    ASSERT_EQ(::symlink("/dev/null", (tmp / "link").c_str()), 0);
    sys::Fd link = sys::open_file(tmp / "link", O_PATH | O_NOFOLLOW);
    EXPECT_THROW(check_fd_is_dev_null(link.get()), Error);

    sys::Fd zero = sys::open_file("/dev/zero", O_PATH);
    EXPECT_THROW(check_fd_is_dev_null(zero.get()), Error);
    sys::Fd dir = sys::open_file("/dev", O_PATH);
    EXPECT_THROW(check_fd_is_dev_null(dir.get()), Error);
}

TEST(SafePathChecks, Procfs) {
    sys::Fd proc = sys::open_file("/proc", O_PATH | O_DIRECTORY);
    EXPECT_NO_THROW(check_is_procfs(proc.get()));
    sys::Fd attr = sys::open_file("/proc/self/status", O_RDONLY);
    EXPECT_NO_THROW(check_is_procfs(attr.get()));
    sys::Fd tmp = sys::open_file("/tmp", O_PATH | O_DIRECTORY);
    EXPECT_THROW(check_is_procfs(tmp.get()), Error);
    sys::Fd dev = sys::open_file("/dev/null", O_PATH);
    EXPECT_THROW(check_is_procfs(dev.get()), Error);
}

namespace {

// Opens /dev/null at exactly `fd`, without close-on-exec.
void open_at_number(int fd) {
    int n = ::open("/dev/null", O_RDONLY);
    require(n >= 0, "open /dev/null");
    require(::dup2(n, fd) == fd, "dup2");
    ::close(n);
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF; }

void close_test(void (*close_fn)(int)) {
    open_at_number(150);
    open_at_number(200);
    open_at_number(201);
    open_at_number(900);
    close_fn(200);
    require(is_open(150), "fd 150 below the range was closed");
    require(!is_open(200) && !is_open(201) && !is_open(900), "an fd >= 200 is still open");
}

void cloexec_test(void (*mark_fn)(int)) {
    open_at_number(150);
    open_at_number(200);
    open_at_number(777);
    mark_fn(200);
    require(!(::fcntl(150, F_GETFD) & FD_CLOEXEC), "fd 150 below the range was marked");
    require(::fcntl(200, F_GETFD) & FD_CLOEXEC, "fd 200 not marked");
    require(::fcntl(777, F_GETFD) & FD_CLOEXEC, "fd 777 not marked");
    // The real effect: an exec'd program does not inherit them.
    ::execl("/bin/sh", "sh", "-c", "[ -e /proc/self/fd/150 ] || exit 3; [ -e /proc/self/fd/200 ] && exit 4; "
                                   "[ -e /proc/self/fd/777 ] && exit 5; exit 0", static_cast<char*>(nullptr));
    require(false, "execl failed");
}

}  // namespace

TEST(SafePathChecks, CloseFdsFrom) {
    auto r = run_in_child([] { close_test(&close_fds_from); });
    EXPECT_TRUE(r.ok()) << r.describe();
    auto f = run_in_child([] { close_test(&detail::close_fds_from_fallback); });
    EXPECT_TRUE(f.ok()) << f.describe();
}

TEST(SafePathChecks, MarkCloexecFrom) {
    auto r = run_in_child([] { cloexec_test(&mark_cloexec_from); });
    EXPECT_TRUE(r.ok()) << r.describe();
    auto f = run_in_child([] { cloexec_test(&detail::mark_cloexec_from_fallback); });
    EXPECT_TRUE(f.ok()) << f.describe();
    // Control: without marking, the exec'd shell does see fd 200.
    auto c = run_in_child([] { cloexec_test([](int) {}); });
    EXPECT_FALSE(c.ok()) << c.describe();
}

TEST(SafePathChecks, CwdInside) {
    TempDir tmp;
    ASSERT_EQ(::mkdir((tmp / "root").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((tmp / "gone").c_str(), 0755), 0);
    const std::string root = tmp / "root", gone = tmp / "gone";

    auto ok = run_in_child([&] {
        require(::chdir(root.c_str()) == 0, "chdir");
        check_cwd_inside();
    });
    EXPECT_TRUE(ok.ok()) << ok.describe();

    // CVE-2024-21626 shape: cwd is a directory outside the (new) root.
    auto leaked = run_in_child([&] {
        sys::Fd host = sys::open_file(tmp.path(), O_RDONLY | O_DIRECTORY);
        require(::chroot(root.c_str()) == 0, "chroot");
        require(::fchdir(host.get()) == 0, "fchdir");
        try {
            check_cwd_inside();
        } catch (const Error&) {
            return;
        }
        require(false, "an unreachable cwd was accepted");
    });
    EXPECT_TRUE(leaked.ok()) << leaked.describe();

    auto deleted = run_in_child([&] {
        require(::chdir(gone.c_str()) == 0, "chdir");
        require(::rmdir(gone.c_str()) == 0, "rmdir");
        try {
            check_cwd_inside();
        } catch (const Error&) {
            return;
        }
        require(false, "a deleted cwd was accepted");
    });
    EXPECT_TRUE(deleted.ok()) << deleted.describe();
}

