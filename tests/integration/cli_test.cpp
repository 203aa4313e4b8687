// The CLI surface around the lifecycle: list (table, json, quiet), spec,
// global logging flags, and dkr's `run PATH` short form.
#include <algorithm>
#include <filesystem>
#include <map>

#include "tests/integration/harness.hpp"

namespace dkr_it {
namespace {

namespace fs = std::filesystem;

class CliTest : public ContainerTest {};

// Splits a table printed by Go's tabwriter into rows of fields, checking that
// every field starts at its header's column.
std::vector<std::vector<std::string>> parse_table(const std::string& text) {
  auto lines = split_lines(text);
  std::vector<std::vector<std::string>> rows;
  if (lines.empty()) {
    ADD_FAILURE() << "empty table";
    return rows;
  }
  const std::string& header = lines[0];
  std::vector<size_t> starts;
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] != ' ' && (i == 0 || header[i - 1] == ' ')) starts.push_back(i);
  for (auto& line : lines) {
    std::vector<std::string> fields;
    for (size_t k = 0; k < starts.size(); ++k) {
      size_t b = starts[k];
      size_t e = k + 1 < starts.size() ? starts[k + 1] : std::string::npos;
      std::string cell = b < line.size() ? line.substr(b, e == std::string::npos ? e : e - b) : "";
      EXPECT_TRUE(!cell.empty() && cell[0] != ' ')
          << "column " << k << " misaligned in [" << line << "] (header [" << header << "])";
      EXPECT_TRUE(b == 0 || (b <= line.size() && line[b - 1] == ' '))
          << "column " << k << " misaligned in [" << line << "]";
      std::string f = trim(cell);
      EXPECT_EQ(split_ws(f).size(), 1u) << "cell [" << cell << "] of [" << line << "]";
      fields.push_back(f);
    }
    rows.push_back(fields);
  }
  return rows;
}

const std::vector<std::string> kHeader = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};

TEST_F(CliTest, ListEmptyRoot) {
  CmdResult t = run_cmd({"list"});
  ASSERT_TRUE(t.ok()) << t;
  // runc: tabwriter's minimum width 12 and padding 3 with no rows.
  EXPECT_EQ(t.out, "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
  CmdResult j = run_cmd({"list", "--format", "json"});
  ASSERT_TRUE(j.ok()) << j;
  EXPECT_EQ(trim(j.out), "null") << "runc prints null for no containers";
  CmdResult q = run_cmd({"list", "-q"});
  ASSERT_TRUE(q.ok()) << q;
  EXPECT_EQ(q.out, "");
}

TEST_F(CliTest, ListShowsContainers) {
  std::string ba = make_bundle({"sleep", "1000"});
  ASSERT_TRUE(run_cmd({"create", "-b", ba, "alpha"}).ok());
  std::string bb = start_container("beta-longer-name", {"sleep", "1000"});
  auto sa = state("alpha");
  auto sb = state("beta-longer-name");
  ASSERT_TRUE(sa.IsObject() && sb.IsObject());
  std::map<std::string, const rapidjson::Document*> states = {{"alpha", &sa}, {"beta-longer-name", &sb}};

  // table
  CmdResult t = run_cmd({"list"});
  ASSERT_TRUE(t.ok()) << t;
  auto rows = parse_table(t.out);
  ASSERT_EQ(rows.size(), 3u) << t;
  EXPECT_EQ(rows[0], kHeader) << t;
  std::set<std::string> seen;
  for (size_t i = 1; i < rows.size(); ++i) {
    auto& r = rows[i];
    ASSERT_EQ(r.size(), 6u);
    ASSERT_TRUE(states.count(r[0])) << "unknown id in list: " << r[0];
    seen.insert(r[0]);
    const auto& s = *states[r[0]];
    EXPECT_EQ(r[1], std::to_string(int_field(s, "pid")));
    EXPECT_EQ(r[2], str_field(s, "status"));
    EXPECT_EQ(r[3], str_field(s, "bundle"));
    EXPECT_EQ(r[4], str_field(s, "created"));
    EXPECT_EQ(r[5], "root");
  }
  EXPECT_EQ(seen.size(), 2u);

  // json
  for (std::string flag : {"--format", "-f"}) {
    CmdResult j = run_cmd({"list", flag, "json"});
    ASSERT_TRUE(j.ok()) << j;
    auto d = parse_json(j.out);
    ASSERT_FALSE(d.HasParseError()) << j;
    ASSERT_TRUE(d.IsArray()) << j;
    ASSERT_EQ(d.Size(), 2u) << j;
    for (auto& item : d.GetArray()) {
      std::string id = str_field(item, "id");
      ASSERT_TRUE(states.count(id)) << j;
      const auto& s = *states[id];
      EXPECT_EQ(keys_of(item), (std::vector<std::string>{"ociVersion", "id", "pid", "status", "bundle",
                                                         "rootfs", "created", "owner"}))
          << j;
      for (const char* k : {"ociVersion", "status", "bundle", "rootfs", "created"})
        EXPECT_EQ(str_field(item, k), str_field(s, k)) << k << " in " << j;
      EXPECT_EQ(int_field(item, "pid"), int_field(s, "pid"));
      EXPECT_EQ(str_field(item, "owner"), "root");
    }
  }

  // quiet
  for (std::string flag : {"--quiet", "-q"}) {
    CmdResult q = run_cmd({"list", flag});
    ASSERT_TRUE(q.ok()) << q;
    auto ids = split_lines(q.out);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::string>{"alpha", "beta-longer-name"})) << q;
  }
  // table format named explicitly
  CmdResult t2 = run_cmd({"list", "--format", "table"});
  ASSERT_TRUE(t2.ok()) << t2;
  EXPECT_EQ(t2.out, t.out);
}

TEST_F(CliTest, ListShowsStoppedWithPidZero) {
  start_container("ended", {"true"});
  ASSERT_TRUE(wait_status("ended", "stopped"));
  CmdResult t = run_cmd({"list"});
  ASSERT_TRUE(t.ok()) << t;
  auto rows = parse_table(t.out);
  ASSERT_EQ(rows.size(), 2u) << t;
  EXPECT_EQ(rows[1][0], "ended");
  EXPECT_EQ(rows[1][1], "0");
  EXPECT_EQ(rows[1][2], "stopped");
}

void expect_default_spec(const std::string& path) {
  std::string got = read_file(path);
  std::string ref = read_file(reference_path("spec-default.json"));
  ASSERT_FALSE(ref.empty()) << "missing " << reference_path("spec-default.json");
  auto g = parse_json(got);
  auto r = parse_json(ref);
  ASSERT_FALSE(g.HasParseError()) << got;
  EXPECT_TRUE(g == r) << "spec differs from runc's default:\n" << got;
  if (is_dkr()) {  // dkr prints runc's bytes (tab indent, no final newline)
    EXPECT_EQ(got, ref);
  }
}

TEST_F(CliTest, SpecWritesDefaultConfigIntoBundle) {
  for (std::string flag : {"--bundle", "-b"}) {
    std::string dir = test_dir() + "/spec" + flag;
    fs::create_directories(dir);
    CmdResult r = run_cmd({"spec", flag, dir});
    ASSERT_TRUE(r.ok()) << r;
    EXPECT_EQ(r.out, "");
    expect_default_spec(dir + "/config.json");
  }
}

TEST_F(CliTest, SpecWritesIntoWorkingDirectory) {
  std::string dir = test_dir() + "/spec-cwd";
  fs::create_directories(dir);
  RunOptions o;
  o.cwd = dir;
  CmdResult r = run_cmd({"spec"}, "", o);
  ASSERT_TRUE(r.ok()) << r;
  expect_default_spec(dir + "/config.json");
}

TEST_F(CliTest, SpecRefusesExistingConfig) {
  std::string dir = make_raw_bundle(std::string("{\"mine\": true}"));
  auto before = snapshot();
  CmdResult r = run_cmd({"spec", "-b", dir});
  EXPECT_CMD_ERROR(r, "File config.json exists. Remove it first");
  expect_unchanged(before, "spec over an existing config.json");
  EXPECT_EQ(read_file(dir + "/config.json"), "{\"mine\": true}");
}

TEST_F(CliTest, LogFlagsWriteJsonLines) {
  std::string log = test_dir() + "/runtime.log";
  CmdResult r = run_cmd({"--log", log, "--log-format", "json", "state", "nosuch"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(contains(r.message(), "container does not exist")) << r;
  std::string text = read_file(log);
  bool found = false;
  for (auto& line : split_lines(text)) {
    auto d = parse_json(line);
    ASSERT_FALSE(d.HasParseError()) << "not a JSON line in the log: [" << line << "]";
    ASSERT_TRUE(d.IsObject());
    if (str_field(d, "level") == "error" && str_field(d, "msg") == "container does not exist") {
      found = true;
      EXPECT_TRUE(parse_rfc3339_utc(str_field(d, "time")).has_value()) << line;
    }
  }
  EXPECT_TRUE(found) << "no error line in the log:\n" << text;
}

TEST_F(CliTest, JsonLogFormatOnStderr) {
  CmdResult r = run_cmd({"--log-format", "json", "state", "nosuch"});
  EXPECT_CMD_ERROR(r, "container does not exist");
  auto d = parse_json(trim(r.err));
  ASSERT_FALSE(d.HasParseError()) << "stderr is not one JSON line:" << r;
  EXPECT_EQ(str_field(d, "level"), "error");
  EXPECT_EQ(str_field(d, "msg"), "container does not exist");
}

TEST_F(CliTest, DebugFlagAccepted) {
  std::string b = make_bundle({"echo", "dbg"});
  CmdResult r = run_cmd({"--debug", "run", "-b", b, "dbg"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "dbg\n");
}

TEST_F(CliTest, DebugWritesDebugLinesToTheLog) {
  std::string b = make_bundle({"true"});
  std::string log = test_dir() + "/debug.log";
  CmdResult quiet = run_cmd({"--log", log, "run", "-b", b, "nodbg"});
  ASSERT_TRUE(quiet.ok()) << quiet;
  EXPECT_FALSE(contains(read_file(log), "level=debug")) << read_file(log);
  CmdResult r = run_cmd({"--log", log, "--debug", "run", "-b", b, "dbg"});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(contains(read_file(log), "level=debug")) << read_file(log);
}

// dkr only: `dkr run PATH` with PATH a bundle dir and no --bundle runs it
// under the dir's basename as id.
TEST_F(CliTest, RunBundlePathShortForm) {
  if (!is_dkr()) GTEST_SKIP() << "dkr-only short form (runc takes PATH as the id)";
  std::string b = make_bundle({"echo", "short"}, {}, "shortform");
  CmdResult r = run_cmd({"run", b});
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.out, "short\n");
  EXPECT_TRUE(root_listing().empty());

  std::string b2 = make_bundle({"sleep", "1000"}, {}, "shortdetached");
  CmdResult d = run_cmd({"run", "-d", b2});
  ASSERT_TRUE(d.ok()) << d;
  auto st = state("shortdetached");
  EXPECT_EQ(str_field(st, "status"), "running");
  EXPECT_EQ(str_field(st, "bundle"), b2);
}

}  // namespace
}  // namespace dkr_it
