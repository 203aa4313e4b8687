// A minimal rtnetlink client: the few link, address and route requests that
// container networking needs, each answered by the kernel before the next.
// Replaces forks of iproute2's `ip`: one socket, a handful of messages.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/sys/fd.hpp"

namespace dkr::network {

class Netlink {
public:
    // A NETLINK_ROUTE socket. It stays bound to the network namespace the
    // calling thread is in now, whatever setns(2) happens later: open one
    // before entering a container's namespace to keep acting on the host.
    Netlink();

    // ifindex of the link `name`, or 0 when there is none.
    int link_index(const std::string& name);
    // A new bridge, down and without addresses; EEXIST if the name is taken.
    void create_bridge(const std::string& name);
    // A veth pair: `name` here, up and attached to the bridge with ifindex
    // `master`, and `peer_name` (down) created directly in the network
    // namespace of `peer_netns_fd` (no rename or move afterwards).
    void create_veth(const std::string& name, int master, const std::string& peer_name, int peer_netns_fd);
    // Deletes the link (a veth's peer goes with it); false when there is none.
    bool delete_link(const std::string& name);
    void set_up(int index);
    void add_address(int index, uint32_t address, int prefix);
    void add_default_route(uint32_t gateway, int index);

private:
    class Request;
    // Sends the request and reads the answer to it. A reply carrying an
    // ifinfomsg stores its ifindex in `*index`. Returns 0 or the kernel's errno.
    int transact(Request& req, int* index = nullptr);
    void expect_ok(Request& req, const std::string& what);

    sys::Fd fd_;
    uint32_t seq_ = 0;
};

}  // namespace dkr::network
