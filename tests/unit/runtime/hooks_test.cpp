// Hooks run with the state on stdin, their own args and env, the given
// working directory and a timeout; failures name the hook and say why.
#include "runtime/hooks.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

using namespace dkr;

namespace {

class HooksTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dkr-hooks-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { sys::remove_all(dir_); }

    // An executable shell script in the test dir.
    std::string script(const std::string& name, const std::string& body) {
        std::string path = dir_ + "/" + name;
        std::ofstream(path) << "#!/bin/sh\n" << body;
        ::chmod(path.c_str(), 0755);
        return path;
    }
    std::string read(const std::string& name) {
        std::ifstream in(dir_ + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    std::string dir_;
};

TEST(HookState, OciStateDocument) {
    HookState s{"c1", "creating", 42, "/b", {{"k", "v"}}};
    EXPECT_EQ(hook_state_json(s),
              R"({"ociVersion":"1.0.2-dev","id":"c1","status":"creating","pid":42,"bundle":"/b","annotations":{"k":"v"}})");
    HookState stopped{"c1", "stopped", 0, "/b", {}};
    EXPECT_EQ(hook_state_json(stopped), R"({"ociVersion":"1.0.2-dev","id":"c1","status":"stopped","bundle":"/b"})");
}

TEST_F(HooksTest, StateOnStdinArgsEnvAndCwd) {
    // args[0] is argv[0]: the shell's own command line shows it.
    spec::Hook h;
    h.path = "/bin/sh";
    h.args = {"custom-argv0", "-c",
              "cat > stdin; tr '\\0' ' ' < /proc/$$/cmdline > args; env > env; pwd > cwd", "zero", "one"};
    h.env = {"ONLY=this"};
    run_hooks("prestart", {h}, R"({"id":"c1"})", dir_);
    EXPECT_EQ(read("stdin"), R"({"id":"c1"})");
    EXPECT_EQ(read("args"), "custom-argv0 -c " + h.args[2] + " zero one ");
    // The shell adds PWD (and may add SHLVL); nothing of ours leaks in.
    std::string env = read("env");
    EXPECT_NE(env.find("ONLY=this\n"), std::string::npos) << env;
    EXPECT_EQ(env.find("HOME="), std::string::npos) << env;
    EXPECT_EQ(read("cwd"), dir_ + "\n");
}

TEST_F(HooksTest, NoArgsMeansThePathAsArgv0) {
    spec::Hook h;
    h.path = script("h.sh", "echo \"$0\" > " + dir_ + "/argv0; pwd > " + dir_ + "/cwd\n");
    run_hooks("poststop", {h}, "{}", "");
    EXPECT_EQ(read("argv0"), h.path + "\n");
    char cwd[4096];
    ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
    EXPECT_EQ(read("cwd"), std::string(cwd) + "\n") << "\"\" keeps our working directory";
}

TEST_F(HooksTest, FailureNamesTheHookAndShowsItsOutput) {
    spec::Hook ok, bad, never;
    ok.path = script("ok.sh", "exit 0\n");
    bad.path = script("bad.sh", "echo out; echo err >&2; exit 3\n");
    never.path = script("never.sh", "touch " + dir_ + "/ran\n");
    try {
        run_hooks("createRuntime", {ok, bad, never}, "{}", dir_);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "error running createRuntime hook #1 (" + bad.path +
                                             "): exit status 3, stdout: out\n, stderr: err\n");
    }
    EXPECT_FALSE(sys::path_exists(dir_ + "/ran")) << "hooks after a failed one must not run";
}

TEST_F(HooksTest, MissingProgram) {
    spec::Hook h;
    h.path = dir_ + "/missing";
    try {
        run_hooks("prestart", {h}, "{}", dir_);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("error running prestart hook #0 (" + h.path + "): exit status 127"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
}

TEST_F(HooksTest, TimeoutKillsTheHook) {
    spec::Hook h;
    h.path = script("slow.sh", "echo $$ > " + dir_ + "/pid; exec sleep 1000\n");
    h.timeout = 1;
    auto start = std::chrono::steady_clock::now();
    try {
        run_hooks("createContainer", {h}, "{}", dir_);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "error running createContainer hook #0 (" + h.path + "): timed out after 1s");
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
    pid_t pid = std::stoi(read("pid"));
    EXPECT_NE(::kill(pid, 0), 0) << "the hook was not killed (and reaped)";
}

TEST_F(HooksTest, ADaemonHoldingStdoutDoesNotBlock) {
    spec::Hook h;
    h.path = script("daemon.sh", "sleep 1000 & echo $! > " + dir_ + "/pid\n");
    run_hooks("poststart", {h}, "{}", dir_);
    ::kill(std::stoi(read("pid")), SIGKILL);
}

TEST_F(HooksTest, WarnVariantRunsEveryHook) {
    spec::Hook bad, after;
    bad.path = script("bad.sh", "exit 1\n");
    after.path = script("after.sh", "touch " + dir_ + "/after\n");
    std::string log = dir_ + "/log";
    Logger logger(log, LogFormat::Text, false);
    run_hooks_warn("poststop", {bad, after}, "{}", dir_, logger);
    EXPECT_TRUE(sys::path_exists(dir_ + "/after"));
    std::string text = read("log");
    EXPECT_NE(text.find("level=warning"), std::string::npos) << text;
    EXPECT_NE(text.find("error running poststop hook #0"), std::string::npos) << text;
}

}  // namespace
