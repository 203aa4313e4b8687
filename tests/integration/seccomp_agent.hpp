// The agent side of linux.seccomp.listenerPath, for the tests: takes the
// state and the notify fd from each process that loads the container's
// filter (the init, and each exec'd process), and answers every notified
// syscall with one errno.
#pragma once

#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/sys/fd_passing.hpp"
#include "tests/integration/harness.hpp"

namespace dkr_it {

class SeccompAgent {
 public:
  SeccompAgent(const std::string& path, int answer_errno) : answer_errno_(answer_errno) {
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
    EXPECT_EQ(listen(listener_, 4), 0) << strerror(errno);
    accepting_ = std::thread([this] { accept_loop(); });
  }
  ~SeccompAgent() {
    stop_ = true;
    accepting_.join();
    for (auto& t : serving_) t.join();
    close(listener_);
  }
  SeccompAgent(const SeccompAgent&) = delete;
  SeccompAgent& operator=(const SeccompAgent&) = delete;

  // The state JSON that the n-th connection sent; "" if it did not come in time.
  std::string state_json(size_t n = 0) {
    std::unique_lock<std::mutex> lock(mu_);
    got_.wait_for(lock, 60s, [&] { return states_.size() > n; });
    return states_.size() > n ? states_[n] : "";
  }
  int answered() const { return answered_; }

 private:
  static bool readable(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) > 0 && (p.revents & POLLIN);
  }
  void accept_loop() {
    while (!stop_) {
      if (!readable(listener_, 100)) continue;
      int conn = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      char buf[8192];
      dkr::sys::Fd notify_fd;
      size_t n = dkr::sys::recv_with_fd(conn, buf, sizeof buf, notify_fd, "agent socket");
      close(conn);
      {
        std::lock_guard<std::mutex> lock(mu_);
        states_.emplace_back(buf, n);
      }
      got_.notify_all();
      if (notify_fd) serving_.emplace_back([this, fd = notify_fd.release()] { answer(fd); });
    }
  }
  // Answers until the filter's last user is gone (the fd then reports POLLHUP).
  void answer(int fd) {
    while (!stop_) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      if (!(p.revents & POLLIN)) break;
      seccomp_notif req = {};
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) continue;
      seccomp_notif_resp resp = {};
      resp.id = req.id;
      resp.error = -answer_errno_;
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) ++answered_;
    }
    close(fd);
  }

  int answer_errno_;
  int listener_ = -1;
  std::thread accepting_;
  std::vector<std::thread> serving_;  // touched by accepting_ only, until the destructor joins it
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::mutex mu_;
  std::condition_variable got_;
  std::vector<std::string> states_;
};

}  // namespace dkr_it
