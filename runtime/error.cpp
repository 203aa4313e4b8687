#include "runtime/error.hpp"

#include <cstring>

namespace dkr {

Error sys_error(const std::string& op, const std::string& path, int err) {
    std::string msg = op;
    if (!path.empty()) msg += " " + path;
    msg += ": ";
    msg += std::strerror(err);
    return Error(msg, err);
}

void rethrow_with(const std::string& context) {
    try {
        throw;
    } catch (const Error& e) {
        throw Error(context + ": " + e.what(), e.code());
    } catch (const std::exception& e) {
        throw Error(context + ": " + e.what());
    }
}

}  // namespace dkr
