#include "runtime/duration.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "runtime/error.hpp"

namespace dkr {

std::chrono::nanoseconds parse_duration(const std::string& s) {
    auto bad = [&] { return Error("invalid duration \"" + s + "\""); };
    std::string_view rest = s;
    bool negative = false;
    if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
        negative = rest[0] == '-';
        rest.remove_prefix(1);
    }
    if (rest == "0") return std::chrono::nanoseconds(0);
    if (rest.empty()) throw bad();
    static const std::pair<std::string_view, double> units[] = {
        {"ns", 1}, {"us", 1e3}, {"\u00b5s", 1e3}, {"\u03bcs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    };
    double total = 0;
    while (!rest.empty()) {
        size_t n = 0;
        while (n < rest.size() && ((rest[n] >= '0' && rest[n] <= '9') || rest[n] == '.')) ++n;
        std::string number(rest.substr(0, n));
        if (number.empty() || number == "." || number.find('.') != number.rfind('.')) throw bad();
        rest.remove_prefix(n);
        size_t u = 0;
        while (u < rest.size() && !(rest[u] >= '0' && rest[u] <= '9') && rest[u] != '.') ++u;
        std::string_view unit = rest.substr(0, u);
        rest.remove_prefix(u);
        const double* scale = nullptr;
        for (const auto& [name, ns] : units)
            if (unit == name) scale = &ns;
        if (!scale) throw bad();
        total += std::stod(number) * *scale;
    }
    if (total > static_cast<double>(std::numeric_limits<int64_t>::max())) throw bad();
    auto ns = std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total)));
    return negative ? -ns : ns;
}

}  // namespace dkr
