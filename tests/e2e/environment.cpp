#include "tests/e2e/environment.hpp"

#include <signal.h>

#include "tests/e2e/process.hpp"

#ifndef DKR_SOURCE_DIR
#error "DKR_SOURCE_DIR must be defined (tests/CMakeLists.txt does)"
#endif

namespace dkr_e2e {

namespace {

E2e* const g_e2e = static_cast<E2e*>(::testing::AddGlobalTestEnvironment(new E2e));

// Makes and keeps the first failure of set-up, rethrown on every later use.
template <class T, class Make>
T& once(std::unique_ptr<T>& made, std::exception_ptr& error, Make make) {
  if (!made && !error) {
    try {
      made = make();
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return *made;
}

}  // namespace

E2e& E2e::get() { return *g_e2e; }

void E2e::SetUp() {
  signal(SIGPIPE, SIG_IGN);
  sandbox_ = std::make_unique<Sandbox>();
  std::string rootfs = sandbox_->path("rootfs");
  Result made = run({DKR_SOURCE_DIR "/tools/mkrootfs.sh", rootfs});
  ASSERT_TRUE(made.ok()) << "making the busybox rootfs failed:" << made;
  rootfs_tar_ = sandbox_->path("rootfs.tar");
  Result tarred = run({"tar", "-C", rootfs, "-cf", rootfs_tar_, "."});
  ASSERT_TRUE(tarred.ok()) << tarred;
}

Podman& E2e::podman() {
  return once(podman_, podman_error_, [&] { return std::make_unique<Podman>(*sandbox_, rootfs_tar_); });
}

Containerd& E2e::containerd() {
  return once(containerd_, containerd_error_, [&] {
    std::string archive = sandbox_->path("busybox-oci.tar");
    podman().save_oci_archive(archive);
    return std::make_unique<Containerd>(*sandbox_, archive);
  });
}

void E2e::TearDown() {
  if (!sandbox_) return;
  std::vector<std::string> problems;
  if (containerd_)
    for (auto& p : containerd_->shut_down()) problems.push_back("shutting containerd down: " + p);
  if (podman_)
    for (auto& p : podman_->shut_down()) problems.push_back("shutting podman down: " + p);
  for (auto& p : sandbox_->kill_leftovers()) problems.push_back(p);
  for (auto& p : sandbox_->host_changes()) problems.push_back("the host changed: " + p);
  for (auto& p : problems) ADD_FAILURE() << p;
}

}  // namespace dkr_e2e
