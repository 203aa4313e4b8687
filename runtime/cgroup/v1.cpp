// cgroup v1 (and hybrid) backend: one directory per mounted hierarchy.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>

#include "runtime/cgroup/backends.hpp"
#include "runtime/cgroup/cgfs.hpp"
#include "runtime/cgroup/oom.hpp"
#include "runtime/cgroup/resources.hpp"
#include "runtime/cgroup/stats.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

class V1Manager final : public LimitsManager {
public:
    V1Manager(Host host, Paths paths) : host_(std::move(host)), paths_(std::move(paths)) {
        for (size_t i = 0; i < host_.v1.size(); ++i) dirs_.push_back(sys::join(host_.v1[i].mountpoint, paths_.v1[i]));
        if (host_.v2 && !paths_.v2.empty()) unified_dir_ = sys::join(host_.v2->mountpoint, paths_.v2);
    }

    void create() override {
        std::vector<std::string> created;
        try {
            for (size_t i = 0; i < host_.v1.size(); ++i) {
                fs::mkdir_tracked(host_.v1[i].mountpoint, paths_.v1[i], created);
                if (host_.v1[i].has("cpuset")) init_cpuset(host_.v1[i].mountpoint, paths_.v1[i]);
            }
        } catch (...) {
            fs::undo_mkdirs(created);
            rethrow_with("cgroup: create " + path());
        }
        if (!unified_dir_.empty()) {
            // Best-effort mirror in the unified hierarchy (runc joins it too).
            std::vector<std::string> mirror;
            try {
                fs::mkdir_tracked(host_.v2->mountpoint, paths_.v2, mirror);
            } catch (const Error&) {
                fs::undo_mkdirs(mirror);
            }
        }
    }

    void add_process(pid_t pid) override {
        std::string s = std::to_string(pid);
        for (const auto& d : dirs_) {
            try {
                fs::write(d, "cgroup.procs", s);
            } catch (...) {
                rethrow_with("cgroup: add process " + s);
            }
        }
        if (!unified_dir_.empty()) {
            try {
                fs::write(unified_dir_, "cgroup.procs", s);
            } catch (const Error&) {
                // best-effort: no controllers are used there
            }
        }
    }

    // The unified mirror, when it is there: made by create(), or made before
    // for the container a later command opened (exec puts its process there).
    int clone_into_fd() const override {
        if (unified_fd_ || unified_dir_.empty()) return unified_fd_.get();
        unified_fd_.reset(::open(unified_dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        return unified_fd_.get();
    }

    std::vector<sys::Fd> open_tasks_files() const override {
        std::vector<sys::Fd> files;
        for (const auto& d : dirs_) files.push_back(sys::open_file(sys::join(d, "tasks"), O_WRONLY));
        return files;
    }

    std::vector<pid_t> pids() const override {
        std::string d = dir_of("freezer");
        if (d.empty() && !dirs_.empty()) d = dirs_.front();
        if (d.empty()) return {};
        return fs::procs_recursive(d);
    }

    void freeze() override {
        std::string d = freezer_dir("freeze");
        int attempt = 0;
        std::string state;
        bool ok = false;
        try {
            // A v1 cgroup can stay FREEZING while new processes keep
            // appearing: re-request, and thaw now and then to let it settle.
            ok = fs::poll_until(
                [&] {
                    if (++attempt % 50 == 0) fs::write(d, "freezer.state", "THAWED");
                    fs::write(d, "freezer.state", "FROZEN");
                    state = trim(sys::read_file(sys::join(d, "freezer.state")));
                    if (state != "FROZEN" && state != "FREEZING")
                        throw Error("unexpected freezer.state " + state + " after writing FROZEN");
                    return state == "FROZEN";
                },
                fs::kFreezeTimeout);
        } catch (...) {
            thaw_quietly(d);
            rethrow_with("cgroup: freeze " + d);
        }
        if (!ok) {
            thaw_quietly(d);
            throw Error("cgroup: freeze " + d + ": still " + state + " after " +
                        std::to_string(fs::kFreezeTimeout.count()) + "ms");
        }
    }

    void thaw() override {
        std::string d = freezer_dir("thaw");
        try {
            fs::write(d, "freezer.state", "THAWED");
            std::string state;
            bool ok = fs::poll_until(
                [&] {
                    state = trim(sys::read_file(sys::join(d, "freezer.state")));
                    return state == "THAWED";
                },
                fs::kFreezeTimeout);
            if (!ok) throw Error("still " + state);
        } catch (...) {
            rethrow_with("cgroup: thaw " + d);
        }
    }

    bool frozen() const override {
        std::string d = dir_of("freezer");
        if (d.empty()) return false;
        auto state = fs::try_read(sys::join(d, "freezer.state"));
        return state && trim(*state) == "FROZEN";
    }

    void kill_all(int sig) override {
        // Frozen, nothing can fork a child that escapes the signal.
        signal_each(*this, sig, sig == SIGKILL && !dir_of("freezer").empty());
    }

    void destroy() override {
        // One deadline for all hierarchies: once the processes are gone from
        // the first, the others follow at once.
        auto deadline = std::chrono::steady_clock::now() + fs::kRemoveTimeout;
        auto left = [&] {
            return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                              deadline - std::chrono::steady_clock::now()));
        };
        std::optional<Error> failure;
        for (const auto& d : dirs_) {
            try {
                fs::remove_tree(d, false, left());
            } catch (const Error& e) {
                if (!failure) failure = e;
            }
        }
        if (!unified_dir_.empty()) {
            try {
                fs::remove_tree(unified_dir_, true, left());
            } catch (const Error&) {
                // best-effort, like joining it
            }
        }
        if (failure) throw Error("cgroup: destroy: " + std::string(failure->what()), failure->code());
    }

    Stats stats() const override {
        try {
            return collect_stats_v1([this](const std::string& c) { return dir_of(c); });
        } catch (...) {
            rethrow_with("cgroup: stats");
        }
    }

    std::unique_ptr<OomWatch> watch_oom() const override {
        std::string d = dir_of("memory");
        if (d.empty()) throw Error("cgroup: cannot watch for OOM: the memory cgroup hierarchy is not mounted");
        return watch_oom_v1(d);
    }

    std::string path() const override { return encode_paths(host_, paths_); }

    std::string dir_of(const std::string& controller) const {
        for (size_t i = 0; i < host_.v1.size(); ++i)
            if (host_.v1[i].has(controller)) return dirs_[i];
        return "";
    }

private:
    void write_limits(const spec::Resources& r, bool restore) override {
        struct V1Probe : Probe {
            const V1Manager& m;
            explicit V1Probe(const V1Manager& mgr) : m(mgr) {}
            bool has_controller(const std::string& c) const override { return !m.dir_of(c).empty(); }
            bool exists(const std::string& c, const std::string& f) const override {
                return fs::exists(sys::join(m.dir_of(c), f));
            }
            std::optional<std::string> read(const std::string& c, const std::string& f) const override {
                return fs::try_read(sys::join(m.dir_of(c), f));
            }
        } probe(*this);
        std::vector<Write> writes = translate_v1(r, probe);
        fs::execute(
            writes, [this](const std::string& c) { return dir_of(c); }, false, restore);
    }

    std::string freezer_dir(const char* what) const {
        std::string d = dir_of("freezer");
        if (d.empty())
            throw Error(std::string("cgroup: cannot ") + what + ": the freezer cgroup hierarchy is not mounted");
        return d;
    }

    static void thaw_quietly(const std::string& d) {
        try {
            fs::write(d, "freezer.state", "THAWED");
        } catch (const Error&) {
        }
    }

    // A new cpuset cgroup starts with empty cpus and mems, and no process
    // can join it: copy the parent's down every level that lacks them.
    static void init_cpuset(const std::string& mountpoint, const std::string& rel) {
        std::string parent = mountpoint;
        std::string cpus = trim(sys::read_file(sys::join(parent, "cpuset.cpus")));
        std::string mems = trim(sys::read_file(sys::join(parent, "cpuset.mems")));
        size_t i = 0;
        while (i < rel.size()) {
            size_t j = rel.find('/', i);
            if (j == std::string::npos) j = rel.size();
            if (j > i) {
                std::string cur = sys::join(parent, rel.substr(i, j - i));
                std::string c = trim(sys::read_file(sys::join(cur, "cpuset.cpus")));
                std::string m = trim(sys::read_file(sys::join(cur, "cpuset.mems")));
                if (c.empty() && !cpus.empty()) fs::write(cur, "cpuset.cpus", cpus);
                if (m.empty() && !mems.empty()) fs::write(cur, "cpuset.mems", mems);
                if (!c.empty()) cpus = c;
                if (!m.empty()) mems = m;
                parent = cur;
            }
            i = j + 1;
        }
    }

    Host host_;
    Paths paths_;
    std::vector<std::string> dirs_;  // aligned with host_.v1
    std::string unified_dir_;        // hybrid mirror, or ""
    mutable sys::Fd unified_fd_;     // of unified_dir_, for clone3
};

}  // namespace

std::unique_ptr<Manager> make_v1_manager(const Host& host, const Paths& paths) {
    if (paths.v1.size() != host.v1.size()) throw Error("cgroup: internal error: paths do not match the hierarchies");
    return std::make_unique<V1Manager>(host, paths);
}

}  // namespace dkr::cgroup
