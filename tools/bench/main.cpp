// dkr-bench: dkr, crun and runc side by side on the same bundle
// (docs/performance.md), or, with --compare, what a container sees under each.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "tools/bench/bundles.hpp"
#include "tools/bench/compare.hpp"
#include "tools/bench/hybrid_cgroups.hpp"
#include "tools/bench/measure.hpp"
#include "tools/bench/report.hpp"

namespace po = boost::program_options;

namespace dkr::bench {
namespace {

constexpr const char* kUsage =
    "Usage: dkr-bench [options]   (as root)\n\n"
    "Runs each runtime on the same busybox bundle, interleaved run by run, and prints median and\n"
    "p90 of run, create, start, wait, delete, exec, state and list, the peak RSS of the runtime's\n"
    "own processes, and the unshare+chroot floor, with each runtime's ratio to the first one.\n"
    "With --compare it runs a probe under each runtime and diffs what the container sees.\n\n";

struct Options {
    std::vector<std::string> runtimes;
    int iterations = 50;
    int many = 100;
    std::string rootfs, config, seccomp, work;
    bool no_seccomp = false, json = false, compare = false, check = false, quiet = false;
};

std::string now_utc() {
    std::time_t t = std::time(nullptr);
    struct tm tm;
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string kernel_release() {
    struct utsname u;
    return ::uname(&u) == 0 ? u.release : "unknown";
}

// The scratch directory: given, or a fresh one under /run (removed at the end).
class WorkDir {
public:
    explicit WorkDir(const std::string& given) : path_(given), owned_(given.empty()) {
        if (owned_) {
            char tmpl[] = "/run/dkr-bench.XXXXXX";
            if (!::mkdtemp(tmpl)) throw sys_error("mkdtemp", tmpl, errno);
            path_ = tmpl;
        } else {
            sys::mkdir_all(path_, 0755);
        }
    }
    ~WorkDir() {
        if (!owned_) return;
        try {
            sys::remove_all(path_);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "dkr-bench: removing %s: %s\n", path_.c_str(), e.what());
        }
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    bool owned_;
};

std::string make_rootfs(Spawner& spawner, const std::string& dir) {
    Outcome o = spawner.run(Command({find_program("bash"), std::string(DKR_SOURCE_DIR) + "/tools/mkrootfs.sh", dir}));
    if (!o.ok()) throw Error("tools/mkrootfs.sh " + dir + ": " + o.describe());
    return dir;
}

// runc's default config, as the first runtime's `spec` writes it.
std::string default_config(Spawner& spawner, const Runtime& rt, const std::string& dir) {
    sys::mkdir_all(dir, 0755);
    Command c = rt.command({"spec"});
    c.cwd = dir;
    Outcome o = spawner.run(c);
    if (!o.ok()) throw Error(rt.name + " spec: " + o.describe());
    return sys::read_file(sys::join(dir, "config.json"));
}

int run(const Options& opt, const std::string& command_line) {
    if (::geteuid() != 0) throw Error("dkr-bench runs containers: run it as root");
    if (opt.iterations < 1 || opt.many < 1) throw Error("--iterations and --many must be at least 1");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw sys_error("prctl", "PR_SET_CHILD_SUBREAPER", errno);

    Spawner spawner;
    WorkDir work(opt.work);
    std::vector<Runtime> runtimes;
    sys::Fd hidden_unified;
    for (const auto& spec : opt.runtimes) {
        Runtime rt = find_runtime(spec, DKR_BINARY);
        rt.root = sys::join(work.path(), "root-" + rt.name);
        if (rt.path.substr(rt.path.rfind('/') + 1) == "crun" && hybrid_cgroups()) {
            if (!hidden_unified) hidden_unified = mount_ns_without_unified();
            rt.mntns = hidden_unified.get();
            rt.note = "in a private mount namespace where an empty tmpfs covers /sys/fs/cgroup/unified";
        }
        rt.version = runtime_version(spawner, rt);
        rt.has_exec = has_command(spawner, rt, "exec");
        runtimes.push_back(rt);
    }

    std::string rootfs = opt.rootfs.empty() ? make_rootfs(spawner, sys::join(work.path(), "rootfs"))
                                            : sys::absolute_path(opt.rootfs);
    std::string base = opt.config.empty() ? default_config(spawner, runtimes[0], sys::join(work.path(), "spec"))
                                          : sys::read_file(opt.config);
    auto bundle = [&](const std::string& name, const BundleSpec& spec) {
        std::string dir = sys::join(work.path(), "bundle-" + name);
        write_bundle(dir, base, rootfs, spec);
        return dir;
    };

    if (opt.compare) {
        Comparison c = compare_runtimes(spawner, runtimes, bundle("probe", BundleSpec(probe_args())));
        std::cout << (opt.json ? comparison_json(c) : comparison_text(c));
        return c.errors.empty() ? 0 : 1;
    }

    Setup setup;
    setup.runtimes = runtimes;
    setup.rootfs = rootfs;
    setup.work = work.path();
    setup.true_bundle = bundle("true", BundleSpec({"/bin/true"}));
    setup.sleep_bundle = bundle("sleep", BundleSpec({"/bin/sleep", "1000000"}));
    std::string seccomp_from = opt.seccomp.empty() ? std::string(DKR_SOURCE_DIR) + "/bundles/seccomp/config.json" : opt.seccomp;
    if (!opt.no_seccomp) setup.seccomp_bundle = bundle("seccomp", BundleSpec({"/bin/true"}, seccomp_of(seccomp_from)));
    setup.floors = make_floors(namespace_types(base), rootfs);
    setup.iterations = opt.iterations;
    setup.many = opt.many;
    setup.quiet = opt.quiet;

    RunInfo info;
    info.command = command_line;
    info.kernel = kernel_release();
    info.started = now_utc();
    info.runtimes = runtimes;
    info.rootfs = rootfs;
    info.seccomp_profile = opt.no_seccomp ? "skipped" : seccomp_from;
    info.iterations = opt.iterations;
    info.many = opt.many;

    for (const auto& f : setup.floors) info.floors.push_back({f.name, f.description});

    Results results = measure(spawner, setup);

    std::vector<Target> targets = check_targets(results, info);
    std::cout << (opt.json ? report_json(results, info, targets) : report_table(results, info, targets));
    if (opt.check)
        for (const auto& t : targets)
            if (t.verdict == Verdict::Fail) return 2;
    return 0;
}

}  // namespace
}  // namespace dkr::bench

int main(int argc, char** argv) {
    using namespace dkr::bench;
    Options opt;
    po::options_description desc("Options");
    desc.add_options()
        ("runtime,r", po::value<std::vector<std::string>>(&opt.runtimes),
         "NAME or NAME=PATH, repeatable; the first is the reference (default: dkr crun runc; dkr is the one built "
         "with this tool, other names are looked up in PATH)")
        ("iterations,n", po::value<int>(&opt.iterations)->default_value(50), "samples per figure and runtime")
        ("many", po::value<int>(&opt.many)->default_value(100), "containers present for the second state/list figures")
        ("rootfs", po::value<std::string>(&opt.rootfs), "root filesystem (default: a busybox one from tools/mkrootfs.sh)")
        ("config", po::value<std::string>(&opt.config), "base config.json (default: the first runtime's `spec`)")
        ("seccomp", po::value<std::string>(&opt.seccomp),
         "config.json whose linux.seccomp the seccomp case uses (default: bundles/seccomp/config.json)")
        ("no-seccomp", po::bool_switch(&opt.no_seccomp), "skip the seccomp case")
        ("work", po::value<std::string>(&opt.work), "scratch directory, kept (default: a new one under /run, removed)")
        ("json", po::bool_switch(&opt.json), "print JSON instead of a table")
        ("compare", po::bool_switch(&opt.compare), "the comparison exercise: diff what the container sees")
        ("check", po::bool_switch(&opt.check), "exit 2 when a target is missed")
        ("quiet,q", po::bool_switch(&opt.quiet), "no progress lines on stderr")
        ("help,h", "show this help");
    std::string command_line = "dkr-bench";
    for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
    try {
        po::variables_map vm;
        po::store(po::parse_command_line(argc, argv, desc), vm);
        po::notify(vm);
        if (vm.count("help")) {
            std::cout << kUsage << desc;
            return 0;
        }
    } catch (const po::error& e) {
        std::cerr << "dkr-bench: " << e.what() << "\n";
        return 1;
    }
    if (opt.runtimes.empty()) opt.runtimes = {"dkr", "crun", "runc"};

    // Ctrl-C stops at the next run and cleans up instead of killing the tool
    // with containers left behind.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &stop, nullptr);
    try {
        return run(opt, command_line);
    } catch (const std::exception& e) {
        std::cerr << "dkr-bench: " << e.what() << "\n";
        return 1;
    }
}
