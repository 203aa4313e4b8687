#include "runtime/state.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <ctime>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr {

const char* status_name(Status s) {
    switch (s) {
        case Status::Creating: return "creating";
        case Status::Created: return "created";
        case Status::Running: return "running";
        case Status::Paused: return "paused";
        case Status::Stopped: return "stopped";
    }
    return "unknown";
}

std::string rfc3339_now() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(buf, n);
    if (ts.tv_nsec != 0) {
        char frac[16];
        snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        std::string f = frac;
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    return out + "Z";
}

void check_container_id(const std::string& id) {
    bool ok = !id.empty() && id != "." && id != ".." && id != kCacheDir && id.size() <= 1024;
    for (char c : id) {
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '+' || c == '-' || c == '.';
        if (!word) ok = false;
    }
    if (!ok) throw Error("invalid container id format: " + id);
}

namespace {

template <typename Writer>
void write_string_map(Writer& w, const char* key, const std::map<std::string, std::string>& m) {
    w.Key(key);
    w.StartObject();
    for (const auto& [k, v] : m) {
        w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
        w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndObject();
}

template <typename Writer>
void write_str(Writer& w, const char* key, const std::string& v) {
    w.Key(key);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
}

template <typename Writer>
void write_oci_state(Writer& w, const OciState& o) {
    const ContainerState& s = *o.state;
    bool stopped = o.status == Status::Stopped;
    w.StartObject();
    write_str(w, "ociVersion", kOciVersion);
    write_str(w, "id", s.id);
    w.Key("pid");
    w.Int(stopped ? 0 : s.pid);
    write_str(w, "status", status_name(o.status));
    write_str(w, "bundle", s.bundle);
    write_str(w, "rootfs", s.rootfs);
    write_str(w, "created", s.created);
    write_str(w, "owner", o.owner);
    if (!s.annotations.empty()) write_string_map(w, "annotations", s.annotations);
    w.EndObject();
}

const rapidjson::Value& member(const rapidjson::Value& obj, const char* key, const std::string& path) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd()) throw Error(path + ": corrupt state: missing \"" + key + "\"");
    return it->value;
}

std::string get_string(const rapidjson::Value& obj, const char* key, const std::string& path) {
    const auto& v = member(obj, key, path);
    if (!v.IsString()) throw Error(path + ": corrupt state: \"" + key + "\" is not a string");
    return std::string(v.GetString(), v.GetStringLength());
}

uint64_t get_uint(const rapidjson::Value& obj, const char* key, const std::string& path) {
    const auto& v = member(obj, key, path);
    if (!v.IsUint64()) throw Error(path + ": corrupt state: \"" + key + "\" is not a number");
    return v.GetUint64();
}

bool get_bool(const rapidjson::Value& obj, const char* key, const std::string& path) {
    const auto& v = member(obj, key, path);
    if (!v.IsBool()) throw Error(path + ": corrupt state: \"" + key + "\" is not a boolean");
    return v.GetBool();
}

// Config parts kept verbatim (as JSON text), or null when the config has none.
template <typename Writer>
void write_raw_object(Writer& w, const char* key, const std::string& json) {
    w.Key(key);
    if (json.empty())
        w.Null();
    else
        w.RawValue(json.c_str(), json.size(), rapidjson::kObjectType);
}

std::string get_raw_object(const rapidjson::Value& obj, const char* key, const std::string& path) {
    const auto& v = member(obj, key, path);
    if (v.IsNull()) return {};
    if (!v.IsObject()) throw Error(path + ": corrupt state: \"" + key + "\" is not an object");
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string state_to_json(const ContainerState& s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    write_str(w, "id", s.id);
    w.Key("pid");
    w.Int(s.pid);
    w.Key("pid_start_time");
    w.Uint64(s.pid_start_time);
    write_str(w, "bundle", s.bundle);
    write_str(w, "rootfs", s.rootfs);
    write_str(w, "created", s.created);
    write_str(w, "cgroup_path", s.cgroup_path);
    write_string_map(w, "annotations", s.annotations);
    write_raw_object(w, "hooks", s.hooks_json);
    write_raw_object(w, "process", s.process_json);
    w.Key("seccomp");
    if (s.seccomp) {
        w.StartObject();
        w.Key("flags");
        w.StartArray();
        for (const auto& f : s.seccomp->flags) w.String(f.c_str(), static_cast<rapidjson::SizeType>(f.size()));
        w.EndArray();
        w.Key("notify");
        w.Bool(s.seccomp->notify);
        write_str(w, "listener_path", s.seccomp->listener_path);
        write_str(w, "listener_metadata", s.seccomp->listener_metadata);
        w.EndObject();
    } else {
        w.Null();
    }
    w.Key("no_new_keyring");
    w.Bool(s.no_new_keyring);
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
}

ContainerState state_from_json(const std::string& json, const std::string& path) {
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    if (doc.HasParseError())
        throw Error(path + ": corrupt state: " + rapidjson::GetParseError_En(doc.GetParseError()));
    if (!doc.IsObject()) throw Error(path + ": corrupt state: not a JSON object");
    ContainerState s;
    s.id = get_string(doc, "id", path);
    uint64_t pid = get_uint(doc, "pid", path);
    if (pid > 0x7fffffff) throw Error(path + ": corrupt state: pid out of range");
    s.pid = static_cast<pid_t>(pid);
    s.pid_start_time = get_uint(doc, "pid_start_time", path);
    s.bundle = get_string(doc, "bundle", path);
    s.rootfs = get_string(doc, "rootfs", path);
    s.created = get_string(doc, "created", path);
    s.cgroup_path = get_string(doc, "cgroup_path", path);
    const auto& ann = member(doc, "annotations", path);
    if (!ann.IsObject()) throw Error(path + ": corrupt state: \"annotations\" is not an object");
    for (const auto& m : ann.GetObject()) {
        if (!m.value.IsString()) throw Error(path + ": corrupt state: annotation is not a string");
        s.annotations.emplace(m.name.GetString(), m.value.GetString());
    }
    s.hooks_json = get_raw_object(doc, "hooks", path);
    s.process_json = get_raw_object(doc, "process", path);
    const auto& seccomp = member(doc, "seccomp", path);
    if (seccomp.IsObject()) {
        SeccompRecord& r = s.seccomp.emplace();
        const auto& flags = member(seccomp, "flags", path);
        if (!flags.IsArray()) throw Error(path + ": corrupt state: \"seccomp.flags\" is not an array");
        for (const auto& f : flags.GetArray()) {
            if (!f.IsString()) throw Error(path + ": corrupt state: a seccomp flag is not a string");
            r.flags.emplace_back(f.GetString(), f.GetStringLength());
        }
        r.notify = get_bool(seccomp, "notify", path);
        r.listener_path = get_string(seccomp, "listener_path", path);
        r.listener_metadata = get_string(seccomp, "listener_metadata", path);
    } else if (!seccomp.IsNull()) {
        throw Error(path + ": corrupt state: \"seccomp\" is not an object");
    }
    s.no_new_keyring = get_bool(doc, "no_new_keyring", path);
    return s;
}

std::string oci_state_json(const OciState& s, bool pretty) {
    rapidjson::StringBuffer buf;
    if (pretty) {
        rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
        w.SetIndent(' ', 2);
        write_oci_state(w, s);
    } else {
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        write_oci_state(w, s);
    }
    return std::string(buf.GetString(), buf.GetSize());
}

std::string oci_state_list_json(const std::vector<OciState>& all) {
    if (all.empty()) return "null";  // what runc prints for no containers
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const auto& s : all) write_oci_state(w, s);
    w.EndArray();
    return std::string(buf.GetString(), buf.GetSize());
}

ContainerDir ContainerDir::open(const std::string& root, const std::string& id) {
    check_container_id(id);
    std::string path = sys::join(root, id);
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) throw Error("container does not exist", ENOENT);
        throw sys_error("open", path, errno);
    }
    return ContainerDir(path, sys::Fd(fd));
}

ContainerDir ContainerDir::create(const std::string& root, const std::string& id) {
    check_container_id(id);
    if (::mkdir(root.c_str(), 0711) < 0 && errno != EEXIST) {
        if (errno != ENOENT) throw sys_error("mkdir", root, errno);
        sys::mkdir_all(root, 0711);
    }
    std::string path = sys::join(root, id);
    if (::mkdir(path.c_str(), 0711) < 0) {
        if (errno == EEXIST) throw Error("container with id exists: " + id, EEXIST);
        throw sys_error("mkdir", path, errno);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        ::rmdir(path.c_str());
        throw sys_error("open", path, err);
    }
    return ContainerDir(path, sys::Fd(fd));
}

void ContainerDir::lock() {
    while (::flock(fd_.get(), LOCK_EX) < 0)
        if (errno != EINTR) throw sys_error("lock", path_, errno);
    // The previous holder may have deleted the container, and a create may
    // have made another under the same id since: only the directory still
    // at the path is the container.
    struct stat ours, at_path;
    if (::fstat(fd_.get(), &ours) < 0) throw sys_error("stat", path_, errno);
    if (::stat(path_.c_str(), &at_path) < 0 || ours.st_dev != at_path.st_dev || ours.st_ino != at_path.st_ino)
        throw Error("container does not exist", ENOENT);
}

bool ContainerDir::try_lock_shared() {
    if (::flock(fd_.get(), LOCK_SH | LOCK_NB) == 0) return true;
    if (errno == EWOULDBLOCK) return false;
    throw sys_error("lock", path_, errno);
}

ContainerState ContainerDir::read_state() const {
    std::string file = sys::join(path_, kStateFile);
    sys::Fd fd;
    try {
        fd = sys::open_at(fd_.get(), kStateFile, O_RDONLY);
    } catch (const Error& e) {
        if (e.code() == ENOENT) throw Error(file + ": corrupt state: file is missing", ENOENT);
        throw;
    }
    return state_from_json(sys::read_fd(fd.get()), file);
}

void ContainerDir::write_state(const ContainerState& s) const {
    sys::write_file_atomic(sys::join(path_, kStateFile), state_to_json(s));
}

void ContainerDir::write_cgroup_record(const std::string& cgroup_path) const {
    if (cgroup_path.empty()) return;  // no cgroup, nothing to record
    if (::symlinkat(cgroup_path.c_str(), fd_.get(), kCgroupRecord) < 0)
        throw sys_error("symlink", sys::join(path_, kCgroupRecord), errno);
}

std::optional<std::string> ContainerDir::read_cgroup_record() const {
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(fd_.get(), kCgroupRecord, buf, sizeof buf);
    if (n < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw sys_error("readlink", sys::join(path_, kCgroupRecord), errno);
    }
    if (static_cast<size_t>(n) == sizeof buf) throw Error(sys::join(path_, kCgroupRecord) + ": target too long");
    return std::string(buf, static_cast<size_t>(n));
}

bool ContainerDir::fifo_exists() const {
    struct stat st;
    return ::fstatat(fd_.get(), kExecFifo, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

void ContainerDir::remove() { sys::remove_all(path_); }

std::vector<std::string> list_container_ids(const std::string& root) {
    std::vector<std::string> ids;
    DIR* dir = ::opendir(root.c_str());
    if (!dir) {
        if (errno == ENOENT) return ids;
        throw sys_error("open", root, errno);
    }
    while (struct dirent* ent = ::readdir(dir)) {
        std::string name = ent->d_name;
        if (name == "." || name == ".." || name == kCacheDir) continue;
        if (ent->d_type != DT_DIR && ent->d_type != DT_UNKNOWN) continue;
        ids.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace dkr
