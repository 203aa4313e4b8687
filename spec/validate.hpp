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

// The same rules for a process object on its own (`exec --process FILE`):
// pointers start at the process, e.g. "/p.json: /cwd: must be an absolute path ...".
void validate_process(const Process& process, const std::string& file);

}  // namespace dkr::spec
