// start: release a created container through its exec fifo.
#include "runtime/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "runtime/error.hpp"
#include "runtime/fault.hpp"
#include "runtime/hooks.hpp"
#include "runtime/notify_socket.hpp"
#include "runtime/sys/file.hpp"
#include "runtime/sys/process.hpp"
#include "spec/loader.hpp"

namespace dkr {
namespace {

void unlink_fifo(const ContainerDir& dir) {
    if (::unlinkat(dir.fd(), kExecFifo, 0) < 0 && errno != ENOENT)
        throw sys_error("unlink", sys::join(dir.path(), kExecFifo), errno);
}

}  // namespace

void Runtime::start(const std::string& id) {
    ContainerDir dir = ContainerDir::open(root_, id);
    dir.lock();
    ContainerState s = dir.read_state();
    switch (status_of(dir, s, true)) {
        case Status::Created: break;
        case Status::Stopped: throw Error("cannot start a container that has stopped");
        case Status::Creating: throw Error("cannot start a container in the creating state");
        case Status::Paused: throw Error("cannot start a container in the paused state");
        default: throw Error("cannot start an already running container");
    }
    sys::Fd pidfd = sys::open_pidfd(s.pid);
    if (!pidfd) throw Error("cannot start a container that has stopped");
    // Bound before the program can run, so that its READY cannot be missed.
    std::unique_ptr<NotifySocket> notify;
    if (std::string host = notify_socket_host(); !host.empty()) {
        // As runc, this is an error: the program has no socket to notify on.
        if (!has_notify_socket(dir.path()))
            throw Error("NOTIFY_SOCKET is set but container " + id + " was created without it");
        notify = std::make_unique<NotifySocket>(dir.path(), host);
    }
    // Opening the fifo releases the init: nothing that can fail and leave
    // the container created may come after it.
    DKR_FAULT_POINT("start-before-open");
    auto released = explain_.start();
    sys::Fd fifo = sys::open_at(dir.fd(), kExecFifo, O_RDONLY | O_NONBLOCK);
    // The init writes one byte once it sees us, then execs, which closes its
    // end: EOF after the byte means the program is running. What comes after
    // the byte is the init's error (a startContainer hook failed, say).
    std::string got;
    for (;;) {
        struct pollfd p[2] = {{fifo.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            throw sys_error("poll", kExecFifo, errno);
        }
        if (p[0].revents) {
            char buf[4096];
            ssize_t n = ::read(fifo.get(), buf, sizeof buf);
            if (n > 0 && got.empty()) {
                if (explain_)
                    explain_.done(released, "open(\"" + sys::join(dir.path(), kExecFifo) + "\", O_RDONLY), poll, read",
                                  "opened the exec fifo: the init's open(O_WRONLY), blocked since create, returned and "
                                  "it wrote \"0\"");
                released = explain_.start();
                // The init has its end open, so the name can go. It goes now,
                // not after the exec: should this command die from here on,
                // the container reads as running, never as created.
                unlink_fifo(dir);
                DKR_FAULT_POINT("start-after-release");
            }
            if (n > 0) got.append(buf, static_cast<size_t>(n));
            if (n == 0) break;
            if (n < 0 && errno != EAGAIN && errno != EINTR) throw sys_error("read", kExecFifo, errno);
            continue;
        }
        if (p[1].revents) break;
    }
    if (got.empty()) {
        unlink_fifo(dir);
        throw Error("cannot start a container that has stopped");
    }
    if (got.size() > 1) throw Error(got.substr(1));
    if (explain_)
        explain_.done(released, "unlink(exec.fifo), poll until EOF on the fifo",
                      "the init ran the startContainer hooks and called execve, which closed its close-on-exec end of "
                      "the fifo. The container's program runs");
    log_.debug("container " + id + ": program started");
    run_poststart(s, "");
    if (notify) notify->wait_ready(s.pid, pidfd.get());
}

void Runtime::run_poststart(const ContainerState& s, const std::string& hooks_cwd) {
    if (s.hooks_json.empty()) return;
    spec::Hooks hooks = spec::parse_hooks(s.hooks_json, sys::join(sys::join(root_, s.id), kStateFile));
    run_hooks_warn("poststart", hooks.poststart, hook_state_json({s.id, "running", s.pid, s.bundle, s.annotations}),
                   hooks_cwd, log_);
}

}  // namespace dkr
