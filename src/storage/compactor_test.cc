// Compaction (doc/layout.md "Compaction"): closed months of a dataset become one month file,
// reads return the same rows before and after, and readers running meanwhile see the old files
// or the new one, never both or neither.

#include "storage/compactor.h"

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "dlake/common/time.h"
#include "duck/duck.h"
#include "runtime/runtime_impl.h"
#include "storage/dataset_locks.h"
#include "storage/dataset_writer.h"
#include "storage/partition.h"
#include "storage/reader.h"
#include "testing/test_util.h"

namespace dlake::storage {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const int64_t k2023 = DayFromCivil(2023, 1, 1);
const int64_t k2024 = DayFromCivil(2024, 1, 1);

// Every value of a batch as text, with the column names and types first: equal renderings are
// equal batches.
std::vector<std::string> Render(const RecordBatch& batch) {
  std::vector<std::string> out;
  std::string header;
  for (const auto& c : batch.columns) header += c.name + ":" + ColumnTypeName(c.type) + ",";
  out.push_back(header);
  for (size_t r = 0; r < batch.num_rows; ++r) {
    std::string row;
    for (const auto& c : batch.columns) row += (c.IsNull(r) ? "NULL" : c.ToString(r)) + ",";
    out.push_back(std::move(row));
  }
  return out;
}

class CompactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = testing::TestRuntime();
    ASSERT_NE(runtime_, nullptr);
    DLAKE_ASSERT_OK_AND_ASSIGN(conn_, duck::Connection::Open(RuntimeDuck(*runtime_)));
    root_ = tmp_.Join("lake");
    DLAKE_ASSERT_OK(Env::Default()->CreateDirs(JoinPath(root_, kDataDir)));
    Manifest::OpenOptions options;
    options.create = true;
    DLAKE_ASSERT_OK_AND_ASSIGN(manifest_, Manifest::Open(JoinPath(root_, kManifestFile), options));
    ctx_.root = root_;
    ctx_.manifest = manifest_.get();
    ctx_.duck = &RuntimeDuck(*runtime_);
    ctx_.env = Env::Default();
    ctx_.settings = &runtime_->settings();
  }

  DatasetId Dataset(const std::string& period, const std::string& type = "raw") {
    auto id = DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", type, period);
    EXPECT_THAT(id.status(), IsOk());
    return id.ok() ? *id : DatasetId{};
  }

  // Candles every `step_ms` over the days [first_day, end_day), written through the writer.
  // `extra_column` adds a `trades` column (a schema that differs from older files).
  void WriteCandles(const DatasetId& dataset, int64_t first_day, int64_t end_day, int64_t step_ms,
                    double base = 100, bool extra_column = false) {
    const std::string table = "staging_" + std::to_string(next_table_++);
    const std::string sql =
        "CREATE TABLE " + table + " AS SELECT ts, (" + std::to_string(base) +
        " + (ts // 3600000) % 97)::DOUBLE AS open, open + 2 AS high, open - 1 AS low, open + 1 AS "
        "close, ((ts // 1000) % 1000 * 0.5)::DOUBLE AS volume" +
        std::string(extra_column ? ", (ts // 60000) % 50 AS trades" : "") +
        ", row_number() OVER () AS _seq FROM range(" + std::to_string(DayStartMs(first_day)) +
        ", " + std::to_string(DayStartMs(end_day)) + ", " + std::to_string(step_ms) + ") t(ts)";
    ASSERT_THAT(conn_->Execute(sql, "staging candles"), IsOk());
    DatasetWriter writer(ctx_, *conn_);
    WriteOptions options;
    options.source = "test";
    ASSERT_THAT(writer.Merge(dataset, Staging{table, true, false}, options).status(), IsOk());
  }

  Result<CompactReport> Compact(const DatasetId& dataset, bool dry_run = false) {
    Compactor compactor(ctx_, *conn_);
    CompactRequest request;
    request.filter = DatasetFilter::Of(dataset);
    request.dry_run = dry_run;
    return compactor.Run(request);
  }

  std::vector<std::string> ReadAll(const DatasetId& dataset) {
    ReadRequest request;
    request.dataset = dataset;
    auto batch = Reader(ctx_).Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    return batch.ok() ? Render(*batch) : std::vector<std::string>{};
  }

  std::vector<FileEntry> Files(const DatasetId& dataset) {
    auto files = manifest_->Files(DatasetFilter::Of(dataset));
    EXPECT_THAT(files.status(), IsOk());
    return files.ok() ? *files : std::vector<FileEntry>{};
  }

  TempDir tmp_;
  std::string root_;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<duck::Connection> conn_;
  std::unique_ptr<Manifest> manifest_;
  StorageContext ctx_;
  int next_table_ = 0;
};

// A year of 1d and a year of 1h candles: 365 day files each become 12 month files, and a read
// of the year returns exactly what it returned before.
class CompactorYearTest : public CompactorTest,
                          public ::testing::WithParamInterface<const char*> {};

TEST_P(CompactorYearTest, AYearReadsFromTwelveFilesWithTheSameRows) {
  const DatasetId dataset = Dataset(GetParam());
  DLAKE_ASSERT_OK_AND_ASSIGN(Period period, ParsePeriod(GetParam()));
  WriteCandles(dataset, k2023, k2024, period.ms);
  ASSERT_EQ(Files(dataset).size(), 365u);
  const std::vector<std::string> before = ReadAll(dataset);
  ASSERT_EQ(before.size(), 1 + 365 * kMsPerDay / period.ms);

  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport report, Compact(dataset));
  ASSERT_EQ(report.datasets.size(), 1u);
  EXPECT_EQ(report.datasets[0].months.size(), 12u);
  EXPECT_EQ(report.datasets[0].files_before, 365);
  EXPECT_EQ(report.datasets[0].files_after, 12);
  EXPECT_GT(report.datasets[0].bytes_before, report.datasets[0].bytes_after);

  const std::vector<FileEntry> files = Files(dataset);
  ASSERT_EQ(files.size(), 12u);
  for (size_t m = 0; m < files.size(); ++m) {
    EXPECT_EQ(files[m].day, DayFromCivil(2023, static_cast<int>(m) + 1, 1));
    EXPECT_EQ(files[m].LastDay(), MonthLastDay(files[m].day));
    EXPECT_EQ(files[m].path.substr(0, MonthDir(dataset, files[m].day).size()),
              MonthDir(dataset, files[m].day));
  }
  EXPECT_EQ(ReadAll(dataset), before);
  // Slices read the same too: one day in the middle of a month, and across a month boundary.
  for (auto [from, to] : {std::pair{k2023 + 40, k2023 + 41}, std::pair{k2023 + 30, k2023 + 33}}) {
    ReadRequest slice;
    slice.dataset = dataset;
    slice.start = DayStartMs(from);
    slice.end = DayStartMs(to);
    DLAKE_ASSERT_OK_AND_ASSIGN(RecordBatch rows, Reader(ctx_).Read(slice));
    EXPECT_EQ(static_cast<int64_t>(rows.num_rows), (to - from) * kMsPerDay / period.ms);
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto pending, manifest_->PendingDeletes(DatasetFilter{}));
  EXPECT_THAT(pending, IsEmpty());

  // Nothing is left to compact.
  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport again, Compact(dataset));
  EXPECT_THAT(again.datasets, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Periods, CompactorYearTest, ::testing::Values("1d", "1h"));

TEST_F(CompactorTest, DryRunReportsTheMonthsAndChangesNothing) {
  const DatasetId dataset = Dataset("1h");
  WriteCandles(dataset, k2023, k2023 + 59, kMsPerHour);  // January and most of February
  const auto before = testing::Checksums(JoinPath(root_, kDataDir));
  const auto files_before = Files(dataset);
  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport report, Compact(dataset, /*dry_run=*/true));
  EXPECT_TRUE(report.dry_run);
  ASSERT_EQ(report.datasets.size(), 1u);
  EXPECT_THAT(report.datasets[0].months, ElementsAre(k2023, k2023 + 31));
  EXPECT_EQ(report.datasets[0].files_after, 2);
  EXPECT_EQ(testing::Checksums(JoinPath(root_, kDataDir)), before);
  EXPECT_EQ(Files(dataset).size(), files_before.size());
}

TEST_F(CompactorTest, TheCurrentMonthIsLeftAlone) {
  const DatasetId dataset = Dataset("1d");
  const int64_t this_month = MonthFirstDay(DayOf(Env::Default()->NowMs()));
  WriteCandles(dataset, this_month - 3, this_month + 2, kMsPerDay);  // last month's end, and now
  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport report, Compact(dataset));
  ASSERT_EQ(report.datasets.size(), 1u);
  EXPECT_THAT(report.datasets[0].months, ElementsAre(MonthFirstDay(this_month - 1)));
  const auto files = Files(dataset);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(files[0].IsMonthFile());
  EXPECT_EQ(files[1].day, this_month);
  EXPECT_FALSE(files[1].IsMonthFile());
  EXPECT_FALSE(files[2].IsMonthFile());
}

TEST_F(CompactorTest, FinePeriodsAndTradesQualifyOnlyBySize) {
  EXPECT_TRUE(CompactsRegardlessOfSize(Dataset("1h")));
  EXPECT_TRUE(CompactsRegardlessOfSize(Dataset("1w")));
  EXPECT_TRUE(CompactsRegardlessOfSize(Dataset("1M")));
  EXPECT_TRUE(CompactsRegardlessOfSize(Dataset("funding", "alt")));
  EXPECT_FALSE(CompactsRegardlessOfSize(Dataset("15m")));
  EXPECT_FALSE(CompactsRegardlessOfSize(Dataset("tick", "ticks")));

  std::vector<FileEntry> files;
  for (int64_t d = 0; d < 3; ++d) {
    FileEntry f;
    f.day = k2023 + d;
    f.bytes = 1000;
    files.push_back(f);
  }
  const int64_t now = DayFromCivil(2025, 1, 1);
  EXPECT_THAT(MonthsToCompact(Dataset("1m"), files, now, 3000), ElementsAre(k2023));
  EXPECT_THAT(MonthsToCompact(Dataset("1m"), files, now, 2999), IsEmpty());
  EXPECT_THAT(MonthsToCompact(Dataset("1h"), files, now, 2999), ElementsAre(k2023));
  EXPECT_THAT(MonthsToCompact(Dataset("1h"), files, k2023, 2999), IsEmpty()) << "open";
  files.resize(1);
  EXPECT_THAT(MonthsToCompact(Dataset("1h"), files, now, 2999), IsEmpty()) << "one file";
}

TEST_F(CompactorTest, DayFilesWithDifferentColumnsMergeByName) {
  const DatasetId dataset = Dataset("1h");
  WriteCandles(dataset, k2023, k2023 + 3, kMsPerHour);
  WriteCandles(dataset, k2023 + 3, k2023 + 5, kMsPerHour, 100, /*extra_column=*/true);
  const std::vector<std::string> before = ReadAll(dataset);
  DLAKE_ASSERT_OK(Compact(dataset).status());
  ASSERT_EQ(Files(dataset).size(), 1u);
  EXPECT_EQ(Files(dataset)[0].columns, R"(["ts","open","high","low","close","volume","trades"])");
  EXPECT_EQ(ReadAll(dataset), before);
}

TEST_F(CompactorTest, ReadersDuringCompactionSeeTheOldOrTheNewFilesNeverBothOrNeither) {
  const DatasetId dataset = Dataset("1h");
  WriteCandles(dataset, k2023, k2023 + 181, kMsPerHour);  // half a year: 181 day files
  const std::vector<std::string> expected = ReadAll(dataset);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      // At least a few reads each, and reads for as long as the compaction runs.
      for (int n = 0; n < 3 || !done; ++n) {
        ReadRequest request;
        request.dataset = dataset;
        auto batch = Reader(ctx_).Read(request);
        if (!batch.ok() || Render(*batch) != expected) ++wrong;
        ++reads;
      }
    });
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(CompactReport report, Compact(dataset));
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(report.Months(), 6);
  EXPECT_EQ(wrong.load(), 0) << "of " << reads.load() << " reads";
  EXPECT_EQ(Files(dataset).size(), 6u);
  EXPECT_EQ(ReadAll(dataset), expected);

  // Day files a reader still held stay pending; the next writer deletes them.
  DLAKE_ASSERT_OK_AND_ASSIGN(FileLock lock, LockForWriting(ctx_, dataset));
  DLAKE_ASSERT_OK(CollectGarbage(ctx_, dataset));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto pending, manifest_->PendingDeletes(DatasetFilter{}));
  EXPECT_THAT(pending, IsEmpty());
  EXPECT_EQ(testing::ListFilesRecursive(JoinPath(root_, kDataDir)).size(), 6u);
}

TEST_F(CompactorTest, ALaterWriteIntoACompactedMonthRewritesTheMonthFile) {
  const DatasetId dataset = Dataset("1h");
  WriteCandles(dataset, k2023, k2023 + 31, kMsPerHour);
  DLAKE_ASSERT_OK(Compact(dataset).status());
  const std::string month_file = Files(dataset).at(0).path;
  // New prices for days 10-11 of January, and two days of February.
  WriteCandles(dataset, k2023 + 10, k2023 + 12, kMsPerHour, 500);
  WriteCandles(dataset, k2023 + 31, k2023 + 33, kMsPerHour, 500);
  const auto files = Files(dataset);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(files[0].IsMonthFile());
  EXPECT_NE(files[0].path, month_file);
  EXPECT_EQ(files[0].rows, 31 * 24);
  EXPECT_FALSE(fs::exists(JoinPath(root_, month_file)));

  ReadRequest day10;
  day10.dataset = dataset;
  day10.start = DayStartMs(k2023 + 10);
  day10.end = DayStartMs(k2023 + 11);
  day10.columns = {"open"};
  DLAKE_ASSERT_OK_AND_ASSIGN(RecordBatch rows, Reader(ctx_).Read(day10));
  ASSERT_EQ(rows.num_rows, 24u);
  EXPECT_GE(rows.columns[0].doubles[0], 500);
  ReadRequest day9 = day10;
  day9.start = DayStartMs(k2023 + 9);
  day9.end = DayStartMs(k2023 + 10);
  DLAKE_ASSERT_OK_AND_ASSIGN(RecordBatch old_rows, Reader(ctx_).Read(day9));
  ASSERT_EQ(old_rows.num_rows, 24u);
  EXPECT_LT(old_rows.columns[0].doubles[0], 500);
}

}  // namespace
}  // namespace dlake::storage
