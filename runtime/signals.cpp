#include "runtime/signals.hpp"

#include <csignal>
#include <charconv>
#include <string>

#include "runtime/error.hpp"

namespace dkr {
namespace {

struct SignalName {
    const char* name;
    int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

bool parse_int(std::string_view s, int& out) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && ptr == s.data() + s.size();
}

bool equal_upper(std::string_view a, std::string_view upper) {
    if (a.size() != upper.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != upper[i]) return false;
    return true;
}

int parse_name(std::string_view name) {
    if (name.size() > 3 && equal_upper(name.substr(0, 3), "SIG")) name.remove_prefix(3);
    for (const auto& s : kSignals)
        if (equal_upper(name, s.name)) return s.number;
    int offset = 0;
    if (name.size() >= 5 && equal_upper(name.substr(0, 5), "RTMIN")) {
        std::string_view rest = name.substr(5);
        if (rest.empty()) return SIGRTMIN;
        if (rest[0] == '+' && parse_int(rest.substr(1), offset) && offset >= 0 && offset <= SIGRTMAX - SIGRTMIN)
            return SIGRTMIN + offset;
    }
    if (name.size() >= 5 && equal_upper(name.substr(0, 5), "RTMAX")) {
        std::string_view rest = name.substr(5);
        if (rest.empty()) return SIGRTMAX;
        if (rest[0] == '-' && parse_int(rest.substr(1), offset) && offset >= 0 && offset <= SIGRTMAX - SIGRTMIN)
            return SIGRTMAX - offset;
    }
    return -1;
}

}  // namespace

int parse_signal(std::string_view text) {
    int number = 0;
    if (parse_int(text, number)) {
        if (number > 0 && number <= SIGRTMAX) return number;
    } else if (int n = parse_name(text); n > 0) {
        return n;
    }
    throw Error("unknown signal \"" + std::string(text) + "\"");
}

}  // namespace dkr
