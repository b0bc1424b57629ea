// The Delta test harness itself: chDB as the reference reader, the golden tables' manifests and
// expected rows, CSV parsing, the row-set comparison, and table copies with commit times.
// These tests show that the harness reads what a real Delta reader reads and that it fails when
// rows differ.

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "testing/delta_golden.h"
#include "testing/delta_reference.h"
#include "testing/test_util.h"

namespace dlake::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

constexpr const char* kTimeTravel = "delta-time-travel-start-start20-start40";
constexpr const char* kSimpleTable = "delta-rs-simple_table";

// Sets an environment variable for the scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

RowSet Rows(std::vector<std::string> columns, std::vector<TextRow> rows) {
  return RowSet{std::move(columns), std::move(rows)};
}

int64_t MtimeMs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// ---- chDB ----

TEST(ChdbReferenceTest, IsInstalled) { DLAKE_ASSERT_OK(CheckChdb()); }

TEST(ChdbReferenceTest, ReadsEachTimeTravelVersionLikeTheGoldenRows) {
  DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest manifest, GoldenManifest::Load(kTimeTravel));
  ASSERT_THAT(manifest.readable_versions(), ElementsAre(0, 1, 2));
  for (int64_t version : manifest.readable_versions()) {
    SCOPED_TRACE("version " + std::to_string(version));
    DLAKE_ASSERT_OK_AND_ASSIGN(RowSet actual,
                               ReadDeltaWithChdb(GoldenTablePath(kTimeTravel), version));
    DLAKE_ASSERT_OK_AND_ASSIGN(RowSet expected, LoadExpectedRows(kTimeTravel, version));
    EXPECT_TRUE(CompareRowSets(expected, actual));
    EXPECT_EQ(actual.rows.size(), static_cast<size_t>(10 * (version + 1)));
  }
}

TEST(ChdbReferenceTest, ReadsSimpleTableLatest) {
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet actual, ReadDeltaWithChdb(GoldenTablePath(kSimpleTable)));
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet expected, LoadExpectedRows(kSimpleTable));
  EXPECT_TRUE(CompareRowSets(expected, actual));
  DLAKE_ASSERT_OK_AND_ASSIGN(int64_t count, ChdbRowCount(GoldenTablePath(kSimpleTable)));
  EXPECT_EQ(count, 3);
}

// One version of one golden table.
struct TableVersion {
  std::string table;
  int64_t version;
};

// Tables whose columns chDB renders as the golden CSVs do (integers and strings); both sides
// come from independent readers, so every readable version must agree. One node process.
TEST(ChdbReferenceTest, MatchesTheGoldenRowsOfPlainTablesAtEveryVersion) {
  std::vector<TableVersion> targets;
  std::vector<std::string> sqls;
  for (const char* table :
       {"delta-basic-with-inserts-deletes-checkpoint", "delta-rs-simple_table",
        "delta-rs-simple_table_with_checkpoint", "delta-dv-partitioned-with-checkpoint",
        "delta-rs-table-with-dv-small", "delta-time-travel-schema-changes-b",
        "delta-rs-delta-0.8.0-null-partition", "kernel-rs-cdf-table-data-change",
        "delta-commit-info-containing-arbitrary-operationParams-types",
        "delta-v2-checkpoint-parquet"}) {
    DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest manifest, GoldenManifest::Load(table));
    for (int64_t version : manifest.readable_versions()) {
      targets.push_back({table, version});
      sqls.push_back(ChdbDeltaReadSql(GoldenTablePath(table), version));
    }
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(std::vector<RowSet> results, ChdbQueries(sqls));
  for (size_t i = 0; i < targets.size(); ++i) {
    SCOPED_TRACE(targets[i].table + " version " + std::to_string(targets[i].version));
    DLAKE_ASSERT_OK_AND_ASSIGN(RowSet expected,
                               LoadExpectedRows(targets[i].table, targets[i].version));
    EXPECT_TRUE(CompareRowSets(expected, results[i]));
  }
}

// sum(1) honours deletion vectors; the manifests were computed with them applied.
TEST(ChdbReferenceTest, RowCountsMatchEveryGoldenManifest) {
  std::vector<TableVersion> targets;
  std::vector<int64_t> counts;
  std::vector<std::string> sqls;
  for (const std::string& table : GoldenTableNames()) {
    DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest manifest, GoldenManifest::Load(table));
    for (int64_t version : manifest.readable_versions()) {
      if (!manifest.row_count(version)) continue;  // a log-only table
      targets.push_back({table, version});
      counts.push_back(*manifest.row_count(version));
      sqls.push_back(ChdbDeltaRowCountSql(GoldenTablePath(table), version));
    }
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(std::vector<RowSet> results, ChdbQueries(sqls));
  for (size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(results[i].rows.size(), 1u);
    EXPECT_EQ(results[i].rows[0][0], std::to_string(counts[i]))
        << targets[i].table << " version " << targets[i].version;
  }
}

TEST(ChdbReferenceTest, ParsesQuotesNullsAndNewlines) {
  DLAKE_ASSERT_OK_AND_ASSIGN(
      RowSet result,
      ChdbQuery("SELECT 'a\"b' AS quoted, '' AS empty, NULL AS nothing, 'x\\ny' AS two_lines, "
                "'p,q' AS comma, 42 AS number"));
  EXPECT_THAT(result.columns,
              ElementsAre("quoted", "empty", "nothing", "two_lines", "comma", "number"));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_THAT(result.rows[0], ElementsAre("a\"b", "", std::nullopt, "x\ny", "p,q", "42"));
}

TEST(ChdbReferenceTest, ReportsTheFailingStatement) {
  const std::string bad = "SELECT * FROM deltaLakeLocal('/nonexistent/delta/table')";
  EXPECT_THAT(ChdbQuery(bad), StatusIs(StatusCode::kInternal, HasSubstr("/nonexistent/delta")));
  EXPECT_THAT(ChdbQueries({"SELECT 1", bad}),
              StatusIs(StatusCode::kInternal, HasSubstr("chDB query failed: " + bad)));
}

TEST(ChdbReferenceTest, MissingChdbIsAnErrorThatSaysToRunSetup) {
  TempDir empty;
  ScopedEnv env("DLAKE_CHDB_DIR", empty.path());
  EXPECT_EQ(ChdbDir(), empty.path());
  EXPECT_THAT(CheckChdb(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("run scripts/setup.sh")));
  EXPECT_THAT(ReadDeltaWithChdb(GoldenTablePath(kSimpleTable)),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr(empty.path())));
}

TEST(ChdbReferenceTest, ReadsATableWhosePathNeedsQuoting) {
  TempDir tmp;
  // delta-kernel-rs reads a backslash in a path as a separator, so the path has none.
  const std::string dir = tmp.Join("it's a table");
  DLAKE_ASSERT_OK(CopyTableWithMtimes(kSimpleTable, dir));
  DLAKE_ASSERT_OK_AND_ASSIGN(int64_t count, ChdbRowCount(dir, 1));
  EXPECT_EQ(count, 20);
}

// ---- CSV ----

TEST(ParseCsvTest, GoldenFormQuotesAndNulls) {
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet rows,
                             ParseCsv("a,\"b,c\"\n1,\n\"x,\"\"y\"\"\",\"\"\n\"two\nlines\",z\r\n",
                                      CsvNull::kEmptyUnquoted, "test"));
  EXPECT_THAT(rows.columns, ElementsAre("a", "b,c"));
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_THAT(rows.rows[0], ElementsAre("1", std::nullopt));
  EXPECT_THAT(rows.rows[1], ElementsAre("x,\"y\"", ""));
  EXPECT_THAT(rows.rows[2], ElementsAre("two\nlines", "z"));
}

TEST(ParseCsvTest, EmptyLineIsOneNullInAOneColumnTable) {
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet rows, ParseCsv("k\nA\n\nB", CsvNull::kEmptyUnquoted, "t"));
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[1], TextRow{std::nullopt});
  EXPECT_EQ(rows.rows[2], TextRow{"B"});
}

TEST(ParseCsvTest, ClickHouseForm) {
  DLAKE_ASSERT_OK_AND_ASSIGN(
      RowSet rows, ParseCsv("\"k\",\"v\"\n\\N,\"\"\n,\"\\N\"\n", CsvNull::kBackslashN, "t"));
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_THAT(rows.rows[0], ElementsAre(std::nullopt, ""));
  EXPECT_THAT(rows.rows[1], ElementsAre("", "\\N"));
}

TEST(ParseCsvTest, RejectsMalformedText) {
  EXPECT_THAT(ParseCsv("a,b\n1,2\n3\n", CsvNull::kEmptyUnquoted, "f.csv"),
              StatusIs(StatusCode::kCorruption, HasSubstr("f.csv: line 3 has 1 fields")));
  EXPECT_THAT(ParseCsv("a\n\"open\n", CsvNull::kEmptyUnquoted, "f.csv"),
              StatusIs(StatusCode::kCorruption, HasSubstr("unterminated quote")));
  EXPECT_THAT(ParseCsv("a\n\"x\"y\n", CsvNull::kEmptyUnquoted, "f.csv"),
              StatusIs(StatusCode::kCorruption, HasSubstr("after a closing quote")));
}

// ---- CompareRowSets ----

TEST(CompareRowSetsTest, IgnoresRowAndColumnOrder) {
  const RowSet expected = Rows({"id", "name"}, {{"1", "a"}, {"2", std::nullopt}});
  const RowSet actual = Rows({"name", "id"}, {{std::nullopt, "2"}, {"a", "1"}});
  EXPECT_TRUE(CompareRowSets(expected, actual));
}

TEST(CompareRowSetsTest, ReportsAnAlteredRow) {
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet expected, LoadExpectedRows(kTimeTravel, 2));
  RowSet altered = expected;
  altered.rows[7][0] = "1007";
  const ::testing::AssertionResult result = CompareRowSets(expected, altered);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.message(), HasSubstr("expected 30 rows, actual 30 rows; 1 missing, 1 extra"));
  EXPECT_THAT(result.message(), HasSubstr("\"1007\""));
  EXPECT_THAT(result.message(), HasSubstr("\"" + *expected.rows[7][0] + "\""));
}

TEST(CompareRowSetsTest, CountsDuplicateRows) {
  const RowSet twice = Rows({"id"}, {{"1"}, {"1"}});
  const RowSet once = Rows({"id"}, {{"1"}});
  const ::testing::AssertionResult result = CompareRowSets(twice, once);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.message(), HasSubstr("1 missing, 0 extra"));
}

TEST(CompareRowSetsTest, ReportsColumnDifferences) {
  const ::testing::AssertionResult result =
      CompareRowSets(Rows({"id", "part"}, {}), Rows({"id", "value"}, {}));
  ASSERT_FALSE(result);
  EXPECT_THAT(result.message(), HasSubstr("missing [part], extra [value]"));
}

TEST(CompareRowSetsTest, NullIsNotTheEmptyString) {
  EXPECT_FALSE(CompareRowSets(Rows({"k"}, {{std::nullopt}}), Rows({"k"}, {{""}})));
}

// A UTC offset on a timestamp is the only rendering difference forgiven.
TEST(CompareRowSetsTest, ForgivesOnlyTheUtcOffsetOfATimestamp) {
  struct Case {
    std::string expected, actual;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"2021-09-08 11:11:11+00", "2021-09-08 11:11:11", true},
      {"2000-01-01 08:00:00", "2000-01-01 08:00:00+00", true},
      {"1970-01-01 00:00:00.001+00", "1970-01-01 00:00:00.001", true},
      {"2021-09-08 11:11:11+01", "2021-09-08 11:11:11", false},
      {"2021-09-08 11:11:11+00", "2021-09-08 11:11:11.000000", false},
      {"2021-09-08+00", "2021-09-08", false},
      {"{'t': 2021-09-08 11:11:11+00}", "{'t': 2021-09-08 11:11:11}", false},
      {"1.0", "1", false},
      {"0.00", "0", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(
        static_cast<bool>(CompareRowSets(Rows({"v"}, {{c.expected}}), Rows({"v"}, {{c.actual}}))),
        c.equal)
        << c.expected << " vs " << c.actual;
  }
}

// ---- Golden tables ----

TEST(GoldenTest, ListsTheTables) {
  const std::vector<std::string> names = GoldenTableNames();
  EXPECT_EQ(names.size(), 15u);
  EXPECT_THAT(names, Contains(kTimeTravel));
  EXPECT_THAT(names, Contains("kernel-rs-table-with-columnmapping-mode-name"));
  EXPECT_THAT(names, Not(Contains("_expected")));
}

TEST(GoldenTest, ManifestAccessors) {
  DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest travel, GoldenManifest::Load(kTimeTravel));
  EXPECT_EQ(travel.latest_version(), 2);
  EXPECT_EQ(travel.min_reader_version(), 1);
  EXPECT_TRUE(travel.reader_features().empty());
  EXPECT_EQ(travel.row_count(1), 20);
  EXPECT_EQ(travel.active_file_count(2), 6);
  EXPECT_EQ(travel.commit_mtimes_ms().at("00000000000000000001.json"), 1540416858000);

  DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest dv,
                             GoldenManifest::Load("delta-rs-table-with-dv-small"));
  EXPECT_EQ(dv.min_reader_version(), 3);
  EXPECT_THAT(dv.reader_features(), ElementsAre("deletionVectors"));

  DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest vacuumed,
                             GoldenManifest::Load("delta-rs-checkpoints_vacuumed"));
  EXPECT_THAT(vacuumed.readable_versions(), ElementsAre(5, 6, 7, 8, 9, 10, 11, 12));
  EXPECT_EQ(vacuumed.versions().size(), 13u);
  EXPECT_THAT(vacuumed.version_error(0), Optional(HasSubstr("missing commits")));
  EXPECT_EQ(vacuumed.row_count(12), std::nullopt);
  EXPECT_EQ(vacuumed.active_file_count(12), 12);

  EXPECT_THAT(GoldenManifest::Load("no-such-table"),
              StatusIs(StatusCode::kNotFound, HasSubstr("no-such-table")));
}

// Parses every expected CSV and checks it against the manifest's row count.
TEST(GoldenTest, ExpectedRowsMatchTheManifestCounts) {
  for (const std::string& table : GoldenTableNames()) {
    DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest manifest, GoldenManifest::Load(table));
    for (int64_t version : manifest.readable_versions()) {
      if (!manifest.row_count(version)) continue;  // a log-only table
      SCOPED_TRACE(table + " version " + std::to_string(version));
      DLAKE_ASSERT_OK_AND_ASSIGN(RowSet rows, LoadExpectedRows(table, version));
      EXPECT_EQ(static_cast<int64_t>(rows.rows.size()), *manifest.row_count(version));
      EXPECT_FALSE(rows.columns.empty());
      for (const std::string& column : rows.columns) {
        EXPECT_THAT(manifest.schema_columns(), Contains(column));
      }
    }
  }
}

TEST(GoldenTest, EmptyVersionsTakeTheSchemaColumns) {
  DLAKE_ASSERT_OK_AND_ASSIGN(RowSet rows, LoadExpectedRows("delta-v2-checkpoint-parquet", 0));
  EXPECT_THAT(rows.columns, ElementsAre("id"));
  EXPECT_TRUE(rows.rows.empty());
}

TEST(GoldenTest, NoExpectedRowsForAnUnreadableVersion) {
  EXPECT_THAT(LoadExpectedRows("delta-rs-checkpoints_vacuumed", 0),
              StatusIs(StatusCode::kNotFound, HasSubstr("missing commits")));
}

TEST(GoldenTest, CopyTableWithMtimesSetsTheCommitTimes) {
  for (const char* table : {kTimeTravel, kSimpleTable}) {
    SCOPED_TRACE(table);
    TempDir tmp;
    const std::string dir = tmp.Join(table);
    DLAKE_ASSERT_OK(CopyTableWithMtimes(table, dir));
    DLAKE_ASSERT_OK_AND_ASSIGN(GoldenManifest manifest, GoldenManifest::Load(table));
    ASSERT_FALSE(manifest.commit_mtimes_ms().empty());
    for (const auto& [name, ms] : manifest.commit_mtimes_ms()) {
      EXPECT_EQ(MtimeMs(dir + "/_delta_log/" + name), ms) << name;
    }
    EXPECT_EQ(ListFilesRecursive(dir), ListFilesRecursive(GoldenTablePath(table)));
    // The copy is the test's to change, although the golden files are read-only.
    for (const std::string& file : ListFilesRecursive(dir)) {
      const auto perms = std::filesystem::status(dir + "/" + file).permissions();
      EXPECT_NE(perms & std::filesystem::perms::owner_write, std::filesystem::perms::none) << file;
    }
    EXPECT_THAT(CopyTableWithMtimes(table, dir),
                StatusIs(StatusCode::kAlreadyExists, HasSubstr(dir)));
  }
}

}  // namespace
}  // namespace dlake::testing
