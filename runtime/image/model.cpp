#include "runtime/image/model.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "runtime/error.hpp"

namespace dkr::image {

namespace media {

bool is_index(const std::string& t) { return t == kOciIndex || t == kDockerList; }
bool is_manifest(const std::string& t) { return t == kOciManifest || t == kDockerManifest; }

}  // namespace media

namespace {

using rapidjson::Value;

// A parsed document and where it came from, for error messages.
class Reader {
public:
    Reader(const std::string& json, std::string where) : where_(std::move(where)) {
        doc_.Parse(json.c_str(), json.size());
        if (doc_.HasParseError())
            throw Error(where_ + ": invalid JSON at offset " + std::to_string(doc_.GetErrorOffset()) + ": " +
                        rapidjson::GetParseError_En(doc_.GetParseError()));
    }
    const Value& root() const { return doc_; }

    [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
        throw Error(where_ + ": " + (pointer.empty() ? "/" : pointer) + ": " + what);
    }
    const Value& object(const Value& v, const std::string& pointer) const {
        if (!v.IsObject()) fail(pointer, "must be an object");
        return v;
    }
    // obj[key], or nullptr when absent or null.
    const Value* find(const Value& obj, const char* key) const {
        auto it = obj.FindMember(key);
        return it == obj.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
    }
    const Value& need(const Value& obj, const char* key, const std::string& pointer) const {
        const Value* v = find(obj, key);
        if (!v) fail(pointer + "/" + key, "is missing");
        return *v;
    }
    std::string str(const Value& obj, const char* key, const std::string& pointer, bool required = false) const {
        const Value* v = required ? &need(obj, key, pointer) : find(obj, key);
        if (!v) return "";
        if (!v->IsString()) fail(pointer + "/" + key, "must be a string");
        return v->GetString();
    }
    std::vector<std::string> strings(const Value& obj, const char* key, const std::string& pointer) const {
        std::vector<std::string> out;
        const Value* v = find(obj, key);
        if (!v) return out;
        if (!v->IsArray()) fail(pointer + "/" + key, "must be an array of strings");
        for (const auto& s : v->GetArray()) {
            if (!s.IsString()) fail(pointer + "/" + key, "must be an array of strings");
            out.push_back(s.GetString());
        }
        return out;
    }
    std::map<std::string, std::string> string_map(const Value& obj, const char* key, const std::string& pointer) const {
        std::map<std::string, std::string> out;
        const Value* v = find(obj, key);
        if (!v) return out;
        object(*v, pointer + "/" + key);
        for (const auto& m : v->GetObject()) {
            if (!m.value.IsString()) fail(pointer + "/" + key + "/" + m.name.GetString(), "must be a string");
            out[m.name.GetString()] = m.value.GetString();
        }
        return out;
    }
    Digest digest(const Value& obj, const char* key, const std::string& pointer) const {
        return Digest::parse(str(obj, key, pointer, true), where_ + ": " + pointer + "/" + key);
    }
    Descriptor descriptor(const Value& v, const std::string& pointer) const {
        object(v, pointer);
        Descriptor d;
        d.media_type = str(v, "mediaType", pointer);
        d.digest = digest(v, "digest", pointer);
        const Value& size = need(v, "size", pointer);
        if (!size.IsInt64() || size.GetInt64() < 0) fail(pointer + "/size", "must be a non-negative integer");
        d.size = size.GetInt64();
        if (const Value* p = find(v, "platform")) {
            object(*p, pointer + "/platform");
            d.platform = Platform{str(*p, "os", pointer + "/platform"), str(*p, "architecture", pointer + "/platform"),
                                  str(*p, "variant", pointer + "/platform")};
        }
        d.annotations = string_map(v, "annotations", pointer);
        return d;
    }
    std::vector<Descriptor> descriptors(const Value& obj, const char* key, const std::string& pointer) const {
        const Value& list = need(obj, key, pointer);
        std::string at = pointer + "/" + key;
        if (!list.IsArray()) fail(at, "must be an array");
        std::vector<Descriptor> out;
        for (rapidjson::SizeType i = 0; i < list.Size(); ++i)
            out.push_back(descriptor(list[i], at + "/" + std::to_string(i)));
        return out;
    }

private:
    std::string where_;
    rapidjson::Document doc_;
};

}  // namespace

std::string declared_media_type(const std::string& json, const std::string& where) {
    Reader r(json, where);
    return r.str(r.object(r.root(), ""), "mediaType", "");
}

Index parse_index(const std::string& json, const std::string& where) {
    Reader r(json, where);
    return Index{r.descriptors(r.object(r.root(), ""), "manifests", "")};
}

Manifest parse_manifest(const std::string& json, const std::string& where) {
    Reader r(json, where);
    const Value& root = r.object(r.root(), "");
    Manifest m;
    m.config = r.descriptor(r.need(root, "config", ""), "/config");
    m.layers = r.descriptors(root, "layers", "");
    return m;
}

ImageConfig parse_image_config(const std::string& json, const std::string& where) {
    Reader r(json, where);
    const Value& root = r.object(r.root(), "");
    ImageConfig c;
    c.platform = {r.str(root, "os", ""), r.str(root, "architecture", ""), r.str(root, "variant", "")};
    c.author = r.str(root, "author", "");
    c.created = r.str(root, "created", "");
    if (const Value* config = r.find(root, "config")) {
        r.object(*config, "/config");
        c.user = r.str(*config, "User", "/config");
        c.working_dir = r.str(*config, "WorkingDir", "/config");
        c.stop_signal = r.str(*config, "StopSignal", "/config");
        c.env = r.strings(*config, "Env", "/config");
        c.entrypoint = r.strings(*config, "Entrypoint", "/config");
        c.cmd = r.strings(*config, "Cmd", "/config");
        c.labels = r.string_map(*config, "Labels", "/config");
        if (const Value* ports = r.find(*config, "ExposedPorts")) {
            r.object(*ports, "/config/ExposedPorts");
            for (const auto& p : ports->GetObject()) c.exposed_ports.push_back(p.name.GetString());
        }
    }
    const Value& rootfs = r.object(r.need(root, "rootfs", ""), "/rootfs");
    if (r.str(rootfs, "type", "/rootfs", true) != "layers") r.fail("/rootfs/type", "must be \"layers\"");
    const Value& ids = r.need(rootfs, "diff_ids", "/rootfs");
    if (!ids.IsArray()) r.fail("/rootfs/diff_ids", "must be an array");
    for (rapidjson::SizeType i = 0; i < ids.Size(); ++i) {
        std::string at = "/rootfs/diff_ids/" + std::to_string(i);
        if (!ids[i].IsString()) r.fail(at, "must be a string");
        c.diff_ids.push_back(Digest::parse(ids[i].GetString(), where + ": " + at));
    }
    return c;
}

std::vector<DockerSaveImage> parse_docker_save_manifest(const std::string& json, const std::string& where) {
    Reader r(json, where);
    if (!r.root().IsArray()) r.fail("", "must be an array");
    std::vector<DockerSaveImage> out;
    for (rapidjson::SizeType i = 0; i < r.root().Size(); ++i) {
        std::string at = "/" + std::to_string(i);
        const Value& img = r.object(r.root()[i], at);
        out.push_back({r.str(img, "Config", at, true), r.strings(img, "RepoTags", at), r.strings(img, "Layers", at)});
    }
    return out;
}

}  // namespace dkr::image
