// A container's side of a network: what the OCI hooks do. At createRuntime
// (`dkr network hook up`) the container gets an address, a veth pair from
// the bridge into its network namespace (eth0 there), loopback up and a
// default route via the gateway; at poststop (`dkr network hook down`) the
// host end is deleted and the address released.
#pragma once

#include <sys/types.h>

#include <string>

#include "runtime/network/netlink.hpp"
#include "runtime/network/store.hpp"

namespace dkr::network {

// The interface name inside the container.
inline constexpr const char* kContainerInterface = "eth0";

// The host end's name: "dkv" and the address in hex ("dkv0a580002" for
// 10.88.0.2). Unique because addresses are, and networks' subnets never overlap.
std::string host_interface_name(uint32_t address);

// The lowest address of the subnet that is neither the gateway nor attached;
// an error naming the network when the subnet is full.
uint32_t next_free_address(const Network& n);

// Forgets attachments whose host interface no longer exists: the kernel
// deletes a veth pair with the network namespace of its peer, so a container
// that died without its poststop hook leaves only this record behind.
void drop_stale_attachments(Netlink& host, Network& n);

// Connects container `id`, whose init is `pid`, to network `name`; returns
// its attachment. Fails, leaving nothing behind, when the container shares
// the caller's network namespace or is attached to the network already.
Attachment connect(const Store& store, const std::string& name, const std::string& id, pid_t pid);

// Deletes the host end of the container's veth pair (if it still exists) and
// releases its address. Nothing attached under `id` is fine: a poststop hook
// also runs for containers whose createRuntime hook failed.
void disconnect(const Store& store, const std::string& name, const std::string& id);

}  // namespace dkr::network
