// Lake::Compact, Lake::Cleanup and Lake::Maintain on real files (doc/maintain.md).

#include <unistd.h>

#include <filesystem>

#include "dlake/common/time.h"
#include "dlake/json.h"
#include "dlake/lake.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::KlineOptions;
using ::dlake::testing::TempDir;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00:00Z

class LakeMaintainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Join("lake");
    auto lake = Lake::Init(root_, LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
    btc_ = *DatasetId::Make("binance", "futures", "BTCUSDT", "raw", "1m");
    // Three days of 1m candles in January 2024: a closed month of small files.
    KlineOptions opts;
    opts.start_ms = kJan1;
    opts.count = 3 * 1440;
    const std::string csv = dir_.Join("in/klines.csv");
    testing::WriteFile(csv, testing::MakeKlineCsv(opts));
    IngestRequest request;
    request.sources = {csv};
    request.dataset = btc_;
    ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
    dataset_dir_ = root_ + "/data/BINANCE/FUTURES/BTCUSDT/raw/1m";
  }

  RecordBatch ReadAll() {
    ReadRequest request;
    request.dataset = btc_;
    auto batch = lake_->Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    return batch.ok() ? *batch : RecordBatch{};
  }

  // A file under the dataset's folder (relative to it), created with a few bytes.
  std::string Plant(const std::string& rel) {
    const std::string path = dataset_dir_ + "/" + rel;
    testing::WriteFile(path, "stray bytes");
    return "data/BINANCE/FUTURES/BTCUSDT/raw/1m/" + rel;
  }

  TempDir dir_;
  std::string root_;
  std::string dataset_dir_;
  std::unique_ptr<Lake> lake_;
  DatasetId btc_;
};

TEST_F(LakeMaintainTest, VerifyIsCleanAfterCompactionAndTheRowsAreTheSame) {
  const RecordBatch before = ReadAll();
  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport report, lake_->Compact(CompactRequest{}));
  EXPECT_EQ(report.Months(), 1);
  EXPECT_EQ(report.FilesBefore(), 3);
  EXPECT_EQ(report.FilesAfter(), 1);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->ListFiles(DatasetFilter{}));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].IsMonthFile());

  DLAKE_ASSERT_OK_AND_ASSIGN(VerifyReport verify, lake_->Verify(VerifyRequest{}));
  EXPECT_TRUE(verify.ok());
  ASSERT_EQ(verify.datasets.size(), 1u);
  EXPECT_THAT(verify.datasets[0].mismatches, IsEmpty());
  EXPECT_THAT(verify.orphans, IsEmpty());
  const RecordBatch after = ReadAll();
  ASSERT_EQ(after.num_rows, before.num_rows);
  ASSERT_EQ(after.columns.size(), before.columns.size());
  for (size_t c = 0; c < before.columns.size(); ++c) {
    EXPECT_EQ(after.columns[c].name, before.columns[c].name);
    EXPECT_EQ(after.columns[c].ints, before.columns[c].ints);
    EXPECT_EQ(after.columns[c].doubles, before.columns[c].doubles);
    EXPECT_EQ(after.columns[c].valid, before.columns[c].valid);
  }
}

TEST_F(LakeMaintainTest, CleanupRemovesDeadWritersTempFilesAndOldOrphansOnly) {
  const std::string dead =
      Plant("2024/01/01/.tmp-" + std::to_string(testing::ExitedPid()) + "-7-day.parquet");
  const std::string live =
      Plant("2024/01/01/.tmp-" + std::to_string(::getpid()) + "-7-day.parquet");
  const std::string old_orphan = Plant("2024/01/02/old-orphan.parquet");
  const std::string young_orphan = Plant("2024/01/02/young-orphan.parquet");
  testing::SetFileAge(root_ + "/" + old_orphan, 25 * kMsPerHour);
  testing::SetFileAge(root_ + "/" + young_orphan, 23 * kMsPerHour);
  const auto before = testing::Checksums(root_ + "/data");

  CleanupRequest dry;
  dry.dry_run = true;
  DLAKE_ASSERT_OK_AND_ASSIGN(CleanupReport planned, lake_->Cleanup(dry));
  EXPECT_THAT(planned.leftovers, ElementsAre(dead));
  EXPECT_THAT(planned.orphans, ElementsAre(old_orphan));
  EXPECT_THAT(planned.young_orphans, ElementsAre(young_orphan));
  EXPECT_EQ(testing::Checksums(root_ + "/data"), before) << "a dry run removes nothing";

  DLAKE_ASSERT_OK_AND_ASSIGN(CleanupReport done, lake_->Cleanup(CleanupRequest{}));
  EXPECT_THAT(done.leftovers, ElementsAre(dead));
  EXPECT_THAT(done.orphans, ElementsAre(old_orphan));
  EXPECT_THAT(done.young_orphans, ElementsAre(young_orphan));
  EXPECT_EQ(done.bytes_freed, 2 * 11);
  EXPECT_FALSE(fs::exists(root_ + "/" + dead));
  EXPECT_FALSE(fs::exists(root_ + "/" + old_orphan));
  EXPECT_TRUE(fs::exists(root_ + "/" + live)) << "its writer is running";
  EXPECT_TRUE(fs::exists(root_ + "/" + young_orphan)) << "inside the grace period";
  EXPECT_EQ(ReadAll().num_rows, 3u * 1440);

  // A shorter grace period takes the young orphan too.
  CleanupRequest short_grace;
  short_grace.grace_ms = kMsPerHour;
  DLAKE_ASSERT_OK_AND_ASSIGN(CleanupReport second, lake_->Cleanup(short_grace));
  EXPECT_THAT(second.orphans, ElementsAre(young_orphan));
  EXPECT_FALSE(fs::exists(root_ + "/" + young_orphan));
}

TEST_F(LakeMaintainTest, CleanupLeavesOtherLayersAlone) {
  const std::string gold = root_ + "/data/gold/dumps/warehouse-old.sql";
  const std::string silver = root_ + "/data/silver/t/part-0.parquet";
  testing::WriteFile(gold, "dump");
  testing::WriteFile(silver, "delta data");
  testing::SetFileAge(gold, 30 * kMsPerDay);
  testing::SetFileAge(silver, 30 * kMsPerDay);
  DLAKE_ASSERT_OK_AND_ASSIGN(CleanupReport done, lake_->Cleanup(CleanupRequest{}));
  EXPECT_THAT(done.orphans, IsEmpty());
  EXPECT_TRUE(fs::exists(gold));
  EXPECT_TRUE(fs::exists(silver));
}

TEST_F(LakeMaintainTest, MaintainCompactsCleansVerifiesAndBacksUpTheManifest) {
  const std::string dead =
      Plant("2024/01/01/.tmp-" + std::to_string(testing::ExitedPid()) + "-1-day.parquet");
  DLAKE_ASSERT_OK_AND_ASSIGN(MaintainReport report, lake_->Maintain(MaintainRequest{}));
  EXPECT_EQ(report.compact.Months(), 1);
  EXPECT_THAT(report.cleanup.leftovers, ElementsAre(dead));
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.verify.files_checked, 1);
  ASSERT_FALSE(report.manifest_backup.empty());
  EXPECT_TRUE(fs::exists(report.manifest_backup));
  EXPECT_THAT(report.manifest_backup, ::testing::HasSubstr("maintain"));

  // Nothing left to do the second time.
  DLAKE_ASSERT_OK_AND_ASSIGN(MaintainReport again, lake_->Maintain(MaintainRequest{}));
  EXPECT_EQ(again.compact.Months(), 0);
  EXPECT_THAT(again.cleanup.leftovers, IsEmpty());
  EXPECT_TRUE(again.ok());

  // JSON: one form, with the three reports.
  const std::string json = ToJson(report, -1);
  EXPECT_THAT(json, ::testing::HasSubstr(R"("months_compacted":1)"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("ok":true)"));
}

}  // namespace
}  // namespace dlake
