#include "runtime/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <ctime>


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

// Go's %q for the ASCII range; other bytes are kept as they are (UTF-8 text).
void append_go_quoted(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\v': out += "\\v"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

// logrus's text formatter quotes a value only when it holds anything but
// letters, digits and -._/@^+ (an empty value stays bare).
void append_text_value(std::string& out, std::string_view s) {
    bool plain = std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-._/@^+", c);
    });
    if (plain)
        out += s;
    else
        append_go_quoted(out, s);
}

// A JSON string as Go's encoding/json writes it for logrus: <, > and & as
// \u003c \u003e \u0026 (HTML-safe), control characters other than \n \r \t
// as \u00XX, and U+2028/U+2029 escaped.
void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xa8 || static_cast<unsigned char>(s[i + 2]) == 0xa9)) {
            out += static_cast<unsigned char>(s[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
}

}  // namespace

Logger::Logger(const std::string& path, LogFormat format, bool debug) : format_(format), debug_(debug) {
    if (!path.empty()) file_ = sys::open_file(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

std::string Logger::format_line(LogLevel level, std::string_view msg, LogFormat format,
                                const std::string& time) {
    std::string line;
    if (format == LogFormat::Text) {
        line = "time=";
        append_text_value(line, time);
        line += " level=";
        line += level_name(level);
        line += " msg=";
        append_text_value(line, msg);
        return line;
    }
    // logrus's JSON formatter: the keys sorted, no spaces.
    line = "{\"level\":";
    append_json_string(line, level_name(level));
    line += ",\"msg\":";
    append_json_string(line, msg);
    line += ",\"time\":";
    append_json_string(line, time);
    line += "}";
    return line;
}

void Logger::log(LogLevel level, std::string_view msg) const {
    std::string line = format_line(level, msg, format_, now_seconds()) + "\n";
    int fd = file_.valid() ? file_.get() : STDERR_FILENO;
    // A log write that fails must not turn into a second error.
    ssize_t ignored = ::write(fd, line.data(), line.size());
    (void)ignored;
}

}  // namespace dkr
