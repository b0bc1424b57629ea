// The dlake command line at the edges (DESIGN.md "The lake on disk", "Conventions"; checklist
// items 5 and 7): a deleted manifest, an empty lake, finding the lake from a flag, the
// environment or the working folder, and exit codes 0 / 1 / 2 with messages that say what to do.

#include <filesystem>
#include <sstream>

#include "dlake/common/time.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kReadArgs = {
    "read", "--exchange", kExchange, "--symbol", kSymbol, "--format", "csv", "--columns", "ts"};

// Runs dlake in `cwd` with DLAKE_LAKE removed (plus `env`).
ProcessResult RunIn(const std::string& cwd, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& env = {}) {
  SpawnOptions options;
  options.cwd = cwd;
  options.unset_env = {"DLAKE_LAKE"};
  options.env = env;
  return RunDlakeWith(args, options);
}

// Is there a lake in `dir` or above it? Then "outside any lake" cannot be tested from there.
bool LakeAbove(const fs::path& dir) {
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / "manifest.db")) return true;
    if (d == d.root_path()) break;
  }
  return false;
}

// ---- Cold start ----

TEST(ColdStartTest, DeletedManifestIsRecreatedAndItsFilesShowAsOrphans) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), Klines(0, 3, 42000, 1)));
  std::vector<std::string> data_files;
  for (const auto& f : ListFilesRecursive(lake + "/data")) data_files.push_back("data/" + f);
  ASSERT_EQ(data_files.size(), 3u);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(lake + "/manifest.db" + suffix);

  ProcessResult not_a_lake = Dlake(lake, {"list"});
  EXPECT_EQ(not_a_lake.exit_code, 1) << Describe(not_a_lake);
  EXPECT_THAT(not_a_lake.err, HasSubstr("dlake init")) << Describe(not_a_lake);

  ProcessResult init = RunDlakeWith({"init", lake});
  ASSERT_EQ(init.exit_code, 0) << Describe(init);
  EXPECT_THAT(init.out, HasSubstr("Created lake at")) << Describe(init);
  EXPECT_TRUE(fs::exists(lake + "/manifest.db"));

  ProcessResult list = Dlake(lake, {"list"});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_THAT(list.out, HasSubstr("No datasets.")) << Describe(list);
  ProcessResult read = Dlake(lake, kReadArgs);
  EXPECT_EQ(read.exit_code, 1) << Describe(read);
  EXPECT_THAT(read.err, HasSubstr("no dataset")) << Describe(read);

  ProcessResult plain = Dlake(lake, {"verify"});
  EXPECT_EQ(plain.exit_code, 1) << Describe(plain);
  EXPECT_THAT(plain.out, AllOf(HasSubstr("Orphan files (not in the manifest) (3)"),
                               HasSubstr("PROBLEMS FOUND")))
      << Describe(plain);
  nlohmann::json verify = VerifyJson(lake);
  EXPECT_FALSE(verify.value("ok", true));
  std::vector<std::string> orphans = verify.value("orphans", std::vector<std::string>{});
  std::sort(orphans.begin(), orphans.end());
  EXPECT_EQ(orphans, data_files);
  EXPECT_EQ(verify.value("missing_files", nlohmann::json::array()), nlohmann::json::array());
  // The orphans are still there: verify only reports until asked to repair.
  EXPECT_EQ(ListFilesRecursive(lake + "/data").size(), data_files.size());
}

TEST(ColdStartTest, EmptyLakeAnswersEveryCommand) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);

  ProcessResult list = Dlake(lake, {"list"});
  EXPECT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_THAT(list.out, HasSubstr("No datasets.")) << Describe(list);
  ProcessResult json_list = Dlake(lake, {"--json", "list"});
  EXPECT_EQ(json_list.exit_code, 0) << Describe(json_list);
  EXPECT_EQ(nlohmann::json::parse(json_list.out, nullptr, false), nlohmann::json::array());
  ProcessResult files = Dlake(lake, {"list", "--files"});
  EXPECT_EQ(files.exit_code, 0) << Describe(files);
  EXPECT_THAT(files.out, HasSubstr("(0 files)")) << Describe(files);

  ProcessResult read = Dlake(lake, kReadArgs);
  EXPECT_EQ(read.exit_code, 1) << Describe(read);
  EXPECT_THAT(read.err, AllOf(HasSubstr("no dataset"), HasSubstr(kSymbol), HasSubstr("dlake list")))
      << Describe(read);
  EXPECT_EQ(read.out, "");

  ProcessResult verify = Dlake(lake, {"verify"});
  EXPECT_EQ(verify.exit_code, 0) << Describe(verify);
  EXPECT_THAT(verify.out, HasSubstr("OK")) << Describe(verify);
  ProcessResult del = Dlake(lake, {"delete", "--symbol", kSymbol});
  EXPECT_EQ(del.exit_code, 0) << Describe(del);
  EXPECT_THAT(del.out, HasSubstr("Nothing matches")) << Describe(del);
  // Re-initialising an existing lake keeps it.
  ProcessResult again = RunDlakeWith({"init", lake});
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_THAT(again.out, HasSubstr("Lake already at")) << Describe(again);
}

// ---- Finding the lake ----

TEST(LakeDiscoveryTest, CommandOutsideAnyLakeExitsOneAndSuggestsInit) {
  TempDir nowhere;
  if (LakeAbove(nowhere.path()))
    GTEST_SKIP() << "a folder above " << nowhere.path() << " is a lake";
  for (const auto& args : std::vector<std::vector<std::string>>{{"list"}, {"verify"}, kReadArgs}) {
    ProcessResult r = RunIn(nowhere.path(), args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << Describe(r);
    EXPECT_THAT(r.err, AllOf(HasSubstr("not inside a lake"), HasSubstr("--lake"),
                             HasSubstr("DLAKE_LAKE"), HasSubstr("dlake init")))
        << Describe(r);
  }
  // Nothing was created where the command ran.
  EXPECT_EQ(ListFilesRecursive(nowhere.path()), std::vector<std::string>{});
  EXPECT_TRUE(fs::is_empty(nowhere.path()));
}

TEST(LakeDiscoveryTest, FlagThenEnvironmentThenWorkingFolderChooseTheLake) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("btc.csv"), Klines(0, 1, 42000, 1)));
  const std::string other = tmp.Join("other");  // an empty lake
  InitLake(other);
  const std::string elsewhere = tmp.Join("elsewhere");
  fs::create_directories(elsewhere);
  const std::string subfolder = lake + "/data/BINANCE/FUTURES/BTCUSDT";
  ASSERT_TRUE(fs::is_directory(subfolder));
  const std::string dataset = "BINANCE/FUTURES/BTCUSDT/raw/1m";

  struct Case {
    const char* what;
    std::string cwd;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    bool sees_btc;
  };
  const std::vector<Case> cases = {
      {"--lake from another folder", elsewhere, {"--lake", lake, "list"}, {}, true},
      {"DLAKE_LAKE from another folder", elsewhere, {"list"}, {{"DLAKE_LAKE", lake}}, true},
      {"the lake folder itself", lake, {"list"}, {}, true},
      {"walking up from a subfolder", subfolder, {"list"}, {}, true},
      {"--lake wins over DLAKE_LAKE",
       elsewhere,
       {"--lake", lake, "list"},
       {{"DLAKE_LAKE", other}},
       true},
      {"DLAKE_LAKE wins over the working folder",
       subfolder,
       {"list"},
       {{"DLAKE_LAKE", other}},
       false},
      {"--lake wins over the working folder", subfolder, {"--lake", other, "list"}, {}, false},
  };
  for (const auto& c : cases) {
    ProcessResult r = RunIn(c.cwd, c.args, c.env);
    EXPECT_EQ(r.exit_code, 0) << c.what << ": " << Describe(r);
    if (c.sees_btc) {
      EXPECT_THAT(r.out, HasSubstr(dataset)) << c.what << ": " << Describe(r);
    } else {
      EXPECT_THAT(r.out, AllOf(HasSubstr("No datasets."), Not(HasSubstr(dataset))))
          << c.what << ": " << Describe(r);
    }
  }
  // A read through the walked-up lake returns the rows.
  ProcessResult read = RunIn(subfolder, kReadArgs);
  EXPECT_EQ(read.exit_code, 0) << Describe(read);
  EXPECT_EQ(std::count(read.out.begin(), read.out.end(), '\n'), 1 + 1440) << Describe(read);
}

TEST(LakeDiscoveryTest, LakeFlagOrVariableNamingNoLakeExitsOne) {
  TempDir tmp;
  const std::string missing = tmp.Join("no-lake-here");
  ProcessResult by_flag = RunIn(tmp.path(), {"--lake", missing, "list"});
  EXPECT_EQ(by_flag.exit_code, 1) << Describe(by_flag);
  EXPECT_THAT(by_flag.err,
              AllOf(HasSubstr(missing), HasSubstr("not a lake"), HasSubstr("dlake init")))
      << Describe(by_flag);
  ProcessResult by_env = RunIn(tmp.path(), {"list"}, {{"DLAKE_LAKE", missing}});
  EXPECT_EQ(by_env.exit_code, 1) << Describe(by_env);
  EXPECT_THAT(by_env.err,
              AllOf(HasSubstr("DLAKE_LAKE"), HasSubstr(missing), HasSubstr("not a lake")))
      << Describe(by_env);
  EXPECT_FALSE(fs::exists(missing)) << "a failed lookup must not create the folder";
}

// ---- Exit codes ----

TEST(ExitCodeTest, BadFlagValuesExitTwoNamingTheValue) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("btc.csv"), Klines(0, 1, 42000, 1)));
  const std::string csv = tmp.Join("btc.csv");
  struct Case {
    std::vector<std::string> args;
    std::string named;  // what the message must mention
  };
  const std::vector<Case> cases = {
      {{"read", "--exchange", kExchange, "--symbol", kSymbol, "--start", "2024-13-01"},
       "2024-13-01"},
      {{"read", "--exchange", kExchange, "--symbol", kSymbol, "--end", "yesterday"}, "yesterday"},
      {{"read", "--exchange", kExchange, "--symbol", kSymbol, "--start", "2024-01-02", "--end",
        "2024-01-01"},
       "--end"},
      {{"read", "--exchange", kExchange, "--symbol", kSymbol, "--period", "7x"}, "7x"},
      {{"read", "--exchange", kExchange, "--symbol", kSymbol, "--format", "xml"}, "xml"},
      {{"delete", "--symbol", kSymbol, "--start", "2024-02-30"}, "2024-02-30"},
      {{"ingest", "--source", csv, "--exchange", kExchange, "--symbol", kSymbol, "--type",
        "candles"},
       "candles"},
      {{"list", "--no-such-flag"}, "--no-such-flag"},
      {{"frobnicate"}, "subcommand"},
  };
  const auto before = LakeChecksums(lake);
  for (const auto& c : cases) {
    ProcessResult r = Dlake(lake, c.args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_THAT(r.err, HasSubstr(c.named)) << Describe(r);
  }
  EXPECT_EQ(LakeChecksums(lake), before);
}

TEST(ExitCodeTest, BadCsvRowExitsOneNamingFileAndLineAndWritesNothing) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions old_data = Klines(0, 2, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), old_data));
  const auto before = LakeChecksums(lake);
  const auto files_before = ListFilesRecursive(lake, /*skip_hidden=*/true);

  // Three days of good rows (merging into day 1, creating days 2-3) with one bad row late in
  // the file: nothing of the earlier days may be written either.
  const KlineOptions fresh = Klines(1, 3, 45000, 2);
  struct Case {
    std::string bad_line;
    std::string reason;
  };
  // Candle 3000 with field `field` replaced by `value`.
  auto bad = [&](size_t field, const std::string& value) {
    std::vector<std::string> fields;
    std::stringstream in(KlineLine(fresh, 3000));
    for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
    fields[field] = value;
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
    return line;
  };
  const std::vector<Case> cases = {
      {bad(2, "1.0"), "is above high"},  // high below low
      {bad(4, "nan"), "not finite"},     // close
      {bad(1, "abc"), "field 'open' is not a number"},
      {bad(5, "-1.0"), "volume -1 is negative"},
      {bad(0, "1704240000"), "seconds?"},  // ts in seconds
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.bad_line);
    std::string text;
    for (int64_t i = 0; i < fresh.count; ++i) {
      // Line 3001 of the file (1-based) replaces candle 3000.
      text += (i == 3000 ? c.bad_line : KlineLine(fresh, i)) + "\n";
    }
    const std::string csv = tmp.Join("bad.csv");
    WriteFile(csv, text);
    ProcessResult r = RunDlakeWith(IngestArgs(lake, csv));
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.err, AllOf(HasSubstr(csv + ":3001:"), HasSubstr(c.reason),
                             HasSubstr("nothing was written")))
        << Describe(r);
    EXPECT_EQ(LakeChecksums(lake), before);
    EXPECT_EQ(ListFilesRecursive(lake, /*skip_hidden=*/true), files_before);
    ExpectHolds(ReadSnapshot(lake), CandlesOf(old_data));
  }
}

// Regression: `--json` (like `--lake`) was accepted only before the subcommand; scripts
// naturally write `dlake verify --json`.
TEST(ExitCodeTest, JsonFlagIsAcceptedAfterTheSubcommand) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"verify", "--json"}, {"list", "--json"}}) {
    ProcessResult r = Dlake(lake, args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_FALSE(nlohmann::json::parse(r.out, nullptr, false).is_discarded()) << Describe(r);
  }
}

}  // namespace
}  // namespace dlake::testing
