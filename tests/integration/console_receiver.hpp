// A recvtty-style receiver for --console-socket: listens on a unix socket,
// takes the pty master a runtime sends with SCM_RIGHTS, and talks to the
// container through it (write a command, read until the output shows up).
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "runtime/sys/fd_passing.hpp"
#include "tests/integration/harness.hpp"

namespace dkr_it {

class ConsoleReceiver {
 public:
  explicit ConsoleReceiver(std::string path) : path_(std::move(path)) {
    listen_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (listen_ < 0 || bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_, 1) != 0)
      ADD_FAILURE() << "console socket " << path_ << ": " << strerror(errno);
  }
  ~ConsoleReceiver() {
    for (int fd : {listen_, master_})
      if (fd >= 0) close(fd);
  }
  ConsoleReceiver(const ConsoleReceiver&) = delete;
  ConsoleReceiver& operator=(const ConsoleReceiver&) = delete;

  const std::string& path() const { return path_; }
  int master() const { return master_; }

  // Accepts the runtime's connection and takes the master it sends; false on timeout.
  bool receive(std::chrono::milliseconds timeout = 30s) {
    pollfd p = {listen_, POLLIN, 0};
    if (poll(&p, 1, int(timeout.count())) != 1) return false;
    int conn = accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return false;
    p = {conn, POLLIN, 0};
    bool got = false;
    if (poll(&p, 1, int(timeout.count())) == 1) {
      char name[256];
      dkr::sys::Fd fd;
      dkr::sys::recv_with_fd(conn, name, sizeof name, fd, "console socket");
      got = fd.valid();
      master_ = fd.release();
    }
    close(conn);
    return got;
  }

  void send(const std::string& text) {
    if (write(master_, text.data(), text.size()) != ssize_t(text.size())) ADD_FAILURE() << "write to the pty master";
  }

  // Reads until `needle` has appeared in all that was read since the last
  // call, or the timeout passes; returns what was read.
  std::string read_until(const std::string& needle, std::chrono::milliseconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!contains(seen_, needle)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p = {master_, POLLIN, 0};
      if (poll(&p, 1, int(left.count())) != 1) break;
      char buf[4096];
      ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) break;
      seen_.append(buf, size_t(n));
    }
    std::string out;
    out.swap(seen_);
    return out;
  }

 private:
  std::string path_;
  int listen_ = -1;
  int master_ = -1;
  std::string seen_;
};

}  // namespace dkr_it
