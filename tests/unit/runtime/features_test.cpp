// `dkr features` claims only what dkr does: each listed name is one the code
// accepts (seccomp through the compiler, mount options through the parser).
#include "runtime/features.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "runtime/error.hpp"
#include "runtime/mount_options.hpp"
#include "runtime/namespaces.hpp"
#include "runtime/security/capabilities.hpp"
#include "runtime/security/seccomp.hpp"

using namespace dkr;

namespace {

class FeaturesTest : public ::testing::Test {
protected:
    void SetUp() override {
        doc_.Parse(features_json().c_str());
        ASSERT_FALSE(doc_.HasParseError());
        ASSERT_TRUE(doc_.IsObject());
    }
    std::vector<std::string> strings(const rapidjson::Value& v, const char* key) {
        std::vector<std::string> out;
        EXPECT_TRUE(v.HasMember(key) && v[key].IsArray()) << key;
        if (!v.HasMember(key) || !v[key].IsArray()) return out;
        for (const auto& s : v[key].GetArray()) out.emplace_back(s.GetString());
        return out;
    }
    const rapidjson::Value& seccomp() { return doc_["linux"]["seccomp"]; }
    rapidjson::Document doc_;
};

spec::Seccomp allow_all() {
    spec::Seccomp p;
    p.default_action = "SCMP_ACT_ALLOW";
    return p;
}

TEST_F(FeaturesTest, SeccompActionsCompile) {
    for (const auto& action : strings(seccomp(), "actions")) {
        spec::Seccomp p = allow_all();
        p.syscalls.push_back({{"getcwd"}, action, std::nullopt, {}});
        EXPECT_NO_THROW(security::compile_filter(p)) << action;
    }
}

TEST_F(FeaturesTest, SeccompOperatorsCompile) {
    for (const auto& op : strings(seccomp(), "operators")) {
        spec::Seccomp p = allow_all();
        p.syscalls.push_back({{"getcwd"}, "SCMP_ACT_ERRNO", std::nullopt, {{1, 4, 4, op}}});
        EXPECT_NO_THROW(security::compile_filter(p)) << op;
    }
}

TEST_F(FeaturesTest, SeccompArchsAndFlagsAreAccepted) {
    for (const auto& arch : strings(seccomp(), "archs")) {
        spec::Seccomp p = allow_all();
        p.architectures = {arch};
        EXPECT_NO_THROW(security::compile_filter(p)) << arch;
    }
    std::vector<std::string> known = strings(seccomp(), "knownFlags");
    EXPECT_NO_THROW(security::seccomp_filter_flags(known));
    for (const auto& f : strings(seccomp(), "supportedFlags"))
        EXPECT_NE(std::find(known.begin(), known.end(), f), known.end()) << f << " supported but not known";
}

TEST_F(FeaturesTest, MountOptionsAreParsedNotPassedAsData) {
    for (const auto& opt : strings(doc_, "mountOptions"))
        EXPECT_EQ(parse_mount_options({opt}).data, "") << opt << " would go to the filesystem as data";
}

TEST_F(FeaturesTest, CapabilitiesAndNamespacesAreKnown) {
    auto caps = strings(doc_["linux"], "capabilities");
    EXPECT_EQ(caps.size(), static_cast<size_t>(security::max_known_cap() + 1));
    for (const auto& c : caps) EXPECT_GE(security::cap_from_name(c), 0) << c;
    for (const auto& ns : strings(doc_["linux"], "namespaces")) EXPECT_NE(namespace_clone_flag(ns), 0) << ns;
}

TEST_F(FeaturesTest, HooksAreTheSpecsSix) {
    EXPECT_EQ(strings(doc_, "hooks"), (std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                                                 "startContainer", "poststart", "poststop"}));
}

}  // namespace
