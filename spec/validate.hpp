// Semantic rules of config.json beyond its JSON schema (internal to spec/).
#pragma once

#include <string>

#include "spec/config.hpp"

namespace dkr::spec {

// Checks the rules the schema cannot express, and the enumerations of fields
// newer than the embedded schema, on the loaded model. Throws the first
// broken rule as "<file>: <pointer>: <what>", e.g.
// "/b/config.json: /process/cwd: must be an absolute path, found \"tmp\"".
void validate_config(const Config& config, const std::string& file);

}  // namespace dkr::spec
