// Reads and validates config.json into spec::Config.
#pragma once

#include <string>
#include <string_view>

#include "spec/config.hpp"

namespace dkr::spec {

// Parses `json` (the text of the file at `path`, which is used only in
// messages), validates it against the embedded OCI JSON schema and the
// semantic rules of the runtime-spec, and returns the model.
// Throws dkr::Error with a one-line message naming the file and the JSON
// pointer ("/" for the document itself), e.g.
// "/b/config.json: /process/args: must be a non-empty array of strings", or
// for malformed JSON "/b/config.json: invalid JSON at line 3, column 5: <why>".
Config parse_config(std::string_view json, const std::string& path);

// Parses a linux.resources object on its own (the input of `dkr update
// --resources`), with the same reading and type checks as /linux/resources
// in config.json. Errors name `path` and the pointer inside the object,
// e.g. "-: /memory/limit: expected type integer, found string".
Resources parse_resources(std::string_view json, const std::string& path);

// Reads the file, then parse_config. A file that cannot be read gives
// "<path>: <strerror>", e.g. "/b/config.json: No such file or directory",
// with Error::code() set to the errno.
Config load_config(const std::string& path);

// A process object on its own (`exec --process FILE`, and the container's
// process kept in state.json): types and the semantic rules of the process
// (args not empty, absolute cwd, known capabilities and rlimits), with JSON
// pointers relative to the object.
Process parse_process(std::string_view json, const std::string& path);
Process load_process(const std::string& path);

// A hooks object on its own (kept in state.json for poststop at delete).
Hooks parse_hooks(std::string_view json, const std::string& path);

}  // namespace dkr::spec
