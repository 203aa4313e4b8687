// A network's host side: its bridge with the gateway address (and NAT), made
// by `dkr network create` and removed by `dkr network rm`.
#pragma once

#include <optional>
#include <string>

#include "runtime/network/store.hpp"

namespace dkr::network {

struct NetworkOptions {
    std::string name;
    std::string subnet;                  // "10.88.0.0/24"
    std::optional<std::string> gateway;  // default: the subnet's first address
    std::optional<std::string> bridge;   // default: "dkr-NAME" (at most 15 characters)
    bool nat = false;
};

// Checks the options (valid subnet, gateway inside it, no overlap with
// another network's subnet, bridge name free), creates the bridge with the
// gateway address, brings it up, loads NAT rules if asked and records the
// network. Nothing is left behind when a step fails.
Network create_network(const Store& store, const NetworkOptions& opts);

// Removes the bridge, the NAT table and the record. A network that still has
// containers attached is refused unless `force` (their host veth ends are
// deleted too). Attachments whose host interface is gone (the container's
// network namespace died without a poststop hook) do not count.
void remove_network(const Store& store, const std::string& name, bool force);

}  // namespace dkr::network
