// Library-level behaviour of the lake: ingest, read, list, delete, verify on real files, real
// SQLite and real DuckDB.

#include "dlake/lake.h"

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "dlake/common/time.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::KlineOptions;
using ::dlake::testing::MakeKlineCsv;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00:00Z

class LakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = Lake::Init(dir_.Join("lake"), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
  }

  DatasetId Btc(const std::string& type = "raw", const std::string& period = "1m") {
    return *DatasetId::Make("binance", "futures", "BTCUSDT", type, period);
  }

  std::string Csv(const std::string& name, const std::string& text) {
    std::string path = dir_.Join("in/" + name);
    testing::WriteFile(path, text);
    return path;
  }

  Result<IngestReport> Ingest(const std::vector<std::string>& sources, DatasetId dataset,
                              BadRowPolicy policy = BadRowPolicy::kFail, bool dry_run = false) {
    IngestRequest request;
    request.sources = sources;
    request.dataset = std::move(dataset);
    request.on_bad_rows = policy;
    request.dry_run = dry_run;
    return lake_->Ingest(request);
  }

  RecordBatch ReadAll(const DatasetId& dataset, std::vector<std::string> columns = {}) {
    ReadRequest request;
    request.dataset = dataset;
    request.columns = std::move(columns);
    auto batch = lake_->Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    return batch.ok() ? *batch : RecordBatch{};
  }

  std::vector<int64_t> Timestamps(const DatasetId& dataset) {
    RecordBatch b = ReadAll(dataset, {"ts"});
    return b.columns.empty() ? std::vector<int64_t>{} : b.columns[0].ints;
  }

  std::map<std::string, std::string> DataChecksums() {
    return testing::Checksums(dir_.Join("lake/data"));
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(LakeTest, IngestWritesDayFilesWithManifestRowsAndTheSourceData) {
  KlineOptions opts;
  opts.count = 3 * 1440;  // three days
  std::string csv = Csv("btc.csv", MakeKlineCsv(opts));
  auto report = Ingest({csv}, Btc());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->rows_read, 3 * 1440);
  EXPECT_EQ(report->write.Count(DayAction::kCreated), 3);

  auto files = *lake_->ListFiles(DatasetFilter{});
  ASSERT_EQ(files.size(), 3u);
  EXPECT_THAT(files[0].path,
              ::testing::StartsWith(
                  "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/01/BTCUSDT-1m-2024-01-01-"));
  for (const auto& f : files) {
    EXPECT_EQ(f.rows, 1440);
    EXPECT_EQ(f.time_to - f.time_from, 1439 * 60000);
    EXPECT_EQ(f.sha256.size(), 64u);
    EXPECT_TRUE(fs::exists(lake_->root() + "/" + f.path));
    EXPECT_THAT(f.source, HasSubstr("btc.csv"));
  }
  // Every value equals the source line.
  RecordBatch batch = ReadAll(Btc());
  ASSERT_EQ(batch.num_rows, 3u * 1440);
  for (int64_t i : {0, 1439, 1440, 4319}) {
    std::string expected = testing::KlineLine(opts, i);
    std::string actual;
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      actual += (c ? "," : "") + batch.columns[c].ToString(static_cast<size_t>(i));
    }
    // The source has a trailing "ignore" column; numbers print in shortest round-trip form.
    std::vector<std::string> src, got;
    std::stringstream s1(expected), s2(actual);
    for (std::string x; std::getline(s1, x, ',');) src.push_back(x);
    for (std::string x; std::getline(s2, x, ',');) got.push_back(x);
    ASSERT_EQ(got.size(), 11u);
    for (size_t c = 0; c < got.size(); ++c) {
      EXPECT_DOUBLE_EQ(std::stod(got[c]), std::stod(src[c])) << "row " << i << " column " << c;
    }
  }
}

TEST_F(LakeTest, MidnightBoundariesLandInDifferentDayFolders) {
  std::string csv = Csv("edge.csv",
                        "ts,open,high,low,close,volume\n"
                        "1704153599999,1,2,0.5,1.5,10\n"    // 2024-01-01T23:59:59.999
                        "1704153600000,1,2,0.5,1.5,10\n");  // 2024-01-02T00:00:00.000
  ASSERT_THAT(Ingest({csv}, Btc("alt", "funding")).status(), IsOk());
  auto files = *lake_->ListFiles(DatasetFilter{});
  ASSERT_EQ(files.size(), 2u);
  EXPECT_THAT(files[0].path, HasSubstr("/2024/01/01/"));
  EXPECT_THAT(files[1].path, HasSubstr("/2024/01/02/"));
  EXPECT_EQ(files[0].time_to, 1704153599999);
  EXPECT_EQ(files[1].time_from, 1704153600000);
}

TEST_F(LakeTest, ReingestingTheSameFileChangesNothing) {
  KlineOptions opts;
  opts.count = 2 * 1440;
  std::string csv = Csv("btc.csv", MakeKlineCsv(opts));
  ASSERT_THAT(Ingest({csv}, Btc()).status(), IsOk());
  auto before = DataChecksums();
  auto files_before = *lake_->ListFiles(DatasetFilter{});
  auto again = Ingest({csv}, Btc());
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->write.Count(DayAction::kUnchanged), 2);
  EXPECT_EQ(again->write.Count(DayAction::kCreated) + again->write.Count(DayAction::kReplaced), 0);
  EXPECT_EQ(DataChecksums(), before);
  auto files_after = *lake_->ListFiles(DatasetFilter{});
  ASSERT_EQ(files_after.size(), files_before.size());
  for (size_t i = 0; i < files_after.size(); ++i) {
    EXPECT_EQ(files_after[i].sha256, files_before[i].sha256);
    EXPECT_EQ(files_after[i].path, files_before[i].path);
  }
}

TEST_F(LakeTest, RewritingADayMergesAndTheNewestInputWins) {
  std::string first = Csv("a.csv",
                          "ts,open,high,low,close,volume\n"
                          "1704067200000,1,2,0.5,1.5,10\n"
                          "1704067260000,1,2,0.5,1.5,11\n");
  std::string second = Csv("b.csv",
                           "ts,open,high,low,close,volume\n"
                           "1704067260000,1,2,0.5,1.5,99\n"
                           "1704067320000,1,2,0.5,1.5,12\n");
  ASSERT_THAT(Ingest({first}, Btc()).status(), IsOk());
  auto report = Ingest({second}, Btc());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->write.Count(DayAction::kReplaced), 1);
  RecordBatch b = ReadAll(Btc(), {"ts", "volume"});
  EXPECT_THAT(b.columns[0].ints, ElementsAre(1704067200000, 1704067260000, 1704067320000));
  EXPECT_THAT(b.columns[1].doubles, ElementsAre(10, 99, 12));
  // The replaced file is gone: one file per day.
  EXPECT_EQ(testing::ListFilesRecursive(dir_.Join("lake/data")).size(), 1u);
}

TEST_F(LakeTest, DuplicatesAndOutOfOrderRowsAreFixedAndCounted) {
  std::string csv = Csv("messy.csv",
                        "ts,open,high,low,close,volume\n"
                        "1704067320000,1,2,0.5,1.5,3\n"
                        "1704067200000,1,2,0.5,1.5,1\n"
                        "1704067260000,1,2,0.5,1.5,2\n"
                        "1704067200000,1,2,0.5,1.5,7\n");
  auto report = Ingest({csv}, Btc());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->duplicates, 1);
  EXPECT_EQ(report->out_of_order, 2);
  RecordBatch b = ReadAll(Btc(), {"ts", "volume"});
  EXPECT_THAT(b.columns[0].ints, ElementsAre(1704067200000, 1704067260000, 1704067320000));
  EXPECT_THAT(b.columns[1].doubles, ElementsAre(7, 2, 3));  // the later duplicate won
}

struct BadRowCase {
  const char* row;
  const char* reason;
};

class BadRowTest : public LakeTest, public ::testing::WithParamInterface<BadRowCase> {};

TEST_P(BadRowTest, FailsWithFileLineAndReasonAndWritesNothing) {
  std::string csv = Csv("bad.csv", std::string("ts,open,high,low,close,volume\n"
                                               "1704067200000,1,2,0.5,1.5,10\n") +
                                       GetParam().row + "\n");
  auto report = Ingest({csv}, Btc());
  EXPECT_THAT(report.status(), StatusIs(StatusCode::kInvalidArgument,
                                        HasSubstr("bad.csv:3: " + std::string(GetParam().reason))));
  EXPECT_TRUE(testing::ListFilesRecursive(dir_.Join("lake/data")).empty());
  EXPECT_TRUE(lake_->ListFiles(DatasetFilter{})->empty());
}

INSTANTIATE_TEST_SUITE_P(
    Rows, BadRowTest,
    ::testing::Values(BadRowCase{"1704067260000,nan,2,0.5,1.5,10", "field 'open' is not finite"},
                      BadRowCase{"1704067260000,1,2,0.5,1.5,abc", "field 'volume' is not a number"},
                      BadRowCase{"1704067260000,1,2,1.2,1.5,10", "open 1 is outside [low, high]"},
                      BadRowCase{"1704067260000,1,2,0.5,2.5,10", "close 2.5 is outside"},
                      BadRowCase{"1704067260000,1,2,0.5,1.5,-1", "volume -1 is negative"},
                      BadRowCase{"1704067260000,1,0.4,0.5,0.45,1", "low 0.5 is above high 0.4"},
                      BadRowCase{"1704067,1,2,0.5,1.5,10", "ts 1704067 is outside the sane range"},
                      BadRowCase{"1704067290000,1,2,0.5,1.5,10",
                                 "ts 2024-01-01T00:01:30.000Z is not aligned to the 1m period"},
                      BadRowCase{"1704067260000,1,2,0.5,1.5", "expected 6 fields, found 5"},
                      BadRowCase{",1,2,0.5,1.5,10", "field 'ts' is empty"}));

TEST_F(LakeTest, SkipPolicySkipsBadRowsAndReportsThem) {
  std::string csv = Csv("bad.csv",
                        "ts,open,high,low,close,volume\n"
                        "1704067200000,1,2,0.5,1.5,10\n"
                        "1704067260000,nan,2,0.5,1.5,10\n"
                        "1704067320000,1,2,0.5,1.5,10\n"
                        "1704067380000,1,2,0.5,1.5,-5\n");
  auto report = Ingest({csv}, Btc(), BadRowPolicy::kSkip);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->rows_read, 4);
  EXPECT_EQ(report->rows_bad, 2);
  ASSERT_EQ(report->first_bad_rows.size(), 2u);
  EXPECT_EQ(report->first_bad_rows[0].line, 3);
  EXPECT_EQ(report->first_bad_rows[1].line, 5);
  EXPECT_THAT(Timestamps(Btc()), ElementsAre(1704067200000, 1704067320000));
}

TEST_F(LakeTest, DryRunReportsAndWritesNothing) {
  KlineOptions opts;
  opts.count = 2 * 1440;
  std::string csv = Csv("btc.csv", MakeKlineCsv(opts));
  auto report = Ingest({csv}, Btc(), BadRowPolicy::kFail, /*dry_run=*/true);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_TRUE(report->dry_run);
  EXPECT_EQ(report->write.Count(DayAction::kCreated), 2);
  EXPECT_EQ(report->write.RowsAfter(), 2 * 1440);
  EXPECT_TRUE(testing::ListFilesRecursive(dir_.Join("lake/data")).empty());
  EXPECT_TRUE(lake_->List(DatasetFilter{})->empty());
}

TEST_F(LakeTest, IngestReportsProgressAndAnErrorFromItStopsTheIngestBeforeAnyWrite) {
  KlineOptions opts;
  opts.count = 150 * 1440;  // 216,000 rows: two ticks of 100,000 in the first file
  const std::string big = Csv("big.csv", MakeKlineCsv(opts));
  opts.count = 10;
  opts.start_ms += 150 * kMsPerDay;
  const std::string small = Csv("small.csv", MakeKlineCsv(opts));
  IngestRequest request;
  request.sources = {big, small};
  request.dataset = Btc();
  std::vector<IngestProgress> seen;
  request.progress = [&](const IngestProgress& p) {
    seen.push_back(p);
    return Status::Ok();
  };
  ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].phase, "reading");
  EXPECT_EQ(seen[0].file, big);
  EXPECT_EQ(seen[0].files_done, 0);
  EXPECT_EQ(seen[0].files_total, 2);
  EXPECT_GE(seen[0].rows_read, 99'000);
  EXPECT_GT(seen[1].rows_read, seen[0].rows_read);
  EXPECT_EQ(seen[2].files_done, 1);
  EXPECT_EQ(seen[2].rows_read, 150 * 1440);
  EXPECT_EQ(seen[3].file, small);
  EXPECT_EQ(seen[3].files_done, 2);
  EXPECT_EQ(seen[4].phase, "writing");
  EXPECT_EQ(seen[4].rows_read, 150 * 1440 + 10);

  // A caller that stops the ingest (the Python SDK on Ctrl-C) gets its error; nothing changes.
  const auto before = DataChecksums();
  opts.start_ms += kMsPerDay;
  request.sources = {Csv("later.csv", MakeKlineCsv(opts))};
  request.progress = [](const IngestProgress& p) {
    return p.phase == "writing" ? Aborted("stopped by the caller") : Status::Ok();
  };
  EXPECT_THAT(lake_->Ingest(request).status(),
              StatusIs(StatusCode::kAborted, HasSubstr("stopped by the caller")));
  EXPECT_EQ(DataChecksums(), before);
}

TEST_F(LakeTest, MicrosecondTimestampsAreNormalisedToMilliseconds) {
  const std::string doge =
      testing::SharedPath("api-samples/binance-vision/DOGEUSDT-1s-2025-01-01.head3.csv");
  ASSERT_THAT(Ingest({doge}, *DatasetId::Make("binance", "spot", "DOGEUSDT", "raw", "1s")).status(),
              IsOk());
  RecordBatch b =
      ReadAll(*DatasetId::Make("binance", "spot", "DOGEUSDT", "raw", "1s"), {"ts", "close_time"});
  EXPECT_THAT(b.columns[0].ints, ElementsAre(1735689600000, 1735689601000, 1735689602000));
  EXPECT_EQ(b.columns[1].ints[0], 1735689600999);
}

TEST_F(LakeTest, SixAndEightColumnFilesReadTogether) {
  std::string six = Csv("six.csv", "1704067200000,1,2,0.5,1.5,10\n");
  std::string eight = Csv("eight.csv",
                          "ts,open,high,low,close,volume,quote_volume,trades\n"
                          "1704153600000,1,2,0.5,1.5,10,15,42\n");
  ASSERT_THAT(Ingest({six}, Btc()).status(), IsOk());
  ASSERT_THAT(Ingest({eight}, Btc()).status(), IsOk());
  RecordBatch b = ReadAll(Btc());
  ASSERT_EQ(b.num_rows, 2u);
  const Column* trades = b.Find("trades");
  ASSERT_NE(trades, nullptr);
  EXPECT_TRUE(trades->IsNull(0));
  EXPECT_EQ(trades->ints[1], 42);
  // Both in one call, too: the staging schema takes the union.
  TempDir other;
  auto lake2 = *Lake::Init(other.path(), LakeOptions{});
  IngestRequest request{{six, eight}, Btc()};
  ASSERT_THAT(lake2->Ingest(request).status(), IsOk());
  ReadRequest read;
  read.dataset = Btc();
  EXPECT_EQ(lake2->Read(read)->num_rows, 2u);
}

TEST_F(LakeTest, ExtraColumnsOfAHeaderedCsvAreKept) {
  std::string csv = Csv("extra.csv",
                        "ts,open,high,low,close,volume,signal,note\n"
                        "1704067200000,1,2,0.5,1.5,10,0.25,buy\n"
                        "1704067260000,1,2,0.5,1.5,10,,\n");
  ASSERT_THAT(Ingest({csv}, Btc()).status(), IsOk());
  RecordBatch b = ReadAll(Btc(), {"signal", "note"});
  EXPECT_EQ(b.columns[0].type, ColumnType::kDouble);
  EXPECT_DOUBLE_EQ(b.columns[0].doubles[0], 0.25);
  EXPECT_TRUE(b.columns[0].IsNull(1));
  EXPECT_EQ(b.columns[1].strings[0], "buy");
}

TEST_F(LakeTest, TicksDeduplicateOnTradeId) {
  auto ticks = Btc("ticks", "tick");
  std::string a = Csv("t1.csv",
                      "id,price,qty,quote_qty,time,is_buyer_maker\n"
                      "100,50000.5,0.1,5000.05,1704067200100,true\n"
                      "101,50001,0.2,10000.2,1704067200100,false\n");
  std::string b = Csv("t2.csv",
                      "id,price,qty,quote_qty,time,is_buyer_maker\n"
                      "101,50001,0.3,15000.3,1704067200100,false\n"
                      "102,50002,0.1,5000.2,1704067200200,true\n");
  ASSERT_THAT(Ingest({a}, ticks).status(), IsOk());
  ASSERT_THAT(Ingest({b}, ticks).status(), IsOk());
  RecordBatch r = ReadAll(ticks, {"trade_id", "qty", "is_buyer_maker"});
  EXPECT_THAT(r.columns[0].ints, ElementsAre(100, 101, 102));
  EXPECT_THAT(r.columns[1].doubles, ElementsAre(0.1, 0.3, 0.1));
  EXPECT_THAT(r.columns[2].bools, ElementsAre(1, 0, 1));
}

TEST_F(LakeTest, FolderAndGlobSourcesIngestInNameOrder) {
  KlineOptions day1;
  day1.count = 1440;
  KlineOptions day2 = day1;
  day2.start_ms = kJan1 + kMsPerDay;
  Csv("many/a.csv", MakeKlineCsv(day1));
  Csv("many/b.csv", MakeKlineCsv(day2));
  Csv("many/notes.txt", "not a csv");
  auto report = Ingest({dir_.Join("in/many")}, Btc());
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->files.size(), 2u);
  EXPECT_EQ(Timestamps(Btc()).size(), 2u * 1440);
  auto glob = Ingest({dir_.Join("in/many/*.csv")}, Btc());
  ASSERT_THAT(glob.status(), IsOk());
  EXPECT_EQ(glob->write.Count(DayAction::kUnchanged), 2);
  EXPECT_THAT(Ingest({dir_.Join("in/nothing-*.csv")}, Btc()).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("nothing-*.csv")));
  EXPECT_THAT(Ingest({dir_.Join("in/missing.csv")}, Btc()).status(),
              StatusIs(StatusCode::kIoError, HasSubstr("missing.csv")));
}

TEST_F(LakeTest, ReadHonoursRangeColumnsAndLimit) {
  KlineOptions opts;
  opts.count = 3 * 1440;
  ASSERT_THAT(Ingest({Csv("btc.csv", MakeKlineCsv(opts))}, Btc()).status(), IsOk());
  ReadRequest request;
  request.dataset = Btc();
  request.start = *ParseRangeStart("2024-01-02");
  request.end = *ParseRangeEnd("2024-01-02");  // date-only end: the whole day
  request.columns = {"close", "ts"};
  auto day = lake_->Read(request);
  ASSERT_THAT(day.status(), IsOk());
  EXPECT_EQ(day->num_rows, 1440u);
  EXPECT_EQ(day->columns[0].name, "close");
  EXPECT_EQ(day->columns[1].ints.front(), kJan1 + kMsPerDay);
  EXPECT_EQ(day->columns[1].ints.back(), kJan1 + 2 * kMsPerDay - 60000);

  request.start = kJan1 + kMsPerDay - 120000;  // across midnight, in ts order
  request.end = kJan1 + kMsPerDay + 120000;
  request.columns = {"ts"};
  EXPECT_THAT(lake_->Read(request)->columns[0].ints,
              ElementsAre(kJan1 + kMsPerDay - 120000, kJan1 + kMsPerDay - 60000, kJan1 + kMsPerDay,
                          kJan1 + kMsPerDay + 60000));
  request.limit = 1;
  EXPECT_EQ(lake_->Read(request)->num_rows, 1u);
  request.columns = {"nope"};
  EXPECT_THAT(lake_->Read(request).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nope")));
}

TEST_F(LakeTest, ResolveDatasetAsksForTheMarketWhenAmbiguous) {
  std::string csv = Csv("one.csv", "1704067200000,1,2,0.5,1.5,10\n");
  ASSERT_THAT(Ingest({csv}, Btc()).status(), IsOk());
  ASSERT_THAT(Ingest({csv}, *DatasetId::Make("binance", "spot", "BTCUSDT", "raw", "1m")).status(),
              IsOk());
  DatasetFilter filter;
  filter.exchange = "BINANCE";
  filter.symbol = "BTCUSDT";
  EXPECT_THAT(lake_->ResolveDataset(filter).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("--market")));
  filter.market = "SPOT";
  EXPECT_EQ(lake_->ResolveDataset(filter)->market, "SPOT");
  filter.symbol = "ETHUSDT";
  EXPECT_THAT(lake_->ResolveDataset(filter).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("ETHUSDT")));
}

TEST_F(LakeTest, DeleteRemovesFilesAndRowsAndFreesSpace) {
  KlineOptions opts;
  opts.count = 3 * 1440;
  ASSERT_THAT(Ingest({Csv("btc.csv", MakeKlineCsv(opts))}, Btc()).status(), IsOk());
  DeleteRequest dry;
  dry.filter.symbol = "BTCUSDT";
  dry.dry_run = true;
  auto preview = lake_->Delete(dry);
  ASSERT_THAT(preview.status(), IsOk());
  EXPECT_EQ(preview->RowsRemoved(), 3 * 1440);
  EXPECT_EQ(lake_->ListFiles(DatasetFilter{})->size(), 3u);

  DeleteRequest all;
  all.filter.symbol = "BTCUSDT";
  auto report = lake_->Delete(all);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_GT(report->BytesFreed(), 0);
  EXPECT_TRUE(lake_->ListFiles(DatasetFilter{})->empty());
  EXPECT_TRUE(testing::ListFilesRecursive(dir_.Join("lake/data")).empty());
  EXPECT_FALSE(fs::exists(dir_.Join("lake/data/BINANCE")));  // empty folders pruned
  auto verify = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(verify.status(), IsOk());
  EXPECT_TRUE(verify->ok());
}

TEST_F(LakeTest, DeleteARangeCutsPartialDays) {
  KlineOptions opts;
  opts.count = 3 * 1440;
  ASSERT_THAT(Ingest({Csv("btc.csv", MakeKlineCsv(opts))}, Btc()).status(), IsOk());
  DeleteRequest request;
  request.filter.symbol = "BTCUSDT";
  request.start = kJan1 + kMsPerDay / 2;  // noon of day 1 .. noon of day 2
  request.end = kJan1 + kMsPerDay + kMsPerDay / 2;
  auto report = lake_->Delete(request);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->RowsRemoved(), 1440);
  auto ts = Timestamps(Btc());
  EXPECT_EQ(ts.size(), 2u * 1440);
  EXPECT_EQ(std::count_if(ts.begin(), ts.end(),
                          [&](int64_t t) { return t >= request.start && t < request.end; }),
            0);
  // The hole is exactly the deleted range.
  auto verify = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(verify.status(), IsOk());
  ASSERT_EQ(verify->datasets.size(), 1u);
  ASSERT_EQ(verify->datasets[0].gaps.size(), 1u);
  EXPECT_EQ(verify->datasets[0].gaps[0].from, request.start);
  EXPECT_EQ(verify->datasets[0].gaps[0].to, request.end);
  EXPECT_EQ(verify->datasets[0].duplicates, 0);
  EXPECT_TRUE(verify->datasets[0].mismatches.empty());
}

TEST_F(LakeTest, VerifyFindsOrphansDeadRowsChecksumsAndLeftoversAndRepairs) {
  KlineOptions opts;
  opts.count = 2 * 1440;
  ASSERT_THAT(Ingest({Csv("btc.csv", MakeKlineCsv(opts))}, Btc()).status(), IsOk());
  auto clean = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(clean.status(), IsOk());
  EXPECT_TRUE(clean->ok());

  auto files = *lake_->ListFiles(DatasetFilter{});
  const std::string root = lake_->root() + "/";
  testing::WriteFile(root + "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/01/stray.parquet", "x");
  testing::WriteFile(
      root + "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/01/.tmp-999999999-0-day.parquet", "x");
  fs::remove(root + files[1].path);                       // dead manifest row
  testing::WriteFile(root + files[0].path, "corrupted");  // checksum mismatch

  auto report = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_FALSE(report->ok());
  EXPECT_THAT(report->orphans, ElementsAre(HasSubstr("stray.parquet")));
  EXPECT_THAT(report->leftovers, ElementsAre(HasSubstr(".tmp-999999999-0-day.parquet")));
  EXPECT_THAT(report->missing_files, ElementsAre(files[1].path));
  EXPECT_THAT(report->checksum_mismatches, ElementsAre(HasSubstr(files[0].path)));

  VerifyRequest repair;
  repair.repair = true;
  auto repaired = lake_->Verify(repair);
  ASSERT_THAT(repaired.status(), IsOk());
  EXPECT_EQ(repaired->removed, 2);
  EXPECT_FALSE(fs::exists(root + "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/01/stray.parquet"));
  // Repair touches only orphans and leftovers: the damaged data stays reported.
  EXPECT_FALSE(repaired->ok());
  EXPECT_TRUE(fs::exists(root + files[0].path));
}

TEST_F(LakeTest, VerifyReportsAMissingDayAsAGapUnlessKnown) {
  KlineOptions day1;
  day1.count = 1440;
  KlineOptions day3 = day1;
  day3.start_ms = kJan1 + 2 * kMsPerDay;
  ASSERT_THAT(Ingest({Csv("d1.csv", MakeKlineCsv(day1)), Csv("d3.csv", MakeKlineCsv(day3))}, Btc())
                  .status(),
              IsOk());
  auto report = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(report.status(), IsOk());
  ASSERT_EQ(report->datasets.size(), 1u);
  ASSERT_EQ(report->datasets[0].gaps.size(), 1u);
  EXPECT_EQ(report->datasets[0].gaps[0].from, kJan1 + kMsPerDay);
  EXPECT_EQ(report->datasets[0].gaps[0].to, kJan1 + 2 * kMsPerDay);
  EXPECT_EQ(report->datasets[0].missing_periods, 1440);
  EXPECT_FALSE(report->ok());

  {
    // As a download records it: through the manifest, which the lake re-reads.
    DLAKE_ASSERT_OK_AND_ASSIGN(auto manifest, Manifest::Open(dir_.Join("lake/manifest.db"), {}));
    DLAKE_ASSERT_OK(manifest->AddKnownGap(
        KnownGap{Btc(), kJan1 + kMsPerDay, kJan1 + 2 * kMsPerDay, "exchange downtime"}));
  }
  auto after = lake_->Verify(VerifyRequest{});
  EXPECT_TRUE(after->datasets[0].gaps.empty());
  EXPECT_EQ(after->datasets[0].known_gaps, 1);
  EXPECT_TRUE(after->ok());
  EXPECT_EQ(lake_->List(DatasetFilter{})->front().known_gaps, 1);
}

TEST_F(LakeTest, AMovedLakeStillReads) {
  ASSERT_THAT(Ingest({Csv("one.csv", "1704067200000,1,2,0.5,1.5,10\n")}, Btc()).status(), IsOk());
  lake_.reset();
  fs::rename(dir_.Join("lake"), dir_.Join("moved"));
  auto lake = Lake::Open(dir_.Join("moved"), LakeOptions{});
  ASSERT_THAT(lake.status(), IsOk());
  ReadRequest request;
  request.dataset = Btc();
  EXPECT_EQ((*lake)->Read(request)->num_rows, 1u);
  EXPECT_TRUE((*lake)->Verify(VerifyRequest{})->ok());
  // The Result is named: a range-for over `*` of a temporary Result would iterate a vector
  // destroyed before the loop body runs.
  auto files = (*lake)->ListFiles(DatasetFilter{});
  ASSERT_THAT(files.status(), IsOk());
  for (const auto& f : *files) {
    EXPECT_EQ(f.path.find('\\'), std::string::npos);
    EXPECT_NE(f.path.front(), '/');
  }
}

TEST_F(LakeTest, ReadersSeeWholeDaysWhileAWriterReplacesThem) {
  // Two inputs for the same two days with different volumes: every read must return all rows
  // of one version or the other per day, never an error or a partial day, even though each
  // rewrite deletes the file a reader may be about to open.
  KlineOptions a;
  a.count = 2 * 1440;
  KlineOptions b = a;
  b.seed = 2;
  const std::string csv_a = Csv("a.csv", MakeKlineCsv(a));
  const std::string csv_b = Csv("b.csv", MakeKlineCsv(b));
  ASSERT_THAT(Ingest({csv_a}, Btc()).status(), IsOk());
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      ReadRequest request;
      request.dataset = Btc();
      request.columns = {"ts"};
      auto batch = lake_->Read(request);
      ASSERT_THAT(batch.status(), IsOk());
      ASSERT_EQ(batch->num_rows, 2u * 1440);
      ++reads;
    }
  });
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT(Ingest({i % 2 ? csv_a : csv_b}, Btc()).status(), IsOk());
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
}

TEST_F(LakeTest, ZstdCompressionIsReadBack) {
  IngestRequest request;
  request.sources = {Csv("one.csv", "1704067200000,1,2,0.5,1.5,10\n")};
  request.dataset = Btc();
  request.compression = Compression::kZstd;
  ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  auto files = *lake_->ListFiles(DatasetFilter{});
  ASSERT_EQ(files.size(), 1u);
  // DuckDB names the codec in the footer's column chunk metadata.
  EXPECT_THAT(testing::ReadFile(lake_->root() + "/" + files[0].path), HasSubstr("PAR1"));
  EXPECT_EQ(ReadAll(Btc()).num_rows, 1u);
}

TEST_F(LakeTest, SettingsComeFromFlagsThenEnvironmentThenDlakeToml) {
  lake_.reset();
  testing::WriteFile(dir_.Join("lake/dlake.toml"), "memory_limit = \"not-a-size\"\n");
  EXPECT_THAT(Lake::Open(dir_.Join("lake"), LakeOptions{}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not-a-size")));
  // A bad file is an error even where a flag overrides the setting.
  RuntimeOptions flags;
  flags.lake = dir_.Join("lake");
  flags.flags = {{"memory_limit", "128MB"}};
  EXPECT_THAT(Runtime::Make(flags).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not-a-size")));
  testing::WriteFile(dir_.Join("lake/dlake.toml"), "memory_limit = \"512MB\"\n");
  DLAKE_ASSERT_OK_AND_ASSIGN(auto runtime, Runtime::Make(flags));
  EXPECT_EQ(runtime->settings().memory_limit_bytes(), 128LL << 20);
  LakeOptions options;
  options.runtime = runtime;
  EXPECT_THAT(Lake::Open(dir_.Join("lake"), options).status(), IsOk());
  ::setenv("DLAKE_MEMORY_LIMIT", "64MB", 1);
  EXPECT_THAT(Lake::Open(dir_.Join("lake"), LakeOptions{}).status(), IsOk());
  ::unsetenv("DLAKE_MEMORY_LIMIT");
}

TEST_F(LakeTest, OpeningSomethingThatIsNotALakeSaysSo) {
  EXPECT_THAT(Lake::Open(dir_.Join("in"), LakeOptions{}).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("dlake init")));
}

}  // namespace
}  // namespace dlake
