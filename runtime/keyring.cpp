#include "runtime/keyring.hpp"

#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "runtime/error.hpp"

namespace dkr {
namespace {

constexpr unsigned long kGroupSearch = 0x00080000;  // KEY_GRP_SEARCH

long keyctl(int op, unsigned long a, unsigned long b = 0, unsigned long c = 0) {
    return ::syscall(SYS_keyctl, op, a, b, c, 0UL);
}

}  // namespace

void join_session_keyring(const std::string& container_id, Explainer ex) {
    std::string name = "_ses." + container_id;
    Step step(ex, [&] {
        return StepText{"keyctl(KEYCTL_JOIN_SESSION_KEYRING, \"" + name + "\")",
                        "a session keyring of the container's own, so that it does not see the host's keys"};
    });
    long id = keyctl(KEYCTL_JOIN_SESSION_KEYRING, reinterpret_cast<unsigned long>(name.c_str()));
    if (id < 0) {
        if (errno == ENOSYS) return;
        throw sys_error("join session keyring", name, errno);
    }
    // "type;uid;gid;perm;description": the permissions are the fourth field, in hex.
    char desc[512];
    long n = keyctl(KEYCTL_DESCRIBE, static_cast<unsigned long>(id), reinterpret_cast<unsigned long>(desc),
                    sizeof desc);
    unsigned perm = 0;
    if (n < 0 || std::sscanf(desc, "%*[^;];%*[^;];%*[^;];%x;", &perm) != 1)
        throw sys_error("describe session keyring", name, n < 0 ? errno : EINVAL);
    if (keyctl(KEYCTL_SETPERM, static_cast<unsigned long>(id), perm | kGroupSearch) < 0)
        throw sys_error("set permissions of session keyring", name, errno);
}

}  // namespace dkr
