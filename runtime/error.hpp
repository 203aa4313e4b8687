// Errors that carry context up the stack; the CLI prints them once.
#pragma once

#include <stdexcept>
#include <string>

namespace dkr {

// An error message is built innermost-first; each layer that adds context
// prefixes "what was being done: ". errno, when known, is kept for callers
// that branch on it (EEXIST on create, ESRCH on kill, ...).
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& msg, int err = 0) : std::runtime_error(msg), errno_(err) {}
    int code() const noexcept { return errno_; }

private:
    int errno_;
};

// "op path: strerror(err)" — the shape runc uses for syscall failures.
Error sys_error(const std::string& op, const std::string& path, int err);

// Rethrows the current exception with "context: " in front of its message.
[[noreturn]] void rethrow_with(const std::string& context);

}  // namespace dkr
