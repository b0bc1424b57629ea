// `dlake delta …` end to end: the real binary on real tables in temporary folders, and on the
// golden tables of ../shared/delta-golden (read in place, never copied or modified).

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "duck/duck.h"
#include "testing/delta_golden.h"
#include "testing/test_util.h"

namespace dlake::cli {
namespace {

using ::dlake::testing::ProcessResult;
using ::dlake::testing::RunDlake;
using ::dlake::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr const char* kPeopleCsv =
    "id,name,score\n"
    "1,alice,10\n"
    "2,bob,20\n"
    "3,carol,30\n";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The data files of a table folder (everything outside _delta_log), relative and sorted.
std::set<std::string> DataFiles(const std::string& table) {
  std::set<std::string> files;
  for (const auto& file : testing::ListFilesRecursive(table)) {
    if (file.rfind("_delta_log", 0) != 0) files.insert(file);
  }
  return files;
}

class DeltaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = dir_.Join("people");
    people_csv_ = dir_.Join("people.csv");
    testing::WriteFile(people_csv_, kPeopleCsv);
  }

  static ProcessResult Delta(std::vector<std::string> args) {
    args.insert(args.begin(), "delta");
    return RunDlake(args);
  }

  // Runs a command expected to succeed with --json and returns its parsed output.
  static json DeltaJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--json", "delta"});
    ProcessResult result = RunDlake(args);
    EXPECT_EQ(result.exit_code, 0) << args[2] << ": " << result.err;
    if (result.exit_code != 0) return json();
    return json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  }

  std::string File(const std::string& name, const std::string& contents) {
    std::string path = dir_.Join(name);
    testing::WriteFile(path, contents);
    return path;
  }

  // A Parquet file holding `select`'s rows, written by DuckDB.
  std::string Parquet(const std::string& name, const std::string& select) {
    std::string path = dir_.Join(name);
    auto db = duck::Database::Open("", duck::DatabaseOptions{});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return path;
    auto conn = duck::Connection::Open(**db);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return path;
    Status written = (*conn)->Execute(
        "COPY (" + select + ") TO " + duck::QuoteLiteral(path) + " (FORMAT parquet)",
        "writing the test's Parquet file");
    EXPECT_TRUE(written.ok()) << written.ToString();
    return path;
  }

  void CreatePeople() {
    ProcessResult create = Delta({"create", table_, "--from", people_csv_});
    ASSERT_EQ(create.exit_code, 0) << create.err;
  }

  // The table's rows as CSV lines (header first), ordered by `order`.
  std::vector<std::string> ReadCsv(std::vector<std::string> extra = {},
                                   const std::string& order = "id") {
    std::vector<std::string> args = {"read", table_, "--format", "csv", "--order-by", order};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult read = Delta(args);
    EXPECT_EQ(read.exit_code, 0) << read.err;
    return Lines(read.out);
  }

  TempDir dir_;
  std::string table_, people_csv_;
};

TEST_F(DeltaCliTest, CreateFromCsvAppendParquetAndReadBack) {
  json created = DeltaJson({"create", table_, "--from", people_csv_});
  EXPECT_EQ(created["version"], 0);
  EXPECT_EQ(created["rows_written"], 3);
  EXPECT_GE(created["files_added"].get<int64_t>(), 1);

  std::string more = Parquet(
      "more.parquet", "SELECT i AS id, 'p' || i AS name, i * 10 AS score FROM range(4, 6) t(i)");
  json appended = DeltaJson({"append", table_, "--from", more});
  EXPECT_EQ(appended["operation"], "append");
  EXPECT_EQ(appended["version"], 1);
  EXPECT_EQ(appended["rows_written"], 2);
  EXPECT_EQ(appended["files_added"], 1);
  EXPECT_EQ(appended["files_removed"], 0);

  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,alice,10", "2,bob,20", "3,carol,30",
                                     "4,p4,40", "5,p5,50"));

  // Without --json a write is one summary line.
  ProcessResult again = Delta({"append", table_, "--from", people_csv_});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(Lines(again.out),
              ElementsAre(AllOf(HasSubstr("version 2 (append)"), HasSubstr("1 file added"),
                                HasSubstr("3 rows written"))));
}

TEST_F(DeltaCliTest, ReadsEarlierVersions) {
  CreatePeople();
  ASSERT_EQ(Delta({"append", table_, "--from", people_csv_}).exit_code, 0);
  EXPECT_EQ(ReadCsv({"--version", "0"}).size(), 1u + 3);
  EXPECT_EQ(ReadCsv({"--version", "1"}).size(), 1u + 6);
  EXPECT_EQ(ReadCsv().size(), 1u + 6);
  // A time after the last commit sees the latest version, one before the first none.
  EXPECT_EQ(ReadCsv({"--timestamp", "2999-01-01T00:00:00Z"}).size(), 1u + 6);
  ProcessResult before = Delta({"read", table_, "--timestamp", "2000-01-01"});
  EXPECT_EQ(before.exit_code, 1) << before.out;
  ProcessResult missing = Delta({"read", table_, "--version", "7"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("7"));

  json v0 = DeltaJson({"describe", table_, "--version", "0"});
  EXPECT_EQ(v0["version"], 0);
  EXPECT_EQ(v0["rows"], 3);
}

TEST_F(DeltaCliTest, WhereColumnsLimitAndTableFormat) {
  CreatePeople();
  EXPECT_THAT(ReadCsv({"--where", "score >= 20", "--columns", "name,id"}),
              ElementsAre("name,id", "bob,2", "carol,3"));
  EXPECT_THAT(ReadCsv({"--limit", "2"}, "score,id"),
              ElementsAre("id,name,score", "1,alice,10", "2,bob,20"));

  ProcessResult table = Delta({"read", table_, "--where", "name = 'bob'"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("bob"));
  EXPECT_THAT(table.out, Not(HasSubstr("alice")));
  EXPECT_THAT(table.out, HasSubstr("(1 row)"));

  ProcessResult as_json = Delta({"read", table_, "--format", "json", "--where", "id = 3"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.err;
  json row = json::parse(as_json.out);
  EXPECT_EQ(row["name"], "carol");
  EXPECT_EQ(row["score"], 30);

  const std::string parquet = dir_.Join("out.parquet");
  ProcessResult exported = Delta({"read", table_, "--format", "parquet", "--output", parquet});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_THAT(exported.err, HasSubstr("Wrote 3 rows"));
  EXPECT_EQ(testing::ReadFile(parquet).substr(0, 4), "PAR1");
  // The exported file reads back as a table of its own.
  ProcessResult copy = Delta({"create", dir_.Join("copy"), "--from", parquet});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  ProcessResult unknown_column = Delta({"read", table_, "--columns", "nope"});
  EXPECT_EQ(unknown_column.exit_code, 1);
  EXPECT_THAT(unknown_column.err, HasSubstr("nope"));
}

TEST_F(DeltaCliTest, HistoryListsOperationsNewestFirst) {
  CreatePeople();
  ASSERT_EQ(Delta({"append", table_, "--from", people_csv_}).exit_code, 0);
  ProcessResult history = Delta({"history", table_});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  auto lines = Lines(history.out);
  ASSERT_EQ(lines.size(), 3u) << history.out;
  EXPECT_THAT(lines[0], AllOf(HasSubstr("VERSION"), HasSubstr("OPERATION")));
  EXPECT_THAT(lines[1], AllOf(::testing::StartsWith("1 "), HasSubstr("WRITE")));
  EXPECT_THAT(lines[2], AllOf(::testing::StartsWith("0 "), HasSubstr("CREATE TABLE")));

  json entries = DeltaJson({"history", table_, "--limit", "1"});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["version"], 1);
  EXPECT_EQ(entries[0]["operation"], "WRITE");
  EXPECT_TRUE(entries[0]["parameters"].is_object());
  EXPECT_GT(entries[0]["timestamp"].get<int64_t>(), 1'600'000'000'000);
}

TEST_F(DeltaCliTest, DescribeReportsSchemaPropertiesAndProtocol) {
  const std::string trades = File("trades.csv",
                                  "day,symbol,price\n"
                                  "2024-01-01,BTC,42000.5\n"
                                  "2024-01-02,ETH,2300.25\n"
                                  "2024-01-02,BTC,43000\n");
  ProcessResult create =
      Delta({"create", table_, "--from", trades, "--partition-by", "day", "--property",
             "delta.checkpointInterval=5", "--name", "trades", "--description", "test trades",
             "--not-null", "symbol", "--invariant", "price:price > 0"});
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_THAT(create.out, HasSubstr("version 0 (create)"));

  json d = DeltaJson({"describe", table_});
  EXPECT_EQ(d["version"], 0);
  EXPECT_EQ(d["name"], "trades");
  EXPECT_EQ(d["description"], "test trades");
  EXPECT_EQ(d["partition_columns"], json::array({"day"}));
  EXPECT_EQ(d["properties"]["delta.checkpointInterval"], "5");
  EXPECT_EQ(d["protocol"]["min_reader_version"], 1);
  EXPECT_EQ(d["protocol"]["min_writer_version"], 2);
  EXPECT_EQ(d["files"], 2);  // one per day
  EXPECT_EQ(d["rows"], 3);
  EXPECT_GT(d["size_bytes"].get<int64_t>(), 0);
  EXPECT_TRUE(d["checkpoint_version"].is_null());
  ASSERT_EQ(d["columns"].size(), 3u);
  EXPECT_EQ(d["columns"][0]["name"], "day");
  EXPECT_EQ(d["columns"][0]["partition"], true);
  EXPECT_EQ(d["columns"][1]["name"], "symbol");
  EXPECT_EQ(d["columns"][1]["type"], "string");
  EXPECT_EQ(d["columns"][1]["nullable"], false);
  EXPECT_EQ(d["columns"][2]["type"], "double");

  ProcessResult text = Delta({"describe", table_});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, AllOf(HasSubstr("delta.checkpointInterval=5"), HasSubstr("COLUMN"),
                              HasSubstr("Partitioned by  day")));

  // The table enforces what create declared.
  ProcessResult negative =
      Delta({"append", table_, "--from", File("bad.csv", "day,symbol,price\n2024-01-03,BTC,-1\n")});
  EXPECT_EQ(negative.exit_code, 1);
  EXPECT_THAT(negative.err, HasSubstr("price > 0"));
}

TEST_F(DeltaCliTest, BadUsageExitsTwo) {
  CreatePeople();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"read", table_, "--bogus"}, "--bogus"},
      {{"read", table_, "--version", "0", "--timestamp", "2024-01-01"}, "excludes"},
      {{"read", table_, "--format", "xml"}, "xml"},
      {{"read", table_, "--format", "parquet"}, "--output"},
      {{"read", table_, "--timestamp", "2024-13-01"}, "2024-13-01"},
      {{"read"}, "TABLE_DIR"},
      {{"append", table_}, "--from"},
      {{"append", table_, "--from", people_csv_, "--app-id", "x"}, "--app-version"},
      {{"create", dir_.Join("t2"), "--from", people_csv_, "--property", "novalue"}, "KEY=VALUE"},
      {{"create", dir_.Join("t2"), "--from", File("rows.txt", kPeopleCsv)}, "rows.txt"},
      {{"delete", table_}, "--where"},
      {{"restore", table_}, "--version"},
      {{"optimize", table_, "--target-size", "12XB"}, "12XB"},
      {{"vacuum", table_, "--retention-hours", "-1"}, "-1"},
      {{"frobnicate", table_}, "unknown command 'delta frobnicate'"},
  };
  for (const auto& c : cases) {
    ProcessResult result = Delta(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args[0] << " " << c.message << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.args[0];
  }
  ProcessResult no_command = RunDlake({"delta"});
  EXPECT_EQ(no_command.exit_code, 2);
}

TEST_F(DeltaCliTest, MissingTableExitsOneNamingThePath) {
  const std::string missing = dir_.Join("no-such-table");
  for (const char* command : {"read", "history", "describe", "vacuum"}) {
    ProcessResult result = Delta({command, missing});
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_THAT(result.err, HasSubstr(missing)) << command;
  }
  ProcessResult append = Delta({"append", missing, "--from", people_csv_});
  EXPECT_EQ(append.exit_code, 1);
  EXPECT_THAT(append.err, HasSubstr(missing));
  ProcessResult no_input = Delta({"create", table_, "--from", dir_.Join("absent.csv")});
  EXPECT_EQ(no_input.exit_code, 1);
  EXPECT_THAT(no_input.err, HasSubstr("absent.csv"));
  // create refuses a folder that already holds a table.
  CreatePeople();
  ProcessResult twice = Delta({"create", table_, "--from", people_csv_});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.err, HasSubstr(table_));
}

TEST_F(DeltaCliTest, NewColumnNeedsMergeSchema) {
  CreatePeople();
  const std::string wider = File("wider.csv", "id,name,score,bonus\n4,dave,40,7\n");
  ProcessResult refused = Delta({"append", table_, "--from", wider});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("bonus"));
  EXPECT_EQ(ReadCsv().size(), 1u + 3);  // nothing was written

  ProcessResult merged = Delta({"append", table_, "--from", wider, "--merge-schema"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  EXPECT_THAT(ReadCsv({"--where", "id >= 3"}),
              ElementsAre("id,name,score,bonus", "3,carol,30,", "4,dave,40,7"));
}

TEST_F(DeltaCliTest, DeleteMergeOverwriteAndRestore) {
  CreatePeople();
  json deleted = DeltaJson({"delete", table_, "--where", "id = 2"});
  EXPECT_EQ(deleted["version"], 1);
  EXPECT_EQ(deleted["rows_deleted"], 1);
  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,alice,10", "3,carol,30"));

  const std::string updates = File("updates.csv", "id,name,score\n3,carol,99\n9,ivan,90\n");
  json merged = DeltaJson({"merge", table_, "--from", updates, "--key", "id", "--no-insert"});
  EXPECT_EQ(merged["rows_updated"], 1);
  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,alice,10", "3,carol,99"));
  merged = DeltaJson({"merge", table_, "--from", updates, "--key", "id"});
  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,alice,10", "3,carol,99", "9,ivan,90"));

  const std::string replacement = File("low.csv", "id,name,score\n1,ann,11\n");
  json overwritten =
      DeltaJson({"overwrite", table_, "--from", replacement, "--replace-where", "id < 5"});
  EXPECT_GE(overwritten["version"].get<int64_t>(), 4);
  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,ann,11", "9,ivan,90"));

  json restored = DeltaJson({"restore", table_, "--version", "0"});
  EXPECT_EQ(restored["operation"], "restore");
  EXPECT_THAT(ReadCsv(), ElementsAre("id,name,score", "1,alice,10", "2,bob,20", "3,carol,30"));
  json history = DeltaJson({"history", table_, "--limit", "1"});
  EXPECT_EQ(history[0]["operation"], "RESTORE");
}

TEST_F(DeltaCliTest, IdempotentAppendIsSkippedTheSecondTime) {
  CreatePeople();
  json first = DeltaJson(
      {"append", table_, "--from", people_csv_, "--app-id", "loader", "--app-version", "1"});
  EXPECT_EQ(first["skipped"], false);
  json second = DeltaJson(
      {"append", table_, "--from", people_csv_, "--app-id", "loader", "--app-version", "1"});
  EXPECT_EQ(second["skipped"], true);
  EXPECT_EQ(ReadCsv().size(), 1u + 6);
}

TEST_F(DeltaCliTest, OptimizeThenVacuumListsReplacedFiles) {
  CreatePeople();
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Delta({"append", table_, "--from", people_csv_}).exit_code, 0);
  }
  const std::set<std::string> before = DataFiles(table_);
  ASSERT_EQ(before.size(), 3u);

  json optimized = DeltaJson({"optimize", table_, "--target-size", "64MB"});
  EXPECT_EQ(optimized["files_removed"], 3);
  EXPECT_EQ(optimized["files_added"], 1);
  json again = DeltaJson({"optimize", table_});
  EXPECT_EQ(again["skipped"], true);

  // The default retention keeps the replaced files; a zero retention needs --force.
  EXPECT_EQ(DeltaJson({"vacuum", table_, "--dry-run"})["count"], 0);
  ProcessResult unforced = Delta({"vacuum", table_, "--retention-hours", "0"});
  EXPECT_EQ(unforced.exit_code, 1);
  EXPECT_THAT(unforced.err, AllOf(HasSubstr("168"), HasSubstr("force")));

  json dry = DeltaJson({"vacuum", table_, "--retention-hours", "0", "--force", "--dry-run"});
  EXPECT_EQ(dry["dry_run"], true);
  auto listed = dry["files"].get<std::vector<std::string>>();
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), before);
  EXPECT_EQ(DataFiles(table_).size(), 4u);  // a dry run deletes nothing

  ProcessResult vacuum = Delta({"vacuum", table_, "--retention-hours", "0", "--force"});
  ASSERT_EQ(vacuum.exit_code, 0) << vacuum.err;
  EXPECT_THAT(vacuum.out, HasSubstr("deleted 3 files"));
  EXPECT_EQ(DataFiles(table_).size(), 1u);
  EXPECT_EQ(ReadCsv().size(), 1u + 9);
}

TEST_F(DeltaCliTest, CheckpointAndLogCleanup) {
  CreatePeople();
  ASSERT_EQ(Delta({"append", table_, "--from", people_csv_}).exit_code, 0);
  ProcessResult checkpoint = Delta({"checkpoint", table_});
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  EXPECT_THAT(checkpoint.out, HasSubstr("checkpoint written at version 1"));
  EXPECT_EQ(DeltaJson({"describe", table_})["checkpoint_version"], 1);

  json cleaned = DeltaJson({"cleanup-log", table_, "--retention-hours", "0"});
  EXPECT_EQ(cleaned["cutoff_checkpoint"], 1);
  EXPECT_GE(cleaned["count"].get<int64_t>(), 1);
  EXPECT_EQ(ReadCsv().size(), 1u + 6);
}

TEST(DeltaCliGoldenTest, ReadsTimeTravelTableInPlace) {
  const std::string table = testing::GoldenTablePath("delta-time-travel-start-start20-start40");
  const auto files_before = testing::Checksums(table);
  ProcessResult latest = RunDlake({"delta", "read", table, "--format", "csv"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(Lines(latest.out).size(), 1u + 30);
  ProcessResult first = RunDlake({"delta", "read", table, "--format", "csv", "--version", "0"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Lines(first.out).size(), 1u + 10);
  ProcessResult table_format = RunDlake({"delta", "read", table, "--version", "1"});
  EXPECT_THAT(table_format.out, HasSubstr("(20 rows)"));
  EXPECT_EQ(testing::Checksums(table), files_before) << "reading changed the golden table";
  EXPECT_FALSE(std::filesystem::exists(table + "/_dlake_tmp"));
}

TEST(DeltaCliGoldenTest, RefusesColumnMappingNamingTheFeature) {
  const std::string table =
      testing::GoldenTablePath("kernel-rs-table-with-columnmapping-mode-name");
  ProcessResult read = RunDlake({"delta", "read", table});
  EXPECT_EQ(read.exit_code, 1);
  EXPECT_THAT(read.err, HasSubstr("columnMapping"));
}

TEST(DeltaCliHelpTest, EveryCommandHasHelp) {
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"create", "--partition-by"},
      {"append", "--merge-schema"},
      {"overwrite", "--replace-where"},
      {"delete", "--where"},
      {"merge", "--key"},
      {"read", "--timestamp"},
      {"history", "--limit"},
      {"describe", "--version"},
      {"optimize", "--target-size"},
      {"vacuum", "--dry-run"},
      {"restore", "--timestamp"},
      {"checkpoint", "TABLE_DIR"},
      {"cleanup-log", "--retention-hours"}};
  ProcessResult group = RunDlake({"delta", "--help"});
  EXPECT_EQ(group.exit_code, 0);
  for (const auto& [command, flag] : commands) {
    EXPECT_THAT(group.out, HasSubstr(command));
    ProcessResult help = RunDlake({"delta", command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr(flag)) << command;
  }
}

}  // namespace
}  // namespace dlake::cli
