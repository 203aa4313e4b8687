// The container's session keyring: by default a fresh one named "_ses.<id>",
// so that the container does not inherit (and cannot read) the session
// keyring of whoever ran dkr; --no-new-keyring keeps the caller's, as runc.
#pragma once

#include <string>

#include "runtime/explain.hpp"

namespace dkr {

// Joins (creating it if needed) the session keyring "_ses.<id>" and makes it
// searchable by its group, as runc does. A kernel without keyrings is fine.
void join_session_keyring(const std::string& container_id, Explainer ex);

}  // namespace dkr
