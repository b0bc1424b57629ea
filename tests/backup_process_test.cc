// `dlake backup` and `dlake restore` as real processes (doc/backup.md): backups taken while
// another process ingests restore into lakes that verify clean and hold exactly one committed
// state; a tampered SHA256SUMS, a non-empty backup folder and a taken lake folder are refused;
// files are hard-linked on one file system and copied across two.

#include <sys/stat.h>

#include <filesystem>

#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct stat Stat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

nlohmann::json ParseJson(const ProcessResult& r) {
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << Describe(r);
  return json;
}

// The paths of the day files the lake's manifest lists.
std::vector<std::string> ListedPaths(const std::string& lake) {
  ProcessResult r = Dlake(lake, {"--json", "list", "--files"});
  std::vector<std::string> out;
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  if (!json.is_array()) return out;
  for (const auto& file : json) out.push_back(file.value("path", ""));
  return out;
}

TEST(BackupProcessTest, BackupsTakenDuringIngestsRestoreToOneCommittedState) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions stored = Klines(0, 6, 40000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("stored.csv"), stored));
  // Each overlaps what is stored, so the ingests replace files and delete the replaced ones.
  const std::vector<KlineOptions> ingests = {Klines(2, 20, 45000, 2), Klines(4, 20, 47000, 3)};
  std::vector<Candles> states = {CandlesOf(stored)};
  for (const auto& ingest : ingests) states.push_back(Merged(states.back(), CandlesOf(ingest)));

  std::vector<std::string> backups;
  auto backup = [&] {
    const std::string dir = tmp.Join("backup" + std::to_string(backups.size()));
    ProcessResult r = Dlake(lake, {"backup", dir, "--data"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    if (r.exit_code == 0) backups.push_back(dir);
  };
  for (size_t i = 0; i < ingests.size(); ++i) {
    const std::string csv = WriteKlines(tmp.Join("in" + std::to_string(i) + ".csv"), ingests[i]);
    auto writer = DlakeChild::Start(IngestArgs(lake, csv));
    while (writer->Running()) backup();
    ProcessResult written = writer->Wait();
    ASSERT_EQ(written.exit_code, 0) << Describe(written);
  }
  backup();

  std::vector<int> seen(states.size());
  for (size_t i = 0; i < backups.size(); ++i) {
    SCOPED_TRACE(backups[i]);
    const std::string restored = tmp.Join("restored" + std::to_string(i));
    ProcessResult r = RunDlakeWith({"--json", "restore", backups[i], restored});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_TRUE(ParseJson(r).value("ok", false)) << r.out;
    nlohmann::json verify = VerifyJson(restored);
    EXPECT_TRUE(verify.value("ok", false)) << verify.dump(2);
    const Snapshot snap = ReadSnapshot(restored);
    std::string differences;
    bool matched = false;
    for (size_t s = 0; s < states.size(); ++s) {
      const std::string mismatch = Mismatch(snap, states[s]);
      if (mismatch.empty()) {
        ++seen[s];
        matched = true;
      }
      differences += " state " + std::to_string(s) + ": " + mismatch + ";";
    }
    EXPECT_TRUE(matched) << "no committed state:" << differences;
  }
  std::cout << backups.size() << " backups; restored states 0/1/2: " << seen[0] << "/" << seen[1]
            << "/" << seen[2] << "\n";
  EXPECT_GE(backups.size(), 3u);
  EXPECT_GE(seen.back(), 1);  // the backup after both ingests
  // The lake itself is untouched by the backups.
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
  ExpectHolds(ReadSnapshot(lake), states.back());
}

TEST(BackupProcessTest, TamperedChecksumIsRefusedNamingTheFileAndCreatesNoLake) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("a.csv"), Klines(0, 3, 40000, 1)));
  const std::string backup = tmp.Join("backup");
  ProcessResult made = Dlake(lake, {"backup", backup, "--data"});
  ASSERT_EQ(made.exit_code, 0) << Describe(made);

  // One data file's line gets another checksum.
  const std::string victim = ListedPaths(lake).at(1);
  std::string sums = ReadFile(backup + "/SHA256SUMS");
  const size_t line = sums.find("  " + victim + "\n");
  ASSERT_NE(line, std::string::npos) << sums;
  const size_t start = line - 64;
  sums[start] = sums[start] == 'a' ? 'b' : 'a';
  WriteFile(backup + "/SHA256SUMS", sums);

  ProcessResult r = RunDlakeWith({"restore", backup, tmp.Join("restored")});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr(victim));
  EXPECT_THAT(r.err, HasSubstr("does not match SHA256SUMS"));
  EXPECT_FALSE(fs::exists(tmp.Join("restored")));
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().filename().string().find("restored"), std::string::npos) << entry.path();
  }
}

TEST(BackupProcessTest, NonEmptyFoldersAreRefusedAndLeftAlone) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("a.csv"), Klines(0, 2, 40000, 1)));
  WriteFile(tmp.Join("full/notes.txt"), "keep me");
  ProcessResult r = Dlake(lake, {"backup", tmp.Join("full"), "--data"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("'" + tmp.Join("full") + "' is not empty"));
  EXPECT_EQ(ListFilesRecursive(tmp.Join("full")), std::vector<std::string>{"notes.txt"});

  ProcessResult made = Dlake(lake, {"backup", tmp.Join("backup"), "--data"});
  ASSERT_EQ(made.exit_code, 0) << Describe(made);
  ProcessResult taken = RunDlakeWith({"restore", tmp.Join("backup"), tmp.Join("full")});
  EXPECT_EQ(taken.exit_code, 1) << Describe(taken);
  EXPECT_THAT(taken.err, HasSubstr("'" + tmp.Join("full") + "'"));
  EXPECT_EQ(ReadFile(tmp.Join("full/notes.txt")), "keep me");

  ProcessResult manifest_only = Dlake(lake, {"backup", tmp.Join("manifest-only")});
  ASSERT_EQ(manifest_only.exit_code, 0) << Describe(manifest_only);
  ProcessResult refused = RunDlakeWith({"restore", tmp.Join("manifest-only"), tmp.Join("new")});
  EXPECT_EQ(refused.exit_code, 1) << Describe(refused);
  EXPECT_THAT(refused.err, HasSubstr("--data"));
  EXPECT_FALSE(fs::exists(tmp.Join("new")));
}

TEST(BackupProcessTest, DataFilesAreHardLinkedOnOneFileSystem) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("a.csv"), Klines(0, 3, 40000, 1)));
  const std::string backup = tmp.Join("backup");
  ProcessResult r = Dlake(lake, {"--json", "backup", backup, "--data"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  nlohmann::json report = ParseJson(r);
  const std::vector<std::string> paths = ListedPaths(lake);
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(report.value("linked", -1), 3);
  EXPECT_EQ(report.value("files", -1), 4);  // and manifest.db
  for (const auto& path : paths) {
    const struct stat in_lake = Stat(lake + "/" + path);
    const struct stat in_backup = Stat(backup + "/" + path);
    EXPECT_EQ(in_lake.st_ino, in_backup.st_ino) << path;
    EXPECT_EQ(in_backup.st_nlink, 2u) << path;
  }
  // The manifest is a copy (SQLite changes it in place), a standalone file.
  EXPECT_NE(Stat(lake + "/manifest.db").st_ino, Stat(backup + "/manifest.db").st_ino);
  EXPECT_FALSE(fs::exists(backup + "/manifest.db-wal"));
}

TEST(BackupProcessTest, DataFilesAreCopiedAcrossFileSystems) {
  TempDir tmp;
  const std::string other_fs = "/dev/shm";
  std::error_code ec;
  if (!fs::is_directory(other_fs, ec) || Stat(other_fs).st_dev == Stat(tmp.path()).st_dev) {
    GTEST_SKIP() << "no second file system at " << other_fs;
  }
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("a.csv"), Klines(0, 2, 40000, 1)));
  const std::string backup = other_fs + "/dlake-backup-test-" + std::to_string(::getpid());
  ProcessResult r = Dlake(lake, {"--json", "backup", backup, "--data"});
  nlohmann::json report = ParseJson(r);
  ProcessResult restored = RunDlakeWith({"--json", "restore", backup, tmp.Join("restored")});
  fs::remove_all(backup, ec);
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_EQ(report.value("linked", -1), 0);
  EXPECT_EQ(report.value("copied", -1), 2);
  ASSERT_EQ(restored.exit_code, 0) << Describe(restored);
  EXPECT_EQ(ParseJson(restored).value("linked", -1), 0);
  ExpectHolds(ReadSnapshot(tmp.Join("restored")), CandlesOf(Klines(0, 2, 40000, 1)));
}

}  // namespace
}  // namespace dlake::testing
