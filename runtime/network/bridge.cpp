#include "runtime/network/bridge.hpp"

#include <net/if.h>

#include "runtime/error.hpp"
#include "runtime/network/attach.hpp"
#include "runtime/network/nat.hpp"
#include "runtime/network/netlink.hpp"

namespace dkr::network {

namespace {

Network plan(const Store& store, const NetworkOptions& opts) {
    check_network_name(opts.name);
    Network n;
    n.name = opts.name;
    n.subnet = Subnet::parse(opts.subnet);
    n.gateway = opts.gateway ? parse_ipv4(*opts.gateway) : n.subnet.first_host();
    if (!n.subnet.contains(n.gateway) || n.gateway == n.subnet.base || n.gateway == n.subnet.broadcast())
        throw Error("gateway " + format_ipv4(n.gateway) + " is not a host address of " + n.subnet.str());
    n.bridge = opts.bridge ? *opts.bridge : "dkr-" + opts.name;
    if (n.bridge.empty() || n.bridge.size() >= IFNAMSIZ || n.bridge.find_first_of("/ \t\n:") != std::string::npos)
        throw Error("invalid bridge name \"" + n.bridge + "\": at most " + std::to_string(IFNAMSIZ - 1) +
                    " characters, no '/', ':' or spaces" + (opts.bridge ? "" : " (choose one with --bridge)"));
    n.nat = opts.nat;
    if (store.find(n.name)) throw Error("network \"" + n.name + "\" exists already", EEXIST);
    for (const auto& other : store.all()) {
        if (other.subnet.overlaps(n.subnet))
            throw Error("subnet " + n.subnet.str() + " overlaps " + other.subnet.str() + " of network \"" +
                        other.name + "\"");
        if (other.bridge == n.bridge)
            throw Error("bridge " + n.bridge + " belongs to network \"" + other.name + "\" already");
    }
    return n;
}

}  // namespace

Network create_network(const Store& store, const NetworkOptions& opts) {
    sys::Fd lock = store.lock();
    Network n = plan(store, opts);
    Netlink nl;
    if (nl.link_index(n.bridge) != 0) throw Error("a link named " + n.bridge + " exists already", EEXIST);
    nl.create_bridge(n.bridge);
    try {
        int index = nl.link_index(n.bridge);
        nl.add_address(index, n.gateway, n.subnet.prefix);
        nl.set_up(index);
        if (n.nat) enable_nat(n);
        try {
            store.save(n);
        } catch (...) {
            if (n.nat) disable_nat(n);
            throw;
        }
    } catch (...) {
        nl.delete_link(n.bridge);
        rethrow_with("create network " + n.name);
    }
    return n;
}

void remove_network(const Store& store, const std::string& name, bool force) {
    sys::Fd lock = store.lock();
    Network n = store.load(name);
    Netlink nl;
    drop_stale_attachments(nl, n);
    if (!n.attachments.empty() && !force) {
        std::string ids;
        for (const auto& a : n.attachments) ids += (ids.empty() ? "" : ", ") + a.container;
        throw Error("network \"" + name + "\" has containers attached: " + ids +
                    " (delete them first, or use --force)", EBUSY);
    }
    try {
        for (const auto& a : n.attachments) nl.delete_link(a.host_interface);
        nl.delete_link(n.bridge);
        if (n.nat) disable_nat(n);
        store.remove(name);
    } catch (...) {
        rethrow_with("remove network " + name);
    }
}

}  // namespace dkr::network
