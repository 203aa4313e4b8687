#include <gtest/gtest.h>

#include "runtime/error.hpp"
#include "runtime/image/platform.hpp"
#include "runtime/image/reference.hpp"

using namespace dkr;
using namespace dkr::image;

namespace {

TEST(Reference, NormalizesAsDocker) {
  Reference r = parse_reference("busybox");
  EXPECT_EQ(r.str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(r.api_host(), "registry-1.docker.io");
  EXPECT_EQ(parse_reference("user/app:1.2").str(), "docker.io/user/app:1.2");
  r = parse_reference("127.0.0.1:5000/test/busybox:v1");
  EXPECT_EQ(r.registry, "127.0.0.1:5000");
  EXPECT_EQ(r.repository, "test/busybox");
  EXPECT_EQ(r.tag, "v1");
  EXPECT_EQ(parse_reference("localhost/x").registry, "localhost");
  std::string digest = "sha256:" + std::string(64, 'a');
  r = parse_reference("quay.io/org/img@" + digest);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(parse_reference("quay.io/org/img:t@" + digest).tag, "t");
}

TEST(Reference, RefusesBadNames) {
  EXPECT_THROW(parse_reference("Busybox"), Error);
  EXPECT_THROW(parse_reference("busybox:"), Error);
  EXPECT_THROW(parse_reference("a//b"), Error);
  EXPECT_THROW(parse_reference("busybox@sha256:abc"), Error);
  EXPECT_THROW(parse_reference("127.0.0.1:5000/"), Error);
}

Descriptor manifest_for(const std::string& arch, const std::string& variant = "") {
  Descriptor d;
  d.media_type = media::kOciManifest;
  d.digest = Digest{"sha256", std::string(64, arch[0])};
  d.platform = Platform{"linux", arch, variant};
  return d;
}

TEST(Platform, ChoosesThisMachineFromAnIndex) {
  Index idx{{manifest_for("arm64", "v8"), manifest_for("s390x"), manifest_for("amd64"), manifest_for("arm", "v7")}};
  EXPECT_EQ(choose_manifest(idx, {"linux", "amd64", ""}, "i").digest, idx.manifests[2].digest);
  EXPECT_EQ(choose_manifest(idx, {"linux", "arm64", "v8"}, "i").digest, idx.manifests[0].digest);
  try {
    choose_manifest(idx, {"linux", "riscv64", ""}, "index.json");
    FAIL() << "chose a manifest for an absent platform";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "index.json: no image for linux/riscv64 (it has linux/arm64/v8, linux/s390x, "
                           "linux/amd64, linux/arm/v7)");
  }
  EXPECT_EQ(platform_str(host_platform()).substr(0, 6), "linux/");
}

}  // namespace
