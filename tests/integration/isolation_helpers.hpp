// Small helpers shared by the isolation and escape tests: config edits by
// JSON pointer, and reading /proc files printed by a container.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <map>
#include <string>

#include "tests/integration/harness.hpp"

namespace dkr_it {

// d[pointer] = the parsed json text; "-" as the last token appends to an array.
inline void set_json(rapidjson::Document& d, const char* pointer, const std::string& json) {
  rapidjson::Document v(&d.GetAllocator());
  v.Parse(json.c_str());
  ASSERT_FALSE(v.HasParseError()) << "bad JSON in a test edit: " << json;
  rapidjson::Pointer(pointer).Set(d, v);
}

inline void erase_json(rapidjson::Document& d, const char* pointer) { rapidjson::Pointer(pointer).Erase(d); }

// A JSON string literal.
inline std::string jstr(const std::string& s) {
  rapidjson::Value v(rapidjson::StringRef(s.data(), s.size()));
  return to_json(v);
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// "Key:\tvalue" lines (as in /proc/PID/status) -> {Key: value}.
inline std::map<std::string, std::string> colon_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  for (auto& line : split_lines(text)) {
    auto colon = line.find(':');
    if (colon != std::string::npos) out[line.substr(0, colon)] = trim(line.substr(colon + 1));
  }
  return out;
}

// A new user namespace mapping container ids 0..65535 to host 100000..165535.
inline constexpr unsigned kUsernsHostBase = 100000;
inline void add_user_namespace(rapidjson::Document& d) {
  set_json(d, "/linux/namespaces/-", R"({"type": "user"})");
  set_json(d, "/linux/uidMappings", R"([{"containerID": 0, "hostID": 100000, "size": 65536}])");
  set_json(d, "/linux/gidMappings", R"([{"containerID": 0, "hostID": 100000, "size": 65536}])");
}

// The fixture of the isolation tests.
class IsolationTest : public ContainerTest {
 protected:
  // Runs bundle in the foreground and returns its output lines, expecting it
  // to succeed with exactly n of them (missing ones are "").
  std::vector<std::string> run_lines(const std::string& bundle, const std::string& id, size_t n) {
    CmdResult r = run_cmd({"run", "-b", bundle, id});
    EXPECT_TRUE(r.ok()) << r;
    auto lines = split_lines(r.out);
    EXPECT_EQ(lines.size(), n) << r;
    lines.resize(n);
    return lines;
  }
  // `create` of bundle fails with one line naming `text` (for any runtime) and,
  // with dkr, "<bundle>/config.json: <pointer>"; nothing is left behind.
  void expect_create_refused(const std::string& bundle, const std::string& text, const std::string& pointer) {
    auto before = snapshot();
    CmdResult r = run_cmd({"create", "-b", bundle, "refused"});
    EXPECT_CMD_ERROR(r, text);
    if (is_dkr() && !pointer.empty()) {
      EXPECT_TRUE(contains(r.message(), bundle + "/config.json: " + pointer)) << r;
    }
    expect_unchanged(before, "refused " + pointer);
  }
  // A config that create must refuse: dkr names `pointer` and `text`.
  struct Refusal {
    std::string pointer, text;
    ConfigEdit edit;
    bool other_runtimes_too = true;  // false: runc 1.1.5 accepts it
  };
  void expect_refusals(const std::vector<Refusal>& cases) {
    for (const auto& c : cases) {
      SCOPED_TRACE(c.pointer);
      if (!is_dkr() && !c.other_runtimes_too) continue;
      expect_create_refused(make_bundle({"true"}, c.edit), is_dkr() ? c.text : "", c.pointer);
    }
  }
};

}  // namespace dkr_it
