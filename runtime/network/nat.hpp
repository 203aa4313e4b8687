// Outbound NAT for a network: an nftables table of dkr's own per network
// (`ip dkr_NAME`) masquerading the subnet's traffic that leaves it. Changed
// only when a network is created or removed, never per container, so
// running Debian's `nft` (package nftables) there costs the hot path nothing.
#pragma once

#include <string>

#include "runtime/network/store.hpp"

namespace dkr::network {

// The nftables ruleset that enable_nat loads (for messages and tests).
std::string nat_ruleset(const Network& n);
std::string nat_table(const Network& n);  // "dkr_NAME"

// Loads the table and turns on IPv4 forwarding (net.ipv4.ip_forward = 1),
// which masqueraded traffic needs; forwarding is left on when the network
// goes, as other users of the host may rely on it by then.
void enable_nat(const Network& n);
// Deletes the table; a missing table is fine.
void disable_nat(const Network& n);

}  // namespace dkr::network
