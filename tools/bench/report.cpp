#include "tools/bench/report.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "tools/bench/stats.hpp"

namespace dkr::bench {
namespace {

constexpr const char* kRssPeak = "rss_peak";

struct FigureInfo {
    const char* key;
    const char* label;  // "%d" is the number of containers present
    bool rss;
};

constexpr FigureInfo kFigures[] = {
    {kRun, "run /bin/true, delete included", false},
    {kRunSeccomp, "run, with a seccomp profile", false},
    {kCreate, "create", false},
    {kStart, "start", false},
    {kWait, "wait (start returned -> exit)", false},
    {kStartWait, "start + wait", false},
    {kDelete, "delete", false},
    {kExec, "exec /bin/true", false},
    {kState1, "state, 1 container", false},
    {kStateMany, "state, %d containers", false},
    {kList1, "list, 1 container", false},
    {kListMany, "list, %d containers", false},
    {kRssPeak, "peak RSS (max of below)", true},
    {kRssCreate, "  RSS create", true},
    {kRssInit, "  RSS init before exec", true},
    {kRssStart, "  RSS start", true},
    {kRssDelete, "  RSS delete", true},
    {kRssRun, "  RSS run", true},
    {kRssExec, "  RSS exec", true},
    {kRssState, "  RSS state", true},
    {kRssList, "  RSS list", true},
};

std::string format(const char* fmt, double a, double b = 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, a, b);
    return buf;
}

std::string label_of(const FigureInfo& f, int many) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f.label, many);
    return buf;
}

std::vector<std::string> columns(const RunInfo& info) {
    std::vector<std::string> out;
    for (const auto& rt : info.runtimes) out.push_back(rt.name);
    for (const auto& [name, what] : info.floors) out.push_back(name);
    return out;
}

// The summary of one cell, with the peak RSS derived from the RSS figures.
struct Cell {
    Summary summary;
    std::string missing;
};

std::optional<Cell> cell(const Results& results, const std::string& key, const std::string& column) {
    if (key == kRssPeak) {
        Cell peak;
        for (const auto& f : kFigures) {
            if (!f.rss || f.key == std::string(kRssPeak)) continue;
            auto c = cell(results, f.key, column);
            if (!c || c->summary.n == 0) continue;
            peak.summary.n = std::max(peak.summary.n, c->summary.n);
            peak.summary.median = std::max(peak.summary.median, c->summary.median);
            peak.summary.p90 = std::max(peak.summary.p90, c->summary.p90);
        }
        if (peak.summary.n == 0) return std::nullopt;
        return peak;
    }
    auto f = results.find(key);
    if (f == results.end()) return std::nullopt;
    auto c = f->second.find(column);
    if (c == f->second.end()) return std::nullopt;
    return Cell{summarize(c->second.samples), c->second.missing};
}

std::optional<double> median(const Results& results, const std::string& key, const std::string& column) {
    auto c = cell(results, key, column);
    if (!c || c->summary.n == 0 || !c->missing.empty()) return std::nullopt;
    return c->summary.median;
}

bool has_runtime(const RunInfo& info, const std::string& name) {
    return std::any_of(info.runtimes.begin(), info.runtimes.end(), [&](const Runtime& rt) { return rt.name == name; });
}

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Pass: return "pass";
        case Verdict::Fail: return "FAIL";
        case Verdict::NotApplicable: return "n/a";
    }
    return "?";
}

}  // namespace

std::vector<Target> check_targets(const Results& results, const RunInfo& info) {
    const std::string& ref = info.runtimes.at(0).name;
    std::vector<Target> out;
    // `key` of the reference <= factor x `other_key` of `other`.
    auto versus = [&](const std::string& what, const char* key, double factor, const std::string& other,
                      const char* other_key) {
        Target t;
        t.what = what;
        t.unit = "ms";
        auto mine = median(results, key, ref);
        auto theirs = median(results, other_key, other);
        if (!mine || !theirs) {
            t.note = !mine ? ref + " has no " + key + " figure" : other + " has no " + other_key + " figure";
            if (!has_runtime(info, other) && other != kFloorUnshare) t.note = other + " was not measured";
        } else {
            t.value = *mine;
            t.limit = factor * *theirs;
            t.verdict = t.value <= t.limit ? Verdict::Pass : Verdict::Fail;
        }
        out.push_back(t);
    };
    versus("run <= 0.8 x crun", kRun, 0.8, "crun", kRun);
    versus("run <= 0.3 x runc", kRun, 0.3, "runc", kRun);
    versus("create <= crun", kCreate, 1, "crun", kCreate);
    versus("start+wait <= crun", kStartWait, 1, "crun", kStartWait);
    versus("delete <= crun", kDelete, 1, "crun", kDelete);
    versus("exec <= crun", kExec, 1, "crun", kExec);
    versus("run <= 1.5 x the unshare+chroot floor", kRun, 1.5, kFloorUnshare, kRun);
    versus("state with " + std::to_string(info.many) + " <= 1.5 x state with 1", kStateMany, 1.5, ref, kState1);
    versus("list with " + std::to_string(info.many) + " <= " + std::to_string(info.many) + " x list with 1 (linear)",
           kListMany, info.many, ref, kList1);

    Target rss;
    rss.what = "peak RSS <= 2 MiB";
    rss.unit = "KiB";
    rss.limit = 2048;
    if (auto peak = median(results, kRssPeak, ref)) {
        rss.value = *peak;
        rss.verdict = rss.value <= rss.limit ? Verdict::Pass : Verdict::Fail;
    } else {
        rss.note = ref + " has no RSS figure";
    }
    out.push_back(rss);
    return out;
}

std::string report_table(const Results& results, const RunInfo& info, const std::vector<Target>& targets) {
    const std::vector<std::string> cols = columns(info);
    const std::string& ref = info.runtimes.at(0).name;
    std::string out;
    out += "dkr-bench " + info.started + ", kernel " + info.kernel + ", N=" + std::to_string(info.iterations) +
           " per figure, runtimes interleaved run by run\n";
    out += "  " + info.command + "\n";
    for (const auto& rt : info.runtimes) {
        out += "  " + rt.name + ": " + rt.path + " (" + rt.version + ")";
        if (!rt.note.empty()) out += "; " + rt.note;
        out += "\n";
    }
    for (const auto& [name, what] : info.floors) out += "  " + name + ": " + what + "\n";
    out += "  rootfs " + info.rootfs + "; seccomp case: " + info.seccomp_profile + "\n";
    out += "  cells: median / p90 (ms, RSS in MiB), then the median's ratio to " + ref + "\n\n";

    constexpr int kLabel = 31, kCol = 22;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-*s", kLabel, "");
    out += buf;
    for (const auto& c : cols) {
        std::snprintf(buf, sizeof buf, "%*s", kCol, c.c_str());
        out += buf;
    }
    out += "\n";
    for (const auto& f : kFigures) {
        bool any = false;
        std::string line;
        std::snprintf(buf, sizeof buf, "%-*s", kLabel, label_of(f, info.many).c_str());
        line += buf;
        auto ref_median = median(results, f.key, ref);
        for (const auto& c : cols) {
            auto cl = cell(results, f.key, c);
            std::string text;
            if (cl && !cl->missing.empty()) {
                text = cl->missing.rfind("n/a", 0) == 0 ? "n/a" : "failed";
                any = true;
            } else if (cl && cl->summary.n > 0) {
                double scale = f.rss ? 1.0 / 1024 : 1;
                text = format(f.rss ? "%.2f / %.2f" : "%.1f / %.1f", cl->summary.median * scale, cl->summary.p90 * scale);
                if (c != ref && ref_median && *ref_median > 0) text += format(" %5.2fx", cl->summary.median / *ref_median);
                else text += "       ";
                any = true;
            }
            std::snprintf(buf, sizeof buf, "%*s", kCol, text.c_str());
            line += buf;
        }
        if (any) out += line + "\n";
    }

    std::string notes;
    for (const auto& [key, by_column] : results)
        for (const auto& [column, series] : by_column)
            if (!series.missing.empty()) notes += "  " + column + " " + key + ": " + series.missing + "\n";
    if (!notes.empty()) out += "\nmissing figures:\n" + notes;

    out += "\ntargets for " + ref + ":\n";
    for (const auto& t : targets) {
        std::snprintf(buf, sizeof buf, "  %-4s %-50s", verdict_name(t.verdict), t.what.c_str());
        out += buf;
        if (t.verdict == Verdict::NotApplicable)
            out += " (" + t.note + ")";
        else
            out += format(t.unit == "ms" ? " %.2f ms, limit %.2f ms" : " %.0f KiB, limit %.0f KiB", t.value, t.limit);
        out += "\n";
    }
    return out;
}

std::string report_json(const Results& results, const RunInfo& info, const std::vector<Target>& targets) {
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    const std::string& ref = info.runtimes.at(0).name;
    auto str = [&](const char* key, const std::string& value) {
        w.Key(key);
        w.String(value.c_str());
    };
    w.StartObject();
    str("tool", "dkr-bench");
    str("command", info.command);
    str("started", info.started);
    str("kernel", info.kernel);
    str("rootfs", info.rootfs);
    str("seccomp_profile", info.seccomp_profile);
    w.Key("iterations");
    w.Int(info.iterations);
    w.Key("many");
    w.Int(info.many);
    str("reference", ref);
    w.Key("runtimes");
    w.StartArray();
    for (const auto& rt : info.runtimes) {
        w.StartObject();
        str("name", rt.name);
        str("path", rt.path);
        str("version", rt.version);
        str("note", rt.note);
        w.Key("exec");
        w.Bool(rt.has_exec);
        w.EndObject();
    }
    w.EndArray();
    w.Key("floors");
    w.StartObject();
    for (const auto& [name, what] : info.floors) str(name.c_str(), what);
    w.EndObject();

    w.Key("figures");
    w.StartObject();
    for (const auto& f : kFigures) {
        w.Key(f.key);
        w.StartObject();
        str("label", label_of(f, info.many));
        str("unit", f.rss ? "KiB" : "ms");
        auto ref_median = median(results, f.key, ref);
        for (const auto& c : columns(info)) {
            auto cl = cell(results, f.key, c);
            if (!cl) continue;
            w.Key(c.c_str());
            w.StartObject();
            if (!cl->missing.empty()) str("missing", cl->missing);
            w.Key("n");
            w.Uint64(cl->summary.n);
            if (cl->summary.n > 0) {
                w.Key("median");
                w.Double(cl->summary.median);
                w.Key("p90");
                w.Double(cl->summary.p90);
                if (ref_median && *ref_median > 0) {
                    w.Key("ratio");
                    w.Double(cl->summary.median / *ref_median);
                }
            }
            w.EndObject();
        }
        w.EndObject();
    }
    w.EndObject();

    w.Key("targets");
    w.StartArray();
    for (const auto& t : targets) {
        w.StartObject();
        str("target", t.what);
        str("result", t.verdict == Verdict::Pass ? "pass" : t.verdict == Verdict::Fail ? "fail" : "n/a");
        if (t.verdict != Verdict::NotApplicable) {
            w.Key("value");
            w.Double(t.value);
            w.Key("limit");
            w.Double(t.limit);
            str("unit", t.unit);
        } else {
            str("note", t.note);
        }
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace dkr::bench
