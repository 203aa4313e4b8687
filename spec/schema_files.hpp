// The OCI runtime-spec JSON schema files, embedded at build time (internal to spec/).
#pragma once

#include <span>
#include <string_view>

namespace dkr::spec {

struct SchemaFile {
    std::string_view name;  // "defs.json", as $refs name it
    std::string_view text;
};

// config-schema.json and every file it $refs, directly or not.
extern const std::span<const SchemaFile> schema_files;

}  // namespace dkr::spec
