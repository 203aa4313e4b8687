// Log lines in runc's formats (logrus text or JSON), which containerd's shim parses.
#pragma once

#include <string>
#include <string_view>

#include "runtime/sys/fd.hpp"

namespace dkr {

enum class LogLevel { Debug, Info, Warning, Error };
enum class LogFormat { Text, Json };

// Where a command's log lines go: the --log file, else stderr. Owned by the
// CLI and passed down; no global state.
class Logger {
public:
    Logger() = default;
    Logger(const std::string& path, LogFormat format, bool debug);

    void log(LogLevel level, std::string_view msg) const;
    void debug(std::string_view msg) const {
        if (debug_) log(LogLevel::Debug, msg);
    }
    void warn(std::string_view msg) const { log(LogLevel::Warning, msg); }
    bool to_file() const { return file_.valid(); }
    bool debug_enabled() const { return debug_; }

    // One formatted line, without the newline (exposed for tests).
    static std::string format_line(LogLevel level, std::string_view msg, LogFormat format,
                                   const std::string& time);

private:
    sys::Fd file_;
    LogFormat format_ = LogFormat::Text;
    bool debug_ = false;
};

}  // namespace dkr
