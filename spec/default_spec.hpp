// The config.json that `dkr spec` writes: runc's default, field for field.
#pragma once

#include <string>

namespace dkr::spec {

// Pretty-printed JSON with tab indentation, as runc writes it.
std::string default_config_json();

}  // namespace dkr::spec
