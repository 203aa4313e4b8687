#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "runtime/log.hpp"

using dkr::LogFormat;
using dkr::LogLevel;
using dkr::Logger;

TEST(Log, TextMatchesLogrus) {
    EXPECT_EQ(Logger::format_line(LogLevel::Error, "container does not exist", LogFormat::Text, "2026-11-29T05:37:57Z"),
              "time=\"2026-11-29T05:37:57Z\" level=error msg=\"container does not exist\"");
    EXPECT_EQ(Logger::format_line(LogLevel::Warning, "a \"q\"\nb", LogFormat::Text, "T"),
              "time=\"T\" level=warning msg=\"a \\\"q\\\"\\nb\"");
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
