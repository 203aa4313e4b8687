#include "runtime/sys/strings.hpp"

namespace dkr::sys {

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    for (size_t start = 0;;) {
        size_t end = text.find(sep, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    constexpr std::string_view blanks = " \t\n";
    for (size_t start = text.find_first_not_of(blanks); start != std::string_view::npos;) {
        size_t end = text.find_first_of(blanks, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        start = end == std::string_view::npos ? end : text.find_first_not_of(blanks, end);
    }
    return out;
}

}  // namespace dkr::sys
