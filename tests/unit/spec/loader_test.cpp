// Valid configs: what the loader puts in the model.
#include "spec/loader.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <limits>

#include "runtime/error.hpp"

namespace dkr::spec {
namespace {

using Strings = std::vector<std::string>;

constexpr const char* minimal = R"({
    "ociVersion": "1.0.2",
    "process": {"args": ["/bin/true"], "cwd": "/"},
    "root": {"path": "rootfs"}
})";

TEST(Loader, MinimalConfigLeavesOptionalPartsAbsent) {
    const Config c = parse_config(minimal, "config.json");
    EXPECT_EQ(c.oci_version, "1.0.2");
    ASSERT_TRUE(c.process);
    EXPECT_EQ(c.process->args, Strings{"/bin/true"});
    EXPECT_FALSE(c.process->terminal);
    EXPECT_FALSE(c.process->console_size);
    EXPECT_EQ(c.process->user.uid, 0u);
    EXPECT_FALSE(c.process->user.umask);
    EXPECT_FALSE(c.process->capabilities);
    EXPECT_FALSE(c.process->oom_score_adj);
    EXPECT_FALSE(c.process->io_priority);
    EXPECT_FALSE(c.process->scheduler);
    ASSERT_TRUE(c.root);
    EXPECT_EQ(c.root->path, "rootfs");
    EXPECT_FALSE(c.root->readonly);
    EXPECT_FALSE(c.hostname);
    EXPECT_TRUE(c.mounts.empty());
    EXPECT_FALSE(c.hooks);
    EXPECT_FALSE(c.linux);
}

TEST(Loader, UnknownFieldsAreIgnored) {
    const Config c = parse_config(R"({
        "ociVersion": "1.3.0",
        "futureTopLevel": {"anything": [1, 2, 3]},
        "process": {"args": ["sh"], "cwd": "/", "futureProcessField": true, "user": {"uid": 7, "sid": "x"}},
        "root": {"path": "rootfs", "futureRootField": 1},
        "windows": {"layerFolders": ["C:\\layers"]},
        "linux": {"futureLinuxField": null, "resources": {"futureController": {"limit": 1}}}
    })", "config.json");
    EXPECT_EQ(c.process->user.uid, 7u);
    ASSERT_TRUE(c.linux);
    EXPECT_TRUE(c.linux->resources);
}

// As runc (Go) reads them: a null member is an absent one.
TEST(Loader, NullMembersReadAsAbsent) {
    const Config c = parse_config(R"({
        "ociVersion": "1.0.2",
        "hostname": null,
        "hooks": null,
        "annotations": null,
        "process": {"args": ["sh"], "cwd": "/", "env": null, "rlimits": null,
                    "capabilities": {"bounding": ["CAP_KILL"], "ambient": null}},
        "root": {"path": "rootfs"},
        "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                              "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "args": null}]}}
    })", "config.json");
    EXPECT_FALSE(c.hostname);
    EXPECT_FALSE(c.hooks);
    EXPECT_TRUE(c.annotations.empty());
    EXPECT_TRUE(c.process->env.empty());
    EXPECT_TRUE(c.process->rlimits.empty());
    ASSERT_TRUE(c.process->capabilities);
    EXPECT_TRUE(c.process->capabilities->ambient.empty());
    ASSERT_TRUE(c.linux && c.linux->seccomp);
    ASSERT_EQ(c.linux->seccomp->syscalls.size(), 1u);
    EXPECT_TRUE(c.linux->seccomp->syscalls[0].args.empty());
}

TEST(Loader, NullArrayItemsAreStillErrors) {
    try {
        parse_config(R"({"ociVersion": "1.0.2", "process": {"args": ["sh", null], "cwd": "/"}, "root": {"path": "r"}})",
                     "config.json");
        FAIL() << "a null argument was accepted";
    } catch (const dkr::Error& e) {
        EXPECT_NE(std::string(e.what()).find("/process/args/1"), std::string::npos) << e.what();
    }
}

TEST(Loader, FullConfigFillsEveryPartOfTheModel) {
    const Config c = load_config(DKR_SOURCE_DIR "/tests/unit/spec/data/full.json");
    EXPECT_EQ(c.oci_version, "1.3.0");
    EXPECT_EQ(c.hostname, "box");
    EXPECT_EQ(c.domainname, "example.org");
    EXPECT_EQ(c.annotations.at("org.example/key"), "value");

    const Process& p = *c.process;
    EXPECT_TRUE(p.terminal);
    EXPECT_EQ(p.console_size->height, 25u);
    EXPECT_EQ(p.console_size->width, 80u);
    EXPECT_EQ(p.user.uid, 1000u);
    EXPECT_EQ(p.user.gid, 1001u);
    EXPECT_EQ(p.user.umask, 18u);
    EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
    EXPECT_EQ(p.user.username, "ignored-on-linux");
    EXPECT_EQ(p.args, (Strings{"/bin/sh", "-c", "echo hi"}));
    EXPECT_EQ(p.env, (Strings{"PATH=/usr/bin:/bin", "TERM=xterm"}));
    EXPECT_EQ(p.cwd, "/work");
    EXPECT_EQ(p.capabilities->bounding, (Strings{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"}));
    EXPECT_EQ(p.capabilities->effective, Strings{"CAP_KILL"});
    EXPECT_TRUE(p.capabilities->inheritable.empty());
    EXPECT_EQ(p.capabilities->permitted, (Strings{"CAP_KILL", "CAP_BPF"}));
    EXPECT_EQ(p.capabilities->ambient, Strings{"CAP_NET_BIND_SERVICE"});
    ASSERT_EQ(p.rlimits.size(), 2u);
    EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(p.rlimits[0].soft, 1024u);
    EXPECT_EQ(p.rlimits[0].hard, 4096u);
    EXPECT_EQ(p.rlimits[1].hard, std::numeric_limits<uint64_t>::max());
    EXPECT_TRUE(p.no_new_privileges);
    EXPECT_EQ(p.apparmor_profile, "dkr-default");
    EXPECT_EQ(p.oom_score_adj, -500);
    EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
    EXPECT_EQ(p.io_priority->io_class, "IOPRIO_CLASS_BE");
    EXPECT_EQ(p.io_priority->priority, 4);
    EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
    EXPECT_EQ(p.scheduler->nice, -5);
    EXPECT_EQ(p.scheduler->priority, 0);
    EXPECT_EQ(p.scheduler->flags, Strings{"SCHED_FLAG_RESET_ON_FORK"});
    EXPECT_EQ(p.scheduler->runtime, 10000000u);
    EXPECT_EQ(p.scheduler->deadline, 20000000u);
    EXPECT_EQ(p.scheduler->period, 30000000u);

    EXPECT_EQ(c.root->path, "/var/lib/dkr/rootfs");
    EXPECT_TRUE(c.root->readonly);

    ASSERT_EQ(c.mounts.size(), 2u);
    EXPECT_EQ(c.mounts[0].type, "proc");
    EXPECT_TRUE(c.mounts[0].options.empty());
    const Mount& data = c.mounts[1];
    EXPECT_EQ(data.destination, "/data");
    EXPECT_EQ(data.source, "/srv/data");
    EXPECT_EQ(data.options, (Strings{"rbind", "idmap"}));
    ASSERT_EQ(data.uid_mappings.size(), 1u);
    EXPECT_EQ(data.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(data.uid_mappings[0].size, 65536u);
    EXPECT_EQ(data.gid_mappings[0].size, 1000u);

    const Hooks& h = *c.hooks;
    ASSERT_EQ(h.prestart.size(), 1u);
    EXPECT_EQ(h.prestart[0].path, "/usr/bin/pre");
    EXPECT_EQ(h.prestart[0].args, (Strings{"pre", "-v"}));
    EXPECT_EQ(h.prestart[0].env, Strings{"A=1"});
    EXPECT_EQ(h.prestart[0].timeout, 5);
    EXPECT_EQ(h.create_runtime[0].path, "/usr/bin/cr");
    EXPECT_FALSE(h.create_runtime[0].timeout);
    EXPECT_EQ(h.create_container[0].path, "/usr/bin/cc");
    EXPECT_EQ(h.start_container[0].path, "/usr/bin/sc");
    EXPECT_EQ(h.poststart.size(), 2u);
    EXPECT_EQ(h.poststop[0].path, "/usr/bin/stop");

    const Linux& l = *c.linux;
    EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.gid_mappings[0].host_id, 200000u);
    EXPECT_EQ(l.time_offsets.at("monotonic").secs, -3600);
    EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 500u);
    EXPECT_EQ(l.time_offsets.at("boottime").secs, 86400);
    EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
    EXPECT_EQ(l.cgroups_path, "/dkr/full");
    ASSERT_EQ(l.namespaces.size(), 8u);
    EXPECT_EQ(l.find_namespace("network")->path, "/var/run/netns/blue");
    EXPECT_EQ(l.find_namespace("time")->path, "");
    ASSERT_EQ(l.devices.size(), 1u);
    EXPECT_EQ(l.devices[0].type, "c");
    EXPECT_EQ(l.devices[0].path, "/dev/fuse");
    EXPECT_EQ(l.devices[0].major, 10);
    EXPECT_EQ(l.devices[0].minor, 229);
    EXPECT_EQ(l.devices[0].file_mode, 438u);
    EXPECT_EQ(l.devices[0].uid, 0u);
    EXPECT_EQ(l.rootfs_propagation, "rslave");
    EXPECT_EQ(l.masked_paths, Strings{"/proc/kcore"});
    EXPECT_EQ(l.readonly_paths, (Strings{"/proc/sys", "/proc/bus"}));
    EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
    EXPECT_EQ(l.intel_rdt->clos_id, "guaranteed");
    EXPECT_EQ(l.intel_rdt->l3_cache_schema, "L3:0=7f");
    EXPECT_EQ(l.intel_rdt->mem_bw_schema, "MB:0=20");
    EXPECT_EQ(l.intel_rdt->enable_cmt, true);
    EXPECT_EQ(l.intel_rdt->enable_mbm, false);
    EXPECT_EQ(l.personality->domain, "LINUX32");
    EXPECT_TRUE(l.personality->flags.empty());

    const Resources& r = *l.resources;
    ASSERT_EQ(r.devices.size(), 2u);
    EXPECT_FALSE(r.devices[0].allow);
    EXPECT_EQ(r.devices[0].type, "");
    EXPECT_FALSE(r.devices[0].major);
    EXPECT_TRUE(r.devices[1].allow);
    EXPECT_EQ(r.devices[1].type, "c");
    EXPECT_EQ(r.devices[1].major, 1);
    EXPECT_EQ(r.devices[1].minor, 3);
    EXPECT_EQ(r.devices[1].access, "rw");
    EXPECT_EQ(r.memory->limit, 536870912);
    EXPECT_EQ(r.memory->reservation, 268435456);
    EXPECT_EQ(r.memory->swap, -1);
    EXPECT_EQ(r.memory->kernel, 0);
    EXPECT_EQ(r.memory->kernel_tcp, 0);
    EXPECT_EQ(r.memory->swappiness, 60u);
    EXPECT_EQ(r.memory->disable_oom_killer, true);
    EXPECT_EQ(r.memory->use_hierarchy, false);
    EXPECT_EQ(r.memory->check_before_update, true);
    EXPECT_EQ(r.cpu->shares, 1024u);
    EXPECT_EQ(r.cpu->quota, -1);
    EXPECT_EQ(r.cpu->burst, 1000u);
    EXPECT_EQ(r.cpu->period, 100000u);
    EXPECT_EQ(r.cpu->realtime_runtime, 950000);
    EXPECT_EQ(r.cpu->realtime_period, 1000000u);
    EXPECT_EQ(r.cpu->cpus, "0-3");
    EXPECT_EQ(r.cpu->mems, "0");
    EXPECT_EQ(r.cpu->idle, 1);
    EXPECT_EQ(r.pids->limit, 100);
    const BlockIoResources& io = *r.block_io;
    EXPECT_EQ(io.weight, 500u);
    EXPECT_EQ(io.leaf_weight, 300u);
    ASSERT_EQ(io.weight_device.size(), 1u);
    EXPECT_EQ(io.weight_device[0].major, 8);
    EXPECT_EQ(io.weight_device[0].weight, 600u);
    EXPECT_EQ(io.weight_device[0].leaf_weight, 200u);
    EXPECT_EQ(io.throttle_read_bps_device[0].rate, 1048576u);
    EXPECT_EQ(io.throttle_write_bps_device[0].minor, 16);
    EXPECT_EQ(io.throttle_read_iops_device[0].minor, 32);
    EXPECT_EQ(io.throttle_write_iops_device[0].rate, 200u);
    ASSERT_EQ(r.hugepage_limits.size(), 1u);
    EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
    EXPECT_EQ(r.hugepage_limits[0].limit, 209715200u);
    EXPECT_EQ(r.network->class_id, 1048577u);
    EXPECT_EQ(r.network->priorities[0].name, "eth0");
    EXPECT_EQ(r.network->priorities[0].priority, 500u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_objects, 10000u);
    EXPECT_EQ(r.unified.at("io.max"), "8:0 rbps=1048576");

    const Seccomp& s = *l.seccomp;
    EXPECT_EQ(s.default_action, "SCMP_ACT_ERRNO");
    EXPECT_EQ(s.default_errno_ret, 1u);
    EXPECT_EQ(s.architectures, (Strings{"SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64"}));
    EXPECT_EQ(s.flags, Strings{"SECCOMP_FILTER_FLAG_LOG"});
    EXPECT_EQ(s.listener_path, "/run/seccomp.sock");
    EXPECT_EQ(s.listener_metadata, "meta");
    ASSERT_EQ(s.syscalls.size(), 2u);
    EXPECT_EQ(s.syscalls[0].names, (Strings{"read", "write"}));
    EXPECT_EQ(s.syscalls[0].action, "SCMP_ACT_ALLOW");
    EXPECT_FALSE(s.syscalls[0].errno_ret);
    EXPECT_EQ(s.syscalls[1].errno_ret, 13u);
    ASSERT_EQ(s.syscalls[1].args.size(), 1u);
    EXPECT_EQ(s.syscalls[1].args[0].index, 1u);
    EXPECT_EQ(s.syscalls[1].args[0].value, 448u);
    EXPECT_EQ(s.syscalls[1].args[0].value_two, 511u);
    EXPECT_EQ(s.syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
}

TEST(Loader, JoinedUserNamespaceNeedsNoMappings) {
    const Config c = parse_config(R"({
        "ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}, "root": {"path": "rootfs"},
        "linux": {"namespaces": [{"type": "user", "path": "/proc/42/ns/user"}]}
    })", "config.json");
    EXPECT_EQ(c.linux->find_namespace("user")->path, "/proc/42/ns/user");
    EXPECT_TRUE(c.linux->uid_mappings.empty());
}

TEST(Loader, MissingFileNamesThePathAndKeepsErrno) {
    try {
        load_config("/nonexistent/dkr-bundle/config.json");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "/nonexistent/dkr-bundle/config.json: No such file or directory");
        EXPECT_EQ(e.code(), ENOENT);
    }
}

std::string resources_error(std::string_view json) {
    try {
        parse_resources(json, "r.json");
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

// `dkr update --resources`: a linux.resources object on its own.
TEST(Loader, ResourcesOnTheirOwn) {
    const Resources r = parse_resources(R"({
        "memory": {"limit": 104857600, "swap": -1, "checkBeforeUpdate": true},
        "cpu": {"shares": 512, "quota": 20000, "cpus": "0"},
        "pids": {"limit": 42},
        "blockIO": {"weight": 300},
        "unified": {"memory.high": "50M"},
        "futureController": {}
    })", "r.json");
    ASSERT_TRUE(r.memory);
    EXPECT_EQ(r.memory->limit, 104857600);
    EXPECT_EQ(r.memory->swap, -1);
    EXPECT_EQ(r.memory->check_before_update, true);
    EXPECT_FALSE(r.memory->reservation);
    ASSERT_TRUE(r.cpu);
    EXPECT_EQ(r.cpu->shares, 512u);
    EXPECT_EQ(r.cpu->quota, 20000);
    EXPECT_EQ(r.cpu->cpus, "0");
    EXPECT_FALSE(r.cpu->period);
    ASSERT_TRUE(r.pids);
    EXPECT_EQ(r.pids->limit, 42);
    EXPECT_EQ(r.block_io->weight, 300);
    EXPECT_EQ(r.unified.at("memory.high"), "50M");
    EXPECT_TRUE(parse_resources("{}", "r.json").devices.empty());
}

TEST(Loader, ResourcesErrorsNameTheFileAndPointer) {
    EXPECT_EQ(resources_error(R"({"memory": {"limit": "1g"}})"),
              "r.json: /memory/limit: expected type integer, found string");
    EXPECT_EQ(resources_error(R"({"cpu": {"shares": -2}})"), "r.json: /cpu/shares: expected a value >= 0, found -2");
    EXPECT_EQ(resources_error("[]"), "r.json: /: expected type object, found array");
    EXPECT_EQ(resources_error(R"({"pids": {"limit": 1})"),
              "r.json: invalid JSON at line 1, column 22: Missing a comma or '}' after an object member.");
}

}  // namespace
}  // namespace dkr::spec
