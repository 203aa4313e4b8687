// The message of the dkr::Error that f() throws, for tests that compare
// whole error lines.
#pragma once

#include <string>

#include "runtime/error.hpp"

namespace dkr::test {

template <typename F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace dkr::test
