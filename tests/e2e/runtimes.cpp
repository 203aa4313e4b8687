#include "tests/e2e/runtimes.hpp"

#include <unistd.h>

#include <stdexcept>
#include <vector>

#ifndef DKR_BINARY
#error "DKR_BINARY must be defined (tests/CMakeLists.txt does)"
#endif

namespace dkr_e2e {

namespace {

Runtime located(const std::string& name, const std::string& root, const std::vector<std::string>& candidates) {
  for (auto& path : candidates)
    if (access(path.c_str(), X_OK) == 0) return {name, path, root};
  std::string tried;
  for (auto& path : candidates) tried += " " + path;
  throw std::runtime_error("no " + name + " binary (tried" + tried + ")");
}

}  // namespace

const Runtime& runtime(const std::string& name) {
  // Debian's runc package installs /usr/sbin/runc.
  static const Runtime runc = located("runc", "/run/runc", {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc"});
  static const Runtime dkr = located("dkr", "/run/dkr", {DKR_BINARY});
  if (name == "runc") return runc;
  if (name == "dkr") return dkr;
  throw std::runtime_error("unknown runtime " + name);
}

}  // namespace dkr_e2e
