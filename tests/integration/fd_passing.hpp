// Receiving a message that may carry a file descriptor (SCM_RIGHTS): what
// --console-socket and NOTIFY_SOCKET receivers in the tests do.
#pragma once

#include <sys/socket.h>

#include <cstring>
#include <string>

namespace dkr_it {

// One message from `sock` into `data`; returns the fd that came with it
// (close-on-exec), -1 if none, or -2 when recvmsg failed or saw EOF.
inline int receive_message(int sock, std::string& data) {
  char buf[4096];
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov = {buf, sizeof buf};
  msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return -2;
  data.assign(buf, size_t(n));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

}  // namespace dkr_it
