#include "spec/schema.hpp"

#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "spec/json.hpp"
#include "spec/linux_names.hpp"
#include "spec/schema_files.hpp"

namespace dkr::spec {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using Pointer = rapidjson::SchemaDocument::PointerType;

constexpr std::string_view root_file = "config-schema.json";

// Enumerations the embedded schema (runtime-spec 1.0.2-dev) lacks values of:
// dkr implements runtime-spec 1.3, which adds the time namespace (1.1) and
// four seccomp architectures (1.2); and like runc it takes the recursive
// rootfs propagations, which engines write (Docker: "rslave", "rshared").
// Listed in the order messages show them.
constexpr std::string_view namespace_types[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"};
constexpr std::string_view rootfs_propagations[] = {"private",  "shared",  "slave",  "unbindable",
                                                    "rprivate", "rshared", "rslave", "runbindable"};

// The enumerated definitions, so that an error says what kind of name was unknown.
struct KnownEnum {
    std::string_view definition;                 // its pointer in the merged document
    std::string_view noun;                       // "unknown <noun> ..."
    std::span<const std::string_view> values{};  // replaces the schema's list unless empty
};
constexpr KnownEnum known_enums[] = {
    {"/defs-linux.json/definitions/NamespaceType", "namespace type", namespace_types},
    {"/defs-linux.json/definitions/SeccompArch", "seccomp architecture", kSeccompArchs},
    {"/defs-linux.json/definitions/SeccompAction", "seccomp action"},
    {"/defs-linux.json/definitions/SeccompOperators", "seccomp operator"},
    {"/defs-linux.json/definitions/SeccompFlag", "seccomp flag"},
    {"/defs-linux.json/definitions/RootfsPropagation", "rootfs propagation", rootfs_propagations},
    {"/defs-linux.json/definitions/PersonalityDomain", "personality domain"},
};

struct Violation {
    std::string pointer;  // relative to the value checked
    std::string message;
};

std::string to_string(const Pointer& p) {
    rapidjson::StringBuffer buf;
    p.Stringify(buf);
    return {buf.GetString(), buf.GetSize()};
}

std::string to_uri_fragment(const Pointer& p) {
    rapidjson::StringBuffer buf;
    p.StringifyUriFragment(buf);
    return {buf.GetString(), buf.GetSize()};
}

const SchemaFile& embedded(std::string_view name) {
    const auto it = std::ranges::find(schema_files, name, &SchemaFile::name);
    if (it == schema_files.end()) throw std::logic_error("OCI schema file " + std::string(name) + " is not embedded");
    return *it;
}

// Makes each $ref of `file` ("defs.json#/definitions/uint32",
// "#/definitions/GID") a pointer into the merged document
// ("#/defs.json/definitions/uint32"), and notes the other files it names.
void rewrite_refs(Value& v, std::string_view file, rapidjson::Document::AllocatorType& alloc,
                  std::vector<std::string_view>& files) {
    if (v.IsArray()) {
        for (Value& item : v.GetArray()) rewrite_refs(item, file, alloc, files);
        return;
    }
    if (!v.IsObject()) return;
    for (auto& member : v.GetObject()) {
        if (member.name != "$ref" || !member.value.IsString()) {
            rewrite_refs(member.value, file, alloc, files);
            continue;
        }
        const std::string_view ref(member.value.GetString(), member.value.GetStringLength());
        const std::size_t hash = ref.find('#');
        const std::string_view name = ref.substr(0, hash);
        const std::string_view fragment = hash == std::string_view::npos ? "" : ref.substr(hash + 1);
        if (!name.empty()) files.push_back(embedded(name).name);
        std::string target = "#/";
        target.append(name.empty() ? file : name).append(fragment);
        member.value.SetString(target.data(), static_cast<SizeType>(target.size()), alloc);
    }
}

// The embedded files one document needs, merged into one document under their
// names with each $ref made a pointer within it:
// {"$ref": <schema to check>, "config-schema.json": {...}, "defs.json": {...}, ...}
//
// Not an IRemoteSchemaDocumentProvider serving the files: RapidJSON 1.1.0
// passes it the URI one character short ("defs.jso"), compiles a remote $ref
// to a definition that is itself a remote $ref (defs-linux.json's Major, Minor,
// weight) to an empty schema, so those values went unchecked, and reports any
// failing schema of a remote document as "#", so errors could not be
// described. Local refs have none of these faults.
class SchemaSet {
public:
    explicit SchemaSet(const Value& doc);

    // The first violation by `value` of the schema at `ref`, if any.
    std::optional<Violation> check(std::string_view ref, const Value& value);

private:
    void load(const Value& doc);
    void update();
    void prune(const Value& doc);
    // The value at `pointer`; null if its file is not loaded.
    Value* find(std::string_view pointer);
    Value& at(std::string_view pointer);
    Violation describe(const rapidjson::SchemaValidator& validator, const Value& value);

    rapidjson::Document dom_{rapidjson::kObjectType};
};

SchemaSet::SchemaSet(const Value& doc) {
    dom_.AddMember("$ref", Value(rapidjson::kStringType), dom_.GetAllocator());
    load(doc);
    update();
    prune(doc);
}

// The schema of a member that `doc` does not have cannot change the result.
void prune_absent_members(Value& root_schema, const Value& doc) {
    const auto properties = root_schema.FindMember("properties");
    if (properties == root_schema.MemberEnd()) return;
    for (auto& property : properties->value.GetObject())
        if (!doc.IsObject() || !doc.HasMember(property.name)) property.value.SetObject();
}

// Compiling costs time quadratic in the number of schema objects, so only the
// files `doc` can reach are loaded: the schemas of top-level members it does
// not have (windows, solaris, hooks, ...) are emptied before $refs are followed.
void SchemaSet::load(const Value& doc) {
    auto& alloc = dom_.GetAllocator();
    std::vector<std::string_view> pending{root_file};
    while (!pending.empty()) {
        const SchemaFile& file = embedded(pending.back());
        pending.pop_back();
        if (dom_.HasMember(key(file.name))) continue;

        rapidjson::Document part(&alloc);
        part.Parse(file.text.data(), file.text.size());
        if (part.HasParseError()) throw std::logic_error("embedded OCI schema file " + std::string(file.name) + " is not JSON");
        if (file.name == root_file) prune_absent_members(part, doc);
        rewrite_refs(part, file.name, alloc, pending);
        dom_.AddMember(rapidjson::StringRef(file.name.data(), file.name.size()), part.Move(), alloc);
    }
}

void SchemaSet::update() {
    auto& alloc = dom_.GetAllocator();
    for (const KnownEnum& e : known_enums) {
        if (e.values.empty()) continue;
        if (Value* list = find(std::string(e.definition) + "/enum")) {
            list->SetArray();
            for (std::string_view v : e.values) list->PushBack(rapidjson::StringRef(v.data(), v.size()), alloc);
        }
    }

    // RapidJSON 1.1.0 reports a value failing a patternProperties schema
    // without saying which schema, so the message could not say what was
    // expected. For mapStringString (".{1,}": string) additionalProperties is
    // the same rule for every key the spec allows: it forbids empty keys, and
    // validate.cpp rejects them.
    if (Value* map = find("/defs.json/definitions/mapStringString")) {
        map->RemoveMember("patternProperties");
        map->AddMember("additionalProperties", Value(rapidjson::kObjectType).AddMember("type", "string", alloc), alloc);
    }
}

std::string_view ref_of(const Value& ref) {
    return ref.IsString() ? std::string_view(ref.GetString(), ref.GetStringLength()) : std::string_view();
}

// The schema a rewritten "$ref" names ("#/defs.json/definitions/uint32"), if
// loaded. Walked member by member: a JSON Pointer object for each of the
// schema's refs would cost more than the rest of the pruning.
Value* ref_target(rapidjson::Document& dom, std::string_view ref) {
    if (!ref.starts_with("#/")) return nullptr;
    if (ref.find_first_of("~%") != std::string_view::npos)  // escapes: not in the OCI schema, but kept right
        return Pointer(ref.data() + 1, ref.size() - 1).Get(dom);
    Value* v = &dom;
    for (size_t start = 2; start <= ref.size();) {
        size_t end = std::min(ref.find('/', start), ref.size());
        if (!v->IsObject()) return nullptr;
        auto m = v->FindMember(key(ref.substr(start, end - start)));
        if (m == v->MemberEnd()) return nullptr;
        v = &m->value;
        start = end + 1;
    }
    return v;
}

// How many "$ref"s name each schema.
void count_refs(const Value& v, std::map<std::string_view, int>& counts) {
    if (v.IsArray())
        for (const Value& item : v.GetArray()) count_refs(item, counts);
    if (!v.IsObject()) return;
    for (const auto& m : v.GetObject()) {
        if (m.name == "$ref")
            ++counts[ref_of(m.value)];
        else
            count_refs(m.value, counts);
    }
}

// `schema` describes `doc`, and nothing else: the schemas of the properties
// `doc` lacks cannot change the result and are emptied, and those of the
// properties it has are pruned the same way. A $ref is followed only to a
// schema that nothing else names (a shared definition describes other
// places of the document too).
void prune_by_shape(rapidjson::Document& dom, Value& schema, const Value& doc,
                    const std::map<std::string_view, int>& refs) {
    if (!schema.IsObject()) return;
    if (auto ref = schema.FindMember("$ref"); ref != schema.MemberEnd()) {
        auto count = refs.find(ref_of(ref->value));
        Value* target = ref_target(dom, ref_of(ref->value));
        if (target && count != refs.end() && count->second == 1) prune_by_shape(dom, *target, doc, refs);
        return;
    }
    auto properties = schema.FindMember("properties");
    if (properties == schema.MemberEnd() || !properties->value.IsObject()) return;
    for (auto& property : properties->value.GetObject()) {
        const Value* present = nullptr;
        if (doc.IsObject())
            if (auto m = doc.FindMember(property.name); m != doc.MemberEnd()) present = &m->value;
        if (present)
            prune_by_shape(dom, property.value, *present, refs);
        else
            property.value.SetObject();
    }
}

// Adds to `targets` the schemas that $refs reachable from `v` name.
void mark_reachable(rapidjson::Document& dom, const Value& v, std::set<const Value*>& targets) {
    if (v.IsArray())
        for (const Value& item : v.GetArray()) mark_reachable(dom, item, targets);
    if (!v.IsObject()) return;
    for (const auto& m : v.GetObject()) {
        if (m.name != "$ref") {
            mark_reachable(dom, m.value, targets);
        } else if (const Value* target = ref_target(dom, ref_of(m.value)); target && targets.insert(target).second) {
            mark_reachable(dom, *target, targets);
        }
    }
}

// RapidJSON 1.1.0 compiles every object of the schema document, in time
// that grows with the square of their number: the schema is cut down to
// what can judge `doc` before it is compiled. Properties `doc` does not
// have are emptied (prune_by_shape), then the definitions no $ref reaches
// any more are dropped. For runc's default config.json that leaves a third
// of the objects, and compiling takes a tenth of the time.
void SchemaSet::prune(const Value& doc) {
    std::map<std::string_view, int> refs;
    count_refs(dom_, refs);
    prune_by_shape(dom_, dom_[key(root_file)], doc, refs);

    // A definition is reached through a $ref or not at all.
    std::set<const Value*> reachable;
    mark_reachable(dom_, dom_[key(root_file)], reachable);
    // Names first: erasing moves the members after it, and `reachable` holds addresses.
    std::vector<std::pair<Value*, std::string>> unused;
    for (auto& file : dom_.GetObject()) {
        if (!file.value.IsObject()) continue;
        auto definitions = file.value.FindMember("definitions");
        if (definitions == file.value.MemberEnd()) continue;
        for (auto& d : definitions->value.GetObject())
            if (!reachable.count(&d.value)) unused.emplace_back(&definitions->value, d.name.GetString());
    }
    for (const auto& [defs, name] : unused) defs->EraseMember(key(name));
}

Value* SchemaSet::find(std::string_view pointer) {
    const std::string_view file = pointer.substr(1, pointer.find('/', 1) - 1);
    if (!dom_.HasMember(key(file))) return nullptr;
    return &at(pointer);
}

// A pointer the code names must exist: a schema without it is not the one
// this code was written for.
Value& SchemaSet::at(std::string_view pointer) {
    Value* v = Pointer(pointer.data(), pointer.size()).Get(dom_);
    if (!v) throw std::logic_error("embedded OCI schema has no " + std::string(pointer));
    return *v;
}

std::optional<Violation> SchemaSet::check(std::string_view ref, const Value& value) {
    dom_["$ref"].SetString(ref.data(), static_cast<SizeType>(ref.size()), dom_.GetAllocator());
    const rapidjson::SchemaDocument schema(dom_);
    rapidjson::SchemaValidator validator(schema);
    if (value.Accept(validator)) return std::nullopt;
    return describe(validator, value);
}

std::string_view enum_noun(std::string_view definition) {
    for (const KnownEnum& e : known_enums)
        if (e.definition == definition) return e.noun;
    return "value";
}

// What `found` lacks to satisfy `keyword` of `schema` (at `schema_pointer`).
std::string explain(std::string_view keyword, const Value& schema, const std::string& schema_pointer, const Value& found) {
    if (keyword == "type") {
        std::string msg = "expected type ";
        const Value& type = schema["type"];
        if (type.IsArray()) {
            for (SizeType i = 0; i < type.Size(); ++i) msg.append(i ? " or " : "").append(type[i].GetString());
        } else {
            msg += type.GetString();
        }
        return msg.append(", found ").append(type_name(found));
    }
    if (keyword == "enum") {
        std::vector<std::string> names;
        for (const Value& v : schema["enum"].GetArray())
            names.push_back(v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : to_json(v));
        return unknown_value(enum_noun(schema_pointer), to_json(found), names);
    }
    if (keyword == "required") {
        for (const Value& name : schema["required"].GetArray())
            if (!found.HasMember(name)) return "missing required property " + to_json(name);
    }
    if (keyword == "pattern") return "expected a string matching " + std::string(schema["pattern"].GetString()) + ", found " + to_json(found);
    if (keyword == "minimum") return "expected a value >= " + to_json(schema["minimum"]) + ", found " + to_json(found);
    if (keyword == "maximum") return "expected a value <= " + to_json(schema["maximum"]) + ", found " + to_json(found);
    if (keyword == "minItems") {
        const uint64_t min = schema["minItems"].GetUint64();
        return "expected at least " + std::to_string(min) + (min == 1 ? " item" : " items") + ", found " + std::to_string(found.Size());
    }
    return "does not satisfy the schema keyword \"" + std::string(keyword) + "\"";
}

Violation SchemaSet::describe(const rapidjson::SchemaValidator& validator, const Value& value) {
    const Pointer doc_pointer = validator.GetInvalidDocumentPointer();
    const Pointer schema_pointer = validator.GetInvalidSchemaPointer();
    const std::string_view keyword = validator.GetInvalidSchemaKeyword();
    const Value& found = *doc_pointer.Get(value);
    std::string found_at = to_string(doc_pointer);
    const std::string schema_at = to_string(schema_pointer);
    const Value& schema = at(schema_at);

    // The validator only says that a branch failed: check `found` against each
    // to say why. For anyOf every branch failed and the first one's reason is
    // given (the OCI schema's only anyOf has a single branch).
    if (keyword == "allOf" || keyword == "anyOf") {
        const std::string branches = to_uri_fragment(schema_pointer).append("/").append(keyword).append("/");
        const SizeType count = schema.FindMember(key(keyword))->value.Size();
        for (SizeType i = 0; i < count; ++i)
            if (auto nested = check(branches + std::to_string(i), found))
                return {found_at + nested->pointer, std::move(nested->message)};
    }
    return {std::move(found_at), explain(keyword, schema, schema_at, found)};
}

}  // namespace

void validate_schema(const rapidjson::Value& doc, const std::string& file) {
    SchemaSet schema(doc);
    if (auto violation = schema.check("#/" + std::string(root_file), doc))
        throw config_error(file, violation->pointer, violation->message);
}

}  // namespace dkr::spec
