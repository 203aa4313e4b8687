#include "runtime/network/ipv4.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "runtime/error.hpp"

namespace dkr::network {

uint32_t parse_ipv4(std::string_view text) {
    std::string s(text);
    in_addr a{};
    // inet_pton accepts exactly four decimal parts (no octal, no short forms).
    if (::inet_pton(AF_INET, s.c_str(), &a) != 1) throw Error("invalid IPv4 address \"" + s + "\"");
    return ntohl(a.s_addr);
}

std::string format_ipv4(uint32_t address) {
    in_addr a{htonl(address)};
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

Subnet Subnet::parse(std::string_view cidr) {
    auto fail = [&](const std::string& why) {
        return Error("invalid subnet \"" + std::string(cidr) + "\": " + why);
    };
    size_t slash = cidr.find('/');
    if (slash == std::string_view::npos) throw fail("expected ADDRESS/PREFIX, e.g. 10.88.0.0/24");
    Subnet s;
    try {
        s.base = parse_ipv4(cidr.substr(0, slash));
    } catch (const Error& e) {
        throw fail(e.what());
    }
    std::string_view p = cidr.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), s.prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty()) throw fail("the prefix is not a number");
    if (s.prefix < 8 || s.prefix > 30) throw fail("the prefix must be between 8 and 30");
    if ((s.base & ~s.mask()) != 0)
        throw fail("host bits are set (did you mean " + format_ipv4(s.base & s.mask()) + "/" +
                   std::to_string(s.prefix) + "?)");
    return s;
}

std::string Subnet::str() const { return format_ipv4(base) + "/" + std::to_string(prefix); }

}  // namespace dkr::network
