#include "runtime/network/nat.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

extern char** environ;

namespace dkr::network {

namespace {

// Runs `nft -f -` with `rules` on its stdin; its stderr becomes the error.
void run_nft(const std::string& rules, const std::string& what) {
    int in[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) throw sys_error("pipe", "", errno);
    sys::Fd in_r(in[0]), in_w(in[1]), err_r(err[0]), err_w(err[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, err_w.get(), 2);
    char arg0[] = "nft", arg1[] = "-f", arg2[] = "-";
    char* argv[] = {arg0, arg1, arg2, nullptr};
    pid_t pid;
    int rc = ::posix_spawnp(&pid, "nft", &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT) throw Error(what + ": nft not found: NAT needs Debian's nftables package");
    if (rc != 0) throw sys_error("spawn", "nft", rc);
    in_r.reset();
    err_w.reset();
    // The ruleset is far smaller than a pipe's buffer: nft cannot block us.
    sys::write_all(in_w.get(), rules, "nft stdin");
    in_w.reset();
    std::string errors = sys::read_fd(err_r.get());
    int status;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw sys_error("wait", "nft", errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        while (!errors.empty() && errors.back() == '\n') errors.pop_back();
        for (char& c : errors)
            if (c == '\n') c = ' ';
        throw Error(what + ": nft failed: " + errors);
    }
}

}  // namespace

std::string nat_table(const Network& n) { return "dkr_" + n.name; }

std::string nat_ruleset(const Network& n) {
    std::string subnet = n.subnet.str();
    return "table ip " + nat_table(n) +
           " {\n"
           "\tchain postrouting {\n"
           "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
           "\t\tip saddr " + subnet + " ip daddr != " + subnet + " masquerade\n"
           "\t}\n"
           "}\n";
}

void enable_nat(const Network& n) {
    run_nft(nat_ruleset(n), "network " + n.name + ": set up NAT");
    std::string forward = "/proc/sys/net/ipv4/ip_forward";
    if (sys::read_file(forward) != "1\n") sys::write_file(forward, "1");
}

void disable_nat(const Network& n) {
    // Declaring the table first makes the delete succeed when it is gone already.
    std::string t = nat_table(n);
    run_nft("table ip " + t + "\ndelete table ip " + t + "\n", "network " + n.name + ": remove NAT");
}

}  // namespace dkr::network
