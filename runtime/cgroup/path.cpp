#include "runtime/cgroup/path.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "runtime/error.hpp"

namespace dkr::cgroup {

namespace {

// Go's filepath.Clean.
std::string lexical_clean(std::string_view p) {
    if (p.empty()) return ".";
    bool abs = p.front() == '/';
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i < p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string_view::npos) j = p.size();
        std::string_view part = p.substr(i, j - i);
        i = j + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!abs)
                parts.push_back(part);
            continue;
        }
        parts.push_back(part);
    }
    std::string out = abs ? "/" : "";
    for (size_t k = 0; k < parts.size(); ++k) {
        if (k) out += '/';
        out += parts[k];
    }
    if (out.empty()) out = ".";
    return out;
}

// Always absolute, even under a malformed own cgroup from /proc/self/cgroup.
std::string join_clean(const std::string& a, const std::string& b) { return lexical_clean("/" + a + "/" + b); }

std::string parent_of(const std::string& p) {
    size_t pos = p.rfind('/');
    if (pos == std::string::npos || pos == 0) return "/";
    return p.substr(0, pos);
}

bool is_ancestor_or_self(const std::string& anc, const std::string& path) {
    if (anc == "/") return true;
    return path.compare(0, anc.size(), anc) == 0 && (path.size() == anc.size() || path[anc.size()] == '/');
}

void check_path(const std::string& resolved, const Hierarchy& h, const std::string& what) {
    if (resolved == "/") throw Error("cgroup: cgroupsPath resolves to the root of the " + what + " hierarchy");
    // The saved form (encode_paths) separates hierarchies with ';': the
    // caller's own cgroup must not bring one in either.
    if (resolved.find_first_of(";\n") != std::string::npos)
        throw Error("cgroup: cgroup path " + resolved + " in the " + what + " hierarchy contains ';' or a newline");
    std::string own = h.own_relative();
    if (is_ancestor_or_self(resolved, own))
        throw Error("cgroup: cgroupsPath resolves to " + resolved + " in the " + what +
                    " hierarchy, which holds this process (" + own + ")");
}

}  // namespace

std::string clean_path(std::string_view path) {
    if (path.empty()) return "";
    std::string p = lexical_clean(path);
    if (p.front() != '/') {
        p = lexical_clean("/" + p);  // "../x" cannot climb out
        p = p == "/" ? "." : p.substr(1);
    }
    return p;
}

bool is_systemd_path(std::string_view path) {
    if (path.empty() || path.front() == '/') return false;
    return std::count(path.begin(), path.end(), ':') == 2;
}

Paths resolve_paths(const Host& host, const std::string& cgroups_path, const std::string& container_id) {
    if (is_systemd_path(cgroups_path))
        throw Error("systemd cgroup driver is not supported (cgroupsPath \"" + cgroups_path + "\")");
    std::string inner = clean_path(cgroups_path);
    if (inner.empty()) {
        inner = clean_path(container_id);
        if (inner.empty() || inner == ".") throw Error("cgroup: empty cgroupsPath and container id");
    }
    if (inner.find_first_of(";\n") != std::string::npos)
        throw Error("cgroup: cgroupsPath \"" + cgroups_path + "\" contains ';' or a newline");
    bool absolute = inner.front() == '/';

    Paths out;
    if (host.unified) {
        if (!host.v2) throw Error("cgroup: no cgroup2 mount");
        // runc (fs2): relative paths go under the parent of the caller's cgroup,
        // which most likely holds processes already (no internal processes in v2).
        out.v2 = absolute ? inner : join_clean(parent_of(host.v2->own_relative()), inner);
        check_path(out.v2, *host.v2, "cgroup2");
        return out;
    }
    for (const auto& h : host.v1) {
        std::string p = absolute ? inner : join_clean(h.own_relative(), inner);
        check_path(p, h, h.key());
        out.v1.push_back(std::move(p));
    }
    if (host.v2) {
        std::string p = absolute ? inner : join_clean(host.v2->own_relative(), inner);
        check_path(p, *host.v2, "unified");
        out.v2 = std::move(p);
    }
    return out;
}

std::string encode_paths(const Host& host, const Paths& paths) {
    if (host.unified) return paths.v2;
    std::vector<std::pair<std::string, std::string>> entries;  // key, path
    for (size_t i = 0; i < host.v1.size() && i < paths.v1.size(); ++i)
        entries.emplace_back(host.v1[i].key(), paths.v1[i]);
    if (host.v2 && !paths.v2.empty()) entries.emplace_back("", paths.v2);
    if (entries.empty()) return paths.v2;
    std::map<std::string, int> count;
    std::string common;
    int best = 0;
    for (const auto& e : entries)
        if (++count[e.second] > best) {
            best = count[e.second];
            common = e.second;
        }
    std::string out = common;
    for (const auto& [key, p] : entries)
        if (p != common) out += ";" + key + ":" + p;
    return out;
}

Paths decode_paths(const Host& host, const std::string& saved) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t pos = saved.find(';', start);
        parts.push_back(saved.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    const std::string& common = parts[0];
    if (common.empty() || common.front() != '/' || lexical_clean(common) != common || common == "/")
        throw Error("cgroup: invalid saved cgroup path \"" + saved + "\"");
    std::map<std::string, std::string> overrides;
    for (size_t i = 1; i < parts.size(); ++i) {
        size_t colon = parts[i].find(':');
        std::string p = colon == std::string::npos ? "" : parts[i].substr(colon + 1);
        if (p.empty() || p.front() != '/' || lexical_clean(p) != p || p == "/")
            throw Error("cgroup: invalid saved cgroup path \"" + saved + "\"");
        overrides[parts[i].substr(0, colon)] = p;
    }
    Paths out;
    if (host.unified) {
        if (!overrides.empty())
            throw Error("cgroup: saved cgroup path \"" + saved + "\" is for cgroup v1, but the host is cgroup v2");
        out.v2 = common;
        return out;
    }
    for (const auto& h : host.v1) {
        auto it = overrides.find(h.key());
        out.v1.push_back(it == overrides.end() ? common : it->second);
    }
    if (host.v2) {
        auto it = overrides.find("");
        out.v2 = it == overrides.end() ? common : it->second;
    }
    return out;
}

}  // namespace dkr::cgroup
