#include "runtime/network/bundle_hooks.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <vector>

#include "runtime/error.hpp"
#include "runtime/network/store.hpp"
#include "runtime/sys/file.hpp"

namespace dkr::network {

namespace {

using rapidjson::Value;

bool has_own_netns(const Value& config) {
    auto linux = config.FindMember("linux");
    if (linux == config.MemberEnd() || !linux->value.IsObject()) return false;
    auto ns = linux->value.FindMember("namespaces");
    if (ns == linux->value.MemberEnd() || !ns->value.IsArray()) return false;
    for (const auto& entry : ns->value.GetArray()) {
        if (!entry.IsObject()) continue;
        auto type = entry.FindMember("type");
        auto path = entry.FindMember("path");
        bool network = type != entry.MemberEnd() && type->value.IsString() &&
                       std::string(type->value.GetString()) == "network";
        bool joins = path != entry.MemberEnd() && path->value.IsString() && path->value.GetStringLength() > 0;
        if (network) return !joins;
    }
    return false;
}

Value hook(const std::vector<std::string>& args, rapidjson::Document::AllocatorType& a) {
    Value h(rapidjson::kObjectType);
    h.AddMember("path", Value(args[0].c_str(), a), a);
    Value list(rapidjson::kArrayType);
    list.PushBack(Value("dkr", a), a);
    for (size_t i = 1; i < args.size(); ++i) list.PushBack(Value(args[i].c_str(), a), a);
    h.AddMember("args", list, a);
    return h;
}

// hooks[phase], created as an empty array if absent.
Value& phase_list(Value& hooks, const char* phase, rapidjson::Document::AllocatorType& a, const std::string& file) {
    auto it = hooks.FindMember(phase);
    if (it == hooks.MemberEnd()) {
        hooks.AddMember(Value(phase, a), Value(rapidjson::kArrayType), a);
        it = hooks.FindMember(phase);
    }
    if (!it->value.IsArray()) throw Error(file + ": /hooks/" + phase + ": must be an array");
    return it->value;
}

}  // namespace

void attach_bundle(const std::string& bundle, const std::string& network, const std::string& dkr_path,
                   const std::string& state_dir) {
    check_network_name(network);
    std::string file = sys::join(bundle, "config.json");
    std::string text = sys::read_file(file);
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError())
        throw Error(file + ": invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                    rapidjson::GetParseError_En(doc.GetParseError()));
    if (!doc.IsObject()) throw Error(file + ": /: must be an object");
    if (!has_own_netns(doc))
        throw Error(file + ": /linux/namespaces: the container must have a network namespace of its own "
                    "(add {\"type\": \"network\"}) to be attached to a network");
    auto& a = doc.GetAllocator();
    if (!doc.HasMember("hooks")) doc.AddMember("hooks", Value(rapidjson::kObjectType), a);
    Value& hooks = doc["hooks"];
    if (!hooks.IsObject()) throw Error(file + ": /hooks: must be an object");

    std::vector<std::string> up = {dkr_path, "network", "hook", "up", network, "--state-dir", state_dir};
    std::vector<std::string> down = up;
    down[3] = "down";
    Value& create_runtime = phase_list(hooks, "createRuntime", a, file);
    for (const auto& h : create_runtime.GetArray()) {
        auto args = h.IsObject() ? h.FindMember("args") : h.MemberEnd();
        if (args == h.MemberEnd() || !args->value.IsArray() || args->value.Size() != up.size()) continue;
        bool same = true;
        for (size_t i = 1; i < up.size(); ++i)
            same = same && args->value[i].IsString() && up[i] == args->value[i].GetString();
        if (same) throw Error(file + ": /hooks/createRuntime: attached to network \"" + network + "\" already");
    }
    create_runtime.PushBack(hook(up, a), a);
    phase_list(hooks, "poststop", a, file).PushBack(hook(down, a), a);

    rapidjson::StringBuffer buf;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent('\t', 1);
    doc.Accept(w);
    sys::write_file_atomic(file, std::string(buf.GetString(), buf.GetSize()), 0644);
}

}  // namespace dkr::network
