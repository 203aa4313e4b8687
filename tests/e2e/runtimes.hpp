// The OCI runtimes the engines are pointed at: runc as the reference, and
// the dkr binary built with the tests.
#pragma once

#include <string>

namespace dkr_e2e {

struct Runtime {
  std::string name;  // "runc" or "dkr": the test parameter
  std::string path;  // absolute path of the binary
  std::string root;  // its default --root, where it keeps containers' state when an engine gives none
};

// The runtime called name; throws std::runtime_error for an unknown name or a missing binary.
const Runtime& runtime(const std::string& name);

}  // namespace dkr_e2e
