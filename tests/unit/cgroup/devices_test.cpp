// Device rules: normalization, the v1-semantics emulator, and the v2 eBPF
// program (run here through a small interpreter of the instructions it uses;
// the real-kernel attach is in real_v2_test.cpp).
#include "runtime/cgroup/devices.hpp"

#include <gtest/gtest.h>

#include "runtime/cgroup/bpf.hpp"
#include "runtime/error.hpp"

namespace dkr::cgroup {
namespace {

using R = spec::DeviceCgroupRule;

// Executes a BPF_PROG_TYPE_CGROUP_DEVICE program on one access.
int run(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor, unsigned access) {
    const uint32_t ctx[3] = {(access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor};
    uint64_t reg[11] = {};
    bool r1_is_ctx = true;
    size_t pc = 0;
    for (int steps = 0; steps < 100000; ++steps) {
        if (pc >= prog.size()) {
            ADD_FAILURE() << "fell off the program at " << pc;
            return -1;
        }
        const bpf_insn& i = prog[pc++];
        auto jump = [&](bool cond) {
            if (cond) pc += i.off;
        };
        switch (i.code) {
            case BPF_LDX | BPF_W | BPF_MEM:
                if (i.src_reg != 1 || !r1_is_ctx || i.off % 4 || i.off < 0 || i.off > 8) {
                    ADD_FAILURE() << "bad context load at " << pc - 1;
                    return -1;
                }
                reg[i.dst_reg] = ctx[i.off / 4];
                break;
            case BPF_ALU | BPF_MOV | BPF_X:
                reg[i.dst_reg] = static_cast<uint32_t>(reg[i.src_reg]);
                break;
            case BPF_ALU | BPF_AND | BPF_K:
                reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) & static_cast<uint32_t>(i.imm);
                break;
            case BPF_ALU | BPF_RSH | BPF_K:
                reg[i.dst_reg] = static_cast<uint32_t>(reg[i.dst_reg]) >> i.imm;
                break;
            case BPF_ALU64 | BPF_MOV | BPF_K:
                reg[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
                break;
            case BPF_JMP | BPF_JNE | BPF_K:
                jump(reg[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
                break;
            case BPF_JMP | BPF_JEQ | BPF_K:
                jump(reg[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm)));
                break;
            case BPF_JMP | BPF_JNE | BPF_X:
                jump(reg[i.dst_reg] != reg[i.src_reg]);
                break;
            case BPF_JMP | BPF_EXIT:
                return static_cast<int>(reg[0]);
            default:
                ADD_FAILURE() << "unexpected opcode " << int(i.code) << " at " << pc - 1;
                return -1;
        }
        if ((i.code & 0x07) != BPF_JMP && i.dst_reg == 1) r1_is_ctx = false;
    }
    ADD_FAILURE() << "no exit";
    return -1;
}

// The program must agree with the emulator on every combination.
void expect_program_matches(const std::vector<R>& rules) {
    DeviceState s = emulate_device_rules(normalize_device_rules(rules));
    auto prog = device_filter_program(s);
    for (char type : {'c', 'b'})
        for (uint32_t major : {1u, 5u, 8u, 136u, 200u})
            for (uint32_t minor : {0u, 3u, 5u, 9u})
                for (unsigned access = 1; access <= 7; ++access)
                    EXPECT_EQ(run(prog, type, major, minor, access) == 1,
                              device_access_allowed(s, type, major, minor, access))
                        << type << " " << major << ":" << minor << " access " << access;
}

TEST(Devices, Normalize) {
    auto n = normalize_device_rules({R{false, "", std::nullopt, std::nullopt, ""}, R{true, "c", 1, 3, "rw"},
                                     R{true, "b", -1, -1, "m"}, R{true, "a", 4, std::nullopt, "r"},
                                     R{true, "a", std::nullopt, std::nullopt, "m"}});
    ASSERT_EQ(n.size(), 7u);
    EXPECT_EQ(n[0], (DeviceRule{'a', -1, -1, kAccAll, false}));
    EXPECT_EQ(n[1], (DeviceRule{'c', 1, 3, kAccRead | kAccWrite, true}));
    EXPECT_EQ(n[2], (DeviceRule{'b', -1, -1, kAccMknod, true}));
    // A partial "a" rule would reset the v1 kernel's state: split instead.
    EXPECT_EQ(n[3], (DeviceRule{'c', 4, -1, kAccRead, true}));
    EXPECT_EQ(n[4], (DeviceRule{'b', 4, -1, kAccRead, true}));
    EXPECT_EQ(n[5], (DeviceRule{'c', -1, -1, kAccMknod, true}));
    EXPECT_EQ(n[6], (DeviceRule{'b', -1, -1, kAccMknod, true}));
    EXPECT_EQ(device_rule_string(n[0]), "a *:* rwm");
    EXPECT_EQ(device_rule_string(n[1]), "c 1:3 rw");
    EXPECT_EQ(device_rule_string(n[3]), "c 4:* r");
    EXPECT_THROW(normalize_device_rules({R{true, "p", 1, 3, "r"}}), Error);
    EXPECT_THROW(normalize_device_rules({R{true, "c", 1, 3, "rx"}}), Error);
    EXPECT_THROW(normalize_device_rules({R{true, "c", -2, 3, "r"}}), Error);
}

TEST(Devices, EmulatorFollowsV1KernelSemantics) {
    // Allow list.
    DeviceState s =
        emulate_device_rules(normalize_device_rules({R{false, "a", {}, {}, "rwm"}, R{true, "c", 1, 3, "rwm"},
                                                     R{true, "c", 136, {}, "rw"}, R{false, "c", 1, 3, "w"}}));
    EXPECT_FALSE(s.default_allow);
    EXPECT_TRUE(device_access_allowed(s, 'c', 1, 3, kAccRead));
    EXPECT_FALSE(device_access_allowed(s, 'c', 1, 3, kAccWrite));  // removed by the deny
    EXPECT_FALSE(device_access_allowed(s, 'c', 1, 3, kAccRead | kAccWrite));
    EXPECT_TRUE(device_access_allowed(s, 'c', 136, 7, kAccRead | kAccWrite));
    EXPECT_FALSE(device_access_allowed(s, 'c', 136, 7, kAccMknod));
    EXPECT_FALSE(device_access_allowed(s, 'b', 1, 3, kAccRead));
    EXPECT_FALSE(device_access_allowed(s, 'c', 1, 5, kAccRead));

    // Deny list: nothing before the rules means "allow all" (the parent).
    DeviceState d = emulate_device_rules(normalize_device_rules({R{false, "c", 1, 5, "w"}}));
    EXPECT_TRUE(d.default_allow);
    EXPECT_FALSE(device_access_allowed(d, 'c', 1, 5, kAccWrite));
    EXPECT_FALSE(device_access_allowed(d, 'c', 1, 5, kAccRead | kAccWrite));  // any denied bit
    EXPECT_TRUE(device_access_allowed(d, 'c', 1, 5, kAccRead));
    EXPECT_TRUE(device_access_allowed(d, 'b', 8, 0, kAccAll));

    // Identical entries merge; "a" resets.
    DeviceState m = emulate_device_rules(
        normalize_device_rules({R{false, "a", {}, {}, "rwm"}, R{true, "c", 1, 3, "r"}, R{true, "c", 1, 3, "w"}}));
    ASSERT_EQ(m.exceptions.size(), 1u);
    EXPECT_EQ(m.exceptions[0].access, unsigned(kAccRead | kAccWrite));
    DeviceState a = emulate_device_rules(
        normalize_device_rules({R{false, "a", {}, {}, "rwm"}, R{true, "c", 1, 3, "r"}, R{true, "a", {}, {}, "rwm"}}));
    EXPECT_TRUE(a.default_allow);
    EXPECT_TRUE(a.exceptions.empty());
}

TEST(Devices, EffectiveRulesAreRuncs) {
    spec::Device fuse;
    fuse.type = "c";
    fuse.path = "/dev/fuse";
    fuse.major = 10;
    fuse.minor = 229;
    spec::Device fifo;
    fifo.type = "p";
    fifo.path = "/dev/fifo";
    auto rules = effective_device_rules({R{true, "c", 4, 1, "r"}}, {fuse, fifo});
    ASSERT_EQ(rules.size(), 1u + 1u + default_allowed_devices().size() + 1u);
    EXPECT_FALSE(rules[0].allow);
    EXPECT_EQ(rules[0].type, "a");
    EXPECT_EQ(rules[1].major, 4);
    EXPECT_EQ(rules.back().major, 10);
    EXPECT_EQ(rules.back().minor, 229);
    EXPECT_EQ(rules.back().access, "rwm");
    DeviceState s = emulate_device_rules(normalize_device_rules(rules));
    EXPECT_FALSE(s.default_allow);
    EXPECT_TRUE(device_access_allowed(s, 'c', 1, 3, kAccRead | kAccWrite));    // /dev/null
    EXPECT_TRUE(device_access_allowed(s, 'c', 136, 2, kAccRead | kAccWrite));  // /dev/pts/2
    EXPECT_TRUE(device_access_allowed(s, 'b', 8, 0, kAccMknod));               // mknod anything
    EXPECT_FALSE(device_access_allowed(s, 'b', 8, 0, kAccRead));               // but no disk access
    EXPECT_TRUE(device_access_allowed(s, 'c', 10, 229, kAccRead));             // /dev/fuse
    EXPECT_FALSE(device_access_allowed(s, 'c', 1, 1, kAccRead));               // /dev/mem
}

TEST(DevicesBpf, ProgramShape) {
    DeviceState deny_all{false, {}};
    auto p = device_filter_program(deny_all);
    ASSERT_EQ(p.size(), 8u);  // 6 loads/shifts, r0 = 0, exit
    EXPECT_EQ(p[6].code, BPF_ALU64 | BPF_MOV | BPF_K);
    EXPECT_EQ(p[6].imm, 0);
    EXPECT_EQ(p[7].code, BPF_JMP | BPF_EXIT);
    EXPECT_EQ(run(p, 'c', 1, 3, kAccRead), 0);
    DeviceState allow_all{true, {}};
    EXPECT_EQ(run(device_filter_program(allow_all), 'b', 8, 0, kAccAll), 1);
    DeviceState huge{false, {DeviceRule{'c', 0x80000000LL, 1, kAccAll, true}}};
    EXPECT_THROW(device_filter_program(huge), Error);
}

TEST(DevicesBpf, ProgramAgreesWithTheEmulator) {
    expect_program_matches({R{false, "a", {}, {}, "rwm"}, R{true, "c", 1, 3, "rwm"}});
    expect_program_matches({R{false, "a", {}, {}, "rwm"}, R{true, "c", 1, {}, "r"}, R{true, "b", {}, 0, "rw"},
                            R{true, "c", 136, {}, "rwm"}, R{false, "c", 1, {}, "r"}, R{true, "c", 5, 0, "m"}});
    expect_program_matches({R{false, "c", 1, 5, "w"}, R{false, "b", {}, {}, "m"}, R{false, "c", 136, 3, "rwm"}});
    expect_program_matches({R{true, "a", {}, {}, "rwm"}});
    expect_program_matches(effective_device_rules({}, {}));
    expect_program_matches({R{false, "a", {}, {}, "rwm"}, R{true, "a", 8, {}, "r"}});
}

}  // namespace
}  // namespace dkr::cgroup
