// Fixtures for the backends on the real cgroupfs: RealV1 drives the v1 (and
// hybrid) hierarchies, RealV2 a cgroup2 mount (on a hybrid host, the
// unified one, as a v2 host without controllers). Each test uses a unique
// top-level name; TearDown removes it from every hierarchy, even after a
// failure (thaw, kill, reap, rmdir). Both skip, saying why, where the host
// lacks what they need.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroup/cgfs.hpp"
#include "runtime/cgroup/host.hpp"
#include "runtime/cgroup/manager.hpp"
#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"
#include "test_util.hpp"

namespace dkr::cgroup {

// What both fixtures share: the test's top-level name, the children it
// spawned, and the clean-up of whatever the test made.
class RealCgroupTest : public ::testing::Test {
protected:
    test::Child& spawn(std::function<int()> action = {}) {
        children_.push_back(std::make_unique<test::Child>(std::move(action)));
        return *children_.back();
    }

    // Thaws, kills, reaps and removes everything under `dirs` (frozen tasks
    // cannot die, so thaw first); a failure to remove fails the test.
    void remove_all(std::vector<std::string> dirs, bool unified) {
        std::sort(dirs.begin(), dirs.end());
        dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
        for (const auto& d : dirs) thaw_tree(d, unified);
        for (const auto& d : dirs)
            if (test::is_dir(d))
                for (pid_t p : fs::procs_recursive(d)) ::kill(p, SIGKILL);
        children_.clear();  // kills and reaps
        for (const auto& d : dirs) {
            try {
                fs::remove_tree(d, unified);
            } catch (const Error& e) {
                ADD_FAILURE() << "cleanup: " << e.what();
            }
            EXPECT_FALSE(test::is_dir(d)) << "left behind: " << d;
        }
    }

    static std::vector<std::string> list_dirs(const std::string& d) {
        std::vector<std::string> out;
        if (DIR* dir = ::opendir(d.c_str())) {
            while (struct dirent* e = ::readdir(dir))
                if (e->d_type == DT_DIR && std::string(e->d_name) != "." && std::string(e->d_name) != "..")
                    out.push_back(d + "/" + e->d_name);
            ::closedir(dir);
        }
        return out;
    }

    Host host_;
    std::string top_;

private:
    static void thaw_tree(const std::string& d, bool unified) {
        if (!test::is_dir(d)) return;
        try {
            if (unified)
                fs::write(d, "cgroup.freeze", "0");
            else if (fs::exists(d + "/freezer.state"))
                fs::write(d, "freezer.state", "THAWED");
        } catch (const Error&) {
        }
        for (const auto& e : list_dirs(d)) thaw_tree(e, unified);
    }

    std::vector<std::unique_ptr<test::Child>> children_;
};

class RealV1 : public RealCgroupTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
        host_ = detect_host();
        if (host_.unified) GTEST_SKIP() << "host is pure cgroup v2: no v1 hierarchies to test";
        if (host_.v1.empty()) GTEST_SKIP() << "no cgroup v1 hierarchies mounted";
        for (const auto& h : host_.v1) {
            test::sweep_stale(h.mountpoint);
            test::sweep_stale(sys::join(h.mountpoint, h.own_relative()));
        }
        if (host_.v2) test::sweep_stale(host_.v2->mountpoint);
        top_ = test::unique_name("v1");
    }

    void TearDown() override {
        if (top_.empty()) return;
        // Everything this test may have made, under the roots or under our own cgroups.
        std::vector<std::string> dirs;
        for (const auto& h : host_.v1) {
            dirs.push_back(sys::join(h.mountpoint, top_));
            dirs.push_back(sys::join(sys::join(h.mountpoint, h.own_relative()), top_));
        }
        if (host_.v2) dirs.push_back(sys::join(host_.v2->mountpoint, top_));
        remove_all(dirs, false);
    }

    std::string dir(const char* controller, const std::string& rel) const {
        const Hierarchy* h = host_.find_v1(controller);
        return h ? sys::join(h->mountpoint, rel) : "";
    }

};

class RealV2 : public RealCgroupTest {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
        Host h = detect_host();
        if (h.unified) {
            host_ = h;
        } else if (h.v2) {
            host_.unified = true;
            host_.v2 = h.v2;
            host_.v2_enable = std::vector<std::string>{};  // do not touch the hybrid root's subtree_control
        } else {
            GTEST_SKIP() << "no cgroup2 mount on this host";
        }
        mount_ = host_.v2->mountpoint;
        test::sweep_stale(mount_);
        top_ = test::unique_name("v2");
    }

    void TearDown() override {
        if (top_.empty()) return;
        std::vector<std::string> dirs = {sys::join(mount_, top_)};
        std::string own = host_.v2->own_relative();
        std::string parent = own.substr(0, own.rfind('/'));
        dirs.push_back(sys::join(sys::join(mount_, parent.empty() ? "/" : parent), top_));
        remove_all(dirs, true);
    }

    // Skips unless the created cgroup has this interface file.
    bool has(const std::unique_ptr<Manager>& m, const char* file) {
        return fs::exists(sys::join(sys::join(mount_, m->path()), file));
    }

    // Why a test needing these controllers cannot run here ("" if it can).
    std::string missing(std::initializer_list<const char*> controllers) const {
        std::string have = test::slurp(mount_ + "/cgroup.controllers");
        for (const char* need : controllers)
            if (have.find(need) == std::string::npos)
                return "the cgroup2 mount at " + mount_ + " offers no " + need +
                       " controller (on a hybrid host it is bound to v1)";
        return "";
    }

    std::string cgroup_line(pid_t pid) {
        std::string all = test::slurp("/proc/" + std::to_string(pid) + "/cgroup");
        size_t pos = all.find("0::");
        return pos == std::string::npos ? "" : test::trimmed(all.substr(pos, all.find('\n', pos) - pos));
    }

    std::string mount_;
};

}  // namespace dkr::cgroup
