#include "tools/bench/measure.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::bench {
namespace {

constexpr int kExitTimeoutMs = 60'000;

double now_ms() {
    struct timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// SIGINT and SIGTERM are blocked by main while measuring; a pending one stops
// the measurement so that the cleanup runs.
void check_interrupted() {
    sigset_t pending;
    ::sigpending(&pending);
    if (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM)) throw Error("interrupted");
}

// VmHWM of a process in KiB, 0 if unreadable.
double vm_hwm_kib(pid_t pid) {
    std::string status;
    try {
        status = sys::read_file("/proc/" + std::to_string(pid) + "/status");
    } catch (const Error&) {
        return 0;
    }
    size_t pos = status.find("VmHWM:");
    return pos == std::string::npos ? 0 : std::strtod(status.c_str() + pos + 6, nullptr);
}

class Bench {
public:
    Bench(Spawner& spawner, const Setup& setup) : spawner_(spawner), setup_(setup) {}
    ~Bench();

    Results run();

private:
    void lifecycle(const Runtime& rt);
    void seccomp(const Runtime& rt);
    // exec into the container of `rt`'s one-container root; state and list
    // there and in the root with many containers (`many`), back to back so
    // that the load of this shared machine weighs on both alike.
    void exec_and_query(const Runtime& rt, const Runtime& many);
    void floor(const Floor& f);

    // Runs `cmd`; records its time under `key` and its RSS under `rss_key`
    // (if not null). A failure marks `key` missing for `rt` and returns false.
    bool timed(const std::string& column, const Command& cmd, const char* key, const char* rss_key, Outcome* out = nullptr);
    bool runnable(const std::string& column, const char* key) const;
    void fail(const std::string& column, const char* key, const std::string& why);
    std::string next_id();
    // create + start of a container running the sleep bundle (kept until the end).
    std::string start_service(const Runtime& rt);
    void remove(const Runtime& rt, const std::string& id);
    void remove_all();
    // for each iteration, each runtime (rotated) gets `body` once; one
    // untimed round first warms caches.
    template <typename F>
    void interleave(const char* phase, int iterations, F body);

    Spawner& spawner_;
    const Setup& setup_;
    Results results_;
    bool recording_ = true;
    unsigned counter_ = 0;
    std::set<std::pair<const Runtime*, std::string>> live_;
    std::map<const Runtime*, std::vector<std::string>> services_;
    // Each runtime again, with a --root of its own that holds Setup::many containers.
    std::vector<Runtime> many_roots_;
};

Bench::~Bench() {
    try {
        remove_all();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dkr-bench: cleanup: %s\n", e.what());
    }
}

std::string Bench::next_id() { return "bench-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_); }

bool Bench::runnable(const std::string& column, const char* key) const {
    auto f = results_.find(key);
    if (f == results_.end()) return true;
    auto c = f->second.find(column);
    return c == f->second.end() || c->second.missing.empty();
}

void Bench::fail(const std::string& column, const char* key, const std::string& why) {
    Series& s = results_[key][column];
    if (s.missing.empty()) s.missing = why;
}

bool Bench::timed(const std::string& column, const Command& cmd, const char* key, const char* rss_key, Outcome* out) {
    Outcome o = spawner_.run(cmd);
    if (out) *out = o;
    if (!o.ok()) {
        fail(column, key, "failed: " + o.describe());
        return false;
    }
    if (recording_) {
        results_[key][column].samples.push_back(o.ms);
        if (rss_key) results_[rss_key][column].samples.push_back(static_cast<double>(o.maxrss_kib));
    }
    return true;
}

void Bench::remove(const Runtime& rt, const std::string& id) {
    spawner_.run(rt.command({"delete", "--force", id}));
    live_.erase({&rt, id});
    reap_zombies();
}

void Bench::remove_all() {
    auto live = live_;
    for (const auto& [rt, id] : live) remove(*rt, id);
    services_.clear();
}

template <typename F>
void Bench::interleave(const char* phase, int iterations, F body) {
    const size_t n = setup_.runtimes.size();
    recording_ = false;
    for (const auto& rt : setup_.runtimes) body(rt);
    recording_ = true;
    for (int i = 0; i < iterations; ++i) {
        for (size_t k = 0; k < n; ++k) {
            check_interrupted();
            body(setup_.runtimes[(static_cast<size_t>(i) + k) % n]);
        }
        if (!setup_.quiet && ((i + 1) % 10 == 0 || i + 1 == iterations))
            std::fprintf(stderr, "dkr-bench: %s %d/%d\n", phase, i + 1, iterations);
    }
}

void Bench::lifecycle(const Runtime& rt) {
    if (runnable(rt.name, kRun)) {
        std::string id = next_id();
        live_.insert({&rt, id});
        if (timed(rt.name, rt.command({"run", "--bundle", setup_.true_bundle, id}), kRun, kRssRun)) live_.erase({&rt, id});
        else remove(rt, id);
    }
    if (!runnable(rt.name, kCreate)) return;
    std::string id = next_id();
    std::string pid_file = sys::join(setup_.work, "init.pid");
    ::unlink(pid_file.c_str());
    live_.insert({&rt, id});
    Outcome o;
    if (!timed(rt.name, rt.command({"create", "--bundle", setup_.true_bundle, "--pid-file", pid_file, id}), kCreate,
               kRssCreate)) {
        remove(rt, id);
        return;
    }
    pid_t pid = static_cast<pid_t>(std::stol(sys::read_file(pid_file)));
    sys::Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (recording_) results_[kRssInit][rt.name].samples.push_back(vm_hwm_kib(pid));
    if (!timed(rt.name, rt.command({"start", id}), kStart, kRssStart, &o)) {
        remove(rt, id);
        return;
    }
    double started = now_ms();
    struct pollfd p = {pidfd.get(), POLLIN, 0};
    int rc;
    do {
        rc = ::poll(&p, 1, kExitTimeoutMs);
    } while (rc < 0 && errno == EINTR);
    double waited = now_ms() - started;
    if (!pidfd || rc != 1) {
        fail(rt.name, kWait, "failed: the container did not exit");
        remove(rt, id);
        return;
    }
    if (recording_) {
        results_[kWait][rt.name].samples.push_back(waited);
        results_[kStartWait][rt.name].samples.push_back(o.ms + waited);
    }
    reap_zombies();
    if (timed(rt.name, rt.command({"delete", id}), kDelete, kRssDelete)) live_.erase({&rt, id});
    else remove(rt, id);
}

void Bench::seccomp(const Runtime& rt) {
    if (!runnable(rt.name, kRunSeccomp)) return;
    std::string id = next_id();
    live_.insert({&rt, id});
    if (timed(rt.name, rt.command({"run", "--bundle", setup_.seccomp_bundle, id}), kRunSeccomp, nullptr))
        live_.erase({&rt, id});
    else
        remove(rt, id);
}

std::string Bench::start_service(const Runtime& rt) {
    std::string id = next_id();
    live_.insert({&rt, id});
    Outcome o = spawner_.run(rt.command({"create", "--bundle", setup_.sleep_bundle, id}));
    if (o.ok()) o = spawner_.run(rt.command({"start", id}));
    if (!o.ok()) throw Error(rt.name + ": starting a long-running container: " + o.describe());
    services_[&rt].push_back(id);
    return id;
}

void Bench::exec_and_query(const Runtime& rt, const Runtime& many) {
    const std::string& id = services_.at(&rt).front();
    if (runnable(rt.name, kExec)) {
        if (!rt.has_exec)
            fail(rt.name, kExec, "n/a: no exec command");
        else
            timed(rt.name, rt.command({"exec", id, "/bin/true"}), kExec, kRssExec);
        reap_zombies();
    }
    for (const auto& [where, state_key, list_key] : {std::tuple{&rt, kState1, kList1}, {&many, kStateMany, kListMany}}) {
        const std::string& first = services_.at(where).front();
        if (runnable(rt.name, state_key)) timed(rt.name, where->command({"state", first}), state_key, kRssState);
        if (runnable(rt.name, list_key)) timed(rt.name, where->command({"list"}), list_key, kRssList);
    }
}

void Bench::floor(const Floor& f) {
    if (runnable(f.name, kRun)) timed(f.name, f.command, kRun, kRssRun);
}

Results Bench::run() {
    const int n = setup_.iterations;
    // The floors take part in the interleaving of the run figure: once per
    // iteration, beside the last runtime of the list (whose place rotates).
    interleave("lifecycle", n, [&](const Runtime& rt) {
        lifecycle(rt);
        if (&rt == &setup_.runtimes.back())
            for (const auto& f : setup_.floors) floor(f);
    });
    if (!setup_.seccomp_bundle.empty())
        interleave("seccomp", n, [&](const Runtime& rt) { seccomp(rt); });

    many_roots_.reserve(setup_.runtimes.size());  // live_ keeps their addresses
    for (const auto& rt : setup_.runtimes) {
        Runtime many = rt;
        many.root += "-many";
        many_roots_.push_back(many);
    }
    if (!setup_.quiet) std::fprintf(stderr, "dkr-bench: starting 1 + %d containers per runtime\n", setup_.many);
    for (size_t r = 0; r < setup_.runtimes.size(); ++r) {
        start_service(setup_.runtimes[r]);
        for (int i = 0; i < setup_.many; ++i) {
            check_interrupted();
            start_service(many_roots_[r]);
        }
    }
    interleave("exec, state and list", n, [&](const Runtime& rt) {
        exec_and_query(rt, many_roots_[static_cast<size_t>(&rt - setup_.runtimes.data())]);
    });

    remove_all();
    return std::move(results_);
}

}  // namespace

Results measure(Spawner& spawner, const Setup& setup) {
    Bench bench(spawner, setup);
    return bench.run();
}

}  // namespace dkr::bench
