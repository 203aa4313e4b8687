#include "runtime/loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr {

void bring_up_loopback() {
    // Any socket of the namespace carries the interface ioctls.
    sys::Fd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) throw sys_error("socket", "AF_INET", errno);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) throw sys_error("get the flags of", "lo", errno);
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) throw sys_error("bring up the loopback interface", "lo", errno);
}

}  // namespace dkr
