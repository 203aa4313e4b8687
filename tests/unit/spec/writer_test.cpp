// The process and hooks kept in state.json: written by to_json and read back
// by parse_process / parse_hooks unchanged; bad process files are refused
// with the file and the JSON pointer.
#include "spec/writer.hpp"

#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "spec/loader.hpp"

namespace dkr::spec {
namespace {

using Strings = std::vector<std::string>;

const Config& full() {
    static const Config c = load_config(DKR_SOURCE_DIR "/tests/unit/spec/data/full.json");
    return c;
}

TEST(Writer, ProcessRoundTripsEveryField) {
    const Process& p = *full().process;
    const std::string json = to_json(p);
    const Process back = parse_process(json, "state.json");
    EXPECT_EQ(to_json(back), json);
    EXPECT_EQ(back.args, p.args);
    EXPECT_EQ(back.env, p.env);
    EXPECT_EQ(back.cwd, p.cwd);
    EXPECT_EQ(back.terminal, p.terminal);
    EXPECT_EQ(back.user.uid, p.user.uid);
    EXPECT_EQ(back.user.gid, p.user.gid);
    EXPECT_EQ(back.user.umask, p.user.umask);
    EXPECT_EQ(back.user.additional_gids, p.user.additional_gids);
    ASSERT_TRUE(back.capabilities && p.capabilities);
    EXPECT_EQ(back.capabilities->bounding, p.capabilities->bounding);
    EXPECT_EQ(back.capabilities->ambient, p.capabilities->ambient);
    ASSERT_EQ(back.rlimits.size(), p.rlimits.size());
    for (size_t i = 0; i < p.rlimits.size(); ++i) {
        EXPECT_EQ(back.rlimits[i].type, p.rlimits[i].type);
        EXPECT_EQ(back.rlimits[i].soft, p.rlimits[i].soft);
        EXPECT_EQ(back.rlimits[i].hard, p.rlimits[i].hard);
    }
    EXPECT_EQ(back.no_new_privileges, p.no_new_privileges);
    EXPECT_EQ(back.apparmor_profile, p.apparmor_profile);
    EXPECT_EQ(back.selinux_label, p.selinux_label);
    EXPECT_EQ(back.oom_score_adj, p.oom_score_adj);
    EXPECT_EQ(back.console_size.has_value(), p.console_size.has_value());
    EXPECT_EQ(back.io_priority.has_value(), p.io_priority.has_value());
    EXPECT_EQ(back.scheduler.has_value(), p.scheduler.has_value());
}

TEST(Writer, MinimalProcessStaysMinimal) {
    Process p;
    p.args = {"sh"};
    p.cwd = "/";
    const std::string json = to_json(p);
    EXPECT_EQ(json, R"({"terminal":false,"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/","noNewPrivileges":false})");
    const Process back = parse_process(json, "p.json");
    EXPECT_FALSE(back.capabilities);
    EXPECT_FALSE(back.user.umask);
    EXPECT_TRUE(back.env.empty());
}

TEST(Writer, HooksRoundTrip) {
    const Hooks& h = *full().hooks;
    const std::string json = to_json(h);
    const Hooks back = parse_hooks(json, "state.json");
    EXPECT_EQ(to_json(back), json);
    ASSERT_EQ(back.prestart.size(), 1u);
    EXPECT_EQ(back.prestart[0].path, "/usr/bin/pre");
    EXPECT_EQ(back.prestart[0].args, (Strings{"pre", "-v"}));
    EXPECT_EQ(back.prestart[0].env, Strings{"A=1"});
    EXPECT_EQ(back.prestart[0].timeout, 5);
    EXPECT_EQ(back.poststart.size(), 2u);
    EXPECT_EQ(back.poststop.size(), 1u);
}

void expect_process_error(const std::string& json, const std::string& text) {
    try {
        parse_process(json, "/b/p.json");
        ADD_FAILURE() << "accepted: " << json;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

TEST(ProcessFile, BadProcessesNameTheFileAndPointer) {
    expect_process_error(R"({"args": ["sh"]})", "/b/p.json: /cwd: must be an absolute path");
    expect_process_error(R"({"args": ["sh"], "cwd": "tmp"})", "/b/p.json: /cwd: must be an absolute path");
    expect_process_error(R"({"args": [], "cwd": "/"})", "/b/p.json: /args: must be a non-empty array");
    expect_process_error(R"({"cwd": "/"})", "/b/p.json: /args");
    expect_process_error(R"({"args": "sh", "cwd": "/"})", "/b/p.json: /args: expected type array");
    expect_process_error(R"({"args": ["sh"], "cwd": "/", "user": {"uid": -1}})", "/b/p.json: /user/uid");
    expect_process_error(R"({"args": ["sh"], "cwd": "/", "capabilities": {"bounding": ["CAP_NOPE"]}})",
                         "/b/p.json: /capabilities/bounding/0: unknown capability");
    expect_process_error(R"({"args": ["sh"], "cwd": "/"} x)", "/b/p.json: invalid JSON at line 1");
    expect_process_error(R"([1])", "/b/p.json: /: expected type object");
}

TEST(ProcessFile, MissingFileNamesIt) {
    try {
        load_process("/nonexistent/p.json");
        ADD_FAILURE() << "accepted a missing file";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "/nonexistent/p.json: No such file or directory");
    }
}

}  // namespace
}  // namespace dkr::spec
