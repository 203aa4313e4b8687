// `dkr features`: what this build of dkr supports, as the runtime-spec's
// features document (features.md) describes it: OCI versions, hooks, mount
// options, namespaces, capabilities, cgroup drivers, seccomp, LSMs. Each list
// comes from the table the code itself uses, or is checked against it by a
// test, so that the document cannot claim what dkr does not do.
#pragma once

#include <string>

namespace dkr {

// The document, indented with four spaces as runc prints it.
std::string features_json();

}  // namespace dkr
