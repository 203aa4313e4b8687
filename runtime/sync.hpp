// The message channel between `dkr create` and the container init it cloned:
// a SOCK_SEQPACKET socketpair, so each message arrives whole.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/sys/fd.hpp"

namespace dkr {

enum class SyncMsg : char {
    Go = 'G',        // parent -> init: ids mapped and cgroup joined; set up the container.
                     //   The payload is the init's pid as the host sees it (for hook states).
    Hooks = 'H',     // init -> parent: mounts made; run prestart and createRuntime hooks
    HooksDone = 'D', // parent -> init: they ran; go on
    Ready = 'R',     // init -> parent: set up, about to wait for start
    Error = 'E',     // init -> parent: setup failed; the payload is the message
    Created = 'C',   // parent -> init: state recorded; wait on the exec fifo
    StartNow = 'S',  // parent -> init: `run`: state recorded; exec without waiting
    SeccompFd = 'F', // init -> parent: the seccomp notify fd (SCM_RIGHTS), before Ready
    Eof = '\0',      // the other side closed (exited)
};

std::pair<sys::Fd, sys::Fd> make_sync_pair();
void sync_send(int fd, SyncMsg type, std::string_view payload = {});
// Blocks for the next message; Eof when the peer has gone (after the
// messages it sent before going).
std::pair<SyncMsg, std::string> sync_recv(int fd);
// The same without blocking: nullopt while the peer is there and silent.
std::optional<std::pair<SyncMsg, std::string>> sync_recv_nowait(int fd);

// A message carrying one fd (SCM_RIGHTS).
void sync_send_fd(int sock, SyncMsg type, int fd);
// Like sync_recv; the fd passed with the message, if any, is returned too.
struct SyncMsgWithFd {
    SyncMsg type;
    std::string payload;
    sys::Fd fd;
};
SyncMsgWithFd sync_recv_fd(int sock);
// A child's last word: the error to the parent (Error), or to stderr when
// the parent no longer listens; then _exit(127).
[[noreturn]] void sync_fail(int fd, const char* what) noexcept;

}  // namespace dkr
