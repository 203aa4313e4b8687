#include "runtime/network/netlink.hpp"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "runtime/error.hpp"
#include "runtime/network/ipv4.hpp"

namespace dkr::network {

// One netlink message under construction: header, fixed part, attributes
// (nests are patched with their length when closed).
class Netlink::Request {
public:
    Request(uint16_t type, uint16_t flags) : buf_(NLMSG_HDRLEN) {
        nlmsghdr h{};
        h.nlmsg_type = type;
        h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
        std::memcpy(buf_.data(), &h, sizeof h);
    }

    template <class T>
    void put(const T& fixed) {
        append(&fixed, sizeof fixed);
    }
    void attr(uint16_t type, const void* data, size_t len) {
        rtattr a{};
        a.rta_type = type;
        a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
        append(&a, sizeof a);
        append(data, len);
    }
    void attr(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
    void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
    void attr_ipv4(uint16_t type, uint32_t address) {
        uint32_t be = htonl(address);
        attr(type, &be, sizeof be);
    }
    size_t begin_nest(uint16_t type) {
        size_t at = buf_.size();
        attr(type, nullptr, 0);
        return at;
    }
    void end_nest(size_t at) {
        auto len = static_cast<uint16_t>(buf_.size() - at);
        std::memcpy(buf_.data() + at + offsetof(rtattr, rta_len), &len, sizeof len);
    }

    // The finished message with its sequence number.
    const std::vector<char>& finish(uint32_t seq) {
        nlmsghdr h;
        std::memcpy(&h, buf_.data(), sizeof h);
        h.nlmsg_len = static_cast<uint32_t>(buf_.size());
        h.nlmsg_seq = seq;
        std::memcpy(buf_.data(), &h, sizeof h);
        return buf_;
    }

private:
    void append(const void* data, size_t len) {
        size_t at = buf_.size();
        buf_.resize(at + NLMSG_ALIGN(len));
        if (len) std::memcpy(buf_.data() + at, data, len);
    }
    std::vector<char> buf_;
};

namespace {

constexpr uint16_t kCreate = NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

ifinfomsg link_msg(int index = 0, unsigned flags = 0, unsigned change = 0) {
    ifinfomsg m{};
    m.ifi_family = AF_UNSPEC;
    m.ifi_index = index;
    m.ifi_flags = flags;
    m.ifi_change = change;
    return m;
}

}  // namespace

Netlink::Netlink() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw sys_error("socket", "NETLINK_ROUTE", errno);
    fd_.reset(fd);
}

int Netlink::transact(Request& req, int* index) {
    uint32_t seq = ++seq_;
    const std::vector<char>& msg = req.finish(seq);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do {
        n = ::sendto(fd_.get(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw sys_error("send", "netlink request", errno);

    alignas(nlmsghdr) char buf[16384];
    for (;;) {
        n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("recv", "netlink answer", errno);
        int len = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq) continue;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                return -e->error;
            }
            if (h->nlmsg_type == RTM_NEWLINK && index) {
                *index = static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
                return 0;
            }
        }
    }
}

void Netlink::expect_ok(Request& req, const std::string& what) {
    if (int err = transact(req)) throw sys_error("netlink:", what, err);
}

int Netlink::link_index(const std::string& name) {
    Request req(RTM_GETLINK, 0);
    req.put(link_msg());
    req.attr(IFLA_IFNAME, name);
    int index = 0;
    int err = transact(req, &index);
    if (err == ENODEV) return 0;
    if (err) throw sys_error("netlink: look up link", name, err);
    return index;
}

void Netlink::create_bridge(const std::string& name) {
    Request req(RTM_NEWLINK, kCreate);
    req.put(link_msg());
    req.attr(IFLA_IFNAME, name);
    size_t info = req.begin_nest(IFLA_LINKINFO);
    req.attr(IFLA_INFO_KIND, "bridge");
    req.end_nest(info);
    expect_ok(req, "create bridge " + name);
}

void Netlink::create_veth(const std::string& name, int master, const std::string& peer_name, int peer_netns_fd) {
    Request req(RTM_NEWLINK, kCreate);
    req.put(link_msg(0, IFF_UP, IFF_UP));
    req.attr(IFLA_IFNAME, name);
    req.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master));
    size_t info = req.begin_nest(IFLA_LINKINFO);
    req.attr(IFLA_INFO_KIND, "veth");
    size_t data = req.begin_nest(IFLA_INFO_DATA);
    size_t peer = req.begin_nest(VETH_INFO_PEER);
    // The peer comes up later, from inside: the kernel configures it before
    // the pair is joined, when opening it would fail with ENOTCONN.
    req.put(link_msg());
    req.attr(IFLA_IFNAME, peer_name);
    req.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
    req.end_nest(peer);
    req.end_nest(data);
    req.end_nest(info);
    expect_ok(req, "create veth pair " + name + " / " + peer_name);
}

bool Netlink::delete_link(const std::string& name) {
    Request req(RTM_DELLINK, NLM_F_ACK);
    req.put(link_msg());
    req.attr(IFLA_IFNAME, name);
    int err = transact(req);
    if (err == ENODEV) return false;
    if (err) throw sys_error("netlink: delete link", name, err);
    return true;
}

void Netlink::set_up(int index) {
    Request req(RTM_NEWLINK, NLM_F_ACK);
    req.put(link_msg(index, IFF_UP, IFF_UP));
    expect_ok(req, "set link " + std::to_string(index) + " up");
}

void Netlink::add_address(int index, uint32_t address, int prefix) {
    Request req(RTM_NEWADDR, kCreate);
    ifaddrmsg m{};
    m.ifa_family = AF_INET;
    m.ifa_prefixlen = static_cast<unsigned char>(prefix);
    m.ifa_scope = RT_SCOPE_UNIVERSE;
    m.ifa_index = static_cast<uint32_t>(index);
    req.put(m);
    req.attr_ipv4(IFA_LOCAL, address);
    req.attr_ipv4(IFA_ADDRESS, address);
    uint32_t host_bits = prefix == 32 ? 0 : ~uint32_t{0} >> prefix;
    req.attr_ipv4(IFA_BROADCAST, address | host_bits);
    expect_ok(req, "add address " + format_ipv4(address) + "/" + std::to_string(prefix));
}

void Netlink::add_default_route(uint32_t gateway, int index) {
    Request req(RTM_NEWROUTE, kCreate);
    rtmsg m{};
    m.rtm_family = AF_INET;
    m.rtm_table = RT_TABLE_MAIN;
    m.rtm_protocol = RTPROT_BOOT;
    m.rtm_scope = RT_SCOPE_UNIVERSE;
    m.rtm_type = RTN_UNICAST;
    req.put(m);
    req.attr_ipv4(RTA_GATEWAY, gateway);
    req.attr_u32(RTA_OIF, static_cast<uint32_t>(index));
    expect_ok(req, "add default route via " + format_ipv4(gateway));
}

}  // namespace dkr::network
