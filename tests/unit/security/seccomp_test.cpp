#include "runtime/security/seccomp.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/security/sha256.hpp"
#include "runtime/sys/fd_passing.hpp"
#include "tests/unit/security/test_support.hpp"

using namespace dkr;
using namespace dkr::security;
using dkr::testing::errno_str;
using dkr::testing::require;
using dkr::testing::run_in_child;
using dkr::testing::TempDir;

namespace {

spec::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                          std::optional<uint32_t> errno_ret = std::nullopt, std::vector<spec::SeccompArg> args = {}) {
    spec::SeccompSyscall s;
    s.names = std::move(names);
    s.action = std::move(action);
    s.errno_ret = errno_ret;
    s.args = std::move(args);
    return s;
}

spec::SeccompArg arg(unsigned index, std::string op, uint64_t value, uint64_t value_two = 0) {
    spec::SeccompArg a;
    a.index = index;
    a.op = std::move(op);
    a.value = value;
    a.value_two = value_two;
    return a;
}

spec::Seccomp allow_profile() {
    spec::Seccomp p;
    p.default_action = "SCMP_ACT_ALLOW";
    return p;
}

// The profile the effect test loads.
spec::Seccomp effect_profile() {
    spec::Seccomp p = allow_profile();
    p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
    p.flags = {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_LOG"};
    p.syscalls = {
        rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", 1),
        rule({"getpid"}, "SCMP_ACT_ERRNO", EACCES, {arg(0, "SCMP_CMP_EQ", 42)}),
        // Same index twice: OR'ed (runc adds one rule per condition).
        rule({"getppid"}, "SCMP_ACT_ERRNO", ENOTTY, {arg(0, "SCMP_CMP_EQ", 5), arg(0, "SCMP_CMP_EQ", 6)}),
        // Distinct indices: AND'ed.
        rule({"getuid"}, "SCMP_ACT_ERRNO", EXDEV, {arg(0, "SCMP_CMP_EQ", 1), arg(1, "SCMP_CMP_EQ", 2)}),
        rule({"getgid"}, "SCMP_ACT_ERRNO", EINVAL, {arg(0, "SCMP_CMP_MASKED_EQ", 0xff, 0x12)}),
        rule({"geteuid"}, "SCMP_ACT_ERRNO", ENOEXEC, {arg(0, "SCMP_CMP_GT", 100)}),
        rule({"getegid"}, "SCMP_ACT_ERRNO", ERANGE, {arg(0, "SCMP_CMP_LE", 3)}),
        rule({"getpgrp"}, "SCMP_ACT_ERRNO", ESPIPE, {arg(0, "SCMP_CMP_NE", 9)}),
        rule({"gettid"}, "SCMP_ACT_ERRNO", EDOM, {arg(0, "SCMP_CMP_LT", 10), arg(1, "SCMP_CMP_GE", 20)}),
        rule({"no_such_syscall_xyz", "getresuid"}, "SCMP_ACT_ERRNO", ECHILD),
        rule({"sched_yield"}, "SCMP_ACT_ALLOW"),  // same as the default: skipped
    };
    return p;
}

// Calls a syscall with raw arguments; returns -errno on failure.
long raw(long nr, long a0 = 0, long a1 = 0) {
    long r = ::syscall(nr, a0, a1, 0, 0, 0, 0);
    return r < 0 ? -errno : r;
}

void expect_errno(long got, int want, const std::string& what) {
    require(got == -want, what + " returned " + std::to_string(got) + ", want -" + errno_str(want));
}

void expect_ok(long got, const std::string& what) {
    require(got >= 0, what + " failed: " + std::to_string(got));
}

std::vector<std::string> list_dir(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d))
        if (std::string n = e->d_name; n != "." && n != "..") out.push_back(n);
    ::closedir(d);
    return out;
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    // Incremental updates at awkward boundaries agree with one shot.
    std::string msg;
    for (int i = 0; i < 300; ++i) msg += static_cast<char>(i * 7);
    Sha256 h;
    for (size_t pos = 0, step = 1; pos < msg.size(); pos += step, step = step % 70 + 13)
        h.update(std::string_view(msg).substr(pos, step));
    auto d = h.digest();
    EXPECT_EQ(to_hex(d.data(), d.size()), sha256_hex(msg));
}

TEST(Seccomp, CompiledProgramIsWholeInstructions) {
    std::string bpf = compile_filter(effect_profile());
    ASSERT_FALSE(bpf.empty());
    EXPECT_EQ(bpf.size() % 8, 0u);
    EXPECT_LE(bpf.size() / 8, 4096u);
}

TEST(Seccomp, LoadedFilterHasTheConfiguredEffects) {
    TempDir tmp;
    const std::string bpf = compile_filter(effect_profile());
    const std::string blocked = tmp / "blocked";
    auto r = run_in_child([&] {
        const long pid = raw(SYS_getpid);
        require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
        sys::Fd listener = load_filter(bpf, effect_profile().flags, false);
        require(!listener.valid(), "listener fd without notify");

        expect_errno(raw(SYS_mkdir, reinterpret_cast<long>(blocked.c_str()), 0755), EPERM, "mkdir");
        expect_errno(raw(SYS_mkdirat, AT_FDCWD, reinterpret_cast<long>(blocked.c_str())), EPERM, "mkdirat");
        require(::mkdir(blocked.c_str(), 0755) == -1 && errno == EPERM, "libc mkdir");

        expect_errno(raw(SYS_getpid, 42), EACCES, "getpid(42)");
        require(raw(SYS_getpid, 7) == pid, "getpid(7) is not the pid");

        expect_errno(raw(SYS_getppid, 5), ENOTTY, "getppid(5)");
        expect_errno(raw(SYS_getppid, 6), ENOTTY, "getppid(6)");
        expect_ok(raw(SYS_getppid, 7), "getppid(7)");

        expect_errno(raw(SYS_getuid, 1, 2), EXDEV, "getuid(1,2)");
        expect_ok(raw(SYS_getuid, 1, 3), "getuid(1,3)");
        expect_ok(raw(SYS_getuid, 0, 2), "getuid(0,2)");

        expect_errno(raw(SYS_getgid, 0x1012), EINVAL, "getgid(0x1012)");  // 0x1012 & 0xff == 0x12
        expect_ok(raw(SYS_getgid, 0x1013), "getgid(0x1013)");

        expect_errno(raw(SYS_geteuid, 101), ENOEXEC, "geteuid(101)");
        expect_ok(raw(SYS_geteuid, 100), "geteuid(100)");

        expect_errno(raw(SYS_getegid, 3), ERANGE, "getegid(3)");
        expect_ok(raw(SYS_getegid, 4), "getegid(4)");

        expect_errno(raw(SYS_getpgrp, 8), ESPIPE, "getpgrp(8)");
        expect_ok(raw(SYS_getpgrp, 9), "getpgrp(9)");

        expect_errno(raw(SYS_gettid, 9, 20), EDOM, "gettid(9,20)");
        expect_ok(raw(SYS_gettid, 10, 20), "gettid(10,20)");
        expect_ok(raw(SYS_gettid, 9, 19), "gettid(9,19)");

        // An unknown name in the same entry does not stop the known one.
        uid_t a, b, c;
        require(::syscall(SYS_getresuid, &a, &b, &c) == -1 && errno == ECHILD, "getresuid not blocked");

        // Everything else still works.
        sys::Fd f = sys::open_file(blocked + ".file", O_WRONLY | O_CREAT, 0600);
        sys::write_all(f.get(), "ok", "file");
    });
    EXPECT_TRUE(r.ok()) << r.describe();
    struct stat st;
    EXPECT_NE(::stat(blocked.c_str(), &st), 0) << "mkdir went through";
    EXPECT_EQ(sys::read_file(blocked + ".file"), "ok");
}

TEST(Seccomp, KillProcessAndTrapDeliverSigsys) {
    for (const char* action : {"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_KILL"}) {
        spec::Seccomp p = allow_profile();
        p.syscalls = {rule({"getsid"}, action)};
        const std::string bpf = compile_filter(p);
        auto r = run_in_child([&] {
            require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
            load_filter(bpf, {}, false);
            ::syscall(SYS_getsid, 0);
            require(false, "getsid returned");
        });
        EXPECT_FALSE(r.exited) << action << ": " << r.describe();
        EXPECT_EQ(r.signal, SIGSYS) << action << ": " << r.describe();
    }
}

TEST(Seccomp, DefaultErrnoWithAnAllowList) {
    spec::Seccomp p;
    p.default_action = "SCMP_ACT_ERRNO";
    p.default_errno_ret = EXDEV;
    p.syscalls = {rule({"exit_group", "exit", "write", "read", "close", "brk", "mmap", "munmap", "mprotect",
                        "rt_sigprocmask", "futex", "sigaltstack", "getpid"},
                       "SCMP_ACT_ALLOW"),
                  rule({"getuid"}, "SCMP_ACT_ERRNO", EXDEV)};  // equal to the default: skipped
    const std::string bpf = compile_filter(p);
    auto r = run_in_child([&] {
        require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
        load_filter(bpf, {}, false);
        expect_ok(raw(SYS_getpid), "getpid");
        expect_errno(raw(SYS_getppid), EXDEV, "getppid");
        expect_errno(raw(SYS_getuid), EXDEV, "getuid");
        expect_errno(raw(SYS_openat, AT_FDCWD, reinterpret_cast<long>("/")), EXDEV, "openat");
        // Leave directly: sanitizer runtimes make more syscalls in _exit.
        ::syscall(SYS_exit_group, 0);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Seccomp, ErrnoDefaultsToEperm) {
    spec::Seccomp p = allow_profile();
    p.syscalls = {rule({"getppid"}, "SCMP_ACT_ERRNO")};
    const std::string bpf = compile_filter(p);
    auto r = run_in_child([&] {
        require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
        load_filter(bpf, {}, false);
        expect_errno(raw(SYS_getppid), EPERM, "getppid");
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Seccomp, UnknownSyscallNamesAreSkipped) {
    spec::Seccomp with = allow_profile(), without = allow_profile(), only_unknown = allow_profile();
    with.syscalls = {rule({"mkdir", "no_such_syscall_xyz"}, "SCMP_ACT_ERRNO", 1),
                     rule({"another_fake_call"}, "SCMP_ACT_KILL")};
    without.syscalls = {rule({"mkdir"}, "SCMP_ACT_ERRNO", 1)};
    only_unknown.syscalls = {rule({"no_such_syscall_xyz"}, "SCMP_ACT_ERRNO")};
    EXPECT_EQ(compile_filter(with), compile_filter(without));
    EXPECT_EQ(compile_filter(only_unknown), compile_filter(allow_profile()));
}

TEST(Seccomp, ErrorsNameTheJsonLocation) {
    spec::Seccomp p = allow_profile();
    p.syscalls = {rule({"mkdir"}, "SCMP_ACT_ERRNO"), rule({"getpid"}, "SCMP_ACT_FOO")};
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp/syscalls/1: unknown action \"SCMP_ACT_FOO\""),
              std::string::npos)
        << error_of([&] { compile_filter(p); });

    p = allow_profile();
    p.default_action = "SCMP_ACT_NOPE";
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp: unknown action \"SCMP_ACT_NOPE\""),
              std::string::npos);

    p = allow_profile();
    p.syscalls = {rule({"mkdir"}, "SCMP_ACT_ERRNO", 1, {arg(0, "SCMP_CMP_EQ", 1), arg(1, "SCMP_CMP_SOMETIMES", 1)})};
    EXPECT_NE(error_of([&] { compile_filter(p); })
                  .find("/linux/seccomp/syscalls/0/args/1: unknown operator \"SCMP_CMP_SOMETIMES\""),
              std::string::npos);

    p.syscalls = {rule({"mkdir"}, "SCMP_ACT_ERRNO", 1, {arg(6, "SCMP_CMP_EQ", 1)})};
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp/syscalls/0/args/0: index 6"),
              std::string::npos);

    p = allow_profile();
    p.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
    EXPECT_NE(error_of([&] { compile_filter(p); })
                  .find("/linux/seccomp/architectures/1: unknown architecture \"SCMP_ARCH_VAX\""),
              std::string::npos);

    p = allow_profile();
    p.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"};
    EXPECT_NE(error_of([&] { compile_filter(p); })
                  .find("/linux/seccomp/flags/1: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\""),
              std::string::npos);

    p = allow_profile();
    p.syscalls = {rule({"mkdir"}, "SCMP_ACT_KILL", 5)};
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp/syscalls/0: errnoRet can only be used"),
              std::string::npos);

    p = allow_profile();
    p.default_action = "SCMP_ACT_NOTIFY";
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("cannot be the default action"), std::string::npos);

    p = allow_profile();
    p.syscalls = {rule({"read", "write"}, "SCMP_ACT_NOTIFY")};
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp/syscalls/0: SCMP_ACT_NOTIFY cannot be used"),
              std::string::npos);

    p = allow_profile();
    p.syscalls = {rule({"mkdir", ""}, "SCMP_ACT_ERRNO")};
    EXPECT_NE(error_of([&] { compile_filter(p); }).find("/linux/seccomp/syscalls/0/names/1: empty"),
              std::string::npos);
}

TEST(Seccomp, AllActionsAndOperatorsCompile) {
    spec::Seccomp p = allow_profile();
    p.syscalls = {
        rule({"getpid"}, "SCMP_ACT_ERRNO", 5),      rule({"getppid"}, "SCMP_ACT_KILL"),
        rule({"getuid"}, "SCMP_ACT_KILL_PROCESS"),  rule({"getgid"}, "SCMP_ACT_KILL_THREAD"),
        rule({"geteuid"}, "SCMP_ACT_TRAP"),         rule({"getegid"}, "SCMP_ACT_TRACE", 3),
        rule({"gettid"}, "SCMP_ACT_LOG"),           rule({"getpgrp"}, "SCMP_ACT_NOTIFY"),
        rule({"getsid"}, "SCMP_ACT_TRACE"),
    };
    const char* ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                         "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
    unsigned i = 0;
    for (const char* op : ops) p.syscalls.push_back(rule({"setpgid"}, "SCMP_ACT_ERRNO", 1, {arg(i++ % 6, op, 3, 1)}));
    EXPECT_NO_THROW(compile_filter(p));
    EXPECT_TRUE(seccomp_uses_notify(p));
    EXPECT_FALSE(seccomp_uses_notify(effect_profile()));
}

TEST(Seccomp, ExtraArchitecturesAreAddedAndTheNativeOneIsNoError) {
    spec::Seccomp native = allow_profile();
    native.syscalls = {rule({"mkdir"}, "SCMP_ACT_ERRNO")};
    spec::Seccomp multi = native;
    multi.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"};
    std::string a = compile_filter(native), b = compile_filter(multi);
    EXPECT_GT(b.size(), a.size());
}

TEST(Seccomp, LongProfilesCompile) {
    // > 32 entries switches on libseccomp's binary tree; it must still behave.
    spec::Seccomp p = allow_profile();
    const char* names[] = {"getpid", "getppid", "getuid", "getgid", "geteuid", "getegid", "gettid", "getpgrp",
                           "getsid", "setpgid", "mkdir", "rmdir", "link", "unlink", "symlink", "rename",
                           "chmod", "chown", "lchown", "fchown", "fchmod", "truncate", "ftruncate", "mknod",
                           "sync", "syncfs", "fsync", "fdatasync", "umask", "chroot", "acct", "pivot_root",
                           "swapon", "swapoff", "reboot", "sethostname"};
    for (const char* n : names) p.syscalls.push_back(rule({n}, "SCMP_ACT_ERRNO", ENOSYS));
    const std::string bpf = compile_filter(p);
    auto r = run_in_child([&] {
        require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
        load_filter(bpf, {}, false);
        expect_errno(raw(SYS_sethostname, 0, 0), ENOSYS, "sethostname");
        expect_errno(raw(SYS_getppid), ENOSYS, "getppid");
        expect_ok(raw(SYS_sched_yield), "sched_yield");
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(SeccompCache, SecondCallHitsTheCacheAndWritesOneFile) {
    TempDir tmp;
    const std::string dir = tmp / "cache";  // created on demand
    spec::Seccomp p = effect_profile();
    const std::string fresh = compile_filter(p);

    std::string first = compiled_filter_cached(p, dir);
    EXPECT_EQ(first, fresh);
    auto files = list_dir(dir);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].size(), 64u + 4u) << files[0];
    EXPECT_EQ(files[0].substr(64), ".bpf");
    const std::string path = sys::join(dir, files[0]);
    struct stat st1, st2;
    ASSERT_EQ(::stat(path.c_str(), &st1), 0);
    EXPECT_EQ(st1.st_mode & 0777, 0600u);

    std::string second = compiled_filter_cached(p, dir);
    EXPECT_EQ(second, first);
    EXPECT_EQ(list_dir(dir).size(), 1u);
    ASSERT_EQ(::stat(path.c_str(), &st2), 0);
    EXPECT_EQ(st1.st_ino, st2.st_ino) << "the entry was rewritten on a hit";

    // The hit is really served from the file: plant a valid entry holding a
    // different program and get that program back.
    spec::Seccomp other = allow_profile();
    other.syscalls = {rule({"getppid"}, "SCMP_ACT_ERRNO")};
    const std::string other_bpf = compile_filter(other);
    ASSERT_NE(other_bpf, fresh);
    auto sum = Sha256().update(other_bpf).digest();
    std::string entry = "DKRBPF01" + std::string(reinterpret_cast<const char*>(sum.data()), sum.size()) + other_bpf;
    sys::write_file_atomic(path, entry, 0600);
    EXPECT_EQ(compiled_filter_cached(p, dir), other_bpf);

    // A different profile is a different entry.
    EXPECT_EQ(compiled_filter_cached(other, dir), other_bpf);
    EXPECT_EQ(list_dir(dir).size(), 2u);
}

TEST(SeccompCache, CorruptShortOrForeignEntriesAreReplaced) {
    TempDir tmp;
    const std::string dir = tmp.path();
    spec::Seccomp p = effect_profile();
    const std::string fresh = compile_filter(p);
    ASSERT_EQ(compiled_filter_cached(p, dir), fresh);
    auto files = list_dir(dir);
    ASSERT_EQ(files.size(), 1u);
    const std::string path = sys::join(dir, files[0]);
    const std::string good = sys::read_file(path);

    auto check_replaced = [&](const std::string& what) {
        EXPECT_EQ(compiled_filter_cached(p, dir), fresh) << what;
        EXPECT_EQ(sys::read_file(path), good) << what << ": entry not rewritten";
        EXPECT_EQ(list_dir(dir).size(), 1u) << what;
    };

    std::string flipped = good;
    flipped[flipped.size() - 3] ^= 0x40;  // same size, one bit of the program changed
    sys::write_file_atomic(path, flipped, 0600);
    check_replaced("flipped bit");

    sys::write_file_atomic(path, good.substr(0, 10), 0600);
    check_replaced("short file");

    sys::write_file_atomic(path, good.substr(0, good.size() - 4), 0600);
    check_replaced("truncated mid-instruction");

    sys::write_file_atomic(path, "", 0600);
    check_replaced("empty file");

    sys::write_file_atomic(path, good, 0666);
    ASSERT_EQ(::chmod(path.c_str(), 0666), 0);
    check_replaced("world-writable file");
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    ASSERT_EQ(::unlink(path.c_str()), 0);
    ASSERT_EQ(::symlink("/dev/null", path.c_str()), 0);
    check_replaced("symlink");
}

TEST(SeccompCache, KeyIsTheCanonicalJson) {
    TempDir tmp;
    spec::Seccomp p = effect_profile();
    std::string a = compiled_filter_cached(p, "{\"x\":1}", tmp.path());
    std::string b = compiled_filter_cached(p, "{\"x\":1}", tmp.path());
    std::string c = compiled_filter_cached(p, "{\"x\":2}", tmp.path());
    EXPECT_EQ(a, b);
    EXPECT_EQ(a, c);
    EXPECT_EQ(list_dir(tmp.path()).size(), 2u);

    // The built-in serialisation changes with every field.
    spec::Seccomp q = p;
    EXPECT_EQ(seccomp_canonical_json(p), seccomp_canonical_json(q));
    q.syscalls[1].args[0].value = 43;
    EXPECT_NE(seccomp_canonical_json(p), seccomp_canonical_json(q));
    q = p;
    q.default_errno_ret = 1;
    EXPECT_NE(seccomp_canonical_json(p), seccomp_canonical_json(q));
    q = p;
    q.syscalls[0].names = {"mkdir\",\"mkdirat"};  // quoting is not ambiguous
    EXPECT_NE(seccomp_canonical_json(p), seccomp_canonical_json(q));
}

TEST(SeccompCache, UnwritableCacheDirIsNotFatal) {
    TempDir tmp;
    const std::string file = tmp / "not-a-dir";
    sys::write_file_atomic(file, "x");
    spec::Seccomp p = effect_profile();
    EXPECT_EQ(compiled_filter_cached(p, file + "/cache"), compile_filter(p));
}

TEST(Seccomp, LoadRejectsBadProgramsAndFlags) {
    EXPECT_THROW(load_filter("", {}, false), Error);
    EXPECT_THROW(load_filter("1234567", {}, false), Error);
    EXPECT_THROW(load_filter(std::string(8 * 4097, '\0'), {}, false), Error);
    std::string bpf = compile_filter(allow_profile());
    EXPECT_THROW(load_filter(bpf, {"SECCOMP_FILTER_FLAG_NOPE"}, false), Error);
    EXPECT_EQ(seccomp_filter_flags({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                    "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}),
              7u);
}

TEST(Seccomp, LoadNeedsNoNewPrivsOrSysAdmin) {
    const std::string bpf = compile_filter(allow_profile());
    auto r = run_in_child([&] {
        // Drop CAP_SYS_ADMIN from the effective set, leave no_new_privs unset.
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct d[2] = {};
        require(::syscall(SYS_capget, &hdr, d) == 0, "capget");
        d[0].effective &= ~(1u << CAP_SYS_ADMIN);
        require(::syscall(SYS_capset, &hdr, d) == 0, "capset");
        try {
            load_filter(bpf, {}, false);
            require(false, "loaded without no_new_privs or CAP_SYS_ADMIN");
        } catch (const Error& e) {
            require(e.code() == EACCES, e.what());
            require(std::string(e.what()).find("no_new_privs") != std::string::npos, e.what());
        }
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Seccomp, NotifyReturnsAListenerThatReceivesTheCall) {
    spec::Seccomp p = allow_profile();
    p.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};  // with a listener this needs TSYNC_ESRCH
    p.syscalls = {rule({"getppid"}, "SCMP_ACT_NOTIFY")};
    ASSERT_TRUE(seccomp_uses_notify(p));
    const std::string bpf = compile_filter(p);

    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    sys::Fd parent_sock(sv[0]), child_sock(sv[1]);

    dkr::testing::Child child([&] {
        parent_sock.reset();
        require(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "PR_SET_NO_NEW_PRIVS");
        sys::Fd listener = load_filter(bpf, p.flags, true);
        require(listener.valid(), "no listener fd");
        int fl = ::fcntl(listener.get(), F_GETFD);
        require(fl >= 0 && (fl & FD_CLOEXEC), "listener is not close-on-exec");
        sys::send_with_fd(child_sock.get(), "f", listener.get(), "the listener");
        listener.reset();
        long r = ::syscall(SYS_getppid);  // blocks until the parent answers
        require(r == 4242, "getppid returned " + std::to_string(r) + " errno " + errno_str(errno));
    });
    child_sock.reset();

    struct pollfd sent{parent_sock.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&sent, 1, 10000), 1) << "no listener fd from the child within 10 s";
    char byte;
    sys::Fd listener;
    ASSERT_EQ(sys::recv_with_fd(parent_sock.get(), &byte, 1, listener, "the listener"), 1u);
    ASSERT_TRUE(listener.valid()) << "no listener fd from the child";

    struct pollfd pfd{listener.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "no notification within 10 s";
    struct seccomp_notif* req = nullptr;
    struct seccomp_notif_resp* resp = nullptr;
    ASSERT_EQ(seccomp_notify_alloc(&req, &resp), 0);
    int rc = seccomp_notify_receive(listener.get(), req);
    EXPECT_EQ(rc, 0);
    if (rc == 0) {
        EXPECT_EQ(static_cast<pid_t>(req->pid), child.pid());
        EXPECT_EQ(req->data.nr, SYS_getppid);
        resp->id = req->id;
        resp->val = 4242;
        resp->error = 0;
        resp->flags = 0;
        EXPECT_EQ(seccomp_notify_respond(listener.get(), resp), 0);
    }
    seccomp_notify_free(req, resp);

    auto r = child.wait(std::chrono::seconds(10));
    EXPECT_TRUE(r.ok()) << r.describe();
}
