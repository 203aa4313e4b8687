#include "runtime/security/capabilities.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "runtime/error.hpp"
#include "tests/unit/security/test_support.hpp"

using namespace dkr;
using namespace dkr::security;
using dkr::testing::require;
using dkr::testing::run_in_child;

namespace {

uint64_t bit(const char* name) { return uint64_t{1} << cap_from_name(name); }

// CapInh/CapPrm/CapEff/CapBnd/CapAmb of the calling process, from /proc/self/status.
uint64_t status_mask(const std::string& field) {
    std::istringstream in(sys::read_file("/proc/self/status"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0) return std::strtoull(line.c_str() + field.size() + 1, nullptr, 16);
    throw std::runtime_error("no " + field + " in /proc/self/status");
}

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

void expect_mask(const char* field, uint64_t want) {
    uint64_t got = status_mask(field);
    require(got == want, std::string(field) + " is " + hex(got) + ", want " + hex(want));
}

void become_user_1000() {
    require(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "PR_SET_KEEPCAPS");
    require(::setgroups(0, nullptr) == 0, "setgroups");
    require(::setresgid(1000, 1000, 1000) == 0, "setresgid");
    require(::setresuid(1000, 1000, 1000) == 0, "setresuid");
}

void raw_capset(uint64_t eff, uint64_t prm, uint64_t inh) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2] = {};
    for (int i = 0; i < 2; ++i) {
        d[i].effective = static_cast<uint32_t>(eff >> (32 * i));
        d[i].permitted = static_cast<uint32_t>(prm >> (32 * i));
        d[i].inheritable = static_cast<uint32_t>(inh >> (32 * i));
    }
    require(::syscall(SYS_capset, &hdr, d) == 0, "raw capset: " + dkr::testing::errno_str(errno));
}

}  // namespace

TEST(Capabilities, NameTableRoundTrips) {
    EXPECT_EQ(cap_from_name("CAP_CHOWN"), 0);
    EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(cap_from_name("CAP_SYS_RESOURCE"), 24);
    EXPECT_EQ(cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
    EXPECT_EQ(max_known_cap(), 40);
    for (int cap = 0; cap <= max_known_cap(); ++cap) {
        ASSERT_NE(cap_name(cap), nullptr) << cap;
        EXPECT_EQ(cap_from_name(cap_name(cap)), cap) << cap_name(cap);
    }
    EXPECT_EQ(cap_name(-1), nullptr);
    EXPECT_EQ(cap_name(41), nullptr);
    EXPECT_EQ(cap_from_name("CAP_FOO"), -1);
    EXPECT_EQ(cap_from_name("cap_chown"), -1);  // OCI names are exact upper case
    EXPECT_EQ(cap_from_name("CHOWN"), -1);
    EXPECT_EQ(cap_from_name(""), -1);
}

TEST(Capabilities, LastCapMatchesProc) {
    int want = std::atoi(sys::read_file("/proc/sys/kernel/cap_last_cap").c_str());
    EXPECT_EQ(last_cap(), want);
    EXPECT_GE(last_cap(), 36);
}

TEST(Capabilities, MaskSkipsCapsAboveLastCapAndRejectsUnknownNames) {
    EXPECT_EQ(caps_mask({"CAP_CHOWN", "CAP_KILL"}, 40, "f"), bit("CAP_CHOWN") | bit("CAP_KILL"));
    // A kernel whose last cap is 37 does not know CAP_BPF (39): skipped, no error.
    EXPECT_EQ(caps_mask({"CAP_CHOWN", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"}, 37, "f"), bit("CAP_CHOWN"));
    try {
        caps_mask({"CAP_CHOWN", "CAP_BOGUS"}, 40, "process.capabilities.bounding");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("CAP_BOGUS"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("process.capabilities.bounding"), std::string::npos) << e.what();
    }
}

TEST(Capabilities, UnknownNameIsAnErrorBeforeAnythingIsDropped) {
    auto r = run_in_child([] {
        uint64_t before = status_mask("CapBnd");
        spec::Capabilities c;
        c.bounding = {"CAP_CHOWN", "CAP_NOT_A_CAP"};
        try {
            drop_bounding_set(c);
            require(false, "drop_bounding_set accepted CAP_NOT_A_CAP");
        } catch (const Error& e) {
            require(std::string(e.what()).find("CAP_NOT_A_CAP") != std::string::npos, e.what());
        }
        expect_mask("CapBnd", before);
        c.effective = {"CAP_WHATEVER"};
        try {
            apply_capabilities(c);
            require(false, "apply_capabilities accepted CAP_WHATEVER");
        } catch (const Error& e) {
            require(std::string(e.what()).find("CAP_WHATEVER") != std::string::npos, e.what());
        }
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Capabilities, DropSetuidApplyGivesExactMasks) {
    const uint64_t host_bnd = status_mask("CapBnd");
    dkr::testing::TempDir tmp;
    const std::string file = tmp / "owned-by-root";
    auto r = run_in_child([host_bnd, file] {
        sys::Fd fd = sys::open_file(file, O_RDWR | O_CREAT, 0600);
        spec::Capabilities c;
        // CAP_SYS_RESOURCE may be absent from this host's bounding set: asking
        // to keep it is not an error, it just stays absent.
        c.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_RESOURCE"};
        c.effective = {"CAP_CHOWN", "CAP_KILL"};
        c.permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
        c.inheritable = {"CAP_NET_BIND_SERVICE"};
        c.ambient = {"CAP_NET_BIND_SERVICE"};

        require(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "PR_SET_KEEPCAPS");
        drop_bounding_set(c);
        require(::setgroups(0, nullptr) == 0, "setgroups");
        require(::setresgid(1000, 1000, 1000) == 0, "setresgid");
        require(::setresuid(1000, 1000, 1000) == 0, "setresuid");
        apply_capabilities(c);

        require(::getuid() == 1000 && ::geteuid() == 1000 && ::getgid() == 1000, "ids");
        const uint64_t nbs = bit("CAP_NET_BIND_SERVICE");
        expect_mask("CapBnd",
                    (bit("CAP_CHOWN") | bit("CAP_KILL") | nbs | bit("CAP_SYS_RESOURCE")) & host_bnd);
        expect_mask("CapEff", bit("CAP_CHOWN") | bit("CAP_KILL"));
        expect_mask("CapPrm", bit("CAP_CHOWN") | bit("CAP_KILL") | nbs);
        expect_mask("CapInh", nbs);
        expect_mask("CapAmb", nbs);
        // Real effects: CAP_CHOWN works as uid 1000; CAP_SYS_ADMIN is out of the bounding set.
        require(::fchown(fd.get(), 1000, 1000) == 0, "fchown with CAP_CHOWN: " + dkr::testing::errno_str(errno));
        require(::prctl(PR_CAPBSET_READ, cap_from_name("CAP_SYS_ADMIN"), 0, 0, 0) == 0, "SYS_ADMIN still bounded");
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Capabilities, InheritableAndAmbientAreEmptyUnlessListed) {
    // CVE-2022-29162: inheritable caps present before must not survive.
    auto r = run_in_child([] {
        const uint64_t chown = bit("CAP_CHOWN"), raw = bit("CAP_NET_RAW");
        uint64_t prm = status_mask("CapPrm");
        raw_capset(prm, prm, chown | raw);
        require(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap_from_name("CAP_CHOWN"), 0, 0) == 0,
                "ambient raise");
        expect_mask("CapInh", chown | raw);
        expect_mask("CapAmb", chown);

        spec::Capabilities c;
        c.bounding = {"CAP_CHOWN", "CAP_NET_RAW", "CAP_SETPCAP"};
        c.effective = c.permitted = {"CAP_CHOWN", "CAP_NET_RAW"};
        require(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "PR_SET_KEEPCAPS");
        drop_bounding_set(c);
        require(::setresuid(1000, 1000, 1000) == 0, "setresuid");
        apply_capabilities(c);
        expect_mask("CapInh", 0);
        expect_mask("CapAmb", 0);
        expect_mask("CapEff", chown | raw);
        expect_mask("CapPrm", chown | raw);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Capabilities, RootKeepsOnlyListedCapsWithoutSetuid) {
    dkr::testing::TempDir tmp;
    const std::string file = tmp / "f";
    auto r = run_in_child([file] {
        sys::Fd fd = sys::open_file(file, O_RDWR | O_CREAT, 0600);
        spec::Capabilities c;
        c.bounding = c.effective = c.permitted = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
        drop_bounding_set(c);
        apply_capabilities(c);
        uint64_t want = bit("CAP_AUDIT_WRITE") | bit("CAP_KILL") | bit("CAP_NET_BIND_SERVICE");
        expect_mask("CapBnd", want);
        expect_mask("CapEff", want);
        expect_mask("CapPrm", want);
        expect_mask("CapInh", 0);
        expect_mask("CapAmb", 0);
        // Real effect: even uid 0 cannot give its file away without CAP_CHOWN.
        require(::getuid() == 0, "uid");
        require(::fchown(fd.get(), 1000, 1000) == -1 && errno == EPERM, "fchown without CAP_CHOWN did not fail");
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Capabilities, UngrantableCapIsNamedInTheError) {
    auto r = run_in_child([] {
        become_user_1000();
        raw_capset(0, bit("CAP_CHOWN"), 0);  // permitted is now just CAP_CHOWN
        spec::Capabilities c;
        c.permitted = {"CAP_CHOWN", "CAP_KILL"};
        try {
            apply_capabilities(c);
            require(false, "capset of CAP_KILL succeeded without it in permitted");
        } catch (const Error& e) {
            require(e.code() == EPERM, std::string("code: ") + e.what());
            require(std::string(e.what()).find("CAP_KILL") != std::string::npos, e.what());
        }
        // Ambient needs the cap permitted and inheritable; without that it is
        // left out, as runc does with its own default spec.
        c.permitted = {"CAP_CHOWN"};
        c.ambient = {"CAP_CHOWN"};
        apply_capabilities(c);
        expect_mask("CapAmb", 0);
    });
    EXPECT_TRUE(r.ok()) << r.describe();
}
