#include "runtime/cgroup/bpf.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i;
    std::memset(&i, 0, sizeof i);
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn ldx_w(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn and32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
bpf_insn rsh32_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
bpf_insn mov64_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
bpf_insn jeq_imm(uint8_t dst, int32_t imm, int16_t off) { return insn(BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm); }
bpf_insn jne_reg(uint8_t dst, uint8_t src, int16_t off) { return insn(BPF_JMP | BPF_JNE | BPF_X, dst, src, off, 0); }
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

int32_t imm_of(int64_t v) {
    if (v < 0 || v > INT32_MAX) throw Error("cgroup: devices: device number " + std::to_string(v) + " is too large");
    return static_cast<int32_t>(v);
}

long bpf(int cmd, union bpf_attr* attr) {
    long r;
    do {
        r = ::syscall(SYS_bpf, cmd, attr, sizeof(*attr));
    } while (r < 0 && errno == EINTR);
    return r;
}

uint64_t ptr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

sys::Fd load(const std::vector<bpf_insn>& prog) {
    static const char license[] = "Apache";
    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = ptr(prog.data());
    attr.insn_cnt = static_cast<uint32_t>(prog.size());
    attr.license = ptr(license);
    long fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return sys::Fd(static_cast<int>(fd));
    int err = errno;
    // Once more with the verifier log, for the error message.
    std::string log(16384, '\0');
    attr.log_level = 1;
    attr.log_buf = ptr(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0) return sys::Fd(static_cast<int>(fd));
    log.resize(std::strlen(log.c_str()));
    Error e = sys_error("bpf(BPF_PROG_LOAD)", "cgroup device program", err);
    throw Error(std::string(e.what()) + (log.empty() ? "" : "\n" + log), err);
}

struct Query {
    uint32_t flags = 0;
    std::vector<uint32_t> ids;
};

Query query(int cgroup_fd, const std::string& dir) {
    Query q;
    q.ids.resize(64);
    for (;;) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = ptr(q.ids.data());
        attr.query.prog_cnt = static_cast<uint32_t>(q.ids.size());
        if (bpf(BPF_PROG_QUERY, &attr) == 0) {
            q.flags = attr.query.attach_flags;
            q.ids.resize(attr.query.prog_cnt);
            return q;
        }
        if (errno == ENOSPC && attr.query.prog_cnt > q.ids.size()) {
            q.ids.resize(attr.query.prog_cnt);
            continue;
        }
        throw sys_error("bpf(BPF_PROG_QUERY)", dir, errno);
    }
}

}  // namespace

std::vector<bpf_insn> device_filter_program(const DeviceState& state) {
    std::vector<bpf_insn> p;
    // r2 = type, r3 = access, r4 = major, r5 = minor
    p.push_back(ldx_w(2, 1, 0));
    p.push_back(mov32_reg(3, 2));
    p.push_back(rsh32_imm(3, 16));
    p.push_back(and32_imm(2, 0xffff));
    p.push_back(ldx_w(4, 1, 4));
    p.push_back(ldx_w(5, 1, 8));

    const int32_t verdict = state.default_allow ? 0 : 1;
    for (const auto& e : state.exceptions) {
        std::vector<bpf_insn> block;
        std::vector<size_t> jumps;  // indexes of jumps to the next block
        if (e.type != 'c' && e.type != 'b') throw Error("cgroup: devices: unexpected rule type in device state");
        jumps.push_back(block.size());
        block.push_back(jne_imm(2, e.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
        if (e.major != -1) {
            jumps.push_back(block.size());
            block.push_back(jne_imm(4, imm_of(e.major), 0));
        }
        if (e.minor != -1) {
            jumps.push_back(block.size());
            block.push_back(jne_imm(5, imm_of(e.minor), 0));
        }
        if ((e.access & kAccAll) != kAccAll) {
            // r1 = access & rule access
            block.push_back(mov32_reg(1, 3));
            block.push_back(and32_imm(1, static_cast<int32_t>(e.access)));
            jumps.push_back(block.size());
            if (state.default_allow)
                block.push_back(jeq_imm(1, 0, 0));  // deny exception: any requested bit in it
            else
                block.push_back(jne_reg(1, 3, 0));  // allow exception: every requested bit in it
        }
        block.push_back(mov64_imm(0, verdict));
        block.push_back(exit_insn());
        for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
        p.insert(p.end(), block.begin(), block.end());
    }
    p.push_back(mov64_imm(0, state.default_allow ? 1 : 0));
    p.push_back(exit_insn());
    if (p.size() > 4096) throw Error("cgroup: devices: too many device rules for the eBPF filter");
    return p;
}

std::vector<uint32_t> attached_device_programs(const std::string& cgroup_dir) {
    sys::Fd cg = sys::open_file(cgroup_dir, O_RDONLY | O_DIRECTORY);
    return query(cg.get(), cgroup_dir).ids;
}

void attach_device_filter(const std::string& cgroup_dir, const std::vector<bpf_insn>& prog) {
    sys::Fd cg = sys::open_file(cgroup_dir, O_RDONLY | O_DIRECTORY);
    sys::Fd fd = load(prog);
    Query old = query(cg.get(), cgroup_dir);

    auto detach = [&](int prog_fd) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.target_fd = static_cast<uint32_t>(cg.get());
        attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
        attr.attach_type = BPF_CGROUP_DEVICE;
        if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
            throw sys_error("bpf(BPF_PROG_DETACH)", cgroup_dir, errno);
    };

    // A program attached without BPF_F_ALLOW_MULTI (by someone else) blocks a
    // multi attach: it has to go first.
    if (!old.ids.empty() && !(old.flags & BPF_F_ALLOW_MULTI)) {
        detach(0);
        old.ids.clear();
    }
    std::vector<sys::Fd> old_fds;
    for (uint32_t id : old.ids) {
        union bpf_attr attr;
        std::memset(&attr, 0, sizeof attr);
        attr.prog_id = id;
        long ofd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (ofd < 0) {
            if (errno == ENOENT) continue;  // gone meanwhile
            throw sys_error("bpf(BPF_PROG_GET_FD_BY_ID)", cgroup_dir, errno);
        }
        old_fds.emplace_back(static_cast<int>(ofd));
    }

    union bpf_attr attr;
    std::memset(&attr, 0, sizeof attr);
    attr.target_fd = static_cast<uint32_t>(cg.get());
    attr.attach_bpf_fd = static_cast<uint32_t>(fd.get());
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (bpf(BPF_PROG_ATTACH, &attr) < 0) throw sys_error("bpf(BPF_PROG_ATTACH) device filter to", cgroup_dir, errno);

    for (const auto& ofd : old_fds) detach(ofd.get());
}

}  // namespace dkr::cgroup
