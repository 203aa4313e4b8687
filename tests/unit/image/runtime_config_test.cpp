// config.json from an image config, on top of the default spec.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "runtime/error.hpp"
#include "runtime/image/model.hpp"
#include "runtime/image/runtime_config.hpp"
#include "runtime/sys/file.hpp"
#include "spec/loader.hpp"

using namespace dkr;
using namespace dkr::image;
namespace fs = std::filesystem;

namespace {

class RuntimeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dkr-imgcfg-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/etc");
    std::ofstream(dir_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                           "web:x:101:102:web:/srv:/bin/false\n";
    std::ofstream(dir_ + "/etc/group") << "root:x:0:\nweb:x:102:\nwww-data:x:33:web,other\naudio:x:29:web\n";
    root_ = sys::open_file(dir_, O_RDONLY | O_DIRECTORY);
  }
  void TearDown() override { fs::remove_all(dir_); }

  spec::Config convert(const std::string& image_config) {
    ImageConfig c = parse_image_config(image_config, "config.json of the image");
    std::string json = runtime_config(c, root_.get());
    return spec::parse_config(json, "generated config.json");  // must be a valid OCI config
  }
  std::string dir_;
  sys::Fd root_;
};

constexpr const char* kRootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";

TEST_F(RuntimeConfigTest, MapsTheImageConfig) {
  spec::Config c = convert(std::string(R"({"architecture":"amd64","os":"linux","created":"2026-01-02T03:04:05Z",
    "config":{"Entrypoint":["/bin/httpd","-f"],"Cmd":["-p","80"],"Env":["PATH=/opt/bin:/bin","LANG=C.UTF-8"],
    "WorkingDir":"/srv","User":"web","Labels":{"org.example.role":"web"},"ExposedPorts":{"80/tcp":{},"443/tcp":{}},
    "StopSignal":"SIGQUIT"},)") + kRootfs + "}");
  ASSERT_TRUE(c.process);
  EXPECT_EQ(c.process->args, (std::vector<std::string>{"/bin/httpd", "-f", "-p", "80"}));
  EXPECT_EQ(c.process->env, (std::vector<std::string>{"PATH=/opt/bin:/bin", "TERM=xterm", "LANG=C.UTF-8"}));
  EXPECT_EQ(c.process->cwd, "/srv");
  EXPECT_EQ(c.process->user.uid, 101u);
  EXPECT_EQ(c.process->user.gid, 102u);
  EXPECT_EQ(c.process->user.additional_gids, (std::vector<uint32_t>{33, 29}));
  EXPECT_FALSE(c.process->terminal);
  EXPECT_FALSE(c.root->readonly);
  EXPECT_EQ(c.root->path, "rootfs");
  EXPECT_EQ(c.annotations["org.example.role"], "web");
  EXPECT_EQ(c.annotations["org.opencontainers.image.exposedPorts"], "80/tcp,443/tcp");
  EXPECT_EQ(c.annotations["org.opencontainers.image.stopSignal"], "SIGQUIT");
  EXPECT_EQ(c.annotations["org.opencontainers.image.architecture"], "amd64");
  // The rest is the default spec's.
  EXPECT_TRUE(c.linux && c.linux->find_namespace("network"));
  EXPECT_EQ(c.hostname, "runc");
}

TEST_F(RuntimeConfigTest, EmptyImageConfigKeepsTheDefaults) {
  spec::Config c = convert(std::string("{") + kRootfs + "}");
  EXPECT_EQ(c.process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(c.process->cwd, "/");
  EXPECT_EQ(c.process->user.uid, 0u);
  EXPECT_TRUE(c.annotations.empty());
}

TEST_F(RuntimeConfigTest, ResolvesUserForms) {
  auto user = [&](const std::string& u) { return resolve_user(u, root_.get()); };
  EXPECT_EQ(user("101").gid, 102u);
  EXPECT_EQ(user("5000").uid, 5000u);
  EXPECT_EQ(user("5000").gid, 0u);
  EXPECT_EQ(user("web:33").gid, 33u);
  EXPECT_TRUE(user("web:33").additional_gids.empty()) << "an explicit group replaces the supplementary ones";
  EXPECT_EQ(user("web:audio").gid, 29u);
  EXPECT_EQ(user("0:0").uid, 0u);
  try {
    user("nobody");
    FAIL() << "resolved an unknown user";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "image user \"nobody\" is not in the image's /etc/passwd");
  }
  EXPECT_THROW(user("web:nogroup"), Error);
}

TEST(ImageDocuments, ErrorsNameTheDocumentAndPointer) {
  auto error_of = [](auto fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    return "(parsed)";
  };
  EXPECT_EQ(error_of([] { parse_manifest(R"({"config":{"digest":"sha256:00","size":1},"layers":[]})", "m.json"); }),
            "m.json: /config/digest: invalid digest \"sha256:00\" (expected sha256:<64 hex digits>)");
  EXPECT_EQ(error_of([] { parse_manifest(R"({"layers":[]})", "m.json"); }), "m.json: /config: is missing");
  EXPECT_EQ(error_of([] { parse_image_config(R"({"config":{"Cmd":"sh"},"rootfs":{"type":"layers","diff_ids":[]}})",
                                             "c.json"); }),
            "c.json: /config/Cmd: must be an array of strings");
  EXPECT_EQ(error_of([] { parse_index("{", "index.json"); }).substr(0, 27), "index.json: invalid JSON at");
}

}  // namespace
