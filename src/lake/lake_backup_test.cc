// Lake::Backup and Lake::Restore on real files: links and copies, SHA256SUMS, refusals, and a
// restored lake that verifies clean and reads the same rows.

#include "dlake/lake_backup.h"

#include <sys/stat.h>

#include <filesystem>

#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::KlineOptions;
using ::dlake::testing::MakeKlineCsv;
using ::dlake::testing::ReadFile;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::dlake::testing::WriteFile;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

ino_t Inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

class LakeBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = Lake::Init(Lake1(), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
    KlineOptions candles;
    candles.count = 3 * 1440;  // three days
    WriteFile(dir_.Join("in/btc.csv"), MakeKlineCsv(candles));
    IngestRequest request;
    request.sources = {dir_.Join("in/btc.csv")};
    request.dataset = Btc();
    ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  }

  std::string Lake1() const { return dir_.Join("lake"); }
  static DatasetId Btc() { return *DatasetId::Make("binance", "futures", "BTCUSDT", "raw", "1m"); }

  Result<BackupReport> Backup(const std::string& dir, bool data) {
    BackupRequest request;
    request.dir = dir;
    request.data = data;
    return lake_->Backup(request);
  }

  static Result<RestoreReport> Restore(const std::string& backup, const std::string& lake) {
    RestoreRequest request;
    request.backup_dir = backup;
    request.lake_dir = lake;
    return Lake::Restore(request, LakeOptions{});
  }

  static std::vector<int64_t> Closes(Lake& lake) {
    ReadRequest request;
    request.dataset = Btc();
    request.columns = {"ts", "close"};
    auto batch = lake.Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    if (!batch.ok() || batch->columns.size() < 2) return {};
    std::vector<int64_t> out = batch->columns[0].ints;
    for (double close : batch->columns[1].doubles) out.push_back(static_cast<int64_t>(close * 100));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(LakeBackupTest, BackupWithDataLinksFilesAndRestoresALakeThatReadsTheSame) {
  WriteFile(Lake1() + "/dlake.toml", "threads = 1\n");
  DLAKE_ASSERT_OK_AND_ASSIGN(BackupReport backup, Backup(dir_.Join("backup"), true));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->ListFiles(DatasetFilter{}));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(backup.files, 5);  // manifest.db, dlake.toml, three day files
  EXPECT_EQ(backup.linked, 3);
  EXPECT_EQ(backup.copied, 1);
  EXPECT_EQ(backup.schema_version, Manifest::kLatestVersion);
  for (const auto& f : files) {
    // Same file system: the backup's data file is the lake's file under a second name.
    EXPECT_EQ(Inode(dir_.Join("backup/" + f.path)), Inode(Lake1() + "/" + f.path)) << f.path;
  }
  // sha256sum -c compatible, one line per file.
  const std::string sums = ReadFile(dir_.Join("backup/SHA256SUMS"));
  EXPECT_EQ(std::count(sums.begin(), sums.end(), '\n'), 5);
  EXPECT_THAT(sums, HasSubstr("  manifest.db\n"));
  EXPECT_THAT(sums, HasSubstr(files[0].sha256 + "  " + files[0].path + "\n"));
  EXPECT_FALSE(fs::exists(dir_.Join("backup/manifest.db-wal")));

  DLAKE_ASSERT_OK_AND_ASSIGN(RestoreReport restore,
                             Restore(dir_.Join("backup"), dir_.Join("restored")));
  EXPECT_TRUE(restore.verify.ok()) << ToJson(restore);
  EXPECT_EQ(restore.verify.files_checked, 3);
  EXPECT_EQ(restore.files, 5);
  EXPECT_EQ(restore.linked, 3);
  EXPECT_EQ(ReadFile(dir_.Join("restored/dlake.toml")), "threads = 1\n");
  EXPECT_FALSE(fs::exists(dir_.Join("restored/SHA256SUMS")));
  // The restored manifest is never shared with the backup.
  EXPECT_NE(Inode(dir_.Join("restored/manifest.db")), Inode(dir_.Join("backup/manifest.db")));
  auto restored = Lake::Open(dir_.Join("restored"), LakeOptions{});
  ASSERT_THAT(restored.status(), IsOk());
  EXPECT_EQ(Closes(**restored), Closes(*lake_));
  EXPECT_EQ(Closes(**restored).size(), 2u * 3 * 1440);
}

TEST_F(LakeBackupTest, SilverTablesAndRunRecordsAreBackedUpWithoutManifestBackups) {
  const std::string table = "data/silver/cmc/quotes/";
  WriteFile(Lake1() + "/" + table + "_delta_log/00000000000000000000.json", "{}\n");
  WriteFile(Lake1() + "/" + table + "_delta_log/_last_checkpoint", "{\"version\":0}");
  WriteFile(Lake1() + "/" + table + "part-0.parquet", "parquet bytes");
  WriteFile(Lake1() + "/" + table + ".tmp-unfinished", "skipped");
  WriteFile(Lake1() + "/metadata/extract/runs.jsonl", "{\"run\":1}\n");
  WriteFile(Lake1() + "/metadata/manifest-backups/manifest-x.db", "not backed up");
  DLAKE_ASSERT_OK_AND_ASSIGN(BackupReport backup, Backup(dir_.Join("backup"), true));
  EXPECT_EQ(Inode(dir_.Join("backup/" + table + "part-0.parquet")),
            Inode(Lake1() + "/" + table + "part-0.parquet"));
  // Rewritten in place or appended to by the lake: copies.
  EXPECT_NE(Inode(dir_.Join("backup/" + table + "_delta_log/_last_checkpoint")),
            Inode(Lake1() + "/" + table + "_delta_log/_last_checkpoint"));
  EXPECT_EQ(ReadFile(dir_.Join("backup/metadata/extract/runs.jsonl")), "{\"run\":1}\n");
  const auto backed_up = testing::ListFilesRecursive(dir_.Join("backup"));
  EXPECT_THAT(backed_up, Not(Contains(HasSubstr("manifest-backups"))));
  EXPECT_THAT(backed_up, Not(Contains(HasSubstr(".tmp-"))));

  DLAKE_ASSERT_OK_AND_ASSIGN(RestoreReport restore,
                             Restore(dir_.Join("backup"), dir_.Join("restored")));
  EXPECT_TRUE(restore.verify.ok()) << ToJson(restore);
  EXPECT_EQ(ReadFile(dir_.Join("restored/" + table + "part-0.parquet")), "parquet bytes");
  EXPECT_EQ(ReadFile(dir_.Join("restored/metadata/extract/runs.jsonl")), "{\"run\":1}\n");
}

TEST_F(LakeBackupTest, BackupRefusesANonEmptyFolderAndOneInsideTheLake) {
  WriteFile(dir_.Join("busy/keep.txt"), "mine");
  EXPECT_THAT(Backup(dir_.Join("busy"), true).status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("'" + dir_.Join("busy") + "' is not empty")));
  EXPECT_EQ(testing::ListFilesRecursive(dir_.Join("busy")), std::vector<std::string>{"keep.txt"});
  EXPECT_THAT(Backup(Lake1() + "/backup", true).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("overlaps the lake")));
  EXPECT_FALSE(fs::exists(Lake1() + "/backup"));
}

TEST_F(LakeBackupTest, ManifestOnlyBackupIsRefusedByRestore) {
  DLAKE_ASSERT_OK_AND_ASSIGN(BackupReport backup, Backup(dir_.Join("backup"), false));
  EXPECT_EQ(backup.files, 1);
  EXPECT_FALSE(fs::exists(dir_.Join("backup/data")));
  EXPECT_THAT(Restore(dir_.Join("backup"), dir_.Join("restored")).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("--data")));
  EXPECT_FALSE(fs::exists(dir_.Join("restored")));
}

TEST_F(LakeBackupTest, TamperedChecksumIsRefusedNamingTheFileAndWritesNothing) {
  ASSERT_THAT(Backup(dir_.Join("backup"), true).status(), IsOk());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->ListFiles(DatasetFilter{}));
  const std::string victim = files[1].path;
  std::string sums = ReadFile(dir_.Join("backup/SHA256SUMS"));
  const size_t at = sums.find(files[1].sha256);
  ASSERT_NE(at, std::string::npos);
  sums[at] = sums[at] == '0' ? '1' : '0';
  WriteFile(dir_.Join("backup/SHA256SUMS"), sums);

  EXPECT_THAT(Restore(dir_.Join("backup"), dir_.Join("restored")).status(),
              StatusIs(StatusCode::kCorruption, HasSubstr(victim)));
  EXPECT_FALSE(fs::exists(dir_.Join("restored")));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("restored")));
  }
}

TEST_F(LakeBackupTest, RestoreRefusesALakeFolderThatHoldsAnything) {
  ASSERT_THAT(Backup(dir_.Join("backup"), true).status(), IsOk());
  WriteFile(dir_.Join("taken/file"), "x");
  EXPECT_THAT(Restore(dir_.Join("backup"), dir_.Join("taken")).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("'" + dir_.Join("taken") + "'")));
  EXPECT_EQ(ReadFile(dir_.Join("taken/file")), "x");
  // An empty folder is fine: the restored lake replaces it.
  fs::create_directories(dir_.Join("empty"));
  DLAKE_ASSERT_OK_AND_ASSIGN(RestoreReport restore,
                             Restore(dir_.Join("backup"), dir_.Join("empty")));
  EXPECT_TRUE(restore.verify.ok()) << ToJson(restore);
  EXPECT_TRUE(fs::exists(dir_.Join("empty/manifest.db")));
}

TEST_F(LakeBackupTest, NotABackupIsNotFound) {
  fs::create_directories(dir_.Join("plain"));
  EXPECT_THAT(Restore(dir_.Join("plain"), dir_.Join("restored")).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("not a dlake backup")));
}

}  // namespace
}  // namespace dlake
