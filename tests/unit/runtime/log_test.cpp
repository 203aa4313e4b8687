#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "runtime/log.hpp"

using dkr::LogFormat;
using dkr::LogLevel;
using dkr::Logger;

TEST(Log, TextMatchesLogrus) {
    EXPECT_EQ(Logger::format_line(LogLevel::Error, "container does not exist", LogFormat::Text, "2026-11-29T05:37:57Z"),
              "time=\"2026-11-29T05:37:57Z\" level=error msg=\"container does not exist\"");
    EXPECT_EQ(Logger::format_line(LogLevel::Warning, "a \"q\"\nb", LogFormat::Text, "2026-11-29T05:37:57Z"),
              "time=\"2026-11-29T05:37:57Z\" level=warning msg=\"a \\\"q\\\"\\nb\"");
}

TEST(Log, TextQuotesOnlyWhatLogrusQuotes) {
    // Letters, digits and -._/@^+ stand bare; anything else is quoted as Go's %q.
    EXPECT_EQ(Logger::format_line(LogLevel::Debug, "started", LogFormat::Text, "T"), "time=T level=debug msg=started");
    EXPECT_EQ(Logger::format_line(LogLevel::Info, "a/b@c^d+e-f.g_h", LogFormat::Text, "T"),
              "time=T level=info msg=a/b@c^d+e-f.g_h");
    EXPECT_EQ(Logger::format_line(LogLevel::Info, "", LogFormat::Text, "T"), "time=T level=info msg=");
    EXPECT_EQ(Logger::format_line(LogLevel::Info, std::string("\x01\x7f\r\t\\"), LogFormat::Text, "T"),
              "time=T level=info msg=\"\\x01\\x7f\\r\\t\\\\\"");
    EXPECT_EQ(Logger::format_line(LogLevel::Info, "déjà vu", LogFormat::Text, "T"), "time=T level=info msg=\"déjà vu\"");
}

TEST(Log, JsonEscapesAsGo) {
    // encoding/json: HTML-safe <>&, \u00XX for other control characters, U+2028/9 escaped.
    EXPECT_EQ(Logger::format_line(LogLevel::Error, "<id> & \"x\"\b\f\u2028", LogFormat::Json, "T"),
              R"({"level":"error","msg":"\u003cid\u003e \u0026 \"x\"\u0008\u000c\u2028","time":"T"})");
}

TEST(Log, JsonMatchesRuncFieldOrderAndParses) {
    std::string line = Logger::format_line(LogLevel::Error, "cannot start an already running container",
                                           LogFormat::Json, "2026-11-29T05:24:39Z");
    EXPECT_EQ(line,
              R"({"level":"error","msg":"cannot start an already running container","time":"2026-11-29T05:24:39Z"})");
    rapidjson::Document d;
    d.Parse(Logger::format_line(LogLevel::Debug, "x\"\n\ty", LogFormat::Json, "T").c_str());
    ASSERT_FALSE(d.HasParseError());
    EXPECT_STREQ(d["msg"].GetString(), "x\"\n\ty");
}
