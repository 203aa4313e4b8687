#include "tests/e2e/compare.hpp"

#include <gtest/gtest.h>

#include <map>

namespace dkr_e2e {

namespace {

// "Suite.Case" of the running test, without the parameter ("Case/dkr").
std::string case_key() {
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info->name();
  return std::string(info->test_suite_name()) + "." + name.substr(0, name.find('/'));
}

// runc's observations per case, from the runc variants that passed.
std::map<std::string, Observations>& reference_runs() {
  static std::map<std::string, Observations> runs;
  return runs;
}

}  // namespace

void run_compared(const std::string& runtime_name, const Case& body) {
  const Runtime& rt = runtime(runtime_name);
  auto& refs = reference_runs();
  if (rt.name == "runc") {
    Observations seen;
    body(rt, seen);
    if (!::testing::Test::HasFailure()) refs[case_key()] = seen;
    return;
  }
  auto ref = refs.find(case_key());
  if (ref == refs.end()) {
    SCOPED_TRACE("reference run of this case under runc");
    Observations seen;
    body(runtime("runc"), seen);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "the case fails under runc too: its runc variant shows why";
      return;
    }
    ref = refs.emplace(case_key(), seen).first;
  }
  Observations seen;
  body(rt, seen);
  const auto& want = ref->second.items();
  const auto& got = seen.items();
  for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
    if (i >= got.size()) {
      ADD_FAILURE() << "under " << rt.name << " the case stopped before observing \"" << want[i].first
                    << "\", which runc gave as:\n"
                    << want[i].second;
      break;
    } else if (i >= want.size()) {
      ADD_FAILURE() << "under " << rt.name << " the case observed \"" << got[i].first << "\", which runc did not";
    } else {
      EXPECT_EQ(got[i].first, want[i].first) << "observations out of step";
      EXPECT_EQ(got[i].second, want[i].second)
          << "\"" << got[i].first << "\" differs from runc's (expected: runc, actual: " << rt.name << ")";
    }
  }
}

}  // namespace dkr_e2e
