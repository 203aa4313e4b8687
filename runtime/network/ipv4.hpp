// IPv4 addresses and subnets, in host byte order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dkr::network {

// "10.88.0.2" -> address; throws dkr::Error naming the text when it is not a
// dotted quad.
uint32_t parse_ipv4(std::string_view text);
std::string format_ipv4(uint32_t address);

struct Subnet {
    uint32_t base = 0;  // host bits zero
    int prefix = 0;     // 8..30: a bridge address plus at least one container

    // "10.88.0.0/24"; host bits set ("10.88.0.1/24") are an error, as is a
    // prefix outside 8..30.
    static Subnet parse(std::string_view cidr);
    std::string str() const;

    uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
    uint32_t broadcast() const { return base | ~mask(); }
    bool contains(uint32_t address) const { return (address & mask()) == base; }
    bool overlaps(const Subnet& o) const { return contains(o.base) || o.contains(base); }
    // Usable host addresses: base+1 .. broadcast-1.
    uint32_t first_host() const { return base + 1; }
    uint32_t last_host() const { return broadcast() - 1; }
};

}  // namespace dkr::network
