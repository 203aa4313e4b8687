// The bundles every runtime runs: one base config.json with the rootfs and
// the program replaced, and, for the seccomp case, a seccomp profile added.
// Nothing else differs between the runtimes.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dkr::bench {

struct BundleSpec {
    explicit BundleSpec(std::vector<std::string> a, std::string seccomp = "")
        : args(std::move(a)), seccomp_json(std::move(seccomp)) {}

    std::vector<std::string> args;  // process.args
    std::string seccomp_json;       // linux.seccomp as JSON text; "" leaves the base config's
};

// Writes DIR/config.json from `base_config` (JSON text) with root.path =
// `rootfs` (absolute), process.terminal false and the fields of `spec`.
void write_bundle(const std::string& dir, const std::string& base_config, const std::string& rootfs,
                  const BundleSpec& spec);

// The namespace types ("pid", "network", ...) of a config.json's linux.namespaces.
std::vector<std::string> namespace_types(const std::string& config_json);

// The "linux.seccomp" object of the config.json at `path`, as JSON text.
std::string seccomp_of(const std::string& path);

}  // namespace dkr::bench
