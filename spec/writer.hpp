// JSON text for the parts of the model that dkr keeps in state.json: the
// container's process (what `exec` starts from) and its hooks (poststop runs
// at delete, when the bundle may be gone). parse_process and parse_hooks
// (loader.hpp) read them back unchanged.
#pragma once

#include <string>

#include "spec/config.hpp"

namespace dkr::spec {

std::string to_json(const Process& process);
std::string to_json(const Hooks& hooks);

}  // namespace dkr::spec
