#include "spec/sysctl.hpp"

#include <algorithm>

namespace dkr::spec {
namespace {

// The kernel.* sysctls of the IPC namespace (fs.mqueue.* are too).
constexpr std::string_view kIpcKernel[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                           "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced"};

}  // namespace

std::string_view sysctl_namespace(std::string_view key) {
    if (std::ranges::find(kIpcKernel, key) != std::end(kIpcKernel) || key.starts_with("fs.mqueue.")) return "ipc";
    if (key.starts_with("net.")) return "network";
    if (key == "kernel.domainname") return "uts";
    return "";
}

}  // namespace dkr::spec
