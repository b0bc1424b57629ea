// Conformance: the reader against every table in ../shared/delta-golden, written by Spark and
// delta-rs, at every readable version; tables that need a feature dlake does not implement must
// be refused with the feature named.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "delta/log_files.h"
#include "dlake/delta/table.h"
#include "testing/delta_golden.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

using ::dlake::testing::CompareRowSets;
using ::dlake::testing::GoldenManifest;
using ::dlake::testing::RowSet;

// Reader features dlake implements; a table needing any other must be refused.
bool Implemented(const std::string& feature) {
  return feature == "deletionVectors" || feature == "timestampNtz" ||
         feature == "vacuumProtocolCheck";
}

// The feature a golden table needs that dlake lacks, or "".
std::string MissingFeature(const GoldenManifest& manifest) {
  for (const auto& feature : manifest.reader_features()) {
    if (!Implemented(feature)) return feature;
  }
  if (manifest.min_reader_version() == 2) return "columnMapping";
  return "";
}

Result<RowSet> ReadAll(Table& table, std::optional<int64_t> version) {
  ScanOptions scan;
  scan.at.version = version;
  DLAKE_ASSIGN_OR_RETURN(std::string sql, table.ScanSql(scan));
  DLAKE_ASSIGN_OR_RETURN(RecordBatch batch,
                         table.Query("SELECT COLUMNS(*)::VARCHAR FROM (" + sql + ")"));
  RowSet rows;
  for (const auto& column : batch.columns) rows.columns.push_back(column.name);
  for (size_t r = 0; r < batch.num_rows; ++r) {
    ::dlake::testing::TextRow row;
    for (const auto& column : batch.columns) {
      if (column.IsNull(r)) {
        row.push_back(std::nullopt);
      } else {
        row.push_back(column.strings[r]);
      }
    }
    rows.rows.push_back(std::move(row));
  }
  return rows;
}

class GoldenConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenConformanceTest, EveryReadableVersionMatchesTheExpectedRows) {
  const std::string name = GetParam();
  auto manifest = GoldenManifest::Load(name);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  auto table = Table::Open(::dlake::testing::GoldenTablePath(name));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  std::string missing = MissingFeature(*manifest);
  if (!missing.empty()) {
    auto rows = ReadAll(**table, std::nullopt);
    ASSERT_FALSE(rows.ok()) << name << " needs " << missing << " but was read";
    EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_THAT(rows.status().message(), ::testing::HasSubstr(missing));
    return;
  }
  int compared = 0;
  for (int64_t version : manifest->readable_versions()) {
    auto expected = ::dlake::testing::LoadExpectedRows(name, version == manifest->latest_version()
                                                                 ? std::nullopt
                                                                 : std::optional<int64_t>(version));
    auto actual = ReadAll(**table, version);
    if (!expected.ok()) {
      // A log-only table: no rows to compare, but the snapshot must still load.
      auto described = (*table)->Describe(VersionSpec{version, std::nullopt});
      EXPECT_TRUE(described.ok()) << name << " v" << version << ": "
                                  << described.status().ToString();
      if (described.ok() && manifest->active_file_count(version)) {
        EXPECT_EQ(described->num_files, *manifest->active_file_count(version));
      }
      continue;
    }
    ASSERT_TRUE(actual.ok()) << name << " v" << version << ": " << actual.status().ToString();
    EXPECT_TRUE(CompareRowSets(*expected, *actual)) << name << " at version " << version;
    ++compared;
  }
  if (manifest->row_count(manifest->latest_version())) {
    EXPECT_GT(compared, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenConformanceTest,
                         ::testing::ValuesIn(::dlake::testing::GoldenTableNames()),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(GoldenDelta, ACleanedUpLogRefusesVersionsBeforeItsCheckpointByName) {
  auto table = Table::Open(::dlake::testing::GoldenTablePath("delta-rs-checkpoints_vacuumed"));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto latest = (*table)->Describe();
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->version, 12);
  EXPECT_EQ(latest->checkpoint_version, 10);
  // Commits 0-4 were cleaned up; version 5 has a checkpoint, so 4 is the newest lost version.
  auto from_checkpoint = (*table)->Describe(VersionSpec{5, std::nullopt});
  ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status().ToString();
  EXPECT_EQ(from_checkpoint->checkpoint_version, 5);
  auto early = (*table)->Describe(VersionSpec{4, std::nullopt});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(early.status().message(), ::testing::HasSubstr("missing"));
}

TEST(GoldenDelta, TimeTravelByTimestampUsesCommitModificationTimes) {
  ::dlake::testing::TempDir dir;
  std::string copy = dir.path() + "/table";
  const std::string name = "delta-time-travel-start-start20-start40";
  ASSERT_TRUE(::dlake::testing::CopyTableWithMtimes(name, copy).ok());
  auto manifest = GoldenManifest::Load(name);
  ASSERT_TRUE(manifest.ok());
  auto table = Table::Open(copy);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  int64_t version = 0;
  for (const auto& [file, mtime] : manifest->commit_mtimes_ms()) {
    auto exact = (*table)->Describe(VersionSpec{std::nullopt, mtime});
    ASSERT_TRUE(exact.ok()) << exact.status().ToString();
    EXPECT_EQ(exact->version, version) << file;
    auto just_after = (*table)->Describe(VersionSpec{std::nullopt, mtime + 1000});
    ASSERT_TRUE(just_after.ok());
    EXPECT_EQ(just_after->version, version) << "a time between commits reads the older one";
    ++version;
  }
  const int64_t first = manifest->commit_mtimes_ms().begin()->second;
  auto before = (*table)->Describe(VersionSpec{std::nullopt, first - 1});
  ASSERT_FALSE(before.ok());
  EXPECT_THAT(before.status().message(), ::testing::HasSubstr("before the earliest"));
  // Rows at a timestamp equal the rows at the version it resolves to.
  ScanOptions scan;
  scan.at.timestamp_ms = manifest->commit_mtimes_ms().rbegin()->second - 1;
  auto rows = (*table)->Read(scan);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->num_rows, 20u);
}

TEST(GoldenDelta, AMissingDataFileIsNamedNotReadAsFewerRows) {
  ::dlake::testing::TempDir dir;
  std::string copy = dir.path() + "/table";
  const std::string name = "delta-time-travel-start-start20-start40";
  ASSERT_TRUE(::dlake::testing::CopyTableWithMtimes(name, copy).ok());
  auto manifest = GoldenManifest::Load(name);
  ASSERT_TRUE(manifest.ok());
  std::string gone =
      copy + "/" + manifest->json()["latest_active_files"][0]["path"].get<std::string>();
  ASSERT_TRUE(std::filesystem::remove(gone));
  auto table = Table::Open(copy);
  ASSERT_TRUE(table.ok());
  auto rows = (*table)->Read({});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(rows.status().message(), ::testing::HasSubstr(gone));
  EXPECT_THAT(rows.status().message(), ::testing::HasSubstr("VACUUM"));
}

TEST(GoldenDelta, UncommittedTmpFilesAndOrphansAreIgnored) {
  // delta-rs-simple_table has an uncommitted commit under _delta_log/.tmp and an orphan file.
  auto listing = ListLog(::dlake::testing::GoldenTablePath("delta-rs-simple_table"));
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->commits.size(), 5u);
  EXPECT_EQ(listing->commits.rbegin()->first, 4);
}

TEST(GoldenDelta, StatsSkipFilesForSimplePredicates) {
  auto table =
      Table::Open(::dlake::testing::GoldenTablePath("delta-basic-with-inserts-deletes-checkpoint"));
  ASSERT_TRUE(table.ok());
  ScanOptions all;
  auto every = (*table)->Read(all);
  ASSERT_TRUE(every.ok()) << every.status().ToString();
  ScanOptions some;
  some.where = "id >= 40";
  auto filtered = (*table)->Read(some);
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  const Column* id = filtered->Find("id");
  ASSERT_NE(id, nullptr);
  for (size_t r = 0; r < filtered->num_rows; ++r) EXPECT_GE(id->ints[r], 40);
  EXPECT_LT(filtered->num_rows, every->num_rows);
}

}  // namespace
}  // namespace dlake::delta
