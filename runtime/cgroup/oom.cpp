#include "runtime/cgroup/oom.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "runtime/cgroup/cgfs.hpp"
#include "runtime/cgroup/stats.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/fd.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::cgroup {

namespace {

class V1OomWatch final : public OomWatch {
public:
    explicit V1OomWatch(const std::string& dir) : control_(sys::join(dir, "cgroup.event_control")) {
        oom_control_ = sys::open_file(sys::join(dir, "memory.oom_control"), O_RDONLY);
        eventfd_ = sys::Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!eventfd_) throw sys_error("eventfd", "", errno);
        fs::write(dir, "cgroup.event_control",
                  std::to_string(eventfd_.get()) + " " + std::to_string(oom_control_.get()));
    }

    int fd() const override { return eventfd_.get(); }

    News read() override {
        News n;
        uint64_t count = 0;
        ssize_t r;
        do {
            r = ::read(eventfd_.get(), &count, sizeof count);
        } while (r < 0 && errno == EINTR);
        if (r < 0 && errno != EAGAIN) throw sys_error("read", "eventfd of " + control_, errno);
        // The kernel also signals the eventfd when the cgroup is removed.
        if (!fs::exists(control_)) {
            n.gone = true;
            return n;
        }
        if (r == static_cast<ssize_t>(sizeof count)) n.ooms = count;
        return n;
    }

private:
    std::string control_;
    sys::Fd oom_control_, eventfd_;
};

class V2OomWatch final : public OomWatch {
public:
    explicit V2OomWatch(const std::string& dir)
        : memory_events_(sys::join(dir, "memory.events")), cgroup_events_(sys::join(dir, "cgroup.events")) {
        inotify_ = sys::Fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        if (!inotify_) throw sys_error("inotify_init1", "", errno);
        for (const std::string* f : {&memory_events_, &cgroup_events_})
            if (::inotify_add_watch(inotify_.get(), f->c_str(), IN_MODIFY) < 0)
                throw sys_error("inotify_add_watch", *f, errno);
        oom_kills_ = oom_kills().value_or(0);
    }

    int fd() const override { return inotify_.get(); }

    News read() override {
        // The events only wake us: the files say what happened.
        alignas(struct inotify_event) char buf[4096];
        while (::read(inotify_.get(), buf, sizeof buf) > 0) {
        }
        News n;
        auto kills = oom_kills();
        auto events = fs::try_read(cgroup_events_);
        if (!kills || !events || fs::keyed_value(*events, "populated") == "0") n.gone = true;
        if (kills && *kills > oom_kills_) {
            n.ooms = *kills - oom_kills_;
            oom_kills_ = *kills;
        }
        return n;
    }

private:
    std::optional<uint64_t> oom_kills() const {
        auto content = fs::try_read(memory_events_);
        if (!content) return std::nullopt;
        return parse_flat_keyed(*content)["oom_kill"];
    }

    std::string memory_events_, cgroup_events_;
    sys::Fd inotify_;
    uint64_t oom_kills_ = 0;
};

}  // namespace

std::unique_ptr<OomWatch> watch_oom_v1(const std::string& dir) {
    try {
        return std::make_unique<V1OomWatch>(dir);
    } catch (...) {
        rethrow_with("cgroup: watch for OOM in " + dir);
    }
}

std::unique_ptr<OomWatch> watch_oom_v2(const std::string& dir) {
    try {
        return std::make_unique<V2OomWatch>(dir);
    } catch (...) {
        rethrow_with("cgroup: watch for OOM in " + dir);
    }
}

}  // namespace dkr::cgroup
