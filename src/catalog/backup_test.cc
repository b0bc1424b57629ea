// Manifest backups on real SQLite files: the online copy, the backup before a migration, the
// rotation of automatic backups and the file list read from a backup.

#include <sqlite3.h>

#include <filesystem>

#include "catalog/manifest_backups.h"
#include "dlake/catalog/manifest.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

DatasetId Btc() { return DatasetId{"BINANCE", "FUTURES", "BTCUSDT", "raw", "1m"}; }

FileEntry Entry(int64_t day) {
  FileEntry f;
  f.path = "data/x/" + std::to_string(day) + ".parquet";
  f.day = day;
  f.time_from = day * 86400000;
  f.time_to = day * 86400000 + 86340000;
  f.rows = 1440;
  f.bytes = 100;
  f.sha256 = "ab" + std::to_string(day);
  f.created_at = 1;
  return f;
}

std::unique_ptr<Manifest> OpenManifest(const std::string& path, int target_version) {
  fs::create_directories(fs::path(path).parent_path());
  Manifest::OpenOptions options;
  options.create = true;
  options.target_version = target_version;
  auto manifest = Manifest::Open(path, options);
  EXPECT_THAT(manifest.status(), IsOk());
  return manifest.ok() ? std::move(manifest).value() : nullptr;
}

// A plain read-only SQLite connection, as any other tool would open a backup.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK)
        << path;
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::string out;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out = text ? reinterpret_cast<const char*>(text) : "";
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ManifestBackupTest, BackupToWritesAStandaloneCopyWithEveryCommittedRow) {
  TempDir dir;
  auto manifest = OpenManifest(dir.Join("lake/manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(manifest, nullptr);
  DLAKE_ASSERT_OK(manifest->CommitFiles(Btc(), {Entry(19723), Entry(19724)}, {}));
  // Rows another connection (another process) committed are in the copy too.
  auto other = OpenManifest(dir.Join("lake/manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(other, nullptr);
  DLAKE_ASSERT_OK(other->CommitFiles(Btc(), {Entry(19725)}, {}));

  const std::string copy = dir.Join("copy/manifest.db");
  fs::create_directories(dir.Join("copy"));
  DLAKE_ASSERT_OK(manifest->BackupTo(copy));

  EXPECT_THAT(Names(dir.Join("copy")), ElementsAre("manifest.db"));  // no -wal, no .tmp-
  RawDb db(copy);
  EXPECT_EQ(db.Text("PRAGMA journal_mode"), "delete");
  EXPECT_EQ(db.Text("PRAGMA user_version"), std::to_string(Manifest::kLatestVersion));
  EXPECT_EQ(db.Text("SELECT count(*) FROM files"), "3");
  EXPECT_EQ(db.Text("SELECT group_concat(sha256) FROM (SELECT sha256 FROM files ORDER BY day)"),
            "ab19723,ab19724,ab19725");
  EXPECT_EQ(db.Text("PRAGMA integrity_check"), "ok");
}

TEST(ManifestBackupTest, BackupToAMissingFolderFailsAndLeavesNothing) {
  TempDir dir;
  auto manifest = OpenManifest(dir.Join("manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(manifest, nullptr);
  EXPECT_THAT(manifest->BackupTo(dir.Join("missing/manifest.db")),
              StatusIs(StatusCode::kIoError, HasSubstr("missing/manifest.db")));
  EXPECT_FALSE(fs::exists(dir.Join("missing")));
}

TEST(ManifestBackupTest, MigrationBacksUpTheOldManifestFirst) {
  TempDir dir;
  const std::string path = dir.Join("lake/manifest.db");
  const std::string backups = dir.Join("lake/metadata/manifest-backups");
  {
    auto old = OpenManifest(path, 3);
    ASSERT_NE(old, nullptr);
  }
  // Creating a manifest migrates from version 0: nothing to keep.
  EXPECT_FALSE(fs::exists(backups));
  {
    auto latest = OpenManifest(path, Manifest::kLatestVersion);
    ASSERT_NE(latest, nullptr);
    EXPECT_EQ(*latest->SchemaVersion(), Manifest::kLatestVersion);
  }
  std::vector<std::string> names = Names(backups);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(catalog::IsManifestBackupName(names[0])) << names[0];
  EXPECT_THAT(names[0],
              HasSubstr("-v3-pre-migration-v" + std::to_string(Manifest::kLatestVersion) + ".db"));
  RawDb db(backups + "/" + names[0]);
  EXPECT_EQ(db.Text("PRAGMA user_version"), "3");
  EXPECT_EQ(db.Text("PRAGMA journal_mode"), "delete");
  // Reopening an up-to-date manifest takes no further backup.
  auto again = OpenManifest(path, Manifest::kLatestVersion);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Names(backups).size(), 1u);
}

TEST(ManifestBackupTest, RotationKeepsTheNewestAndNeverTouchesOtherFiles) {
  TempDir dir;
  auto manifest = OpenManifest(dir.Join("manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(manifest, nullptr);
  const std::string backups = dir.Join("metadata/manifest-backups");
  fs::create_directories(backups);
  testing::WriteFile(backups + "/notes.txt", "mine");
  testing::WriteFile(backups + "/manifest-copy.db", "mine too");
  const int64_t t0 = 1704067200000;  // 2024-01-01T00:00:00Z
  std::string last;
  for (int i = 0; i < 5; ++i) {
    auto path =
        catalog::BackupManifestRotating(*manifest, dir.path(), "maintain", 3, t0 + i * 3600 * 1000);
    ASSERT_THAT(path.status(), IsOk());
    last = *path;
  }
  const std::string v = std::to_string(Manifest::kLatestVersion);
  EXPECT_THAT(Names(backups), ElementsAre("manifest-20240101T020000Z-v" + v + "-maintain.db",
                                          "manifest-20240101T030000Z-v" + v + "-maintain.db",
                                          "manifest-20240101T040000Z-v" + v + "-maintain.db",
                                          "manifest-copy.db", "notes.txt"));
  EXPECT_EQ(last, backups + "/manifest-20240101T040000Z-v" + v + "-maintain.db");
}

TEST(ManifestBackupTest, RotationRefusesBadReasonsAndCounts) {
  TempDir dir;
  auto manifest = OpenManifest(dir.Join("manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(manifest, nullptr);
  EXPECT_THAT(catalog::BackupManifestRotating(*manifest, dir.path(), "../x", 3).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'../x'")));
  EXPECT_THAT(catalog::BackupManifestRotating(*manifest, dir.path(), "maintain", 0).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("1 or more")));
  EXPECT_FALSE(fs::exists(dir.Join("metadata")));
}

TEST(ManifestBackupTest, BackupNamesAreRecognisedExactly) {
  struct Case {
    const char* name;
    bool ours;
  };
  const Case cases[] = {
      {"manifest-20240101T000000Z-v6-maintain.db", true},
      {"manifest-20240101T000000Z-v12-pre-migration-v13.db", true},
      {"manifest-20240101T000000Z-v6-maintain.db.tmp-123", false},
      {"manifest-20240101T000000Z-v6-.db", false},
      {"manifest-20240101T000000Z-vx-maintain.db", false},
      {"manifest-2024010T1000000Z-v6-maintain.db", false},
      {"manifest-20240101T000000Z-v6-Maintain.db", false},
      {"manifest.db", false},
      {"notes.txt", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(catalog::IsManifestBackupName(c.name), c.ours) << c.name;
  }
}

TEST(ManifestBackupTest, ListsDatasetAndLakeFilesOfABackup) {
  TempDir dir;
  auto manifest = OpenManifest(dir.Join("manifest.db"), Manifest::kLatestVersion);
  ASSERT_NE(manifest, nullptr);
  DLAKE_ASSERT_OK(manifest->CommitFiles(Btc(), {Entry(19723)}, {}));
  LakeFile bronze;
  bronze.path = "data/bronze/map/map-2024-01-01_00-00-00.parquet";
  bronze.kind = "bronze";
  bronze.collection = "map";
  bronze.bytes = 7;
  bronze.sha256 = "cd";
  DLAKE_ASSERT_OK(manifest->AddLakeFile(bronze));
  DLAKE_ASSERT_OK(manifest->BackupTo(dir.Join("copy.db")));

  auto listed = catalog::ListManifestFiles(dir.Join("copy.db"));
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].path, bronze.path);
  EXPECT_EQ((*listed)[0].dataset.exchange, "");
  EXPECT_EQ((*listed)[0].sha256, "cd");
  EXPECT_EQ((*listed)[1].path, Entry(19723).path);
  EXPECT_EQ((*listed)[1].dataset, Btc());
  EXPECT_EQ((*listed)[1].bytes, 100);
  // Reading left the backup a standalone file.
  EXPECT_FALSE(fs::exists(dir.Join("copy.db-wal")));
  EXPECT_EQ(RawDb(dir.Join("copy.db")).Text("PRAGMA journal_mode"), "delete");
}

}  // namespace
}  // namespace dlake
