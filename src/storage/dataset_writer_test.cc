// The day-partition DatasetWriter driven directly (doc/layout.md "Writing"): a StorageContext
// over a temporary lake folder, a real manifest, the runtime's DuckDB and a fault-injecting Env.

#include "storage/dataset_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "duck/duck.h"
#include "runtime/runtime_impl.h"
#include "storage/dataset_locks.h"
#include "storage/partition.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace dlake::storage {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::FaultInjectionEnv;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kDay = 19723;  // 2024-01-01
constexpr int kHoursPerDay = 24;

struct Candle {
  int64_t ts;
  double close;
  bool operator==(const Candle&) const = default;
};

int64_t Hour(int64_t day_offset, int64_t hour) {
  return DayStartMs(kDay + day_offset) + hour * kMsPerHour;
}

// Hourly candles for days [first, first + days) after kDay, closing at `base` + hour.
std::vector<Candle> Hourly(int64_t first, int64_t days, double base) {
  std::vector<Candle> out;
  for (int64_t d = first; d < first + days; ++d) {
    for (int h = 0; h < kHoursPerDay; ++h) out.push_back({Hour(d, h), base + d * 100 + h});
  }
  return out;
}

// `rows` applied on top of `stored`: equal ts, the later one wins.
std::map<int64_t, double> Merged(std::map<int64_t, double> stored,
                                 const std::vector<Candle>& rows) {
  for (const auto& c : rows) stored[c.ts] = c.close;
  return stored;
}

std::map<int64_t, double> AsMap(const std::vector<Candle>& rows) { return Merged({}, rows); }

// A lake folder opened for the writer: manifest and context over the fixture's runtime.
struct TestLake {
  std::string root;
  std::unique_ptr<Manifest> manifest;
  StorageContext ctx;
};

// What a lake holds, for before/after comparisons.
struct LakeState {
  std::map<std::string, std::string> data_files;  // lake-relative path -> sha256, no .tmp- files
  std::vector<std::string> temp_files;            // lake-relative .tmp-* files
  std::vector<std::string> manifest_rows;         // every column of every files row
  std::vector<std::string> pending_deletes;
  bool operator==(const LakeState&) const = default;
};

void PrintTo(const LakeState& state, std::ostream* os) {
  *os << "{data files:";
  for (const auto& [path, sha] : state.data_files) *os << " " << path << "=" << sha.substr(0, 12);
  *os << "; temp files:";
  for (const auto& path : state.temp_files) *os << " " << path;
  *os << "; manifest:";
  for (const auto& row : state.manifest_rows) *os << " [" << row << "]";
  *os << "; pending deletes:";
  for (const auto& path : state.pending_deletes) *os << " " << path;
  *os << "}";
}

std::string Describe(const FileEntry& f, bool with_identity) {
  std::string row = f.dataset.Path() + "|" + f.path + "|" + std::to_string(f.day) + "|" +
                    std::to_string(f.time_from) + "|" + std::to_string(f.time_to) + "|" +
                    std::to_string(f.rows) + "|" + std::to_string(f.bytes) + "|" + f.sha256 + "|" +
                    f.version + "|" + f.source + "|" + f.metadata + "|" + f.columns;
  if (with_identity) row += "|" + std::to_string(f.id) + "|" + std::to_string(f.created_at);
  return row;
}

std::vector<std::string> ManifestRows(Manifest& manifest, bool with_identity) {
  std::vector<std::string> out;
  auto files = manifest.Files(DatasetFilter{});
  EXPECT_THAT(files.status(), IsOk());
  if (!files.ok()) return out;
  for (const auto& f : *files) out.push_back(Describe(f, with_identity));
  return out;
}

LakeState StateOf(TestLake& lake) {
  LakeState state;
  for (const auto& [rel, sha] : testing::Checksums(lake.ctx.Abs(kDataDir))) {
    const std::string path = std::string(kDataDir) + "/" + rel;
    if (IsTempName(fs::path(rel).filename().string())) {
      state.temp_files.push_back(path);
    } else {
      state.data_files[path] = sha;
    }
  }
  state.manifest_rows = ManifestRows(*lake.manifest, /*with_identity=*/true);
  auto pending = lake.manifest->PendingDeletes(DatasetFilter{});
  EXPECT_THAT(pending.status(), IsOk());
  if (pending.ok()) state.pending_deletes = *pending;
  return state;
}

class DatasetWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_ = testing::TestRuntime(&env_);
    ASSERT_NE(runtime_, nullptr);
    DLAKE_ASSERT_OK_AND_ASSIGN(conn_, duck::Connection::Open(RuntimeDuck(*runtime_)));
    DLAKE_ASSERT_OK_AND_ASSIGN(dataset_,
                               DatasetId::Make("BINANCE", "FUTURES", "BTCUSDT", "raw", "1h"));
    lake_ = OpenLake(tmp_.Join("lake"), /*create=*/true);
    ASSERT_NE(lake_, nullptr);
  }

  std::unique_ptr<TestLake> OpenLake(const std::string& root, bool create) {
    if (create) {
      EXPECT_THAT(env_.CreateDirs(JoinPath(root, kDataDir)), IsOk());
    }
    auto lake = std::make_unique<TestLake>();
    lake->root = root;
    Manifest::OpenOptions options;
    options.create = create;
    auto manifest = Manifest::Open(JoinPath(root, kManifestFile), options);
    EXPECT_THAT(manifest.status(), IsOk());
    if (!manifest.ok()) return nullptr;
    lake->manifest = std::move(manifest).value();
    lake->ctx.root = root;
    lake->ctx.manifest = lake->manifest.get();
    lake->ctx.duck = &RuntimeDuck(*runtime_);
    lake->ctx.env = &env_;
    lake->ctx.settings = &runtime_->settings();
    return lake;
  }

  // A staging table holding `rows` in the given order, with an extra BIGINT column `trades`
  // when `with_trades` (rows then carry trades = hour of day).
  Staging Stage(const std::vector<Candle>& rows, bool with_trades = false) {
    const std::string table = "staging_" + std::to_string(next_table_++);
    std::string ddl = "CREATE TABLE " + table + "(ts BIGINT, open DOUBLE, close DOUBLE, ";
    if (with_trades) ddl += "trades BIGINT, ";
    ddl += "_seq BIGINT)";
    EXPECT_THAT(conn_->Execute(ddl, "making the staging table"), IsOk());
    std::vector<duck::Type> types = {duck::Type::kBigInt, duck::Type::kDouble, duck::Type::kDouble};
    if (with_trades) types.push_back(duck::Type::kBigInt);
    types.push_back(duck::Type::kBigInt);
    EXPECT_THAT(duck::AppendRows(*conn_, table, types, rows.size(),
                                 [&](duck::DataChunk& chunk, size_t row, size_t i) {
                                   size_t c = 0;
                                   chunk.Data<int64_t>(c++)[row] = rows[i].ts;
                                   chunk.Data<double>(c++)[row] = rows[i].close - 1;
                                   chunk.Data<double>(c++)[row] = rows[i].close;
                                   if (with_trades) {
                                     chunk.Data<int64_t>(c++)[row] =
                                         (rows[i].ts % kMsPerDay) / kMsPerHour;
                                   }
                                   chunk.Data<int64_t>(c)[row] = static_cast<int64_t>(i);
                                 }),
                IsOk());
    Staging staging{table, true, false};
    std::map<int64_t, int> seen;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i > 0 && rows[i].ts < rows[i - 1].ts) staging.sorted = false;
      if (++seen[rows[i].ts] > 1) staging.has_duplicates = true;
    }
    return staging;
  }

  Result<WriteReport> Merge(TestLake& lake, const Staging& staging, bool dry_run = false) {
    DatasetWriter writer(lake.ctx, *conn_);
    WriteOptions options;
    options.source = "test:" + staging.table;
    options.dry_run = dry_run;
    return writer.Merge(dataset_, staging, options);
  }

  Result<WriteReport> Replace(TestLake& lake, const Staging& staging,
                              const std::vector<int64_t>& days) {
    DatasetWriter writer(lake.ctx, *conn_);
    WriteOptions options;
    options.source = "test:" + staging.table;
    return writer.Replace(dataset_, staging, days, options);
  }

  Result<WriteReport> Compact(TestLake& lake, std::vector<int64_t> months, bool dry_run = false) {
    DatasetWriter writer(lake.ctx, *conn_);
    WriteOptions options;
    options.source = "compact";
    options.dry_run = dry_run;
    return writer.CompactMonths(dataset_, months, options);
  }

  Result<WriteReport> Delete(TestLake& lake, int64_t start, int64_t end, bool dry_run = false) {
    DatasetWriter writer(lake.ctx, *conn_);
    WriteOptions options;
    options.source = "delete";
    options.dry_run = dry_run;
    return writer.DeleteRange(dataset_, start, end, options);
  }

  // The dataset's rows (ts -> close) as the manifest lists them. Checks on the way that each
  // listed file exists with its recorded checksum, size, row count and time range, and holds
  // unique ts in ascending order inside its day.
  std::map<int64_t, double> Rows(TestLake& lake) {
    std::map<int64_t, double> out;
    auto files = lake.manifest->Files(DatasetFilter::Of(dataset_));
    EXPECT_THAT(files.status(), IsOk());
    if (!files.ok()) return out;
    for (const auto& f : *files) {
      SCOPED_TRACE(f.path);
      const std::string path = lake.ctx.Abs(f.path);
      auto digest = Sha256File(path);
      EXPECT_THAT(digest.status(), IsOk());
      if (!digest.ok()) continue;
      EXPECT_EQ(digest->sha256, f.sha256);
      EXPECT_EQ(static_cast<int64_t>(digest->bytes), f.bytes);
      if (f.IsMonthFile()) {
        EXPECT_EQ(f.day, MonthFirstDay(f.day));
        EXPECT_EQ(f.LastDay(), MonthLastDay(f.day));
        EXPECT_EQ(f.path,
                  MonthDir(dataset_, f.day) + "/" + MonthFileName(dataset_, f.day, f.sha256));
      } else {
        EXPECT_EQ(f.path,
                  PartitionDir(dataset_, f.day) + "/" + DataFileName(dataset_, f.day, f.sha256));
      }
      auto q = conn_->Query("SELECT ts, close FROM read_parquet(" + duck::QuoteLiteral(path) + ")",
                            "reading " + f.path);
      EXPECT_THAT(q.status(), IsOk());
      if (!q.ok()) continue;
      EXPECT_EQ(static_cast<int64_t>(q->RowCount()), f.rows);
      for (size_t r = 0; r < q->RowCount(); ++r) {
        const int64_t ts = q->GetInt64(0, r);
        EXPECT_GE(DayOf(ts), f.day);
        EXPECT_LE(DayOf(ts), f.LastDay());
        if (r > 0) {
          EXPECT_LT(q->GetInt64(0, r - 1), ts) << "unsorted or duplicate ts";
        }
        EXPECT_TRUE(out.emplace(ts, q->GetDouble(1, r)).second) << "ts " << ts << " twice";
      }
      if (q->RowCount() > 0) {
        EXPECT_EQ(q->GetInt64(0, 0), f.time_from);
        EXPECT_EQ(q->GetInt64(0, q->RowCount() - 1), f.time_to);
      }
    }
    return out;
  }

  std::vector<int64_t> Days(TestLake& lake) {
    std::vector<int64_t> out;
    auto files = lake.manifest->Files(DatasetFilter::Of(dataset_));
    EXPECT_THAT(files.status(), IsOk());
    if (files.ok()) {
      for (const auto& f : *files) out.push_back(f.day - kDay);
    }
    return out;
  }

  std::vector<DayAction> Actions(const WriteReport& report) {
    std::vector<DayAction> out;
    for (const auto& d : report.days) out.push_back(d.action);
    return out;
  }

  FaultInjectionEnv env_;
  TempDir tmp_;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<duck::Connection> conn_;
  DatasetId dataset_;
  std::unique_ptr<TestLake> lake_;
  int next_table_ = 0;
};

// ---- Writing ----

TEST_F(DatasetWriterTest, MergeIntoAnEmptyDatasetWritesOneFilePerUtcDay) {
  // The last millisecond of day 0 and the first of day 1 land in different files.
  std::vector<Candle> rows = Hourly(0, 1, 10);
  rows.push_back({DayStartMs(kDay + 1) - 1, 5});
  rows.push_back({DayStartMs(kDay + 1), 6});
  rows.push_back({Hour(2, 3), 7});
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Merge(*lake_, Stage(rows)));

  EXPECT_THAT(Actions(report),
              ElementsAre(DayAction::kCreated, DayAction::kCreated, DayAction::kCreated));
  EXPECT_EQ(report.days[0].rows_after, kHoursPerDay + 1);
  EXPECT_EQ(report.days[1].rows_after, 1);
  EXPECT_EQ(report.days[2].day, kDay + 2);
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(Rows(*lake_), AsMap(rows));

  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].time_from, Hour(0, 0));
  EXPECT_EQ(files[0].time_to, DayStartMs(kDay + 1) - 1);
  EXPECT_EQ(files[0].source, "test:staging_0");
  EXPECT_EQ(files[0].columns, R"(["ts","open","close"])");
  EXPECT_EQ(report.days[0].path, files[0].path);
  EXPECT_EQ(report.days[0].bytes_after, files[0].bytes);
  LakeState state = StateOf(*lake_);
  EXPECT_THAT(state.temp_files, IsEmpty());
  EXPECT_EQ(state.data_files.size(), 3u) << "no file besides the three listed ones";
}

TEST_F(DatasetWriterTest, UnsortedInputIsStoredSorted) {
  std::vector<Candle> rows = Hourly(0, 2, 10);
  std::reverse(rows.begin(), rows.end());
  Staging staging = Stage(rows);
  ASSERT_FALSE(staging.sorted);
  DLAKE_ASSERT_OK(Merge(*lake_, staging).status());
  EXPECT_EQ(Rows(*lake_), AsMap(rows));  // Rows() checks the order inside each file
}

// Both merge plans: the anti join for unique input, the window for input with duplicates.
class DatasetWriterMergeTest : public DatasetWriterTest,
                               public ::testing::WithParamInterface<bool> {};

TEST_P(DatasetWriterMergeTest, MergesIntoStoredDaysNewestWins) {
  const bool with_duplicates = GetParam();
  const std::vector<Candle> old_rows = Hourly(0, 3, 1000);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(old_rows)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto old_files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));

  // Half of day 1 and all of day 3 (new) at other prices; with duplicates, every new ts comes
  // twice and the second (later input) must win.
  std::vector<Candle> new_rows;
  for (int h = 12; h < kHoursPerDay; ++h) new_rows.push_back({Hour(1, h), 5000.0 + h});
  for (int h = 0; h < kHoursPerDay; ++h) new_rows.push_back({Hour(3, h), 6000.0 + h});
  std::vector<Candle> input = new_rows;
  if (with_duplicates) {
    input.clear();
    for (const auto& c : new_rows) input.push_back({c.ts, -1});
    for (const auto& c : new_rows) input.push_back(c);
  }
  Staging staging = Stage(input);
  ASSERT_EQ(staging.has_duplicates, with_duplicates);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Merge(*lake_, staging));

  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kReplaced, DayAction::kCreated));
  EXPECT_EQ(report.days[0].day, kDay + 1);
  EXPECT_EQ(report.days[0].rows_before, kHoursPerDay);
  EXPECT_EQ(report.days[0].rows_after, kHoursPerDay);
  EXPECT_EQ(report.days[0].bytes_before, old_files[1].bytes);
  EXPECT_EQ(Rows(*lake_), Merged(AsMap(old_rows), new_rows));
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, 1, 2, 3}));

  // The replaced file is gone (no reader held the dataset) and not left pending; the untouched
  // days keep their files.
  LakeState state = StateOf(*lake_);
  EXPECT_FALSE(fs::exists(lake_->ctx.Abs(old_files[1].path)));
  EXPECT_TRUE(state.data_files.contains(old_files[0].path));
  EXPECT_TRUE(state.data_files.contains(old_files[2].path));
  EXPECT_EQ(state.data_files.size(), 4u);
  EXPECT_THAT(state.pending_deletes, IsEmpty());
  EXPECT_THAT(state.temp_files, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Plans, DatasetWriterMergeTest, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? "WithDuplicates" : "UniqueInput";
                         });

TEST_F(DatasetWriterTest, DuplicatesWithinNewInputKeepTheLastInput) {
  std::vector<Candle> rows = {{Hour(0, 1), 1}, {Hour(0, 2), 2}, {Hour(0, 1), 3}, {Hour(0, 1), 4}};
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  EXPECT_EQ(Rows(*lake_), (std::map<int64_t, double>{{Hour(0, 1), 4}, {Hour(0, 2), 2}}));
}

TEST_F(DatasetWriterTest, MergingTheSameContentAgainWritesNothing) {
  const std::vector<Candle> rows = Hourly(0, 2, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  const LakeState before = StateOf(*lake_);

  // The same rows again, and a subset of them (the merged content is the same).
  for (const auto& input : {rows, std::vector<Candle>(rows.begin() + 3, rows.begin() + 30)}) {
    DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Merge(*lake_, Stage(input)));
    ASSERT_FALSE(report.days.empty());
    for (const auto& day : report.days) {
      EXPECT_EQ(day.action, DayAction::kUnchanged);
      EXPECT_EQ(day.rows_before, day.rows_after);
      EXPECT_EQ(day.bytes_before, day.bytes_after);
    }
    EXPECT_EQ(StateOf(*lake_), before) << "same files, same checksums, same manifest rows";
  }
}

TEST_F(DatasetWriterTest, NewColumnsMergeAsTheUnionOfBothSchemas) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 1, 10))).status());
  std::vector<Candle> more = {{Hour(0, 5), 99}, {Hour(0, 30), 98}};  // hour 30 = day 1, 06:00
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(more, /*with_trades=*/true)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].columns, R"(["ts","open","close","trades"])");
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto q, conn_->Query("SELECT count(*), count(trades), max(trades) FROM read_parquet(" +
                               duck::QuoteLiteral(lake_->ctx.Abs(files[0].path)) + ")",
                           "reading day 0"));
  EXPECT_EQ(q.GetInt64(0, 0), kHoursPerDay);
  EXPECT_EQ(q.GetInt64(1, 0), 1) << "only the new row has trades";
  EXPECT_EQ(q.GetInt64(2, 0), 5);
  EXPECT_EQ(Rows(*lake_)[Hour(0, 5)], 99);
}

TEST_F(DatasetWriterTest, EmptyStagingChangesNothing) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 1, 10))).status());
  const LakeState before = StateOf(*lake_);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Merge(*lake_, Stage({})));
  EXPECT_THAT(report.days, IsEmpty());
  EXPECT_EQ(StateOf(*lake_), before);
}

// ---- Deleting ----

TEST_F(DatasetWriterTest, DeleteRangeDropsWholeDaysAndRewritesPartialOnes) {
  const std::vector<Candle> rows = Hourly(0, 4, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto old_files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));

  // From 12:00 on day 1 to 12:00 on day 3: day 1 and 3 keep half, day 2 goes.
  const int64_t start = Hour(1, 12);
  const int64_t end = Hour(3, 12);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Delete(*lake_, start, end));
  EXPECT_THAT(Actions(report),
              ElementsAre(DayAction::kReplaced, DayAction::kRemoved, DayAction::kReplaced));
  EXPECT_EQ(report.days[0].rows_after, 12);
  EXPECT_EQ(report.days[1].rows_before, kHoursPerDay);
  EXPECT_EQ(report.days[1].rows_after, 0);
  EXPECT_EQ(report.days[1].path, "");

  std::map<int64_t, double> expected = AsMap(rows);
  expected.erase(expected.lower_bound(start), expected.lower_bound(end));
  EXPECT_EQ(Rows(*lake_), expected);
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, 1, 3}));
  // The removed day's file and folder are gone, as are the replaced files.
  EXPECT_FALSE(fs::exists(lake_->ctx.Abs(PartitionDir(dataset_, kDay + 2))));
  for (size_t i : {1, 2, 3}) EXPECT_FALSE(fs::exists(lake_->ctx.Abs(old_files[i].path)));
  LakeState state = StateOf(*lake_);
  EXPECT_EQ(state.data_files.size(), 3u);
  EXPECT_THAT(state.temp_files, IsEmpty());
  EXPECT_THAT(state.pending_deletes, IsEmpty());
}

TEST_F(DatasetWriterTest, DeleteRangeOfAWholeDayExactlyRemovesOnlyIt) {
  const std::vector<Candle> rows = Hourly(0, 3, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report,
                             Delete(*lake_, DayStartMs(kDay + 1), DayStartMs(kDay + 2)));
  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kRemoved));
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, 2}));
  std::map<int64_t, double> expected = AsMap(rows);
  expected.erase(expected.lower_bound(DayStartMs(kDay + 1)),
                 expected.lower_bound(DayStartMs(kDay + 2)));
  EXPECT_EQ(Rows(*lake_), expected);
}

TEST_F(DatasetWriterTest, DeleteRangeOutsideTheDataChangesNothing) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 2, 10))).status());
  const LakeState before = StateOf(*lake_);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report,
                             Delete(*lake_, DayStartMs(kDay + 5), DayStartMs(kDay + 9)));
  EXPECT_THAT(report.days, IsEmpty());
  // Between two rows of a day: the day overlaps the range but loses nothing.
  DLAKE_ASSERT_OK_AND_ASSIGN(report, Delete(*lake_, Hour(0, 3) + 1, Hour(0, 4)));
  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kUnchanged));
  EXPECT_EQ(StateOf(*lake_), before);
}

// ---- Dry runs ----

TEST_F(DatasetWriterTest, DryRunsReportThePlanAndWriteNothing) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 2, 10))).status());
  const LakeState before = StateOf(*lake_);
  const std::string lock = lake_->ctx.Abs(DatasetLockPath(dataset_));
  fs::remove(lock);

  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport merge,
                             Merge(*lake_, Stage(Hourly(1, 2, 500)), /*dry_run=*/true));
  EXPECT_THAT(Actions(merge), ElementsAre(DayAction::kReplaced, DayAction::kCreated));
  EXPECT_EQ(merge.days[0].rows_before, kHoursPerDay);
  EXPECT_EQ(merge.days[1].rows_after, kHoursPerDay);

  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport del,
                             Delete(*lake_, Hour(0, 20), DayStartMs(kDay + 2), /*dry_run=*/true));
  EXPECT_THAT(Actions(del), ElementsAre(DayAction::kReplaced, DayAction::kRemoved));
  EXPECT_EQ(del.days[0].rows_after, 20);
  EXPECT_EQ(del.days[1].rows_before, kHoursPerDay);

  EXPECT_EQ(StateOf(*lake_), before);
  EXPECT_FALSE(fs::exists(lock)) << "a dry run takes no lock";
}

// ---- Readers ----

TEST_F(DatasetWriterTest, ReplacedFilesStayPendingWhileAReaderHoldsTheDataset) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 1, 10))).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto old_files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  const std::string old_path = old_files.at(0).path;
  {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto reader, LockForReading(lake_->ctx, dataset_));
    ASSERT_TRUE(reader.has_value());
    DLAKE_ASSERT_OK(Merge(*lake_, Stage({{Hour(0, 1), 77}})).status());
    EXPECT_TRUE(fs::exists(lake_->ctx.Abs(old_path))) << "a reader may still be reading it";
    EXPECT_THAT(StateOf(*lake_).pending_deletes, ElementsAre(old_path));
  }
  // The next writer, even one that changes nothing, collects it.
  DLAKE_ASSERT_OK(Merge(*lake_, Stage({{Hour(0, 1), 77}})).status());
  EXPECT_FALSE(fs::exists(lake_->ctx.Abs(old_path)));
  EXPECT_THAT(StateOf(*lake_).pending_deletes, IsEmpty());
}

// Regression: a day rewritten to the content of a file that is still pending deletion gets that
// file's name. When the rewrite failed after its rename, the cleanup removed the file although
// it was not this operation's: a reader of the older snapshot lost it.
TEST_F(DatasetWriterTest, FailedRewriteKeepsAPendingFileOfTheSameNameForItsReader) {
  const std::vector<Candle> rows = Hourly(0, 1, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  const std::string path = lake_->ctx.Abs(files.at(0).path);
  const std::string sha = files.at(0).sha256;
  DLAKE_ASSERT_OK_AND_ASSIGN(auto reader, LockForReading(lake_->ctx, dataset_));
  DLAKE_ASSERT_OK(Delete(*lake_, DayStartMs(kDay), DayStartMs(kDay + 1)).status());
  ASSERT_TRUE(fs::exists(path)) << "pending: the reader may still open it";

  const Staging same_rows = Stage(rows);
  int failed = 0;
  for (int n = 0; n < 50; ++n) {
    SCOPED_TRACE("failing mutating Env call " + std::to_string(n));
    env_.FailOnly(n, EIO);
    auto result = Merge(*lake_, same_rows);
    env_.FailFrom(-1, 0);
    if (result.ok()) break;
    ++failed;
    DLAKE_ASSERT_OK_AND_ASSIGN(auto digest, Sha256File(path));
    EXPECT_EQ(digest.sha256, sha);
    EXPECT_THAT(StateOf(*lake_).pending_deletes, ElementsAre(files.at(0).path));
  }
  EXPECT_GE(failed, 3) << "mkdir, fsync and rename of the one new day";
  EXPECT_EQ(Rows(*lake_), AsMap(rows));
  EXPECT_THAT(StateOf(*lake_).pending_deletes, IsEmpty()) << "live again";
}

// ---- Failing Env calls ----

using Operation = std::function<Result<WriteReport>(TestLake&)>;

// Each Env call failing in turn. `template_dir` holds the lake before the operation; each run
// works on a fresh copy of it.
// ---- Compacted months ----

// kDay is 2024-01-01: days 0-30 are January, 31.. February.
constexpr int64_t kFebruary = 31;

TEST_F(DatasetWriterTest, CompactMonthsWritesOneSortedMonthFileAndKeepsTheRows) {
  std::vector<Candle> rows = Hourly(0, 3, 10);
  for (const auto& c : Hourly(20, 2, 50)) rows.push_back(c);
  for (const auto& c : Hourly(kFebruary, 2, 90)) rows.push_back(c);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto before, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  ASSERT_EQ(before.size(), 7u);

  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Compact(*lake_, {kDay + 10}));
  ASSERT_EQ(report.days.size(), 1u);
  EXPECT_EQ(report.days[0].action, DayAction::kReplaced);
  EXPECT_EQ(report.days[0].day, kDay);
  EXPECT_EQ(report.days[0].last_day, kDay + 30);
  EXPECT_EQ(report.days[0].files_before, 5);
  EXPECT_EQ(report.days[0].rows_before, 5 * kHoursPerDay);
  EXPECT_EQ(report.days[0].rows_after, 5 * kHoursPerDay);

  // January is one file in 2024/01/, February keeps its day files; the rows are the same.
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, kFebruary, kFebruary + 1}));
  EXPECT_EQ(Rows(*lake_), AsMap(rows));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto after, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  EXPECT_TRUE(after[0].IsMonthFile());
  EXPECT_EQ(after[0].time_from, rows.front().ts);
  EXPECT_EQ(after[0].time_to, Hour(21, 23));
  LakeState state = StateOf(*lake_);
  EXPECT_EQ(state.data_files.size(), 3u) << "the January day files are gone";
  EXPECT_THAT(state.pending_deletes, IsEmpty());
  EXPECT_THAT(state.temp_files, IsEmpty());
  EXPECT_FALSE(fs::exists(lake_->ctx.Abs(PartitionDir(dataset_, kDay)))) << "day folder pruned";

  // Compacting again finds a single file: nothing to do.
  const LakeState compacted = StateOf(*lake_);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport again, Compact(*lake_, {kDay}));
  EXPECT_THAT(again.days, IsEmpty());
  EXPECT_EQ(StateOf(*lake_), compacted);
}

TEST_F(DatasetWriterTest, CompactMonthsDryRunWritesNothing) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 4, 10))).status());
  const LakeState before = StateOf(*lake_);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Compact(*lake_, {kDay}, /*dry_run=*/true));
  ASSERT_EQ(report.days.size(), 1u);
  EXPECT_EQ(report.days[0].files_before, 4);
  EXPECT_EQ(report.days[0].rows_after, 4 * kHoursPerDay);
  EXPECT_EQ(StateOf(*lake_), before);
}

TEST_F(DatasetWriterTest, MergeIntoACompactedMonthRewritesTheMonthFile) {
  const std::vector<Candle> old_rows = Hourly(0, 3, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(old_rows)).status());
  DLAKE_ASSERT_OK(Compact(*lake_, {kDay}).status());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto month, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  ASSERT_EQ(month.size(), 1u);

  // Day 1 changed, day 9 new (both January), day kFebruary new: one month rewrite, one new day.
  std::vector<Candle> input;
  for (int h = 0; h < 6; ++h) input.push_back({Hour(1, h), 7000.0 + h});
  for (const auto& c : Hourly(9, 1, 300)) input.push_back(c);
  for (const auto& c : Hourly(kFebruary, 1, 400)) input.push_back(c);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Merge(*lake_, Stage(input)));
  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kReplaced, DayAction::kCreated));
  EXPECT_EQ(report.days[0].day, kDay);
  EXPECT_EQ(report.days[0].last_day, kDay + 30);
  EXPECT_EQ(report.days[0].rows_before, 3 * kHoursPerDay);
  EXPECT_EQ(report.days[0].rows_after, 4 * kHoursPerDay);

  EXPECT_EQ(Rows(*lake_), Merged(AsMap(old_rows), input));
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0, kFebruary}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->manifest->Files(DatasetFilter::Of(dataset_)));
  EXPECT_TRUE(files[0].IsMonthFile());
  EXPECT_NE(files[0].path, month[0].path);
  EXPECT_FALSE(fs::exists(lake_->ctx.Abs(month[0].path)));
  EXPECT_FALSE(files[1].IsMonthFile());

  // The same rows again: the month's content is unchanged, so nothing is written.
  const LakeState before = StateOf(*lake_);
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport same, Merge(*lake_, Stage(input)));
  EXPECT_THAT(Actions(same), ElementsAre(DayAction::kUnchanged, DayAction::kUnchanged));
  EXPECT_EQ(StateOf(*lake_), before);
}

TEST_F(DatasetWriterTest, ReplaceDaysOfACompactedMonthKeepsItsOtherDays) {
  const std::vector<Candle> old_rows = Hourly(0, 4, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(old_rows)).status());
  DLAKE_ASSERT_OK(Compact(*lake_, {kDay}).status());

  // Day 1 gets two rows only; day 2 is listed with nothing staged: it is emptied.
  const std::vector<Candle> input = {{Hour(1, 3), 1.5}, {Hour(1, 4), 2.5}};
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report,
                             Replace(*lake_, Stage(input), {kDay + 1, kDay + 2}));
  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kReplaced));
  std::map<int64_t, double> expected;
  for (const auto& c : old_rows) {
    if (DayOf(c.ts) != kDay + 1 && DayOf(c.ts) != kDay + 2) expected[c.ts] = c.close;
  }
  for (const auto& c : input) expected[c.ts] = c.close;
  EXPECT_EQ(Rows(*lake_), expected);
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0}));
}

TEST_F(DatasetWriterTest, DeleteInsideACompactedMonthRewritesTheMonthFile) {
  const std::vector<Candle> rows = Hourly(0, 4, 10);
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(rows)).status());
  DLAKE_ASSERT_OK(Compact(*lake_, {kDay}).status());

  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport report, Delete(*lake_, Hour(1, 12), Hour(3, 0)));
  EXPECT_THAT(Actions(report), ElementsAre(DayAction::kReplaced));
  std::map<int64_t, double> expected;
  for (const auto& c : rows) {
    if (c.ts < Hour(1, 12) || c.ts >= Hour(3, 0)) expected[c.ts] = c.close;
  }
  EXPECT_EQ(Rows(*lake_), expected);
  EXPECT_EQ(Days(*lake_), (std::vector<int64_t>{0}));

  // Deleting the rest removes the month file.
  DLAKE_ASSERT_OK_AND_ASSIGN(WriteReport all, Delete(*lake_, Hour(0, 0), Hour(4, 0)));
  EXPECT_THAT(Actions(all), ElementsAre(DayAction::kRemoved));
  EXPECT_THAT(Days(*lake_), IsEmpty());
  EXPECT_THAT(StateOf(*lake_).data_files, IsEmpty());
}

TEST_F(DatasetWriterTest, FilesForDaysFindsTheMonthFileOfAnyOfItsDays) {
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(0, 2, 10))).status());
  DLAKE_ASSERT_OK(Merge(*lake_, Stage(Hourly(kFebruary, 2, 10))).status());
  DLAKE_ASSERT_OK(Compact(*lake_, {kDay}).status());
  for (int64_t day : {kDay, kDay + 15, kDay + 30}) {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto files, lake_->manifest->FilesForDays(dataset_, day, day));
    ASSERT_EQ(files.size(), 1u) << FormatDay(day);
    EXPECT_TRUE(files[0].IsMonthFile());
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto span,
                             lake_->manifest->FilesForDays(dataset_, kDay + 30, kDay + kFebruary));
  EXPECT_EQ(span.size(), 2u);
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto feb, lake_->manifest->FilesForDays(dataset_, kDay + kFebruary, kDay + kFebruary + 5));
  EXPECT_EQ(feb.size(), 2u) << "the January file ends before February";
}

class DatasetWriterFaultTest : public DatasetWriterTest {
 protected:
  void SetUp() override {
    DatasetWriterTest::SetUp();
    template_dir_ = tmp_.Join("template");
    lake_.reset();
    fs::rename(tmp_.Join("lake"), template_dir_);
  }

  // A fresh copy of the template lake at tmp/run.
  std::unique_ptr<TestLake> CopyOfTemplate() {
    const std::string dir = tmp_.Join("run");
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::copy(template_dir_, dir, fs::copy_options::recursive, ec);
    EXPECT_FALSE(ec) << ec.message();
    return OpenLake(dir, /*create=*/false);
  }

  // Writes the template through a fault-free writer.
  void Prepare(const std::function<void(TestLake&)>& fill) {
    auto lake = OpenLake(template_dir_, /*create=*/false);
    ASSERT_NE(lake, nullptr);
    fill(*lake);
  }

  // Runs `op` on copies of the template with the n-th mutating Env call failing (only it when
  // `transient`, it and every later one otherwise) for n = 0, 1, ... until a run no longer
  // reaches call n. A failed run must leave the lake's live state exactly as before and its
  // own files removed (when the cleanup itself may fail, only .tmp- files and unlisted files
  // may stay); the same run then succeeds without faults. Returns the number of failed runs.
  int FailEachCallInTurn(const Operation& op, bool transient) {
    // The reference: the operation without faults.
    auto reference = CopyOfTemplate();
    const LakeState before = StateOf(*reference);
    auto expected = op(*reference);
    EXPECT_THAT(expected.status(), IsOk());
    const std::vector<std::string> expected_rows = ManifestRows(*reference->manifest, false);
    const std::map<int64_t, double> expected_data = Rows(*reference);
    reference.reset();

    int failed = 0;
    for (int n = 0; n < 200; ++n) {
      SCOPED_TRACE("failing mutating Env call " + std::to_string(n) +
                   (transient ? " only" : " and later"));
      auto lake = CopyOfTemplate();
      if (lake == nullptr) return failed;
      if (transient) {
        env_.FailOnly(n, EIO);
      } else {
        env_.FailFrom(n, EIO);
      }
      auto result = op(*lake);
      const int calls = env_.calls();
      env_.FailFrom(-1, 0);

      if (result.ok()) {
        // Either the fault was never reached (done), or it hit a step whose failure loses
        // nothing: removing a temporary or a replaced file. The outcome is the committed one.
        EXPECT_EQ(ManifestRows(*lake->manifest, false), expected_rows);
        EXPECT_EQ(Rows(*lake), expected_data);
        if (calls <= n) return failed;
        continue;
      }
      ++failed;
      EXPECT_THAT(result.status(),
                  StatusIs(StatusCode::kIoError,
                           AllOf(HasSubstr(lake->root), HasSubstr(std::strerror(EIO)))));
      const LakeState after = StateOf(*lake);
      EXPECT_EQ(after.manifest_rows, before.manifest_rows);
      EXPECT_EQ(after.pending_deletes, before.pending_deletes);
      if (transient) {
        EXPECT_EQ(after, before) << "every file the operation created is removed again";
      } else {
        // The cleanup failed too: the old files are intact, and whatever is new is a .tmp-
        // file or a file the manifest does not list (verify --repair removes both).
        for (const auto& [path, sha] : before.data_files) {
          EXPECT_TRUE(after.data_files.contains(path) && after.data_files.at(path) == sha) << path;
        }
      }
      // The same lake, faults gone: the operation goes through.
      auto retry = op(*lake);
      EXPECT_THAT(retry.status(), IsOk());
      EXPECT_EQ(ManifestRows(*lake->manifest, false), expected_rows);
      EXPECT_EQ(Rows(*lake), expected_data);
      if (transient) {
        EXPECT_THAT(StateOf(*lake).temp_files, IsEmpty());
      }
      if (::testing::Test::HasFailure()) return failed;
    }
    ADD_FAILURE() << "the operation still reached a fault after 200 calls";
    return failed;
  }

  // Template: days 0-3 stored. The merge leaves day 0 alone, rewrites day 1 to the same
  // content (unchanged), replaces days 2 and 3 and creates days 4 and 5.
  void PrepareMerge() {
    Prepare([this](TestLake& lake) {
      ASSERT_THAT(Merge(lake, Stage(Hourly(0, 4, 10))).status(), IsOk());
    });
    std::vector<Candle> input = Hourly(1, 1, 10);
    for (const auto& c : Hourly(2, 4, 700)) input.push_back(c);
    staging_ = Stage(input);
  }

  Operation MergeOp() {
    return [this](TestLake& lake) { return Merge(lake, staging_); };
  }

  // Template: days 0-3 stored. The delete rewrites days 1 and 3 and removes day 2.
  void PrepareDelete() {
    Prepare([this](TestLake& lake) {
      ASSERT_THAT(Merge(lake, Stage(Hourly(0, 4, 10))).status(), IsOk());
    });
  }

  Operation DeleteOp() {
    return [this](TestLake& lake) { return Delete(lake, Hour(1, 12), Hour(3, 12)); };
  }

  // Template: days 0-3 stored. The compaction writes them as one month file.
  Operation CompactOp() {
    return [this](TestLake& lake) { return Compact(lake, {kDay}); };
  }

  std::string template_dir_;
  Staging staging_;
};

TEST_F(DatasetWriterFaultTest, MergeWithOneFailingEnvCallLeavesTheLakeAsItWas) {
  PrepareMerge();
  // Per changed day at least a mkdir, an fsync and a rename can fail.
  EXPECT_GE(FailEachCallInTurn(MergeOp(), /*transient=*/true), 4 * 3);
}

TEST_F(DatasetWriterFaultTest, MergeFailingFromEachEnvCallOnKeepsTheOldFiles) {
  PrepareMerge();
  EXPECT_GE(FailEachCallInTurn(MergeOp(), /*transient=*/false), 4 * 3);
}

TEST_F(DatasetWriterFaultTest, DeleteWithOneFailingEnvCallLeavesTheLakeAsItWas) {
  PrepareDelete();
  EXPECT_GE(FailEachCallInTurn(DeleteOp(), /*transient=*/true), 2 * 3);
}

TEST_F(DatasetWriterFaultTest, DeleteFailingFromEachEnvCallOnKeepsTheOldFiles) {
  PrepareDelete();
  EXPECT_GE(FailEachCallInTurn(DeleteOp(), /*transient=*/false), 2 * 3);
}

TEST_F(DatasetWriterFaultTest, CompactionWithOneFailingEnvCallLeavesTheLakeAsItWas) {
  PrepareDelete();  // days 0-3 stored
  EXPECT_GE(FailEachCallInTurn(CompactOp(), /*transient=*/true), 3);
}

}  // namespace
}  // namespace dlake::storage
