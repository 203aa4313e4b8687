#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <filesystem>

#include "runtime/error.hpp"
#include "runtime/network/bundle_hooks.hpp"
#include "runtime/sys/file.hpp"
#include "spec/default_spec.hpp"
#include "spec/loader.hpp"

using namespace dkr;

namespace {

class BundleHooksTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dkr-net-bundle-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        config_ = dir_ + "/config.json";
        sys::write_file_atomic(config_, spec::default_config_json());
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string error_of(const std::string& network) {
        try {
            network::attach_bundle(dir_, network, "/usr/bin/dkr", "/run/dkr-network");
        } catch (const Error& e) {
            return e.what();
        }
        return "(attached)";
    }
    std::string dir_, config_;
};

TEST_F(BundleHooksTest, AddsCreateRuntimeAndPoststopHooks) {
    network::attach_bundle(dir_, "web", "/usr/bin/dkr", "/run/dkr-network");
    network::attach_bundle(dir_, "db", "/usr/bin/dkr", "/run/dkr-network");
    spec::Config c = spec::load_config(config_);  // still a valid config
    ASSERT_TRUE(c.hooks);
    ASSERT_EQ(c.hooks->create_runtime.size(), 2u);
    ASSERT_EQ(c.hooks->poststop.size(), 2u);
    EXPECT_EQ(c.hooks->create_runtime[0].path, "/usr/bin/dkr");
    EXPECT_EQ(c.hooks->create_runtime[0].args,
              (std::vector<std::string>{"dkr", "network", "hook", "up", "web", "--state-dir", "/run/dkr-network"}));
    EXPECT_EQ(c.hooks->poststop[1].args,
              (std::vector<std::string>{"dkr", "network", "hook", "down", "db", "--state-dir", "/run/dkr-network"}));
    EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});  // the rest is kept
}

TEST_F(BundleHooksTest, RefusesASecondAttachmentToTheSameNetwork) {
    network::attach_bundle(dir_, "web", "/usr/bin/dkr", "/run/dkr-network");
    std::string before = sys::read_file(config_);
    EXPECT_EQ(error_of("web"), config_ + ": /hooks/createRuntime: attached to network \"web\" already");
    EXPECT_EQ(sys::read_file(config_), before);
}

TEST_F(BundleHooksTest, RefusesTheHostNetworkNamespace) {
    std::string text = spec::default_config_json();
    auto at = text.find("\"type\": \"network\"");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 17, "\"type\": \"network\", \"path\": \"/proc/1/ns/net\"");
    sys::write_file_atomic(config_, text);
    EXPECT_EQ(error_of("web"), config_ +
                                   ": /linux/namespaces: the container must have a network namespace of its own "
                                   "(add {\"type\": \"network\"}) to be attached to a network");
    EXPECT_EQ(sys::read_file(config_), text);
}

TEST_F(BundleHooksTest, NamesBrokenJson) {
    sys::write_file_atomic(config_, "{\"hooks\": [");
    EXPECT_TRUE(error_of("web").starts_with(config_ + ": invalid JSON")) << error_of("web");
}

}  // namespace
