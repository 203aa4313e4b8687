// Validation of config.json against the OCI runtime-spec JSON schema (internal to spec/).
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace dkr::spec {

// Checks the parsed document against the embedded schema (draft-04), brought
// up to runtime-spec 1.3 where the embedded snapshot lags (see schema.cpp).
// Throws the first violation as "<file>: <pointer>: <what>", e.g.
// "/b/config.json: /process: missing required property \"cwd\"".
void validate_schema(const rapidjson::Value& doc, const std::string& file);

}  // namespace dkr::spec
