#include "tools/bench/compare.hpp"

#include <unistd.h>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <set>
#include <sstream>

namespace dkr::bench {
namespace {

// Busybox sh. Each aspect starts with a "== name" line. /proc/self is the
// process that reads it (grep, cat): it inherits everything compared here.
constexpr const char* kProbe = R"probe(
echo "== hostname"; hostname
echo "== ids"; id
echo "== capabilities"; grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status
echo "== no_new_privs"; grep '^NoNewPrivs' /proc/self/status
echo "== seccomp"; grep -E '^Seccomp' /proc/self/status
echo "== namespaces"
for n in cgroup ipc mnt net pid pid_for_children time user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done
echo "== mounts"; cat /proc/self/mountinfo
echo "== cgroups"; cat /proc/self/cgroup
echo "== cgroup limits"
while IFS=: read -r n c p; do
  c=${c#name=}
  for d in "/sys/fs/cgroup/${c:-unified}$p" "/sys/fs/cgroup/${c:-unified}" "/sys/fs/cgroup$p" /sys/fs/cgroup; do
    [ -d "$d" ] && break
  done
  for f in memory.limit_in_bytes memory.memsw.limit_in_bytes memory.max memory.swap.max pids.max cpu.shares \
           cpu.weight cpu.cfs_quota_us cpu.cfs_period_us cpu.max cpuset.cpus cpuset.mems blkio.weight io.weight; do
    [ -r "$d/$f" ] && echo "${c:-unified} $f $(cat "$d/$f")"
  done
done < /proc/self/cgroup
echo "== rlimits"; cat /proc/self/limits
echo "== environment"; env | sort
echo "== cwd and umask"; pwd; umask
)probe";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
}

std::string own_namespace(const std::string& type) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(("/proc/self/ns/" + type).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// "net net:[4026532281]" -> "net private" or "net host" (the tool's own).
std::string namespace_line(const std::string& line) {
    size_t sp = line.find(' ');
    if (sp == std::string::npos) return line;
    std::string type = line.substr(0, sp), link = line.substr(sp + 1);
    if (link.empty()) return type + " (unsupported)";
    return type + (link == own_namespace(type) ? " host" : " private");
}

// mountinfo without ids and peer-group numbers:
// "mountpoint fstype source per-mount-options super-options [root] [propagation]".
std::string mount_line(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    size_t dash = static_cast<size_t>(std::find(f.begin(), f.end(), "-") - f.begin());
    if (f.size() < 7 || dash + 2 >= f.size()) return line;
    std::string propagation;
    for (size_t i = 6; i < dash; ++i) {
        std::string tag = f[i].substr(0, f[i].find(':'));
        propagation += (propagation.empty() ? "" : ",") + (tag == "master" ? std::string("slave") : tag);
    }
    std::string out = f[4] + " " + f[dash + 1] + " " + f[dash + 2] + " " + f[5];
    if (dash + 3 < f.size()) out += " " + f[dash + 3];
    if (f[3] != "/") out += " root=" + f[3];
    return out + " " + (propagation.empty() ? "private" : propagation);
}

std::vector<Aspect> parse(const std::string& output, const std::string& id) {
    std::vector<Aspect> aspects;
    for (std::string line : lines_of(output)) {
        if (line.rfind("== ", 0) == 0) {
            aspects.emplace_back(line.substr(3));
            continue;
        }
        if (aspects.empty()) continue;
        replace_all(line, id, "<id>");
        const std::string& name = aspects.back().name;
        if (name == "namespaces") line = namespace_line(line);
        if (name == "mounts") line = mount_line(line);
        aspects.back().seen[""].push_back(line);
    }
    return aspects;
}

}  // namespace

std::vector<std::string> probe_args() { return {"/bin/sh", "-c", kProbe}; }

Comparison compare_runtimes(Spawner& spawner, const std::vector<Runtime>& runtimes, const std::string& bundle) {
    Comparison c;
    for (const auto& rt : runtimes) {
        c.runtimes.push_back(rt.name);
        std::string id = "compare-" + std::to_string(::getpid()) + "-" + rt.name;
        std::string out;
        Outcome o = spawner.run_capturing(rt.command({"run", "--bundle", bundle, id}), out);
        spawner.run(rt.command({"delete", "--force", id}));
        reap_zombies();
        if (!o.ok()) {
            c.errors[rt.name] = o.describe();
            continue;
        }
        for (auto& parsed : parse(out, id)) {
            auto it = std::find_if(c.aspects.begin(), c.aspects.end(), [&](const Aspect& a) { return a.name == parsed.name; });
            if (it == c.aspects.end()) it = c.aspects.insert(c.aspects.end(), Aspect(parsed.name));
            it->seen[rt.name] = std::move(parsed.seen[""]);
        }
    }
    for (auto& a : c.aspects) {
        const std::vector<std::string>* first = nullptr;
        for (const auto& name : c.runtimes) {
            auto it = a.seen.find(name);
            const std::vector<std::string>* lines = it == a.seen.end() ? nullptr : &it->second;
            if (!first) first = lines;
            else if (!lines || *lines != *first) a.same = false;
        }
    }
    return c;
}

std::string comparison_text(const Comparison& c) {
    std::string out = "What the container sees, compared with " + c.runtimes.at(0) +
                      " (lines in mountinfo order; '+' only under the runtime named, '-' only under " +
                      c.runtimes.at(0) + "):\n";
    for (const auto& [name, why] : c.errors) out += "  " + name + " failed: " + why + "\n";
    for (const auto& a : c.aspects) {
        out += "\n== " + a.name + (a.same ? " (the same under all)" : " (differs)") + "\n";
        const std::string& ref = c.runtimes.at(0);
        auto ref_it = a.seen.find(ref);
        static const std::vector<std::string> none;
        const std::vector<std::string>& base = ref_it == a.seen.end() ? none : ref_it->second;
        for (const auto& line : base) out += "   " + line + "\n";
        for (const auto& name : c.runtimes) {
            if (name == ref || a.same) continue;
            auto it = a.seen.find(name);
            if (it == a.seen.end()) continue;
            std::set<std::string> theirs(it->second.begin(), it->second.end()), mine(base.begin(), base.end());
            std::string diff;
            for (const auto& line : it->second)
                if (!mine.count(line)) diff += "   + " + line + "\n";
            for (const auto& line : base)
                if (!theirs.count(line)) diff += "   - " + line + "\n";
            out += "  " + name + ": " + (diff.empty() ? "the same lines in another order\n" : "\n" + diff);
        }
    }
    return out;
}

std::string comparison_json(const Comparison& c) {
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    w.StartObject();
    w.Key("runtimes");
    w.StartArray();
    for (const auto& name : c.runtimes) w.String(name.c_str());
    w.EndArray();
    w.Key("errors");
    w.StartObject();
    for (const auto& [name, why] : c.errors) {
        w.Key(name.c_str());
        w.String(why.c_str());
    }
    w.EndObject();
    w.Key("aspects");
    w.StartArray();
    for (const auto& a : c.aspects) {
        w.StartObject();
        w.Key("name");
        w.String(a.name.c_str());
        w.Key("same");
        w.Bool(a.same);
        w.Key("seen");
        w.StartObject();
        for (const auto& [name, lines] : a.seen) {
            w.Key(name.c_str());
            w.StartArray();
            for (const auto& l : lines) w.String(l.c_str());
            w.EndArray();
        }
        w.EndObject();
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace dkr::bench
