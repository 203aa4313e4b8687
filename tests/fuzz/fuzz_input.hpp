// What the fuzz targets share: turning libFuzzer's bytes into arguments, and
// failing loudly when a property does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace dkr_fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// The input cut at every `sep`: "a\0b" -> {"a", "b"}; "" -> {""}.
inline std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    for (;;) {
        size_t pos = text.find(sep);
        out.emplace_back(text.substr(0, pos));
        if (pos == std::string_view::npos) return out;
        text.remove_prefix(pos + 1);
    }
}

// A property that must hold for every input: libFuzzer reports the abort as a crash.
inline void check(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
}

}  // namespace dkr_fuzz
