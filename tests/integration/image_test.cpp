// `dkr image unpack` and `dkr image pull`, end to end: images built from the
// test rootfs (tools/mkrootfs.sh) by tests/support/image_builder, written as
// OCI layouts, turned into `docker save` archives by skopeo, pushed by skopeo
// into Debian's docker-registry on loopback, pulled back through token
// authentication served by the test, unpacked, and run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/support/image_builder.hpp"

namespace fs = std::filesystem;
using namespace dkr_test;

namespace dkr_it {
namespace {

std::string dkr_binary() { return DKR_BINARY; }

// The app layer on top of the busybox rootfs: a page, a whiteout of
// /etc/hosts and a file that says which architecture the image is for.
Layer app_layer(const std::string& arch) {
  return make_layer({dir("www", 0755, 1000, 1000), file("www/index.html", "hello from an image\n", 0644, 1000, 1000),
                     file("arch", arch + "\n"), whiteout("etc/hosts")},
                    Compression::Gzip);
}

ImageSpec app_spec(const std::string& arch) {
  ImageSpec s;
  s.architecture = arch;
  s.entrypoint = {"/bin/sh", "-c"};
  s.cmd = {"echo \"$GREETING from $(pwd) as $(id -u):$(id -g) on $(cat /arch)\"; cat index.html; "
           "test -e /etc/hosts || echo hosts-whited-out"};
  s.env = {"GREETING=hi"};
  s.working_dir = "/www";
  s.user = "user";
  s.labels = {{"org.example.test", "yes"}};
  return s;
}

const char* kExpectedOutput = "hi from /www as 1000:1000 on amd64\nhello from an image\nhosts-whited-out\n";

std::string tool(const std::string& name) {
  for (const char* d : {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"})
    if (access((d + name).c_str(), X_OK) == 0) return d + name;
  return "";
}

uint16_t free_port() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool port_open(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

class ImageTest : public ContainerTest {
 protected:
  CmdResult host(const std::vector<std::string>& argv) {
    RunOptions o;
    o.with_root = false;
    o.timeout = 120s;
    return Command(argv, "", o).wait();
  }
  CmdResult image(std::vector<std::string> args) {
    args.insert(args.begin(), {dkr_binary(), "image"});
    return host(args);
  }
  // A layout with the test image as "app" (and, when `multi`, a two-platform
  // index as "multi": arm64 first, then amd64).
  std::string make_layout(bool multi = false) {
    std::string dir = test_dir() + "/layout";
    OciLayout layout(dir);
    Layer base = make_layer(entries_of_dir(rootfs_path()), Compression::Gzip);
    std::vector<std::pair<std::string, std::string>> refs = {
        {"app", layout.add_image(app_spec("amd64"), {base, app_layer("amd64")})}};
    if (multi) {
      ImageSpec arm = app_spec("arm64");
      arm.variant = "v8";
      std::string index = layout.add_index({layout.add_image(arm, {base, app_layer("arm64")}, true),
                                            layout.add_image(app_spec("amd64"), {base, app_layer("amd64")}, true)});
      refs.push_back({"multi", index});
    }
    layout.write_index(refs);
    return dir;
  }
  // Unpacks and runs the bundle with the runtime under test; returns its stdout.
  void expect_runs(const std::string& bundle, const std::string& id) {
    CmdResult r = run_cmd({"run", "--bundle", bundle, id});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, kExpectedOutput) << r;
  }
};

TEST_F(ImageTest, UnpacksAnOciLayoutIntoABundleThatRuns) {
  std::string layout = make_layout();
  std::string bundle = test_dir() + "/bundle";
  CmdResult r = image({"unpack", "--ref", "app", layout, bundle});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(r.out, "Applying layer 1/2")) << r;
  EXPECT_TRUE(contains(r.out, "Applying layer 2/2")) << r;

  struct stat st;
  ASSERT_EQ(lstat((bundle + "/rootfs/www/index.html").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  ASSERT_EQ(lstat((bundle + "/rootfs/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(lstat((bundle + "/rootfs/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  auto config = parse_json(read_file(bundle + "/config.json"));
  ASSERT_TRUE(config.IsObject());
  EXPECT_EQ(config["process"]["cwd"].GetString(), std::string("/www"));
  EXPECT_EQ(config["annotations"]["org.example.test"].GetString(), std::string("yes"));
  EXPECT_EQ(dir_listing(bundle).size(), dir_listing(bundle + "/rootfs").size() + 2) << "only rootfs and config.json";

  expect_runs(bundle, "from-layout");

  CmdResult again = image({"unpack", "--ref", "app", layout, bundle});
  EXPECT_CMD_ERROR(again, bundle + "/rootfs exists: remove it first");
}

TEST_F(ImageTest, PicksThisPlatformFromANestedIndex) {
  std::string layout = make_layout(true);
  std::string bundle = test_dir() + "/bundle";
  CmdResult r = image({"unpack", "--ref", "multi", layout, bundle});
  ASSERT_TRUE(r.ok()) << r;
#if defined(__x86_64__)
  EXPECT_EQ(read_file(bundle + "/rootfs/arch"), "amd64\n");
#endif
  CmdResult none = image({"unpack", "--ref", "nope", layout, test_dir() + "/b2"});
  EXPECT_CMD_ERROR(none, "no image named \"nope\" (it has app, multi)");
  CmdResult ambiguous = image({"unpack", layout, test_dir() + "/b2"});
  EXPECT_CMD_ERROR(ambiguous, "choose one with --ref");
  EXPECT_FALSE(fs::exists(test_dir() + "/b2")) << "a failed unpack left its bundle directory";
}

TEST_F(ImageTest, UnpacksDockerSaveAndOciArchives) {
  std::string skopeo = tool("skopeo");
  if (skopeo.empty()) {
    std::cout << "[  SKIPPED ] skopeo is not installed: no docker-archive to read\n";
    GTEST_SKIP() << "skopeo is not installed (tools/setup.sh installs it)";
  }
  std::string layout = make_layout();
  std::string archive = test_dir() + "/saved.tar";
  CmdResult save = host({skopeo, "--insecure-policy", "copy", "oci:" + layout + ":app",
                         "docker-archive:" + archive + ":test/app:v1"});
  ASSERT_TRUE(save.ok()) << save;

  std::string bundle = test_dir() + "/bundle";
  CmdResult r = image({"unpack", archive, bundle});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_FALSE(fs::exists(bundle + "/rootfs/etc/hosts"));
  expect_runs(bundle, "from-docker-save");
  for (auto& e : fs::directory_iterator(bundle))
    EXPECT_TRUE(e.path().filename() == "rootfs" || e.path().filename() == "config.json")
        << "scratch left in the bundle: " << e.path();

  CmdResult wrong = image({"unpack", "--ref", "test/app:v2", archive, test_dir() + "/b2"});
  EXPECT_CMD_ERROR(wrong, "no image tagged \"test/app:v2\"");

  // An OCI layout packed in a tar (skopeo's oci-archive) goes the same way.
  std::string oci_archive = test_dir() + "/layout.tar";
  CmdResult pack = host({skopeo, "--insecure-policy", "copy", "oci:" + layout + ":app", "oci-archive:" + oci_archive + ":app"});
  ASSERT_TRUE(pack.ok()) << pack;
  CmdResult r2 = image({"unpack", oci_archive, test_dir() + "/b3"});
  ASSERT_TRUE(r2.ok()) << r2;
  expect_runs(test_dir() + "/b3", "from-oci-archive");
}

TEST_F(ImageTest, CorruptLayerIsRefusedAndNothingIsLeft) {
  std::string layout = make_layout();
  // Flip a byte of the second layer (the app layer) in place.
  auto index = parse_json(read_file(layout + "/index.json"));
  std::string manifest_digest = index["manifests"][0]["digest"].GetString();
  auto manifest = parse_json(read_file(layout + "/blobs/sha256/" + manifest_digest.substr(7)));
  std::string layer = layout + "/blobs/sha256/" + std::string(manifest["layers"][1]["digest"].GetString()).substr(7);
  std::string data = read_file(layer);
  data[data.size() / 2] ^= 0x20;
  write_file(layer, data);

  std::string bundle = test_dir() + "/bundle";
  CmdResult r = image({"unpack", layout, bundle});
  EXPECT_CMD_ERROR(r, "digest mismatch");
  EXPECT_TRUE(contains(r.message(), "layer 2")) << r;
  EXPECT_FALSE(fs::exists(bundle)) << "a refused image left its bundle behind";

  CmdResult missing = image({"unpack", test_dir() + "/nothing-here", bundle});
  EXPECT_CMD_ERROR(missing, "nothing-here");
  EXPECT_FALSE(fs::exists(bundle));
}

// ---- a registry on loopback, with token authentication ------------------------------

std::string base64(const std::string& data, bool url) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  if (url) {
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The registry's token server: answers GET /token?service=..&scope=.. with
// an RS256 JWT carrying the signing certificate (x5c), for requests with the
// right HTTP Basic credentials.
class TokenServer {
 public:
  TokenServer(const std::string& key_pem, const std::string& cert_pem, std::string user_pass)
      : user_pass_(std::move(user_pass)) {
    BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    key_ = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    std::string body;
    for (auto& line : split_lines(cert_pem))
      if (!line.starts_with("-----")) body += trim(line);
    cert_b64_ = body;
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TokenServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
    EVP_PKEY_free(key_);
  }
  uint16_t port() const { return port_; }
  int tokens_issued() const { return issued_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (poll(&q, 1, 5000) <= 0) break;
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, size_t(n));
      }
      std::string reply = answer(req);
      (void)!write(c, reply.data(), reply.size());
      close(c);
    }
  }

  std::string answer(const std::string& req) {
    std::string auth = "Authorization: Basic " + base64(user_pass_, false);
    if (!contains(req, auth + "\r\n"))
      return "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
             "Connection: close\r\n\r\n{}";
    std::string scope;
    auto s = req.find("scope=");
    if (s != std::string::npos) scope = url_decode(req.substr(s + 6, req.find_first_of("& ", s) - s - 6));
    // scope: repository:NAME:ACTIONS
    auto c1 = scope.find(':'), c2 = scope.rfind(':');
    std::string name = scope.substr(c1 + 1, c2 - c1 - 1), actions = scope.substr(c2 + 1);
    long now = time(nullptr);
    std::string header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + cert_b64_ + "\"]}";
    std::string claims = "{\"iss\":\"dkr-test-issuer\",\"sub\":\"tester\",\"aud\":\"dkr-test-registry\",\"exp\":" +
                         std::to_string(now + 3600) + ",\"nbf\":" + std::to_string(now - 60) +
                         ",\"iat\":" + std::to_string(now) + ",\"jti\":\"" + std::to_string(now) + "-" +
                         std::to_string(issued_) + "\",\"access\":[{\"type\":\"repository\",\"name\":\"" + name +
                         "\",\"actions\":[\"pull\"]}]}";
    std::string signing_input = base64(header, true) + "." + base64(claims, true);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    size_t sig_len = 0;
    EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(md, nullptr, &sig_len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                   signing_input.size());
    std::string sig(sig_len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                   reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
    EVP_MD_CTX_free(md);
    sig.resize(sig_len);
    ++issued_;
    std::string body = "{\"token\":\"" + signing_input + "." + base64(sig, true) + "\"}";
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

  std::string user_pass_, cert_b64_;
  EVP_PKEY* key_ = nullptr;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> issued_{0};
  std::thread thread_;
};

class RegistryTest : public ImageTest {
 protected:
  void SetUp() override {
    ImageTest::SetUp();
    registry_ = tool("docker-registry");
    skopeo_ = tool("skopeo");
    if (registry_.empty() || skopeo_.empty()) {
      std::cout << "[  SKIPPED ] docker-registry or skopeo is not installed\n";
      GTEST_SKIP() << "docker-registry or skopeo is not installed (tools/setup.sh installs them)";
    }
    storage_ = test_dir() + "/registry";
    fs::create_directories(storage_);
  }

  // Starts docker-registry on a free loopback port with `auth` (YAML, may be
  // empty); returns the port once it accepts connections.
  uint16_t start_registry(const std::string& name, const std::string& auth) {
    uint16_t port = free_port();
    std::string config = test_dir() + "/" + name + ".yml";
    write_file(config, "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                       "storage:\n  filesystem:\n    rootdirectory: " + storage_ +
                           "\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n" + auth);
    RunOptions o;
    o.with_root = false;
    o.timeout = 600s;
    registries_.push_back(std::make_unique<Command>(std::vector<std::string>{registry_, "serve", config}, "", o));
    EXPECT_TRUE(wait_until([&] { return port_open(port) || registries_.back()->finished(); }, 60s));
    EXPECT_TRUE(port_open(port)) << name << " registry did not start:" << registries_.back()->wait();
    return port;
  }

  std::string registry_, skopeo_, storage_;
  std::vector<std::unique_ptr<Command>> registries_;
};

TEST_F(RegistryTest, PullsThroughTokenAuthAndRunsTheImage) {
  // Fill a registry without authentication.
  uint16_t open_port = start_registry("open", "");
  std::string layout = make_layout(true);
  std::string repo = "127.0.0.1:" + std::to_string(open_port) + "/test/app";
  CmdResult push = host({skopeo_, "--insecure-policy", "copy", "--all", "--dest-tls-verify=false",
                         "oci:" + layout + ":multi", "docker://" + repo + ":multi"});
  ASSERT_TRUE(push.ok()) << push;

  // Serve the same storage behind token authentication.
  CmdResult keys = host({tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                         "/CN=dkr-test-token", "-keyout", test_dir() + "/key.pem", "-out", test_dir() + "/cert.pem"});
  ASSERT_TRUE(keys.ok()) << keys;
  TokenServer tokens(read_file(test_dir() + "/key.pem"), read_file(test_dir() + "/cert.pem"), "tester:secret");
  uint16_t port = start_registry(
      "token", "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(tokens.port()) +
                   "/token\n    service: dkr-test-registry\n    issuer: dkr-test-issuer\n    rootcertbundle: " +
                   test_dir() + "/cert.pem\n");
  std::string ref = "127.0.0.1:" + std::to_string(port) + "/test/app:multi";
  std::string pulled = test_dir() + "/pulled";

  CmdResult anonymous = image({"pull", "--plain-http", ref, pulled});
  EXPECT_CMD_ERROR(anonymous, "registry token");
  EXPECT_TRUE(contains(anonymous.message(), "--creds")) << anonymous;

  CmdResult pull = image({"pull", "--plain-http", "--creds", "tester:secret", ref, pulled});
  ASSERT_TRUE(pull.ok()) << pull;
  EXPECT_GE(tokens.tokens_issued(), 1);
  EXPECT_TRUE(contains(pull.out, "Manifest list: taking the image for linux/")) << pull;
  EXPECT_TRUE(contains(pull.out, "Copying layer 2/2")) << pull;
  auto index = parse_json(read_file(pulled + "/index.json"));
  ASSERT_TRUE(index.IsObject()) << read_file(pulled + "/index.json");
  EXPECT_EQ(std::string(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"].GetString()),
            "multi");

  // Pulling again fetches nothing new.
  CmdResult again = image({"pull", "--plain-http", "--creds", "tester:secret", ref, pulled});
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_TRUE(contains(again.out, "already present")) << again;

  std::string bundle = test_dir() + "/bundle";
  CmdResult unpack = image({"unpack", "--ref", "multi", pulled, bundle});
  ASSERT_TRUE(unpack.ok()) << unpack;
#if defined(__x86_64__)
  expect_runs(bundle, "pulled");
#endif

  CmdResult unknown = image({"pull", "--plain-http", "--creds", "tester:secret",
                             "127.0.0.1:" + std::to_string(port) + "/test/none:v1", test_dir() + "/p2"});
  EXPECT_CMD_ERROR(unknown, "404");
}

}  // namespace
}  // namespace dkr_it
