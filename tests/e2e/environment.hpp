// What the end-to-end tests share, made once per test-binary run: the
// sandbox, the busybox image (from tools/mkrootfs.sh's rootfs, as the demo
// uses), and the engines, each set up when a test first needs it and shut
// down at the end. The end also checks that nothing was left behind:
// processes, cgroups, and changes to the host.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <string>

#include "tests/e2e/containerd.hpp"
#include "tests/e2e/podman.hpp"
#include "tests/e2e/sandbox.hpp"

namespace dkr_e2e {

class E2e : public ::testing::Environment {
 public:
  static E2e& get();

  void SetUp() override;
  void TearDown() override;

  const Sandbox& sandbox() const { return *sandbox_; }
  // Set up on first use; throw std::runtime_error (again on each use) if that failed.
  Podman& podman();
  Containerd& containerd();

 private:
  std::unique_ptr<Sandbox> sandbox_;
  std::string rootfs_tar_;
  std::unique_ptr<Podman> podman_;
  std::unique_ptr<Containerd> containerd_;
  std::exception_ptr podman_error_, containerd_error_;
};

}  // namespace dkr_e2e
