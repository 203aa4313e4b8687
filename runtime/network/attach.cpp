#include "runtime/network/attach.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <functional>
#include <thread>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::network {

namespace {

sys::Fd open_netns(pid_t pid) {
    sys::Fd ns = sys::open_file("/proc/" + std::to_string(pid) + "/ns/net", O_RDONLY);
    struct stat theirs, ours;
    if (::fstat(ns.get(), &theirs) < 0) throw sys_error("stat", "network namespace of pid " + std::to_string(pid), errno);
    if (::stat("/proc/self/ns/net", &ours) < 0) throw sys_error("stat", "/proc/self/ns/net", errno);
    if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
        throw Error("the container shares the host's network namespace: give it its own "
                    "(a \"network\" entry without a path in linux.namespaces)");
    return ns;
}

// Runs `fn` on a thread of its own that has joined the network namespace
// `ns` (setns affects only the calling thread), so the caller stays where it is.
void in_netns(int ns, const std::function<void()>& fn) {
    std::exception_ptr failure;
    std::thread t([&] {
        try {
            if (::setns(ns, CLONE_NEWNET) < 0) throw sys_error("setns", "container network namespace", errno);
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    t.join();
    if (failure) std::rethrow_exception(failure);
}

void configure_inside(const Network& n, uint32_t address) {
    Netlink nl;
    nl.set_up(nl.link_index("lo"));
    int eth = nl.link_index(kContainerInterface);
    if (eth == 0) throw Error(std::string(kContainerInterface) + " did not appear in the container");
    nl.add_address(eth, address, n.subnet.prefix);
    nl.set_up(eth);
    nl.add_default_route(n.gateway, eth);
}

}  // namespace

std::string host_interface_name(uint32_t address) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "dkv%08x", address);
    return buf;
}

uint32_t next_free_address(const Network& n) {
    for (uint32_t a = n.subnet.first_host(); a <= n.subnet.last_host(); ++a) {
        if (a == n.gateway) continue;
        bool used = std::any_of(n.attachments.begin(), n.attachments.end(),
                                [a](const Attachment& at) { return at.address == a; });
        if (!used) return a;
    }
    throw Error("network \"" + n.name + "\": no free address left in " + n.subnet.str(), ENOSPC);
}

void drop_stale_attachments(Netlink& host, Network& n) {
    std::erase_if(n.attachments, [&](const Attachment& a) { return host.link_index(a.host_interface) == 0; });
}

Attachment connect(const Store& store, const std::string& name, const std::string& id, pid_t pid) {
    try {
        sys::Fd ns = open_netns(pid);
        Netlink host;
        Attachment at;
        Network n;
        {
            // Allocation and the veth pair under the lock: once the host end
            // exists, drop_stale_attachments in another process keeps the entry.
            sys::Fd lock = store.lock();
            n = store.load(name);
            drop_stale_attachments(host, n);
            if (const Attachment* a = n.find(id))
                throw Error("container is attached already, with address " + format_ipv4(a->address), EEXIST);
            int bridge = host.link_index(n.bridge);
            if (bridge == 0)
                throw Error("bridge " + n.bridge + " does not exist (remove and create the network again)", ENODEV);
            at = {id, next_free_address(n), ""};
            at.host_interface = host_interface_name(at.address);
            host.create_veth(at.host_interface, bridge, kContainerInterface, ns.get());
            n.attachments.push_back(at);
            try {
                store.save(n);
            } catch (...) {
                host.delete_link(at.host_interface);
                throw;
            }
        }
        try {
            in_netns(ns.get(), [&] { configure_inside(n, at.address); });
        } catch (...) {
            disconnect(store, name, id);
            throw;
        }
        return at;
    } catch (...) {
        rethrow_with("connect container " + id + " to network " + name);
    }
}

void disconnect(const Store& store, const std::string& name, const std::string& id) {
    try {
        sys::Fd lock = store.lock();
        auto n = store.find(name);
        if (!n) return;
        const Attachment* a = n->find(id);
        if (!a) return;
        Netlink host;
        host.delete_link(a->host_interface);
        std::erase_if(n->attachments, [&](const Attachment& x) { return x.container == id; });
        store.save(*n);
    } catch (...) {
        rethrow_with("disconnect container " + id + " from network " + name);
    }
}

}  // namespace dkr::network
