// The record of dkr's networks: one JSON file per network under a state
// directory (default /run/dkr-network: bridges do not survive a reboot, and
// neither does /run), with the containers connected to it and their addresses.
// One flock on the directory serializes every change, so concurrent creates
// never hand out the same address.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/network/ipv4.hpp"
#include "runtime/sys/fd.hpp"

namespace dkr::network {

inline constexpr const char* kDefaultStateDir = "/run/dkr-network";

// A container's place on a network.
struct Attachment {
    std::string container;       // the container id from the OCI state
    uint32_t address = 0;
    std::string host_interface;  // the host end of its veth pair
};

struct Network {
    std::string name;
    std::string bridge;
    Subnet subnet;
    uint32_t gateway = 0;  // the bridge's address, the containers' default route
    bool nat = false;      // masquerade traffic from the subnet that leaves it
    std::vector<Attachment> attachments;

    const Attachment* find(const std::string& container) const;
};

// Network names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters.
void check_network_name(const std::string& name);

std::string network_to_json(const Network& n);
// `path` is named in errors about a corrupt file.
Network network_from_json(const std::string& json, const std::string& path);

class Store {
public:
    explicit Store(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }

    // Takes the store's exclusive lock (making the directory if needed);
    // it is held until the returned fd is closed.
    [[nodiscard]] sys::Fd lock() const;

    std::optional<Network> find(const std::string& name) const;
    // As find, but a missing network is an error: `network "NAME" does not exist`.
    Network load(const std::string& name) const;
    void save(const Network& n) const;
    void remove(const std::string& name) const;
    // Every network, sorted by name.
    std::vector<Network> all() const;

private:
    std::string file_of(const std::string& name) const;
    std::string dir_;
};

}  // namespace dkr::network
