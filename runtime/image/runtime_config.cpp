#include "runtime/image/runtime_config.hpp"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <charconv>
#include <optional>
#include <sstream>

#include "runtime/error.hpp"
#include "runtime/security/safe_path.hpp"
#include "runtime/sys/file.hpp"
#include "spec/default_spec.hpp"

namespace dkr::image {

namespace {

using rapidjson::Value;

std::optional<uint32_t> number(const std::string& s) {
    uint32_t v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// The lines of a colon-separated database in the rootfs, each split into
// fields; none when the file does not exist.
std::vector<std::vector<std::string>> read_db(int rootfs_fd, const char* path) {
    std::string text;
    try {
        sys::Fd fd = security::open_in_root(rootfs_fd, path, O_RDONLY);
        text = sys::read_fd(fd.get());
    } catch (const Error& e) {
        if (e.code() == ENOENT) return {};
        rethrow_with(std::string("read the image's ") + path);
    }
    std::vector<std::vector<std::string>> rows;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        std::vector<std::string> fields;
        std::istringstream parts(line);
        std::string f;
        while (std::getline(parts, f, ':')) fields.push_back(f);
        if (fields.size() >= 4 && !line.starts_with("#")) rows.push_back(std::move(fields));
    }
    return rows;
}

void set_strings(Value& obj, const char* key, const std::vector<std::string>& list,
                 rapidjson::Document::AllocatorType& a) {
    Value arr(rapidjson::kArrayType);
    for (const auto& s : list) arr.PushBack(Value(s.c_str(), a), a);
    if (obj.HasMember(key))
        obj[key] = arr;
    else
        obj.AddMember(Value(key, a), arr, a);
}

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

std::vector<std::string> merged_env(const Value& defaults, const std::vector<std::string>& image) {
    std::vector<std::string> env;
    for (const auto& e : defaults.GetArray()) env.push_back(e.GetString());
    for (const auto& entry : image) {
        bool replaced = false;
        for (auto& e : env)
            if (env_name(e) == env_name(entry)) {
                e = entry;
                replaced = true;
            }
        if (!replaced) env.push_back(entry);
    }
    return env;
}

std::map<std::string, std::string> annotations(const ImageConfig& c) {
    std::map<std::string, std::string> out = c.labels;
    auto put = [&out](const std::string& key, const std::string& value) {
        if (!value.empty()) out.emplace("org.opencontainers.image." + key, value);  // a label of the same name wins
    };
    std::string ports;
    for (const auto& p : c.exposed_ports) ports += (ports.empty() ? "" : ",") + p;
    put("exposedPorts", ports);
    put("stopSignal", c.stop_signal);
    put("author", c.author);
    put("created", c.created);
    put("os", c.platform.os);
    put("architecture", c.platform.architecture);
    put("variant", c.platform.variant);
    return out;
}

}  // namespace

spec::User resolve_user(const std::string& user, int rootfs_fd) {
    spec::User u;
    if (user.empty()) return u;
    auto colon = user.find(':');
    std::string name = user.substr(0, colon);
    std::optional<std::string> group;
    if (colon != std::string::npos) group = user.substr(colon + 1);

    std::string username;
    if (auto uid = number(name)) {
        u.uid = *uid;  // a uid without a passwd entry gets gid 0, as with Docker
        for (const auto& row : read_db(rootfs_fd, "/etc/passwd"))
            if (number(row[2]) == *uid) {
                username = row[0];
                u.gid = number(row[3]).value_or(0);
                break;
            }
    } else {
        for (const auto& row : read_db(rootfs_fd, "/etc/passwd"))
            if (row[0] == name) {
                username = name;
                u.uid = number(row[2]).value_or(0);
                u.gid = number(row[3]).value_or(0);
                break;
            }
        if (username.empty()) throw Error("image user \"" + name + "\" is not in the image's /etc/passwd");
    }

    auto groups = read_db(rootfs_fd, "/etc/group");
    if (group) {
        if (auto gid = number(*group)) {
            u.gid = *gid;
        } else {
            bool found = false;
            for (const auto& row : groups)
                if (row[0] == *group) {
                    u.gid = number(row[2]).value_or(0);
                    found = true;
                }
            if (!found) throw Error("image group \"" + *group + "\" is not in the image's /etc/group");
        }
    }
    // Supplementary groups: those listing the user as a member (not for an explicit group, as Docker).
    if (!group && !username.empty())
        for (const auto& row : groups) {
            std::istringstream members(row.size() > 3 ? row[3] : "");
            std::string m;
            while (std::getline(members, m, ','))
                if (m == username)
                    if (auto gid = number(row[2]); gid && *gid != u.gid) u.additional_gids.push_back(*gid);
        }
    return u;
}

std::string runtime_config(const ImageConfig& image, int rootfs_fd) {
    rapidjson::Document doc;
    doc.Parse(spec::default_config_json().c_str());
    auto& a = doc.GetAllocator();
    Value& process = doc["process"];
    process["terminal"] = false;

    std::vector<std::string> args = image.entrypoint;
    args.insert(args.end(), image.cmd.begin(), image.cmd.end());
    if (!args.empty()) set_strings(process, "args", args, a);
    set_strings(process, "env", merged_env(process["env"], image.env), a);
    if (!image.working_dir.empty()) process["cwd"] = Value(image.working_dir.c_str(), a);

    spec::User u = resolve_user(image.user, rootfs_fd);
    Value& user = process["user"];
    user["uid"] = u.uid;
    user["gid"] = u.gid;
    if (!u.additional_gids.empty()) {
        Value gids(rapidjson::kArrayType);
        for (uint32_t g : u.additional_gids) gids.PushBack(g, a);
        user.AddMember("additionalGids", gids, a);
    }

    doc["root"]["readonly"] = false;
    auto ann = annotations(image);
    if (!ann.empty()) {
        Value obj(rapidjson::kObjectType);
        for (const auto& [k, v] : ann) obj.AddMember(Value(k.c_str(), a), Value(v.c_str(), a), a);
        doc.AddMember("annotations", obj, a);
    }

    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent('\t', 1);
    doc.Accept(w);
    return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

}  // namespace dkr::image
