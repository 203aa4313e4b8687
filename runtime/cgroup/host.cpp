#include "runtime/cgroup/host.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool is_prefix_path(std::string_view prefix, std::string_view path) {
    if (prefix == "/") return true;
    if (path.substr(0, prefix.size()) != prefix) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

bool Hierarchy::has(std::string_view controller) const {
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string Hierarchy::key() const {
    std::string out;
    for (const auto& c : controllers) {
        if (!out.empty()) out += ',';
        out += c;
    }
    return out;
}

std::string Hierarchy::own_relative() const {
    if (mount_root == "/" || mount_root.empty()) return own_path.empty() ? "/" : own_path;
    if (!is_prefix_path(mount_root, own_path)) return "/";
    std::string rest = own_path.substr(mount_root.size());
    return rest.empty() ? "/" : rest;
}

const Hierarchy* Host::find_v1(std::string_view controller) const {
    for (const auto& h : v1)
        if (h.has(controller)) return &h;
    return nullptr;
}

bool is_joined_v1_controller(std::string_view name) {
    static const char* const known[] = {"cpuset",   "cpu",        "cpuacct", "memory",  "devices",
                                        "freezer",  "blkio",      "pids",    "hugetlb", "net_cls",
                                        "net_prio", "perf_event", "rdma",    "misc",    "name=systemd"};
    for (const char* k : known)
        if (name == k) return true;
    return false;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
    std::vector<MountInfo> out;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty()) continue;
        std::vector<std::string_view> f;
        for (std::string_view w : split(line, ' '))
            if (!w.empty()) f.push_back(w);
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
        size_t dash = 6;
        while (dash < f.size() && f[dash] != "-") ++dash;
        if (f.size() < 5 || dash + 1 >= f.size()) continue;
        MountInfo m;
        m.root = unescape(f[3]);
        m.mountpoint = unescape(f[4]);
        m.fstype = std::string(f[dash + 1]);
        if (dash + 3 < f.size()) m.super_options = std::string(f[dash + 3]);
        out.push_back(std::move(m));
    }
    return out;
}

Host parse_host(std::string_view mountinfo, std::string_view proc_self_cgroup, bool unified) {
    // /proc/self/cgroup: "ID:CONTROLLERS:PATH"; cgroup2 has ID 0 and no controllers.
    std::map<std::string, std::string> own;  // controllers field -> path
    std::vector<std::string> proc_controllers;
    std::optional<std::string> own_v2;
    for (std::string_view line : split(proc_self_cgroup, '\n')) {
        size_t a = line.find(':');
        if (a == std::string_view::npos) continue;
        size_t b = line.find(':', a + 1);
        if (b == std::string_view::npos) continue;
        std::string ctrls(line.substr(a + 1, b - a - 1));
        std::string path(line.substr(b + 1));
        if (line.substr(0, a) == "0" && ctrls.empty()) {
            own_v2 = path;
            continue;
        }
        for (std::string_view c : split(ctrls, ','))
            if (!c.empty()) proc_controllers.emplace_back(c);
        own[ctrls] = path;
    }

    Host host;
    host.unified = unified;
    std::vector<MountInfo> mounts = parse_mountinfo(mountinfo);

    for (const auto& m : mounts) {
        if (m.fstype != "cgroup2") continue;
        Hierarchy h;
        h.mountpoint = m.mountpoint;
        h.mount_root = m.root;
        h.own_path = own_v2.value_or("/");
        // Prefer the canonical mount point; otherwise the first one seen.
        bool canonical = m.mountpoint == (unified ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified");
        if (!host.v2 || canonical) host.v2 = h;
    }
    if (unified) return host;

    for (const auto& m : mounts) {
        if (m.fstype != "cgroup") continue;
        Hierarchy h;
        for (std::string_view opt : split(m.super_options, ',')) {
            std::string o(opt);
            bool named = o.rfind("name=", 0) == 0;
            if (named || std::find(proc_controllers.begin(), proc_controllers.end(), o) != proc_controllers.end())
                h.controllers.push_back(o);
        }
        if (h.controllers.empty()) continue;
        // /proc/self/cgroup lists a hierarchy's controllers in kernel order;
        // match as a set.
        std::vector<std::string> sorted = h.controllers;
        std::sort(sorted.begin(), sorted.end());
        const std::string* path = nullptr;
        for (const auto& [ctrls, p] : own) {
            std::vector<std::string> cs;
            for (std::string_view c : split(ctrls, ','))
                if (!c.empty()) cs.emplace_back(c);
            std::sort(cs.begin(), cs.end());
            if (cs == sorted) {
                path = &p;
                break;
            }
        }
        if (!path) continue;  // not a hierarchy this process belongs to
        if (std::none_of(h.controllers.begin(), h.controllers.end(),
                         [](const std::string& c) { return is_joined_v1_controller(c); }))
            continue;
        h.mountpoint = m.mountpoint;
        h.mount_root = m.root;
        h.own_path = *path;
        // The same hierarchy may be mounted more than once: keep the mount that
        // shows the caller's cgroup (a bind of a subtree may not).
        auto same =
            std::find_if(host.v1.begin(), host.v1.end(), [&](const Hierarchy& o) { return o.key() == h.key(); });
        if (same == host.v1.end()) {
            host.v1.push_back(std::move(h));
        } else if (!is_prefix_path(same->mount_root, same->own_path) && is_prefix_path(h.mount_root, h.own_path)) {
            *same = std::move(h);
        }
    }
    return host;
}

Host detect_host() {
    struct statfs st;
    if (::statfs("/sys/fs/cgroup", &st) < 0) throw sys_error("statfs", "/sys/fs/cgroup", errno);
    bool unified = st.f_type == CGROUP2_SUPER_MAGIC;
    Host host = parse_host(sys::read_file("/proc/self/mountinfo"), sys::read_file("/proc/self/cgroup"), unified);
    if (unified && !host.v2) throw Error("cgroup: /sys/fs/cgroup is cgroup2 but not in /proc/self/mountinfo");
    return host;
}

}  // namespace dkr::cgroup
