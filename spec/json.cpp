#include "spec/json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace dkr::spec {

std::string Location::pointer() const {
    if (!parent_) return {};
    std::string p = parent_->pointer();
    p += '/';
    if (index_ != no_index) return p += std::to_string(index_);
    for (char c : key_) {
        if (c == '~') p += "~0";
        else if (c == '/') p += "~1";
        else p += c;
    }
    return p;
}

Error config_error(const std::string& file, std::string_view pointer, std::string_view what) {
    std::string msg = file;
    msg.append(": ").append(pointer.empty() ? "/" : pointer).append(": ").append(what);
    return Error(msg);
}

std::string_view type_name(const rapidjson::Value& v) {
    switch (v.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return "boolean";
    case rapidjson::kObjectType: return "object";
    case rapidjson::kArrayType: return "array";
    case rapidjson::kStringType: return "string";
    case rapidjson::kNumberType: break;
    }
    return v.IsInt64() || v.IsUint64() ? "integer" : "number";
}

std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
    v.Accept(writer);
    return {buf.GetString(), buf.GetSize()};
}

std::string quoted(std::string_view s) {
    return to_json(key(s));
}

}  // namespace dkr::spec
