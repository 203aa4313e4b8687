// cgroup v2 backend: one directory in the unified hierarchy.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "runtime/cgroup/backends.hpp"
#include "runtime/cgroup/bpf.hpp"
#include "runtime/cgroup/cgfs.hpp"
#include "runtime/cgroup/devices.hpp"
#include "runtime/cgroup/oom.hpp"
#include "runtime/cgroup/resources.hpp"
#include "runtime/cgroup/stats.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\n') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

class V2Manager final : public LimitsManager {
public:
    V2Manager(Host host, std::string rel) : host_(std::move(host)), rel_(std::move(rel)) {
        dir_ = sys::join(host_.v2->mountpoint, rel_);
    }

    void create() override {
        std::vector<std::string> created;
        try {
            std::vector<std::string> controllers =
                host_.v2_enable ? *host_.v2_enable
                                : words(sys::read_file(sys::join(host_.v2->mountpoint, "cgroup.controllers")));
            std::string cur = host_.v2->mountpoint;
            size_t i = 0;
            while (i < rel_.size()) {
                size_t j = rel_.find('/', i);
                if (j == std::string::npos) j = rel_.size();
                if (j > i) {
                    // Every ancestor must delegate the controllers to its children.
                    if (!controllers.empty()) enable_controllers(cur, controllers);
                    fs::mkdir_tracked(cur, rel_.substr(i, j - i), created);
                    cur = sys::join(cur, rel_.substr(i, j - i));
                }
                i = j + 1;
            }
        } catch (...) {
            fs::undo_mkdirs(created);
            rethrow_with("cgroup: create " + dir_);
        }
    }

    void add_process(pid_t pid) override {
        try {
            fs::write(dir_, "cgroup.procs", std::to_string(pid));
        } catch (...) {
            rethrow_with("cgroup: add process " + std::to_string(pid));
        }
    }

    int clone_into_fd() const override {
        if (!clone_fd_) clone_fd_ = sys::open_file(dir_, O_PATH | O_DIRECTORY);
        return clone_fd_.get();
    }

    std::vector<sys::Fd> open_tasks_files() const override { return {}; }

    std::vector<pid_t> pids() const override { return fs::procs_recursive(dir_); }

    void freeze() override { set_frozen(true); }
    void thaw() override { set_frozen(false); }

    bool frozen() const override {
        auto events = fs::try_read(sys::join(dir_, "cgroup.events"));
        return events && fs::keyed_value(*events, "frozen") == "1";
    }

    void kill_all(int sig) override {
        if (sig == SIGKILL) {
            try {
                fs::write(dir_, "cgroup.kill", "1");  // Linux 5.14+
                return;
            } catch (const Error& e) {
                if (e.code() != ENOENT) rethrow_with("cgroup: kill_all");
            }
        }
        signal_each(*this, sig, sig == SIGKILL && fs::exists(sys::join(dir_, "cgroup.freeze")));
    }

    void destroy() override {
        clone_fd_.reset();
        try {
            fs::remove_tree(dir_, true);
        } catch (...) {
            rethrow_with("cgroup: destroy");
        }
    }

    Stats stats() const override {
        try {
            return collect_stats_v2(dir_);
        } catch (...) {
            rethrow_with("cgroup: stats");
        }
    }

    std::unique_ptr<OomWatch> watch_oom() const override { return watch_oom_v2(dir_); }

    std::string path() const override { return rel_; }

private:
    void write_limits(const spec::Resources& r, bool restore) override {
        struct V2Probe : Probe {
            const std::string& dir;
            explicit V2Probe(const std::string& d) : dir(d) {}
            bool has_controller(const std::string&) const override { return true; }
            bool exists(const std::string&, const std::string& f) const override {
                return fs::exists(sys::join(dir, f));
            }
            std::optional<std::string> read(const std::string&, const std::string& f) const override {
                return fs::try_read(sys::join(dir, f));
            }
        } probe(dir_);
        std::vector<Write> writes = translate_v2(r, probe);
        // Built before any write so that bad rules change nothing.
        std::optional<std::vector<bpf_insn>> prog;
        if (!r.devices.empty()) prog = device_filter_program(emulate_device_rules(normalize_device_rules(r.devices)));
        fs::execute(
            writes, [this](const std::string&) { return dir_; }, true, restore);
        if (prog) {
            try {
                attach_device_filter(dir_, *prog);
            } catch (...) {
                rethrow_with("cgroup: devices");
            }
        }
    }

    static void enable_controllers(const std::string& dir, const std::vector<std::string>& controllers) {
        std::vector<std::string> have = words(fs::try_read(sys::join(dir, "cgroup.subtree_control")).value_or(""));
        std::vector<std::string> missing;
        for (const auto& c : controllers)
            if (std::find(have.begin(), have.end(), c) == have.end()) missing.push_back(c);
        if (missing.empty()) return;
        std::string all;
        for (const auto& c : missing) all += (all.empty() ? "+" : " +") + c;
        try {
            fs::write(dir, "cgroup.subtree_control", all);
        } catch (const Error&) {
            // One by one: some may not be available here (or the cgroup has
            // processes). Limits that need them fail later, naming the file.
            for (const auto& c : missing) {
                try {
                    fs::write(dir, "cgroup.subtree_control", "+" + c);
                } catch (const Error&) {
                }
            }
        }
    }

    void set_frozen(bool on) {
        const char* what = on ? "freeze" : "thaw";
        try {
            fs::write(dir_, "cgroup.freeze", on ? "1" : "0");  // Linux 5.2+
            if (!fs::wait_event(dir_, "frozen", on ? "1" : "0", fs::kFreezeTimeout)) {
                if (on) fs::write(dir_, "cgroup.freeze", "0");
                throw Error("timed out after " + std::to_string(fs::kFreezeTimeout.count()) + "ms");
            }
        } catch (...) {
            rethrow_with(std::string("cgroup: ") + what + " " + dir_);
        }
    }

    Host host_;
    std::string rel_;
    std::string dir_;
    mutable sys::Fd clone_fd_;
};

}  // namespace

std::unique_ptr<Manager> make_v2_manager(const Host& host, const std::string& rel) {
    if (!host.v2) throw Error("cgroup: no cgroup2 mount");
    return std::make_unique<V2Manager>(host, rel);
}

}  // namespace dkr::cgroup
