#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "runtime/error.hpp"
#include "runtime/state.hpp"
#include "runtime/sys/file.hpp"

using namespace dkr;

namespace {

ContainerState sample() {
    ContainerState s;
    s.id = "c1";
    s.pid = 4242;
    s.pid_start_time = 987654321;
    s.bundle = "/b";
    s.rootfs = "/b/rootfs";
    s.created = "2026-11-29T05:24:38.50109958Z";
    s.cgroup_path = "/dkr/c1";
    s.annotations = {{"k", "v"}};
    s.hooks_json = R"({"poststop":[{"path":"/bin/true"}]})";
    s.process_json = R"({"args":["sh"],"cwd":"/"})";
    s.seccomp = SeccompRecord{{"SECCOMP_FILTER_FLAG_LOG"}, true, "/run/agent.sock", "meta"};
    s.no_new_keyring = true;
    return s;
}

std::vector<std::string> list_dir_entries(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename());
    return out;
}

class TempRoot : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/dkr-state-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { sys::remove_all(root_); }
    std::string root_;
};

}  // namespace

TEST(State, JsonRoundTrip) {
    ContainerState s = sample();
    ContainerState r = state_from_json(state_to_json(s), "state.json");
    EXPECT_EQ(r.id, s.id);
    EXPECT_EQ(r.pid, s.pid);
    EXPECT_EQ(r.pid_start_time, s.pid_start_time);
    EXPECT_EQ(r.bundle, s.bundle);
    EXPECT_EQ(r.rootfs, s.rootfs);
    EXPECT_EQ(r.created, s.created);
    EXPECT_EQ(r.cgroup_path, s.cgroup_path);
    EXPECT_EQ(r.annotations, s.annotations);
    EXPECT_EQ(r.hooks_json, s.hooks_json);
    EXPECT_EQ(r.process_json, s.process_json);
    ASSERT_TRUE(r.seccomp);
    EXPECT_EQ(r.seccomp->flags, s.seccomp->flags);
    EXPECT_TRUE(r.seccomp->notify);
    EXPECT_EQ(r.seccomp->listener_path, "/run/agent.sock");
    EXPECT_EQ(r.seccomp->listener_metadata, "meta");
    EXPECT_TRUE(r.no_new_keyring);
}

TEST(State, AbsentConfigPartsStayAbsent) {
    ContainerState s;
    s.id = "c2";
    ContainerState r = state_from_json(state_to_json(s), "state.json");
    EXPECT_EQ(r.hooks_json, "");
    EXPECT_EQ(r.process_json, "");
    EXPECT_FALSE(r.seccomp);
    EXPECT_FALSE(r.no_new_keyring);
}

TEST(State, CorruptFilesAreReportedAsSuch) {
    std::string full = state_to_json(sample());
    for (const std::string& bad : {std::string(""), full.substr(0, full.size() / 2), std::string("[]"),
                                   std::string(R"({"id":"c1"})"), std::string(R"({"id":1})")}) {
        try {
            state_from_json(bad, "/r/c1/state.json");
            FAIL() << "accepted: " << bad;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("/r/c1/state.json: corrupt state"), std::string::npos) << e.what();
        }
    }
}

TEST(State, OciStateMatchesRuncShape) {
    ContainerState s = sample();
    s.annotations.clear();
    std::string json = oci_state_json({&s, Status::Created, ""}, true);
    EXPECT_EQ(json,
              "{\n"
              "  \"ociVersion\": \"1.0.2-dev\",\n"
              "  \"id\": \"c1\",\n"
              "  \"pid\": 4242,\n"
              "  \"status\": \"created\",\n"
              "  \"bundle\": \"/b\",\n"
              "  \"rootfs\": \"/b/rootfs\",\n"
              "  \"created\": \"2026-11-29T05:24:38.50109958Z\",\n"
              "  \"owner\": \"\"\n"
              "}");
    // A stopped container reports pid 0, as runc does.
    EXPECT_NE(oci_state_json({&s, Status::Stopped, ""}, false).find("\"pid\":0,"), std::string::npos);
}

TEST(State, EmptyListIsNullAsRunc) { EXPECT_EQ(oci_state_list_json({}), "null"); }

TEST(State, Rfc3339NanoFormat) {
    std::string t = rfc3339_now();
    EXPECT_TRUE(std::regex_match(t, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)"))) << t;
    EXPECT_NE(t.substr(t.size() - 2, 1), "0");  // trailing zeros of the fraction trimmed
}

TEST(State, ContainerIds) {
    for (const char* ok : {"a", "c1", "my.container_1+x-y", "..a"}) EXPECT_NO_THROW(check_container_id(ok)) << ok;
    for (const char* bad : {"", ".", "..", "a/b", "a b", "../x", "é", ".cache"}) {
        try {
            check_container_id(bad);
            FAIL() << "accepted " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()), std::string("invalid container id format: ") + bad);
        }
    }
}

TEST_F(TempRoot, CreateIsExclusiveAndOpenFindsIt) {
    ContainerDir d = ContainerDir::create(root_ + "/nested/root", "c1");
    try {
        ContainerDir::create(root_ + "/nested/root", "c1");
        FAIL() << "second create succeeded";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "container with id exists: c1");
    }
    d.write_state(sample());
    ContainerDir again = ContainerDir::open(root_ + "/nested/root", "c1");
    EXPECT_EQ(again.read_state().pid, 4242);
    EXPECT_EQ(list_container_ids(root_ + "/nested/root"), std::vector<std::string>{"c1"});
    again.remove();
    EXPECT_FALSE(sys::path_exists(root_ + "/nested/root/c1"));
}

TEST_F(TempRoot, OpenOfUnknownIdSaysDoesNotExist) {
    try {
        ContainerDir::open(root_, "nope");
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "container does not exist");
    }
    EXPECT_TRUE(list_container_ids(root_ + "/missing").empty());
}

TEST_F(TempRoot, StateWriteIsAtomicAndLeavesNoTempFile) {
    ContainerDir d = ContainerDir::create(root_, "c1");
    d.write_state(sample());
    EXPECT_TRUE(sys::path_exists(root_ + "/c1/state.json"));
    EXPECT_EQ(list_dir_entries(root_ + "/c1"), std::vector<std::string>{"state.json"});
    struct stat st;
    ASSERT_EQ(stat((root_ + "/c1/state.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(TempRoot, MissingStateFileIsCorrupt) {
    ContainerDir d = ContainerDir::create(root_, "c1");
    try {
        d.read_state();
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt state: file is missing"), std::string::npos);
    }
}

TEST_F(TempRoot, SharedLockFailsWhileAnotherHolderHasItExclusive) {
    ContainerDir holder = ContainerDir::create(root_, "c1");
    holder.lock();
    ContainerDir other = ContainerDir::open(root_, "c1");
    EXPECT_FALSE(other.try_lock_shared());
}

TEST_F(TempRoot, CgroupRecordOutlivesACorruptStateFile) {
    ContainerDir d = ContainerDir::create(root_, "c1");
    EXPECT_EQ(d.read_cgroup_record(), std::nullopt);
    const std::string path = "/c1;memory:/user/c1";
    d.write_cgroup_record(path);
    d.write_state(sample());
    sys::write_file_atomic(root_ + "/c1/state.json", "{\"id\":");
    EXPECT_THROW(d.read_state(), Error);
    EXPECT_EQ(d.read_cgroup_record(), path);
}

TEST_F(TempRoot, LockSaysDoesNotExistWhenTheContainerWasReplacedMeanwhile) {
    ContainerDir old = ContainerDir::create(root_, "c1");
    old.remove();
    ContainerDir fresh = ContainerDir::create(root_, "c1");
    try {
        old.lock();
        FAIL() << "locked a deleted container";
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "container does not exist");
        EXPECT_EQ(e.code(), ENOENT);
    }
    fresh.lock();
}

TEST_F(TempRoot, NoCgroupMeansNoRecord) {
    ContainerDir d = ContainerDir::create(root_, "c1");
    d.write_cgroup_record("");
    EXPECT_EQ(d.read_cgroup_record(), std::nullopt);
    EXPECT_TRUE(list_dir_entries(root_ + "/c1").empty());
}
