#include "runtime/network/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::network {

namespace {

constexpr const char* kLockFile = ".lock";
constexpr const char* kSuffix = ".json";

std::string string_member(const rapidjson::Value& obj, const char* key, const std::string& path) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || !it->value.IsString())
        throw Error(path + ": corrupt network file: \"" + key + "\" is missing or not a string");
    return it->value.GetString();
}

uint32_t address_member(const rapidjson::Value& obj, const char* key, const std::string& path) {
    try {
        return parse_ipv4(string_member(obj, key, path));
    } catch (const Error& e) {
        throw Error(path + ": corrupt network file: \"" + key + "\": " + e.what());
    }
}

}  // namespace

const Attachment* Network::find(const std::string& container) const {
    for (const auto& a : attachments)
        if (a.container == container) return &a;
    return nullptr;
}

void check_network_name(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') ok = false;
    if (!ok)
        throw Error("invalid network name \"" + name +
                    "\": use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 64)");
}

std::string network_to_json(const Network& n) {
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    auto str = [&w](const char* key, const std::string& v) {
        w.Key(key);
        w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartObject();
    str("name", n.name);
    str("bridge", n.bridge);
    str("subnet", n.subnet.str());
    str("gateway", format_ipv4(n.gateway));
    w.Key("nat");
    w.Bool(n.nat);
    w.Key("containers");
    w.StartArray();
    for (const auto& a : n.attachments) {
        w.StartObject();
        str("id", a.container);
        str("address", format_ipv4(a.address));
        str("hostInterface", a.host_interface);
        w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

Network network_from_json(const std::string& json, const std::string& path) {
    rapidjson::Document doc;
    doc.Parse(json.c_str(), json.size());
    if (doc.HasParseError())
        throw Error(path + ": corrupt network file: " + rapidjson::GetParseError_En(doc.GetParseError()));
    if (!doc.IsObject()) throw Error(path + ": corrupt network file: not a JSON object");
    Network n;
    n.name = string_member(doc, "name", path);
    n.bridge = string_member(doc, "bridge", path);
    try {
        n.subnet = Subnet::parse(string_member(doc, "subnet", path));
    } catch (const Error& e) {
        throw Error(path + ": corrupt network file: " + e.what());
    }
    n.gateway = address_member(doc, "gateway", path);
    auto nat = doc.FindMember("nat");
    if (nat == doc.MemberEnd() || !nat->value.IsBool())
        throw Error(path + ": corrupt network file: \"nat\" is missing or not a boolean");
    n.nat = nat->value.GetBool();
    auto list = doc.FindMember("containers");
    if (list == doc.MemberEnd() || !list->value.IsArray())
        throw Error(path + ": corrupt network file: \"containers\" is missing or not an array");
    for (const auto& c : list->value.GetArray()) {
        if (!c.IsObject()) throw Error(path + ": corrupt network file: a container entry is not an object");
        n.attachments.push_back(
            {string_member(c, "id", path), address_member(c, "address", path), string_member(c, "hostInterface", path)});
    }
    return n;
}

std::string Store::file_of(const std::string& name) const {
    check_network_name(name);
    return sys::join(dir_, name + kSuffix);
}

sys::Fd Store::lock() const {
    sys::mkdir_all(dir_, 0700);
    sys::Fd fd = sys::open_file(sys::join(dir_, kLockFile), O_RDWR | O_CREAT, 0600);
    while (::flock(fd.get(), LOCK_EX) < 0)
        if (errno != EINTR) throw sys_error("lock", sys::join(dir_, kLockFile), errno);
    return fd;
}

std::optional<Network> Store::find(const std::string& name) const {
    std::string path = file_of(name);
    std::string text;
    try {
        text = sys::read_file(path);
    } catch (const Error& e) {
        if (e.code() == ENOENT) return std::nullopt;
        throw;
    }
    return network_from_json(text, path);
}

Network Store::load(const std::string& name) const {
    auto n = find(name);
    if (!n) throw Error("network \"" + name + "\" does not exist", ENOENT);
    return *n;
}

void Store::save(const Network& n) const { sys::write_file_atomic(file_of(n.name), network_to_json(n), 0644); }

void Store::remove(const std::string& name) const {
    std::string path = file_of(name);
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) throw sys_error("remove", path, errno);
}

std::vector<Network> Store::all() const {
    std::vector<Network> out;
    DIR* d = ::opendir(dir_.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        throw sys_error("open", dir_, errno);
    }
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
        std::string f = e->d_name;
        if (f.size() > 5 && f[0] != '.' && f.ends_with(kSuffix)) names.push_back(f.substr(0, f.size() - 5));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& name : names)
        if (auto n = find(name)) out.push_back(std::move(*n));
    return out;
}

}  // namespace dkr::network
