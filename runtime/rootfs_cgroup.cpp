#include "runtime/rootfs_cgroup.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/mount_api.hpp"
#include "runtime/sys/strings.hpp"

namespace dkr {
namespace {

struct CgroupMount {
    std::string mount_point;  // host path, e.g. /sys/fs/cgroup/memory
    std::string fstype;       // cgroup or cgroup2
    std::string super_opts;   // rw,memory  |  rw,name=systemd
};

std::vector<CgroupMount> host_cgroup_mounts() {
    std::vector<CgroupMount> out;
    std::string mountinfo = sys::read_file("/proc/self/mountinfo");
    for (std::string_view line : sys::split(mountinfo, '\n')) {
        // id parent major:minor root mount_point opts [optional...] - fstype source super_opts
        size_t dash = line.find(" - ");
        if (dash == std::string_view::npos) continue;
        std::vector<std::string_view> head = sys::words(line.substr(0, dash)), tail = sys::words(line.substr(dash + 3));
        if (head.size() < 5 || tail.size() < 2) continue;
        std::string fstype(tail[0]);
        if (fstype == "cgroup" || fstype == "cgroup2")
            out.push_back({std::string(head[4]), fstype, tail.size() > 2 ? std::string(tail[2]) : ""});
    }
    return out;
}

// /proc/self/cgroup: "4:memory:/path" -> the path of the hierarchy whose
// controllers are listed in `super_opts` ("0::/path" for cgroup2).
std::string own_path(const std::string& fstype, const std::string& super_opts) {
    std::string cgroups = sys::read_file("/proc/self/cgroup");
    for (std::string_view line : sys::split(cgroups, '\n')) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string_view::npos || b == std::string_view::npos) continue;
        std::string_view controllers = line.substr(a + 1, b - a - 1);
        std::string path(line.substr(b + 1));
        if (fstype == "cgroup2") {
            if (controllers.empty()) return path;
            continue;
        }
        if (controllers.empty()) continue;
        std::string opts = "," + super_opts + ",";
        bool all = true;
        for (std::string_view c : sys::split(controllers, ','))
            if (opts.find("," + std::string(c) + ",") == std::string::npos) all = false;
        if (all) return path;
    }
    return "/";
}

void bind_own_cgroup(const CgroupMount& m, int target_fd, uint64_t attrs, const std::string& what) {
    std::string source = sys::join(m.mount_point, own_path(m.fstype, m.super_opts));
    sys::Fd tree = sys::clone_tree(AT_FDCWD, source, false, source);
    if (attrs) sys::set_mount_attrs(tree.get(), attrs, 0, 0, false, what);
    sys::attach_tree(tree.get(), target_fd, what);
}

// The hierarchy's own options for a fresh mount of it: its controllers
// ("cpu,cpuacct") or name ("name=systemd"), without rw, release_agent, ...
std::string hierarchy_options(const CgroupMount& m, const std::string& controllers) {
    std::string out;
    for (std::string_view opt : sys::split(m.super_opts, ',')) {
        bool controller = ("," + controllers + ",").find("," + std::string(opt) + ",") != std::string::npos;
        if (!controller && !opt.starts_with("name=")) continue;
        out += (out.empty() ? "" : ",") + std::string(opt);
    }
    return out;
}

// In a cgroup namespace of its own the container mounts the hierarchy
// afresh: the kernel then shows the namespace's root, not the host's tree.
void mount_hierarchy(const CgroupMount& m, const std::string& name, bool new_cgroupns, int target_fd,
                     uint64_t attrs, const std::string& what) {
    if (!new_cgroupns) return bind_own_cgroup(m, target_fd, attrs, what);
    std::string options = m.fstype == "cgroup2" ? "" : hierarchy_options(m, name);
    sys::Fd fs = sys::new_mount(m.fstype, options, attrs, what);
    sys::attach_tree(fs.get(), target_fd, what);
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

void mount_cgroup_tree(int root_fd, const std::string& dest, const MountOptions& opts,
                       const spec::Config& config) {
    uint64_t attrs = sys::mount_attrs_from_flags(opts.flags);
    const spec::Namespace* cgns = config.linux ? config.linux->find_namespace("cgroup") : nullptr;
    bool new_cgroupns = cgns && cgns->path.empty();
    std::vector<CgroupMount> mounts = host_cgroup_mounts();
    sys::Fd target = security::mkdir_all_in_root(root_fd, dest, 0755);

    bool unified_host = mounts.size() == 1 && mounts[0].fstype == "cgroup2";
    if (unified_host) {
        mount_hierarchy(mounts[0], "", new_cgroupns, target.get(), attrs, dest);
        return;
    }
    // v1 or hybrid: a tmpfs holding one directory per v1 hierarchy. A hybrid
    // host's cgroup2 mount is left out, as runc leaves it out.
    sys::Fd tmpfs = sys::new_mount("tmpfs", "mode=755", attrs & ~MOUNT_ATTR_RDONLY, dest);
    sys::attach_tree(tmpfs.get(), target.get(), dest);
    sys::Fd dir = security::open_in_root(root_fd, dest, O_PATH | O_DIRECTORY);
    for (const auto& m : mounts) {
        if (m.mount_point.rfind("/sys/fs/cgroup/", 0) != 0 || m.fstype == "cgroup2") continue;
        std::string name = base_name(m.mount_point);
        std::string sub = sys::join(dest, name);
        sys::Fd subdir = security::mkdir_all_in_root(root_fd, sub, 0755);
        mount_hierarchy(m, name, new_cgroupns, subdir.get(), attrs, sub);
        // Co-mounted controllers ("cpu,cpuacct") also answer to each name.
        if (name.find(',') != std::string::npos) {
            for (std::string_view part : sys::split(name, ',')) {
                std::string c(part);
                if (::symlinkat(name.c_str(), dir.get(), c.c_str()) < 0 && errno != EEXIST)
                    throw sys_error("symlink", sys::join(dest, c), errno);
            }
        }
    }
    if (attrs & MOUNT_ATTR_RDONLY) sys::set_mount_attrs(dir.get(), MOUNT_ATTR_RDONLY, 0, 0, false, dest);
}

}  // namespace dkr
