#include "tools/bench/floors.hpp"

#include <sched.h>

#include <utility>

namespace dkr::bench {

std::vector<Floor> make_floors(const std::vector<std::string>& namespaces, const std::string& rootfs) {
    static const std::pair<const char*, std::pair<const char*, int>> kFlags[] = {
        {"pid", {"--pid", CLONE_NEWPID}},     {"network", {"--net", CLONE_NEWNET}},
        {"ipc", {"--ipc", CLONE_NEWIPC}},     {"uts", {"--uts", CLONE_NEWUTS}},
        {"mount", {"--mount", CLONE_NEWNS}},  {"cgroup", {"--cgroup", CLONE_NEWCGROUP}},
        {"user", {"--user", CLONE_NEWUSER}},  {"time", {"--time", CLONE_NEWTIME}},
    };
    std::vector<std::string> options;
    int clone_flags = 0;
    for (const auto& type : namespaces)
        for (const auto& [name, flag] : kFlags)
            if (type == name) {
                options.push_back(flag.first);
                clone_flags |= flag.second;
            }

    std::vector<Floor> out;
    std::string unshare = find_program("unshare");
    if (!unshare.empty()) {
        Command c({unshare});
        c.argv.insert(c.argv.end(), options.begin(), options.end());
        if (clone_flags & CLONE_NEWPID) c.argv.push_back("--fork");
        c.argv.push_back("--root=" + rootfs);
        c.argv.push_back("/bin/true");
        std::string text;
        for (const auto& a : c.argv) text += (text.empty() ? "" : " ") + a;
        out.push_back({kFloorUnshare, text, std::move(c)});
    }
    Command c({"/bin/true"});
    // The mount namespace is needed for the MS_PRIVATE that unshare(1) also does.
    c.ns_flags = clone_flags | CLONE_NEWNS;
    c.chroot = rootfs;
    out.push_back({kFloorClone, "clone(the same CLONE_NEW* flags) + mount(MS_REC|MS_PRIVATE) + chroot + execve /bin/true, in the tool",
                   std::move(c)});
    return out;
}

}  // namespace dkr::bench
