#include "runtime/image/layout.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <sys/stat.h>

#include "runtime/error.hpp"
#include "runtime/image/platform.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::image {

namespace {

// Manifests and configs are kilobytes; a "blob" of this size is not one of them.
constexpr int64_t kMaxDocument = 16 << 20;

std::string names_of(const Index& index) {
    std::string out;
    for (const auto& d : index.manifests) {
        auto it = d.annotations.find(kRefNameAnnotation);
        if (it != d.annotations.end()) out += (out.empty() ? "" : ", ") + it->second;
    }
    return out.empty() ? "no named images" : out;
}

}  // namespace

std::string Layout::blob_path(const Digest& d) const { return dir_ + "/blobs/" + d.algorithm + "/" + d.hex; }

std::string Layout::read_blob(const Descriptor& d) const {
    std::string path = blob_path(d.digest);
    if (d.size > kMaxDocument) throw Error(path + ": " + std::to_string(d.size) + " bytes is too large for a " + d.media_type);
    std::string data = sys::read_file(path);
    if (static_cast<int64_t>(data.size()) != d.size)
        throw Error(path + ": size mismatch: the descriptor says " + std::to_string(d.size) + " bytes, the blob has " +
                    std::to_string(data.size()));
    Hasher h(d.digest.algorithm);
    h.update(data.data(), data.size());
    check_digest(d.digest, h.finish(), path);
    return data;
}

Index Layout::index() const {
    std::string path = dir_ + "/index.json";
    return parse_index(sys::read_file(path), path);
}

Descriptor Layout::find_manifest(const std::string& ref) const {
    Index all = index();
    Index named;
    for (const auto& d : all.manifests) {
        auto it = d.annotations.find(kRefNameAnnotation);
        if (ref.empty() || (it != d.annotations.end() && it->second == ref)) named.manifests.push_back(d);
    }
    std::string where = dir_ + "/index.json";
    if (named.manifests.empty())
        throw Error(where + ": no image named \"" + ref + "\" (it has " + names_of(all) + ")");
    if (named.manifests.size() == 1) {
        const Descriptor& only = named.manifests[0];
        if (!media::is_index(only.media_type)) return only;
        std::string nested = blob_path(only.digest);
        return choose_manifest(parse_index(read_blob(only), nested), host_platform(), nested);
    }
    bool platforms = false;
    for (const auto& d : named.manifests) platforms = platforms || d.platform.has_value();
    if (!platforms) throw Error(where + ": holds several images: choose one with --ref (" + names_of(all) + ")");
    return choose_manifest(named, host_platform(), where);
}

void Layout::init() const {
    sys::mkdir_all(dir_ + "/blobs/sha256", 0755);
    if (!sys::path_exists(dir_ + "/oci-layout"))
        sys::write_file_atomic(dir_ + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 0644);
    if (!sys::path_exists(dir_ + "/index.json"))
        sys::write_file_atomic(dir_ + "/index.json", "{\"schemaVersion\":2,\"manifests\":[]}", 0644);
}

bool Layout::has_blob(const Descriptor& d) const {
    struct stat st;
    return ::stat(blob_path(d.digest).c_str(), &st) == 0 && st.st_size == d.size;
}

void Layout::put_blob(const Descriptor& d, const std::string& data) const {
    sys::mkdir_all(dir_ + "/blobs/" + d.digest.algorithm, 0755);
    sys::write_file_atomic(blob_path(d.digest), data, 0644);
}

void Layout::add_manifest(const Descriptor& manifest, const std::string& ref) const {
    std::string path = dir_ + "/index.json";
    rapidjson::Document doc;
    std::string text = sys::read_file(path);
    doc.Parse(text.c_str(), text.size());
    parse_index(text, path);  // the same checks as for reading
    auto& a = doc.GetAllocator();
    auto& list = doc["manifests"];
    for (auto it = list.Begin(); it != list.End();) {
        auto ann = it->FindMember("annotations");
        bool same = ann != it->MemberEnd() && ann->value.IsObject() && ann->value.HasMember(kRefNameAnnotation) &&
                    ann->value[kRefNameAnnotation].IsString() && ref == ann->value[kRefNameAnnotation].GetString();
        it = same ? list.Erase(it) : it + 1;
    }
    rapidjson::Value d(rapidjson::kObjectType);
    d.AddMember("mediaType", rapidjson::Value(manifest.media_type.c_str(), a), a);
    d.AddMember("digest", rapidjson::Value(manifest.digest.str().c_str(), a), a);
    d.AddMember("size", manifest.size, a);
    if (!ref.empty()) {
        rapidjson::Value ann(rapidjson::kObjectType);
        ann.AddMember(rapidjson::StringRef(kRefNameAnnotation), rapidjson::Value(ref.c_str(), a), a);
        d.AddMember("annotations", ann, a);
    }
    list.PushBack(d, a);
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    doc.Accept(w);
    sys::write_file_atomic(path, std::string(buf.GetString(), buf.GetSize()) + "\n", 0644);
}

}  // namespace dkr::image
