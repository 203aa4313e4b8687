// JSON helpers shared by the schema check, the loader and the semantic rules
// (internal to spec/): where in the document an error is, and its wording.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <limits>
#include <ranges>
#include <string>
#include <string_view>

#include "runtime/error.hpp"

namespace dkr::spec {

// A position in the document as a chain of tokens up to the root, rendered
// as a JSON pointer (RFC 6901) only when an error needs it, so that walking a
// valid document allocates nothing. A Location refers to its parent: keep
// every link of a chain in a named variable.
class Location {
public:
    Location() = default;  // the document root
    Location(const Location& parent, std::string_view key) : parent_(&parent), key_(key) {}
    Location(const Location& parent, std::size_t index) : parent_(&parent), index_(index) {}

    std::string pointer() const;  // "" for the root

private:
    static constexpr std::size_t no_index = std::numeric_limits<std::size_t>::max();

    const Location* parent_ = nullptr;
    std::string_view key_;
    std::size_t index_ = no_index;
};

// A JSON string viewing `s`, for member look-ups: given a bare StringRef,
// RapidJSON's FindMember and HasMember take it as a NUL-terminated char*.
inline rapidjson::Value key(std::string_view s) {
    return rapidjson::Value(rapidjson::StringRef(s.data(), s.size()));
}

// "<file>: <pointer>: <what>", with the root pointer shown as "/".
Error config_error(const std::string& file, std::string_view pointer, std::string_view what);
[[noreturn]] inline void fail(const std::string& file, const Location& at, std::string_view what) {
    throw config_error(file, at.pointer(), what);
}

// "null", "boolean", "object", "array", "string", "integer" or "number".
std::string_view type_name(const rapidjson::Value& v);
// Compact JSON text of a value, e.g. for numbers and strings in messages.
std::string to_json(const rapidjson::Value& v);
std::string quoted(std::string_view s);  // as a JSON string literal

// `unknown <noun> <found> (expected one of a, b, c)`; `found` is already quoted.
template <std::ranges::input_range Names>
std::string unknown_value(std::string_view noun, std::string_view found, Names&& expected) {
    std::string msg = "unknown ";
    msg.append(noun).append(" ").append(found).append(" (expected one of ");
    bool first = true;
    for (const auto& name : expected) {
        if (!first) msg += ", ";
        msg += name;
        first = false;
    }
    msg += ')';
    return msg;
}

}  // namespace dkr::spec
