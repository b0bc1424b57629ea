#include "dlake/catalog/manifest.h"

#include <sqlite3.h>

#include "catalog/sqlite.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::HasSubstr;

DatasetId Btc() { return DatasetId{"BINANCE", "FUTURES", "BTCUSDT", "raw", "1m"}; }

FileEntry Entry(int64_t day, const std::string& tag = "a") {
  FileEntry f;
  f.path = "data/x/" + std::to_string(day) + tag + ".parquet";
  f.day = day;
  f.time_from = day * 86400000;
  f.time_to = day * 86400000 + 86340000;
  f.rows = 1440;
  f.bytes = 100;
  f.sha256 = "00";
  f.created_at = 1;
  return f;
}

TEST(ManifestTest, MissingManifestIsNotFoundUnlessCreated) {
  TempDir dir;
  EXPECT_THAT(Manifest::Open(dir.Join("manifest.db")).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("manifest.db")));
  Manifest::OpenOptions create;
  create.create = true;
  auto m = Manifest::Open(dir.Join("manifest.db"), create);
  ASSERT_THAT(m.status(), IsOk());
  EXPECT_EQ(*(*m)->SchemaVersion(), Manifest::kLatestVersion);
}

TEST(ManifestTest, MigratesAnOldManifestAndKeepsItsRows) {
  TempDir dir;
  const std::string path = dir.Join("manifest.db");
  {
    Manifest::OpenOptions v1;
    v1.create = true;
    v1.target_version = 1;
    auto m = Manifest::Open(path, v1);
    ASSERT_THAT(m.status(), IsOk());
    EXPECT_EQ(*(*m)->SchemaVersion(), 1);
  }
  {
    // Rows as a version-1 dlake wrote them.
    auto db = sqlite::Database::Open(path, false);
    ASSERT_THAT(db.status(), IsOk());
    DLAKE_ASSERT_OK((*db)->Execute(
        "INSERT INTO datasets VALUES (1, 'BINANCE', 'FUTURES', 'BTCUSDT', 'raw', '1m', 1);"
        "INSERT INTO files(dataset_id, path, day, time_from, time_to, rows, bytes, sha256, "
        "created_at) VALUES (1, 'data/x.parquet', 19723, 1704067200000, 1704153540000, 1440, "
        "100, '00', 1);"));
  }
  auto m = Manifest::Open(path);
  ASSERT_THAT(m.status(), IsOk());
  EXPECT_EQ(*(*m)->SchemaVersion(), Manifest::kLatestVersion);
  auto files = (*m)->Files(DatasetFilter{});
  ASSERT_THAT(files.status(), IsOk());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().dataset, Btc());
  // The v2 table works on the migrated database.
  DLAKE_EXPECT_OK((*m)->AddKnownGap(KnownGap{Btc(), 10, 20, "test"}));
}

TEST(ManifestTest, RefusesANewerSchema) {
  TempDir dir;
  const std::string path = dir.Join("manifest.db");
  {
    Manifest::OpenOptions create;
    create.create = true;
    ASSERT_THAT(Manifest::Open(path, create).status(), IsOk());
  }
  {
    auto db = sqlite::Database::Open(path, false);
    ASSERT_THAT(db.status(), IsOk());
    DLAKE_ASSERT_OK((*db)->Execute("PRAGMA user_version = 99"));
  }
  EXPECT_THAT(Manifest::Open(path).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("newer")));
}

TEST(ManifestTest, OverlapQueryReturnsOnlyTheDaysAskedFor) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  auto m = *Manifest::Open(dir.Join("manifest.db"), create);
  std::vector<FileEntry> files;
  for (int64_t day = 19723; day < 19723 + 30; ++day) files.push_back(Entry(day));
  DLAKE_ASSERT_OK(m->CommitFiles(Btc(), files, {}));
  const int64_t day5 = (19723 + 5) * 86400000LL;
  auto one = m->FilesOverlapping(Btc(), day5, day5 + 86400000);
  ASSERT_THAT(one.status(), IsOk());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().day, 19728);
  // The previous day's last row (23:59) is inside a range starting at 23:59.
  auto two = m->FilesOverlapping(Btc(), day5 - 60000, day5 + 86400000);
  ASSERT_EQ(two->size(), 2u);
  // Another dataset sees nothing.
  DatasetId eth = Btc();
  eth.symbol = "ETHUSDT";
  EXPECT_TRUE(m->FilesOverlapping(eth, 0, INT64_MAX / 2)->empty());
}

TEST(ManifestTest, OverlapQueryUsesTheDayIndex) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  ASSERT_THAT(Manifest::Open(dir.Join("manifest.db"), create).status(), IsOk());
  auto db = *sqlite::Database::Open(dir.Join("manifest.db"), false);
  auto plan = *db->Prepare(
      "EXPLAIN QUERY PLAN SELECT f.id FROM datasets d JOIN files f ON f.dataset_id = d.id "
      "WHERE d.exchange='B' AND d.market='F' AND d.symbol='S' AND d.type='raw' AND d.period='1m' "
      "AND f.day BETWEEN 1 AND 2");
  std::string details;
  while (*plan.Step()) details += plan.ColumnText(3) + "\n";
  EXPECT_THAT(details, HasSubstr("sqlite_autoindex_files_2 (dataset_id=? AND day>? AND day<?)"));
  EXPECT_THAT(details, ::testing::Not(HasSubstr("SCAN f")));
}

TEST(ManifestTest, CommitReplacesRowsAtomically) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  auto m = *Manifest::Open(dir.Join("manifest.db"), create);
  DLAKE_ASSERT_OK(m->CommitFiles(Btc(), {Entry(1), Entry(2)}, {}));
  auto before = *m->Files(DatasetFilter{});
  // A second file for day 1 without removing the first violates UNIQUE(dataset, day): the
  // whole commit (including the removal of day 2) rolls back.
  EXPECT_FALSE(m->CommitFiles(Btc(), {Entry(1, "b")}, {before[1].id}).ok());
  EXPECT_EQ(m->Files(DatasetFilter{})->size(), 2u);
  DLAKE_ASSERT_OK(m->CommitFiles(Btc(), {Entry(1, "b")}, {before[0].id}));
  auto after = *m->Files(DatasetFilter{});
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].path, "data/x/1b.parquet");
}

TEST(ManifestTest, DatasetSummariesAndFilters) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  auto m = *Manifest::Open(dir.Join("manifest.db"), create);
  DatasetId eth = Btc();
  eth.symbol = "ETHUSDT";
  DLAKE_ASSERT_OK(m->CommitFiles(Btc(), {Entry(1), Entry(2)}, {}));
  DLAKE_ASSERT_OK(m->CommitFiles(eth, {Entry(3, "e")}, {}));
  auto all = *m->Datasets(DatasetFilter{});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id.symbol, "BTCUSDT");
  EXPECT_EQ(all[0].files, 2);
  EXPECT_EQ(all[0].rows, 2880);
  EXPECT_EQ(all[0].time_from, 86400000);
  DatasetFilter only_eth;
  only_eth.symbol = "ETHUSDT";
  auto eth_only = *m->Datasets(only_eth);
  ASSERT_EQ(eth_only.size(), 1u);
  EXPECT_EQ(eth_only[0].id, eth);
}

LakeFile Bronze(const std::string& collection, const std::string& stamp) {
  LakeFile f;
  f.path = "data/bronze/" + collection + "/x-" + stamp + ".parquet";
  f.kind = std::string(kLakeFileBronze);
  f.collection = collection;
  f.rows = 3;
  f.bytes = 10;
  f.sha256 = "ab";
  f.source = "cmc:/v1/exchange/map";
  return f;
}

TEST(ManifestTest, LakeFilesAreListedByCollectionInPathOrderAndRegisteredOnce) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  auto m = *Manifest::Open(dir.Join("manifest.db"), create);
  DLAKE_ASSERT_OK(m->AddLakeFile(Bronze("b_data", "2025-01-02")));
  DLAKE_ASSERT_OK(m->AddLakeFile(Bronze("a_data", "2025-01-03")));
  DLAKE_ASSERT_OK(m->AddLakeFile(Bronze("a_data", "2025-01-01")));
  EXPECT_THAT(m->AddLakeFile(Bronze("a_data", "2025-01-01")),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("a_data/x-2025-01-01")));
  auto a = *m->LakeFiles(kLakeFileBronze, "a_data");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].path, "data/bronze/a_data/x-2025-01-01.parquet");
  EXPECT_EQ(a[1].path, "data/bronze/a_data/x-2025-01-03.parquet");
  EXPECT_EQ(a[0].source, "cmc:/v1/exchange/map");
  EXPECT_GT(a[0].created_at, 0);
  EXPECT_EQ(m->LakeFiles(kLakeFileBronze, "")->size(), 3u);
  EXPECT_TRUE(m->LakeFiles("gold", "")->empty());
  DLAKE_ASSERT_OK(m->RemoveLakeFiles({a[0].path}));
  EXPECT_EQ(m->LakeFiles(kLakeFileBronze, "a_data")->size(), 1u);
}

TEST(ManifestTest, ApiUsageAddsUpPerEndpointAndDay) {
  TempDir dir;
  Manifest::OpenOptions create;
  create.create = true;
  auto m = *Manifest::Open(dir.Join("manifest.db"), create);
  DLAKE_ASSERT_OK(m->RecordApiUsage({"cmc", "/v1/exchange/map", 100, 1, 1}));
  DLAKE_ASSERT_OK(m->RecordApiUsage({"cmc", "/v1/exchange/map", 100, 1, 2}));
  DLAKE_ASSERT_OK(m->RecordApiUsage({"cmc", "/v1/exchange/info", 101, 9, 9}));
  DLAKE_ASSERT_OK(m->RecordApiUsage({"other", "/x", 100, 5, 5}));
  auto usage = *m->ApiUsageBetween("cmc", 100, 101);
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].endpoint, "/v1/exchange/map");
  EXPECT_EQ(usage[0].requests, 2);
  EXPECT_EQ(usage[0].credits, 3);
  EXPECT_EQ(usage[1].day, 101);
  EXPECT_EQ(usage[1].credits, 9);
  EXPECT_EQ(m->ApiUsageBetween("cmc", 101, 200)->size(), 1u);
}

}  // namespace
}  // namespace dlake
