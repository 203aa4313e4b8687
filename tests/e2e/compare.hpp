// Each end-to-end case runs once per runtime (the test parameter). What a
// case observes along the way (outputs, exit codes, states, normalized so
// that ids and times drop out) is recorded, and under dkr it must equal what
// the same case observed under runc in the same test-binary run.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/runtimes.hpp"

namespace dkr_e2e {

class Observations {
 public:
  void add(const std::string& what, const std::string& value) { items_.emplace_back(what, value); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Case = std::function<void(const Runtime&, Observations&)>;

// Runs body under the runtime called runtime_name. Under runc, its
// observations are kept for the dkr variant of the same test. Under dkr, they
// are compared with runc's: those kept, or, when the runc variant did not run
// (filtered out), those of a run of body under runc made here first.
void run_compared(const std::string& runtime_name, const Case& body);

// A case parameterized by the runtime's name ("runc", "dkr").
class RuntimeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void compared(const Case& body) { run_compared(GetParam(), body); }
};

// Instantiates a RuntimeTest suite for runc and dkr, named SUITE/CASE/runc and SUITE/CASE/dkr.
#define DKR_E2E_FOR_EACH_RUNTIME(suite)                                      \
  INSTANTIATE_TEST_SUITE_P(Engines, suite, ::testing::Values("runc", "dkr"), \
                           [](const auto& info) { return info.param; })

}  // namespace dkr_e2e
