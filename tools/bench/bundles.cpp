#include "tools/bench/bundles.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/pointer.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "runtime/error.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::bench {
namespace {

rapidjson::Document parse(const std::string& text, const std::string& what) {
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError())
        throw Error(what + ": offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                    rapidjson::GetParseError_En(doc.GetParseError()));
    if (!doc.IsObject()) throw Error(what + ": not a JSON object");
    return doc;
}

}  // namespace

void write_bundle(const std::string& dir, const std::string& base_config, const std::string& rootfs,
                  const BundleSpec& spec) {
    rapidjson::Document doc = parse(base_config, "base config");
    auto& alloc = doc.GetAllocator();
    rapidjson::Pointer("/root/path").Set(doc, rootfs.c_str(), alloc);
    rapidjson::Pointer("/process/terminal").Set(doc, false, alloc);
    rapidjson::Value args(rapidjson::kArrayType);
    for (const auto& a : spec.args) args.PushBack(rapidjson::Value(a.c_str(), alloc), alloc);
    rapidjson::Pointer("/process/args").Set(doc, args, alloc);
    if (!spec.seccomp_json.empty()) {
        rapidjson::Document seccomp = parse(spec.seccomp_json, "seccomp profile");
        rapidjson::Pointer("/linux/seccomp").Set(doc, rapidjson::Value(seccomp, alloc), alloc);
    }
    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    doc.Accept(w);
    sys::mkdir_all(dir, 0755);
    sys::write_file_atomic(sys::join(dir, "config.json"), std::string(buf.GetString(), buf.GetSize()), 0644);
}

std::vector<std::string> namespace_types(const std::string& config_json) {
    rapidjson::Document doc = parse(config_json, "config");
    std::vector<std::string> out;
    const rapidjson::Value* list = rapidjson::Pointer("/linux/namespaces").Get(doc);
    if (!list || !list->IsArray()) return out;
    for (const auto& ns : list->GetArray())
        if (ns.IsObject() && ns.HasMember("type") && ns["type"].IsString()) out.push_back(ns["type"].GetString());
    return out;
}

std::string seccomp_of(const std::string& path) {
    rapidjson::Document doc = parse(sys::read_file(path), path);
    const rapidjson::Value* seccomp = rapidjson::Pointer("/linux/seccomp").Get(doc);
    if (!seccomp || !seccomp->IsObject()) throw Error(path + ": no /linux/seccomp object");
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    seccomp->Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace dkr::bench
