#include "runtime/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "runtime/sys/file.hpp"

namespace dkr {
namespace {

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::Debug: return "debug";
        case LogLevel::Info: return "info";
        case LogLevel::Warning: return "warning";
        case LogLevel::Error: return "error";
    }
    return "info";
}

std::string now_seconds() {
    time_t t = time(nullptr);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// logrus quotes a text value when it holds anything but [A-Za-z0-9-._/@^+].
std::string quote_text(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default: out += c;
        }
    }
    return out + "\"";
}

}  // namespace

Logger::Logger(const std::string& path, LogFormat format, bool debug) : format_(format), debug_(debug) {
    if (!path.empty()) file_ = sys::open_file(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

std::string Logger::format_line(LogLevel level, std::string_view msg, LogFormat format,
                                const std::string& time) {
    if (format == LogFormat::Text)
        return "time=\"" + time + "\" level=" + level_name(level) + " msg=" + quote_text(msg);
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    w.Key("level");
    w.String(level_name(level));
    w.Key("msg");
    w.String(msg.data(), static_cast<rapidjson::SizeType>(msg.size()));
    w.Key("time");
    w.String(time.c_str());
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

void Logger::log(LogLevel level, std::string_view msg) const {
    std::string line = format_line(level, msg, format_, now_seconds()) + "\n";
    int fd = file_.valid() ? file_.get() : STDERR_FILENO;
    // A log write that fails must not turn into a second error.
    ssize_t ignored = ::write(fd, line.data(), line.size());
    (void)ignored;
}

}  // namespace dkr
