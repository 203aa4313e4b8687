#include "runtime/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/copy_tree.hpp"
#include "runtime/error.hpp"
#include "runtime/mount_options.hpp"
#include "runtime/rootfs_cgroup.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/strings.hpp"
#include "runtime/sys/mount_api.hpp"

namespace dkr {
namespace {

using security::create_file_in_root;
using security::fd_path;
using security::mkdir_all_in_root;
using security::open_in_root;
using security::open_in_root_if_exists;

struct DefaultDevice {
    const char* name;
    unsigned major, minor;
};

constexpr DefaultDevice kDefaultDevices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

constexpr const char* kDevLinks[][2] = {
    {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

// Files under /proc that may be bind-mounted over (lxcfs and friends), as runc allows.
constexpr const char* kProcBindable[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
    "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

// Lexically cleaned absolute path: no "." or ".." or repeated slashes.
std::string clean_path(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string part = path.substr(start, end - start);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out;
    for (const auto& p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

unsigned long root_propagation(const std::string& p) {
    if (p.empty() || p == "rslave") return MS_SLAVE | MS_REC;
    if (p == "slave") return MS_SLAVE;
    if (p == "private") return MS_PRIVATE;
    if (p == "rprivate") return MS_PRIVATE | MS_REC;
    if (p == "shared") return MS_SHARED;
    if (p == "rshared") return MS_SHARED | MS_REC;
    if (p == "unbindable") return MS_UNBINDABLE;
    if (p == "runbindable") return MS_UNBINDABLE | MS_REC;
    throw Error("linux.rootfsPropagation: unknown value \"" + p + "\"");
}

// CVE-2019-16884 / CVE-2019-19921: nothing but procfs may cover /proc, and
// only a few files below it may be replaced by bind mounts.
void check_proc_destination(const std::string& dest, const spec::Mount& m) {
    if (dest != "/proc" && dest.rfind("/proc/", 0) != 0) return;
    if (dest == "/proc" && m.type == "proc") return;
    for (const char* ok : kProcBindable)
        if (dest == ok) return;
    throw Error("mount " + m.source + " on " + dest + ": only procfs may be mounted on /proc");
}

void mount_bind(int root_fd, const RootfsContext& ctx, const spec::Mount& m, size_t index, const std::string& dest,
                const MountOptions& opts) {
    std::string source = m.source;
    if (!source.empty() && source[0] != '/') source = sys::join(ctx.bundle, source);
    struct stat st;
    if (::stat(source.c_str(), &st) < 0) throw sys_error("bind mount source", source, errno);
    sys::Fd target = S_ISDIR(st.st_mode) ? mkdir_all_in_root(root_fd, dest, 0755)
                                         : create_file_in_root(root_fd, dest, 0644);
    std::string what = source + " on " + dest;
    auto it = ctx.idmapped ? ctx.idmapped->find(index) : IdmappedMounts::const_iterator();
    const bool idmapped = ctx.idmapped && it != ctx.idmapped->end();
    uint64_t set = sys::mount_attrs_from_flags(opts.flags);
    uint64_t clear = sys::mount_attrs_from_flags(opts.clear);
    Step step(ctx.explain, [&] {
        std::string call = idmapped ? "move_mount(idmapped tree, \"" + dest + "\")"
                                    : std::string("open_tree(\"") + source + "\", OPEN_TREE_CLONE" +
                                          (opts.flags & MS_REC ? "|AT_RECURSIVE" : "") + ")";
        if (set || clear || opts.recursive_set || opts.recursive_clear) call += ", mount_setattr";
        if (!idmapped) call += ", move_mount(tree, \"" + dest + "\")";
        return StepText{call, std::string(idmapped ? "attached the idmapped copy dkr made of " : "bind-mounted ") +
                                  source + " on " + dest};
    });
    // An idmapped mount was made detached by the parent: attach that one.
    sys::Fd clone;
    int tree = -1;
    if (idmapped) {
        tree = it->second.get();
    } else {
        clone = sys::clone_tree(AT_FDCWD, source, opts.flags & MS_REC, what);
        tree = clone.get();
    }
    if (set || clear) sys::set_mount_attrs(tree, set, clear, 0, false, what);
    if (opts.recursive_set || opts.recursive_clear)
        sys::set_mount_attrs(tree, opts.recursive_set, opts.recursive_clear, 0, true, what);
    sys::attach_tree(tree, target.get(), what);
}

void mount_filesystem(int root_fd, const spec::Mount& m, const std::string& dest, const MountOptions& opts,
                      Explainer ex) {
    unsigned long flags = opts.flags & ~(MS_BIND | MS_REC);
    // tmpcopyup fills the tmpfs first: it is made read-only after that.
    bool copy_up = opts.tmpcopyup && m.type == "tmpfs";
    if (copy_up) flags &= ~MS_RDONLY;
    Step step(ex, [&] {
        return StepText{"mount(\"" + m.source + "\", \"" + dest + "\", \"" + m.type + "\", " + mount_flag_names(flags) +
                            ", " + (opts.data.empty() ? "NULL" : "\"" + opts.data + "\"") + ")",
                        "mounted a new " + m.type + " filesystem on " + dest};
    });
    sys::Fd target = mkdir_all_in_root(root_fd, dest, 0755);
    std::string what = m.source + " on " + dest;
    if (::mount(m.source.c_str(), fd_path(target.get()).c_str(), m.type.c_str(), flags,
                opts.data.empty() ? nullptr : opts.data.c_str()) < 0)
        throw sys_error("mount " + m.type, what, errno);
    if (m.type != "proc" && !copy_up && !opts.recursive_set && !opts.recursive_clear) return;
    // The fd above names the directory under the new mount; reopen to reach the mount itself.
    sys::Fd mounted = open_in_root(root_fd, dest, O_PATH | O_DIRECTORY);
    if (m.type == "proc") security::check_is_procfs(mounted.get());
    if (copy_up) {
        copy_tree(target.get(), mounted.get());
        if (opts.flags & MS_RDONLY) sys::set_mount_attrs(mounted.get(), MOUNT_ATTR_RDONLY, 0, 0, false, what);
    }
    if (opts.recursive_set || opts.recursive_clear)
        sys::set_mount_attrs(mounted.get(), opts.recursive_set, opts.recursive_clear, 0, true, what);
}

// Propagation options of the config's mounts, set once the root is
// switched: the old root's removal makes everything below it a slave first.
void apply_mount_propagation(int root_fd, const std::vector<spec::Mount>& mounts) {
    for (const auto& m : mounts) {
        MountOptions opts = parse_mount_options(m.options);
        if (opts.propagation.empty()) continue;
        std::string dest = clean_path(m.destination);
        try {
            sys::Fd mounted = open_in_root(root_fd, dest, O_PATH);
            for (unsigned long p : opts.propagation)
                sys::set_mount_attrs(mounted.get(), 0, 0, p & ~MS_REC, p & MS_REC, dest);
        } catch (...) {
            rethrow_with("mounts: " + m.destination);
        }
    }
}

void mount_one(int root_fd, const RootfsContext& ctx, size_t index) {
    const spec::Mount& m = ctx.config.mounts[index];
    std::string dest = clean_path(m.destination);
    try {
        check_proc_destination(dest, m);
        MountOptions opts = parse_mount_options(m.options);
        if (m.type == "cgroup" || m.type == "cgroup2") {
            Step step(ctx.explain, [&] {
                return StepText{"fsopen/fsmount or open_tree, then move_mount, for each hierarchy",
                                "mounted the cgroup hierarchies on " + dest};
            });
            mount_cgroup_tree(root_fd, dest, opts, ctx.config);
        } else if (m.type == "bind" || (opts.flags & MS_BIND)) {
            mount_bind(root_fd, ctx, m, index, dest, opts);
        } else {
            mount_filesystem(root_fd, m, dest, opts, ctx.explain);
        }
    } catch (...) {
        rethrow_with("mounts: " + m.destination);
    }
}

// The runtime-spec's default devices plus linux.devices. True if a node
// was made: only then may it be given an owner. What exists already is left
// alone, as runc does: it may be a bind mount of a host file, whose owner
// must never change (crun 1.8.1 chowned the host's /dev/null this way).
bool make_device(int dev_parent_fd, const std::string& name, mode_t type_bits, dev_t dev, mode_t perm,
                 bool in_user_ns, const std::string& host_path) {
    if (in_user_ns) {
        // mknod is not allowed in a user namespace: bind the host's node instead.
        sys::Fd target = create_file_in_root(dev_parent_fd, name, 0644);
        sys::Fd tree = sys::clone_tree(AT_FDCWD, host_path, false, host_path);
        sys::attach_tree(tree.get(), target.get(), host_path);
        return false;
    }
    if (::mknodat(dev_parent_fd, name.c_str(), type_bits | perm, dev) == 0) return true;
    if (errno != EEXIST) throw sys_error("mknod", "/dev/" + name, errno);
    return false;
}

bool mounts_dev_by_bind(const spec::Config& config) {
    return std::any_of(config.mounts.begin(), config.mounts.end(), [](const spec::Mount& m) {
        return clean_path(m.destination) == "/dev" &&
               (m.type == "bind" || std::find(m.options.begin(), m.options.end(), "bind") != m.options.end() ||
                std::find(m.options.begin(), m.options.end(), "rbind") != m.options.end());
    });
}

void setup_dev(int root_fd, const RootfsContext& ctx) {
    Step step(ctx.explain, ctx.in_user_ns ? "open_tree + move_mount of each host node, symlinkat"
                                          : "mknodat(S_IFCHR) for each, symlinkat",
              ctx.in_user_ns ? "bind-mounted the host's null, zero, full, random, urandom and tty into /dev (mknod is "
                               "not allowed in a user namespace); linked fd, stdin, stdout, stderr, ptmx"
                             : "made the device nodes /dev/null, zero, full, random, urandom and tty; linked fd, "
                               "stdin, stdout, stderr, ptmx");
    sys::Fd dev = mkdir_all_in_root(root_fd, "/dev", 0755);
    for (const auto& d : kDefaultDevices)
        make_device(dev.get(), d.name, S_IFCHR, makedev(d.major, d.minor), 0666, ctx.in_user_ns,
                    std::string("/dev/") + d.name);
    for (const auto& [name, target] : kDevLinks)
        if (::symlinkat(target, dev.get(), name) < 0 && errno != EEXIST)
            throw sys_error("symlink", std::string("/dev/") + name, errno);
    // /dev/ptmx must be the devpts instance's own, so that ptys stay inside the container.
    if (::unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) throw sys_error("unlink", "/dev/ptmx", errno);
    if (::symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) throw sys_error("symlink", "/dev/ptmx", errno);
}

mode_t device_type_bits(const std::string& type) {
    if (type == "b") return S_IFBLK;
    if (type == "p") return S_IFIFO;
    return S_IFCHR;  // "c" and "u"
}

void create_config_devices(int root_fd, const RootfsContext& ctx) {
    if (!ctx.config.linux) return;
    for (const auto& d : ctx.config.linux->devices) {
        std::string dest = clean_path(d.path);
        size_t slash = dest.rfind('/');
        std::string name = dest.substr(slash + 1);
        Step step(ctx.explain, [&] {
            return StepText{ctx.in_user_ns ? "open_tree + move_mount(\"" + dest + "\")"
                                           : "mknodat(\"" + dest + "\", " + d.type + " " + std::to_string(d.major) +
                                                 ":" + std::to_string(d.minor) + ")",
                            "made the device " + dest + " from linux.devices"};
        });
        try {
            sys::Fd parent = mkdir_all_in_root(root_fd, dest.substr(0, slash), 0755);
            mode_t perm = d.file_mode ? (*d.file_mode & 07777) : 0666;
            bool made = make_device(parent.get(), name, device_type_bits(d.type),
                                    makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor)), perm,
                                    ctx.in_user_ns, dest);
            if (made && (d.uid || d.gid) && ::fchownat(parent.get(), name.c_str(), d.uid.value_or(0),
                                                d.gid.value_or(0), AT_SYMLINK_NOFOLLOW) < 0)
                throw sys_error("chown", dest, errno);
        } catch (...) {
            rethrow_with("linux.devices: " + d.path);
        }
    }
}

// Copies of the host's /dev/null to mask files with. The first is cloned
// before the root switch (a mount outside our namespace cannot be cloned
// after it); later ones are cloned from the first one's mount in the container.
class DevNullSource {
public:
    DevNullSource(int root_fd, sys::Fd tree) : root_fd_(root_fd), tree_(std::move(tree)) {}
    sys::Fd take() {
        if (tree_) return std::move(tree_);
        sys::Fd first = open_in_root(root_fd_, first_path_, O_PATH);
        return sys::clone_tree(first.get(), "", false, "/dev/null");
    }
    void attached_at(const std::string& path) {
        if (first_path_.empty()) first_path_ = path;
    }

private:
    int root_fd_;
    sys::Fd tree_;
    std::string first_path_;
};

void mask_path(int root_fd, const std::string& path, DevNullSource& devnull, Explainer ex) {
    sys::Fd target = open_in_root_if_exists(root_fd, path, O_PATH);
    if (!target) return;  // as runc: masking what is not there is a no-op
    struct stat st;
    if (::fstat(target.get(), &st) < 0) throw sys_error("stat", path, errno);
    Step step(ex, [&] {
        return S_ISDIR(st.st_mode)
                   ? StepText{"fsopen(\"tmpfs\"), fsmount(MOUNT_ATTR_RDONLY), move_mount(\"" + path + "\")",
                              "masked " + path + " with an empty read-only tmpfs (linux.maskedPaths)"}
                   : StepText{"move_mount(copy of /dev/null, \"" + path + "\")",
                              "masked " + path + " with /dev/null (linux.maskedPaths)"};
    });
    if (S_ISDIR(st.st_mode)) {
        sys::Fd tmpfs = sys::new_mount("tmpfs", "", MOUNT_ATTR_RDONLY, path);
        sys::attach_tree(tmpfs.get(), target.get(), path);
    } else {
        sys::Fd null = devnull.take();
        sys::attach_tree(null.get(), target.get(), path);
        devnull.attached_at(path);
    }
}

void make_readonly(int root_fd, const std::string& path, Explainer ex) {
    sys::Fd target = open_in_root_if_exists(root_fd, path, O_PATH);
    if (!target) return;
    Step step(ex, [&] {
        return StepText{"open_tree(\"" + path + "\", OPEN_TREE_CLONE|AT_RECURSIVE), mount_setattr(MOUNT_ATTR_RDONLY), "
                        "move_mount",
                        "made " + path + " read-only (linux.readonlyPaths)"};
    });
    sys::Fd tree = sys::clone_tree(target.get(), "", true, path);
    sys::set_mount_attrs(tree.get(), MOUNT_ATTR_RDONLY, 0, 0, true, path);
    sys::attach_tree(tree.get(), target.get(), path);
}

void apply_sysctl(int root_fd, const std::map<std::string, std::string>& sysctl, Explainer ex) {
    for (const auto& entry : sysctl) {
        // Not a structured binding: the Step's lambda captures them (clang before 16 cannot).
        const std::string& key = entry.first;
        const std::string& value = entry.second;
        std::string path = "/proc/sys/" + key;
        std::replace(path.begin() + 10, path.end(), '.', '/');
        Step step(ex, [&] { return StepText{"write(\"" + path + "\", \"" + value + "\")", "set the sysctl " + key}; });
        try {
            sys::Fd fd = open_in_root(root_fd, path, O_WRONLY | O_TRUNC);
            sys::write_all(fd.get(), value, path);
        } catch (...) {
            rethrow_with("linux.sysctl: " + key);
        }
    }
}

// pivot_root refuses a shared current root or a shared parent of the new
// root. With rootfsPropagation shared, those two mounts (in our namespace
// only) are made private again; the mounts in the container stay shared.
void unshare_pivot_mounts(const std::string& rootfs) {
    std::string mountinfo = sys::read_file("/proc/self/mountinfo"), parent = "/";
    for (std::string_view line : sys::split(mountinfo, '\n')) {
        // id parent major:minor root mount_point ...
        std::vector<std::string_view> fields = sys::words(line);
        if (fields.size() < 5) continue;
        std::string mount_point(fields[4]);
        bool covers = rootfs == mount_point || rootfs.starts_with(mount_point == "/" ? "/" : mount_point + "/");
        if (covers && mount_point.size() > parent.size()) parent = mount_point;
    }
    for (const std::string& mp : {std::string("/"), parent})
        if (::mount(nullptr, mp.c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
            throw sys_error("make private for pivot_root", mp, errno);
}

}  // namespace

sys::Fd prepare_rootfs(const RootfsContext& ctx) {
    // Device nodes and directories get exactly the modes asked for; the
    // process's own umask is set before exec.
    ::umask(0);
    std::string propagation = ctx.config.linux ? ctx.config.linux->rootfs_propagation : "";
    unsigned long root_flags = root_propagation(propagation);
    {
        Step step(ctx.explain, [&] {
            return StepText{"mount(NULL, \"/\", NULL, " + mount_flag_names(root_flags) + ", NULL)",
                            "set the propagation of every mount in the new mount namespace (linux.rootfsPropagation; "
                            "a slave receives the host's mounts but sends none back)"};
        });
        if (::mount(nullptr, "/", nullptr, root_flags, nullptr) < 0)
            throw sys_error("set propagation of", "/", errno);
        if (root_flags & MS_SHARED) unshare_pivot_mounts(ctx.rootfs);
    }
    {
        Step step(ctx.explain, [&] {
            return StepText{"mount(\"" + ctx.rootfs + "\", \"" + ctx.rootfs + "\", NULL, MS_BIND|MS_REC, NULL)",
                            "bind-mounted the rootfs onto itself: pivot_root needs the new root to be a mount point"};
        });
        // pivot_root needs the new root to be a mount point.
        if (::mount(ctx.rootfs.c_str(), ctx.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            throw sys_error("bind mount rootfs", ctx.rootfs, errno);
    }
    sys::Fd root = sys::open_file(ctx.rootfs, O_PATH | O_DIRECTORY);
    for (size_t i = 0; i < ctx.config.mounts.size(); ++i) mount_one(root.get(), ctx, i);
    if (!mounts_dev_by_bind(ctx.config)) setup_dev(root.get(), ctx);
    create_config_devices(root.get(), ctx);
    return root;
}

void switch_root(int root_fd, bool no_pivot, Explainer ex) {
    if (::fchdir(root_fd) < 0) throw sys_error("chdir", "rootfs", errno);
    if (no_pivot) {
        Step step(ex, "mount(\".\", \"/\", NULL, MS_MOVE, NULL), chroot(\".\")",
                  "moved the rootfs over / and changed the root directory to it (--no-pivot: the host's root stays "
                  "in the mount namespace, underneath)");
        if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) throw sys_error("move rootfs to", "/", errno);
        if (::chroot(".") < 0) throw sys_error("chroot", "rootfs", errno);
    } else {
        {
            Step step(ex, "pivot_root(\".\", \".\")",
                      "made the rootfs the root of the mount namespace; the old root is stacked on top of it");
            if (::syscall(SYS_pivot_root, ".", ".") < 0) throw sys_error("pivot_root", "rootfs", errno);
        }
        Step step(ex, "mount(NULL, \".\", NULL, MS_SLAVE|MS_REC, NULL), umount2(\".\", MNT_DETACH)",
                  "detached the host's old root: nothing outside the rootfs is reachable any more");
        // The old root is stacked under "."; keep its unmount from propagating to the host.
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
            throw sys_error("make old root slave", "", errno);
        if (::umount2(".", MNT_DETACH) < 0) throw sys_error("unmount old root", "", errno);
    }
    if (::chdir("/") < 0) throw sys_error("chdir", "/", errno);
}

void finish_rootfs(const spec::Config& config, sys::Fd host_devnull_tree, Explainer ex) {
    sys::Fd root = sys::open_file("/", O_PATH | O_DIRECTORY);
    DevNullSource devnull(root.get(), std::move(host_devnull_tree));
    apply_mount_propagation(root.get(), config.mounts);
    if (config.linux) {
        apply_sysctl(root.get(), config.linux->sysctl, ex);
        for (const auto& p : config.linux->masked_paths) {
            try {
                mask_path(root.get(), p, devnull, ex);
            } catch (...) {
                rethrow_with("linux.maskedPaths: " + p);
            }
        }
        for (const auto& p : config.linux->readonly_paths) {
            try {
                make_readonly(root.get(), p, ex);
            } catch (...) {
                rethrow_with("linux.readonlyPaths: " + p);
            }
        }
    }
    if (config.root && config.root->readonly) {
        Step step(ex, "mount_setattr(\"/\", MOUNT_ATTR_RDONLY)", "made the root filesystem read-only (root.readonly)");
        sys::set_mount_attrs(root.get(), MOUNT_ATTR_RDONLY, 0, 0, false, "/");
    }
}

}  // namespace dkr
