// The feature store through dlake::Lake on real files, SQLite and DuckDB (doc/features.md):
// uploads with lineage, semver order and immutability, refused input leaving the lake as it
// was, an upload that stopped before its record, diffs, deletes, and the point-in-time join
// checked row by row against a join computed independently here.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "dlake/request_parsing.h"
#include "duck/duck.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00:00Z
constexpr int64_t kJun1 = 1717200000000;  // 2024-06-01T00:00:00Z

// The real file system with a clock the test sets.
class ClockEnv : public testing::FaultInjectionEnv {
 public:
  int64_t NowMs() override { return now.load(); }
  std::atomic<int64_t> now{kJun1};
};

struct FeatureRow {
  int64_t ts = 0;
  double value = 0;
};

class LakeFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.lake = dir_.Join("lake");
    options.read_environment = false;
    options.env = &env_;
    fs::create_directories(options.lake);
    auto runtime = Runtime::Make(options);
    ASSERT_THAT(runtime.status(), IsOk());
    auto lake = Lake::Init(options.lake, LakeOptions{*runtime});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(*lake);
  }

  // 1m candles [from, to) of BINANCE/FUTURES/BTCUSDT, close = 100 + minutes since Jan 1.
  void IngestCandles(int64_t from, int64_t to) {
    const std::string path = dir_.Join("candles.csv");
    std::ofstream out(path);
    out << "ts,open,high,low,close,volume\n";
    for (int64_t ts = from; ts < to; ts += kMinute) {
      const double p = 100 + static_cast<double>((ts - kJan1) / kMinute);
      out << ts << "," << p << "," << p + 1 << "," << p - 1 << "," << p << ",1\n";
    }
    out.close();
    IngestRequest request;
    request.dataset = *DatasetId::Make("BINANCE", "FUTURES", "BTCUSDT", "raw", "1m");
    request.sources = {path};
    ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  }

  std::string WriteCsv(const std::string& name, const std::vector<FeatureRow>& rows,
                       const std::string& extra_header = "", const std::string& extra = "") {
    const std::string path = dir_.Join(name);
    std::ofstream out(path);
    out.precision(17);
    out << "ts,value" << extra_header << "\n";
    for (const auto& r : rows) out << r.ts << "," << r.value << extra << "\n";
    return path;
  }

  // The same rows as Parquet, written by DuckDB with ts as a TIMESTAMP.
  std::string WriteParquet(const std::string& name, const std::string& csv) {
    const std::string path = dir_.Join(name);
    auto db = duck::Database::Open("", {});
    auto conn = duck::Connection::Open(**db);
    EXPECT_THAT((*conn)->Execute("COPY (SELECT make_timestamp(ts * 1000) AS ts, value FROM "
                                 "read_csv('" +
                                     csv + "', header = true)) TO '" + path + "' (FORMAT parquet)",
                                 "writing the test's parquet"),
                IsOk());
    return path;
  }

  Result<FeatureUploadReport> Upload(const std::string& path, const std::string& version,
                                     const std::string& set = "alpha",
                                     const std::string& symbol = "BTCUSDT") {
    FeatureUploadRequest request;
    request.path = path;
    request.exchange = "binance";
    request.symbol = symbol;
    request.feature_set = set;
    request.version = version;
    env_.now += 1000;
    return lake_->UploadFeature(request);
  }

  // Every file of the lake with its checksum, and the feature versions: what a refused
  // upload must leave as it was.
  std::string LakeState() {
    std::string state;
    // Named: a range-for over the value of a temporary Result would read freed memory.
    const auto files = lake_->ListFiles(DatasetFilter{});
    const auto versions = lake_->ListFeatures({});
    for (const auto& f : *files) state += f.path + " " + f.sha256 + "\n";
    for (const auto& v : *versions) state += v.dataset.Path() + "\n";
    for (const auto& e : fs::recursive_directory_iterator(dir_.Join("lake/data"))) {
      state += e.path().string() + "\n";
    }
    return state;
  }

  static std::vector<FeatureRow> Rows(int64_t from, int64_t to, int64_t step, double scale = 1) {
    std::vector<FeatureRow> rows;
    for (int64_t ts = from; ts < to; ts += step) {
      rows.push_back(FeatureRow{ts, static_cast<double>((ts - kJan1) / kMinute) * scale + 0.25});
    }
    return rows;
  }

  TempDir dir_;
  ClockEnv env_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(LakeFeaturesTest, AnUploadIsADatasetUnderFeaturesWithItsLineage) {
  IngestCandles(kJan1, kJan1 + 2 * kMsPerDay);
  const std::string csv = WriteCsv("f.csv", Rows(kJan1, kJan1 + 40 * kMsPerDay, 5 * kMinute));
  FeatureUploadRequest request;
  request.path = csv;
  request.exchange = "binance";
  request.symbol = "btc/usdt";
  request.market = "futures";
  request.feature_set = "alpha_v1";
  request.version = "1.0.0";
  request.description = "value per 5 minutes";
  request.code_ref = "git:abc123";
  request.sources = {"BINANCE/FUTURES/BTCUSDT/raw/1m"};
  auto report = lake_->UploadFeature(request);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->outcome, "created");
  const FeatureVersion& v = report->version;
  EXPECT_EQ(v.dataset.Path(), "features/alpha_v1/1.0.0/BINANCE/BTCUSDT");
  EXPECT_EQ(v.rows, 40 * 288);
  EXPECT_EQ(v.time_from, kJan1);
  EXPECT_EQ(v.time_to, kJan1 + 40 * kMsPerDay - 5 * kMinute);
  EXPECT_EQ(v.market, "FUTURES");
  EXPECT_THAT(v.columns,
              ElementsAre(FeatureColumn{"ts", "BIGINT"}, FeatureColumn{"value", "DOUBLE"}));
  EXPECT_EQ(v.input_sha256, Sha256File(csv)->sha256);

  // January and February are closed months (the clock is in June): one month file each. Every
  // file is registered with its checksum, and verify checks them.
  auto files = *lake_->ListFiles(DatasetFilter::Of(v.dataset));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_THAT(files[0].path, HasSubstr("data/features/alpha_v1/1.0.0/BINANCE/BTCUSDT/2024/01/"
                                       "BTCUSDT-alpha_v1-1.0.0-2024-01-"));
  EXPECT_THAT(files[1].path, HasSubstr("/2024/02/BTCUSDT-alpha_v1-1.0.0-2024-02-"));
  std::string lines;
  for (const auto& f : files) {
    EXPECT_EQ(f.sha256, Sha256File(dir_.Join("lake/" + f.path))->sha256);
    EXPECT_EQ(f.version, "1.0.0");
    lines += f.path + " " + f.sha256 + "\n";
  }
  EXPECT_EQ(v.files, 2);
  EXPECT_EQ(v.files_digest, *Sha256Hex(lines));

  // Lineage: the source as it was at upload time, and what is recorded survives a reopen.
  ASSERT_EQ(v.sources.size(), 1u);
  const auto candle_files =
      *lake_->ListFiles(DatasetFilter{"BINANCE", "FUTURES", "BTCUSDT", "raw", "1m"});
  std::string source_lines;
  for (const auto& f : candle_files) source_lines += f.path + " " + f.sha256 + "\n";
  EXPECT_EQ(v.sources[0].dataset, "BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(v.sources[0].rows, 2 * 1440);
  EXPECT_EQ(v.sources[0].files, 2);
  EXPECT_EQ(v.sources[0].digest, *Sha256Hex(source_lines));
  auto shown = lake_->ShowFeature(*FeatureRef::Parse("alpha_v1"));
  ASSERT_THAT(shown.status(), IsOk());
  ASSERT_EQ(shown->size(), 1u);
  EXPECT_EQ((*shown)[0].code_ref, "git:abc123");
  EXPECT_EQ((*shown)[0].description, "value per 5 minutes");
  EXPECT_EQ((*shown)[0].created_at, v.created_at);
  EXPECT_FALSE((*shown)[0].host.empty());
  EXPECT_EQ((*shown)[0].sources[0].digest, v.sources[0].digest);

  auto verify = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(verify.status(), IsOk());
  EXPECT_TRUE(verify->ok());
  // `list --data-type feature` as in the seed.
  auto listed = lake_->List(*ParseDatasetFilter({"", "", "BTCUSDT", "feature", ""}));
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id.Path(), "features/alpha_v1/1.0.0/BINANCE/BTCUSDT");

  // The rows read back by version, ts as epoch ms.
  ReadRequest read;
  read.dataset = v.dataset;
  read.start = kJan1 + 31 * kMsPerDay;
  read.end = read.start + 3 * 5 * kMinute;
  auto batch = lake_->Read(read);
  ASSERT_THAT(batch.status(), IsOk());
  ASSERT_EQ(batch->num_rows, 3u);
  EXPECT_EQ(batch->Find("ts")->ints[0], read.start);
  EXPECT_EQ(batch->Find("value")->doubles[2], 31 * 1440 + 10 + 0.25);
}

TEST_F(LakeFeaturesTest, VersionsAreOrderedAsSemverAndDeletingTheHighestFallsBack) {
  const std::string csv = WriteCsv("f.csv", Rows(kJan1, kJan1 + kMsPerDay, kMinute));
  for (const char* version : {"1.9.0", "1.10.0-rc.1", "1.10.0", "1.2.0"}) {
    ASSERT_THAT(Upload(csv, version).status(), IsOk()) << version;
  }
  auto list = lake_->ListFeatures({});
  std::vector<std::string> order;
  for (const auto& v : *list) order.push_back(v.version);
  EXPECT_THAT(order, ElementsAre("1.10.0", "1.10.0-rc.1", "1.9.0", "1.2.0"));
  FeatureLookup lookup{*FeatureRef::Parse("alpha"), "BINANCE", "BTCUSDT"};
  EXPECT_EQ(lake_->ResolveFeature(lookup)->version, "1.10.0");

  auto deleted = lake_->DeleteFeatures(FeatureDeleteRequest{"alpha", "1.10.0"});
  ASSERT_THAT(deleted.status(), IsOk());
  ASSERT_EQ(deleted->versions.size(), 1u);
  EXPECT_GT(deleted->bytes, 0);
  EXPECT_EQ(lake_->ResolveFeature(lookup)->version, "1.10.0-rc.1");
  EXPECT_FALSE(fs::exists(dir_.Join("lake/data/features/alpha/1.10.0")));
  EXPECT_TRUE(fs::exists(dir_.Join("lake/data/features/alpha/1.9.0")));
  EXPECT_THAT(lake_->DeleteFeatures(FeatureDeleteRequest{"alpha", "1.10.0"}).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("has no version 1.10.0")));
  // A named version that is gone says which there are.
  lookup.ref.version = "1.10.0";
  EXPECT_THAT(lake_->ResolveFeature(lookup).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("versions: 1.10.0-rc.1, 1.9.0, 1.2.0")));
  // Deleting market data never touches feature sets.
  DeleteRequest market;
  market.filter.symbol = "BTCUSDT";
  ASSERT_THAT(lake_->Delete(market).status(), IsOk());
  EXPECT_EQ(lake_->ListFeatures({})->size(), 3u);
  EXPECT_TRUE(lake_->Verify(VerifyRequest{})->ok());
}

TEST_F(LakeFeaturesTest, AVersionIsImmutable) {
  const auto rows = Rows(kJan1, kJan1 + 3 * kMsPerDay, 15 * kMinute);
  const std::string csv = WriteCsv("f.csv", rows);
  ASSERT_THAT(Upload(csv, "1.0.0").status(), IsOk());
  const std::string before = LakeState();

  // The same content again, even as Parquet with ts as a timestamp: a no-op.
  auto again = Upload(WriteParquet("f.parquet", csv), "1.0.0");
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(again->outcome, "unchanged");
  EXPECT_EQ(LakeState(), before);

  // One value changed: refused, naming the next version to use.
  auto changed = rows;
  changed[7].value += 0.5;
  EXPECT_THAT(Upload(WriteCsv("g.csv", changed), "1.0.0").status(),
              StatusIs(StatusCode::kAlreadyExists,
                       HasSubstr("1 of the file's rows are not in it and 1 of its rows are not "
                                 "in the file. A version never changes; upload this as a new "
                                 "version such as 1.0.1")));
  // A row less, or another column: refused too.
  auto fewer = rows;
  fewer.pop_back();
  EXPECT_THAT(Upload(WriteCsv("h.csv", fewer), "1.0.0").status(),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("0 of the file's rows")));
  EXPECT_THAT(Upload(WriteCsv("i.csv", rows, ",extra", ",1"), "1.0.0").status(),
              StatusIs(StatusCode::kAlreadyExists, HasSubstr("extra BIGINT")));
  EXPECT_EQ(LakeState(), before);
  EXPECT_THAT(Upload(WriteCsv("g2.csv", changed), "1.0.1").status(), IsOk());
}

TEST_F(LakeFeaturesTest, RefusedInputNamesTheReasonAndLeavesTheLakeAsItWas) {
  ASSERT_THAT(Upload(WriteCsv("ok.csv", Rows(kJan1, kJan1 + kMsPerDay, kMinute)), "1.0.0").status(),
              IsOk());
  const std::string before = LakeState();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_.Join(name)) << text;
    return dir_.Join(name);
  };
  struct Case {
    std::string path;
    std::string version;
    std::string set;
    std::string message;
  } cases[] = {
      {write("no_ts.csv", "time,value\n1704067200000,1\n"), "2.0.0", "alpha",
       "no 'ts' column (it has: time, value)"},
      {write("dup.csv", "ts,value\n1704067200000,1\n1704067260000,2\n1704067200000,3\n"), "2.0.0",
       "alpha", "ts 2024-01-01T00:00:00.000Z appears 2 times (rows 1 and 3)"},
      {write("null.csv", "ts,value\n1704067200000,1\n,2\n"), "2.0.0", "alpha",
       "row 2: ts is empty"},
      {write("text.csv", "ts,value\n2024-01-01 00:00:00,1\nsoon,2\n"), "2.0.0", "alpha",
       "row 2: ts 'soon' is not a time"},
      {write("secs.csv", "ts,value\n1704067200,1\n"), "2.0.0", "alpha", "(seconds? use ms)"},
      {write("float.csv", "ts,value\n1.5,1\n"), "2.0.0", "alpha", "column ts is DOUBLE"},
      {write("empty.csv", "ts,value\n"), "2.0.0", "alpha", "no rows"},
      {write("x.json", "{}"), "2.0.0", "alpha", "expected a .parquet or .csv file"},
      {write("not.parquet", "not parquet"), "2.0.0", "alpha", "not.parquet"},
      {dir_.Join("missing.csv"), "2.0.0", "alpha", "no such file"},
      {dir_.Join("ok.csv"), "2.0", "alpha", "invalid version '2.0'"},
      {dir_.Join("ok.csv"), "2.0.0", "../up", "invalid feature set name '../up'"},
  };
  for (const auto& c : cases) {
    auto report = Upload(c.path, c.version, c.set);
    EXPECT_FALSE(report.ok()) << c.path;
    EXPECT_THAT(report.status().message(), HasSubstr(c.message)) << c.path;
    EXPECT_EQ(LakeState(), before) << c.path;
  }
  FeatureUploadRequest request;
  request.path = dir_.Join("ok.csv");
  request.exchange = "BINANCE";
  request.symbol = "BTCUSDT";
  request.feature_set = "alpha";
  request.version = "2.0.0";
  request.sources = {"BINANCE/SPOT/ETHUSDT/raw/1m"};
  EXPECT_THAT(lake_->UploadFeature(request).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("--source 'BINANCE/SPOT/ETHUSDT/raw/1m'")));
  request.sources = {"BINANCE/ETHUSDT"};
  EXPECT_THAT(
      lake_->UploadFeature(request).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("invalid dataset 'BINANCE/ETHUSDT'")));
  // A dry run writes nothing either.
  request.sources.clear();
  request.dry_run = true;
  auto dry = lake_->UploadFeature(request);
  ASSERT_THAT(dry.status(), IsOk());
  EXPECT_EQ(dry->outcome, "would create");
  EXPECT_EQ(LakeState(), before);
}

TEST_F(LakeFeaturesTest, RowsInMemoryUploadLikeAFile) {
  RecordBatch rows;
  rows.num_rows = 3;
  Column ts{"ts", ColumnType::kInt64};
  ts.ints = {kJan1 + 2 * kMinute, kJan1, kJan1 + kMinute};  // any order
  Column value{"value", ColumnType::kDouble};
  value.doubles = {2.5, 0.5, 0};
  Column label{"label", ColumnType::kString};
  label.strings = {"c", "a", "b"};
  Column flag{"flag", ColumnType::kBool};
  flag.bools = {1, 0, 1};
  for (Column* c : {&ts, &value, &label, &flag}) c->valid = {1, 1, 1};
  value.valid[2] = 0;  // a NULL stays NULL
  rows.columns = {ts, value, label, flag};
  FeatureUploadRequest request;
  request.rows = &rows;
  request.exchange = "BINANCE";
  request.symbol = "BTCUSDT";
  request.feature_set = "mem";
  request.version = "1.0.0";
  auto report = lake_->UploadFeature(request);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->version.input_path, "<rows>");
  EXPECT_THAT(report->version.columns,
              ElementsAre(FeatureColumn{"ts", "BIGINT"}, FeatureColumn{"value", "DOUBLE"},
                          FeatureColumn{"label", "VARCHAR"}, FeatureColumn{"flag", "BOOLEAN"}));
  ReadRequest read;
  read.dataset = report->version.dataset;
  auto batch = lake_->Read(read);
  ASSERT_THAT(batch.status(), IsOk());
  ASSERT_EQ(batch->num_rows, 3u);
  EXPECT_THAT(batch->Find("ts")->ints, ElementsAre(kJan1, kJan1 + kMinute, kJan1 + 2 * kMinute));
  EXPECT_THAT(batch->Find("label")->strings, ElementsAre("a", "b", "c"));
  EXPECT_TRUE(batch->Find("value")->IsNull(1));
  EXPECT_EQ(batch->Find("value")->doubles[2], 2.5);
  EXPECT_EQ(lake_->UploadFeature(request)->outcome, "unchanged");

  rows.columns[0].name = "time";
  EXPECT_THAT(lake_->UploadFeature(request).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("<rows>: no 'ts' column")));
  rows.columns[0].name = "value";
  EXPECT_THAT(lake_->UploadFeature(request).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("two columns are named 'value'")));
}

TEST_F(LakeFeaturesTest, AnUploadThatStoppedBeforeItsRecordIsInvisibleAndReplacedByTheNext) {
  const std::string first = WriteCsv("a.csv", Rows(kJan1, kJan1 + 3 * kMsPerDay, kMinute));
  auto report = Upload(first, "1.0.0");
  ASSERT_THAT(report.status(), IsOk());
  // As if the process died between the files' commit and the version record.
  ASSERT_THAT(lake_->ShowFeature(*FeatureRef::Parse("alpha")).status(), IsOk());
  auto manifest = Manifest::Open(dir_.Join("lake/manifest.db"));
  ASSERT_THAT((*manifest)->RemoveFeatureVersion(report->version.dataset), IsOk());
  EXPECT_TRUE(lake_->ListFeatures({})->empty());
  EXPECT_THAT(lake_->ResolveFeature({*FeatureRef::Parse("alpha"), "BINANCE", "BTCUSDT"}).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("alpha")));
  // The next upload of the version takes its place, whatever the content: days 2-3 go.
  const std::string second = WriteCsv("b.csv", Rows(kJan1, kJan1 + kMsPerDay, 2 * kMinute));
  auto redo = Upload(second, "1.0.0");
  ASSERT_THAT(redo.status(), IsOk());
  EXPECT_EQ(redo->outcome, "created");
  EXPECT_EQ(redo->version.rows, 720);
  auto files = *lake_->ListFiles(DatasetFilter::Of(redo->version.dataset));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].rows, 720);
  EXPECT_TRUE(lake_->Verify(VerifyRequest{})->ok());
}

TEST_F(LakeFeaturesTest, DiffShowsSchemaAndCoverage) {
  ASSERT_THAT(Upload(WriteCsv("a.csv", Rows(kJan1, kJan1 + kMsPerDay, kMinute)), "1.0.0").status(),
              IsOk());
  ASSERT_THAT(
      Upload(WriteCsv("b.csv", Rows(kJan1, kJan1 + 2 * kMsPerDay, kMinute), ",rsi", ",50.5"),
             "1.1.0")
          .status(),
      IsOk());
  ASSERT_THAT(Upload(WriteCsv("c.csv", Rows(kJan1, kJan1 + kMsPerDay, kMinute), ",rsi", ",50.5"),
                     "1.1.0", "alpha", "ETHUSDT")
                  .status(),
              IsOk());
  auto diff = lake_->DiffFeatures(*FeatureRef::Parse("alpha@1.0.0"), *FeatureRef::Parse("alpha"));
  ASSERT_THAT(diff.status(), IsOk());
  EXPECT_EQ(diff->b.ToString(), "alpha@1.1.0");
  ASSERT_EQ(diff->columns.size(), 1u);
  EXPECT_EQ(diff->columns[0].name, "rsi");
  EXPECT_EQ(diff->columns[0].type_a, "");
  EXPECT_EQ(diff->columns[0].type_b, "DOUBLE");
  ASSERT_EQ(diff->coverage.size(), 2u);
  EXPECT_EQ(diff->coverage[0].symbol, "BTCUSDT");
  EXPECT_EQ(diff->coverage[0].a->rows, 1440);
  EXPECT_EQ(diff->coverage[0].b->rows, 2880);
  EXPECT_EQ(diff->coverage[1].symbol, "ETHUSDT");
  EXPECT_FALSE(diff->coverage[1].a.has_value());
  EXPECT_THAT(
      lake_->DiffFeatures(*FeatureRef::Parse("alpha@3.0.0"), *FeatureRef::Parse("alpha")).status(),
      StatusIs(StatusCode::kNotFound, HasSubstr("versions: 1.1.0, 1.0.0")));
}

// The join the lake must compute, by a direct scan: per candle, the newest feature row with
// ts <= the candle's ts, if within `tolerance` (< 0: any age).
std::vector<std::optional<FeatureRow>> ExpectedJoin(const std::vector<int64_t>& candles,
                                                    const std::vector<FeatureRow>& features,
                                                    int64_t tolerance) {
  std::vector<std::optional<FeatureRow>> out;
  for (int64_t c : candles) {
    std::optional<FeatureRow> best;
    for (const auto& f : features) {
      if (f.ts <= c && (!best || f.ts > best->ts)) best = f;
    }
    if (best && tolerance >= 0 && c - best->ts > tolerance) best.reset();
    out.push_back(best);
  }
  return out;
}

TEST_F(LakeFeaturesTest, PointInTimeJoinNeverLooksAhead) {
  IngestCandles(kJan1, kJan1 + 4 * kMsPerDay);
  // Irregular feature times: some exactly on a candle, some 1 ms after one, a long silence,
  // and rows days before the range read.
  std::mt19937_64 rng(5);
  std::vector<FeatureRow> features;
  for (int64_t ts = kJan1 - 3 * kMsPerDay; ts < kJan1 + 4 * kMsPerDay;) {
    features.push_back(FeatureRow{ts, static_cast<double>(rng() % 1000) / 10});
    const int64_t step = static_cast<int64_t>(rng() % 4);
    ts += step == 0   ? kMinute
          : step == 1 ? 7 * kMinute + 1
          : step == 2 ? 13 * kMinute
                      : 3 * kMsPerDay / 10;
  }
  ASSERT_THAT(Upload(WriteCsv("f.csv", features), "1.0.0").status(), IsOk());

  for (int64_t tolerance : {int64_t{-1}, 10 * kMinute}) {
    PointInTimeRequest request;
    request.candles.dataset = *DatasetId::Make("BINANCE", "FUTURES", "BTCUSDT", "raw", "1m");
    request.candles.start = kJan1 + kMsPerDay + 17 * kMinute;
    request.candles.end = kJan1 + 3 * kMsPerDay;
    request.features = {*FeatureRef::Parse("alpha")};
    request.tolerance_ms = tolerance;
    auto batch = lake_->ReadWithFeatures(request);
    ASSERT_THAT(batch.status(), IsOk());
    std::vector<int64_t> candles;
    for (int64_t ts = request.candles.start; ts < request.candles.end; ts += kMinute) {
      candles.push_back(ts);
    }
    ASSERT_EQ(batch->num_rows, candles.size());
    const Column* ts = batch->Find("ts");
    const Column* feature_ts = batch->Find("alpha.ts");
    const Column* value = batch->Find("alpha.value");
    ASSERT_TRUE(ts && feature_ts && value);
    auto expected = ExpectedJoin(candles, features, tolerance);
    int64_t used = 0;
    for (size_t i = 0; i < candles.size(); ++i) {
      ASSERT_EQ(ts->ints[i], candles[i]);
      if (!expected[i]) {
        EXPECT_TRUE(value->IsNull(i) && feature_ts->IsNull(i)) << i;
        continue;
      }
      ++used;
      ASSERT_FALSE(value->IsNull(i)) << i;
      EXPECT_EQ(feature_ts->ints[i], expected[i]->ts) << i;
      EXPECT_LE(feature_ts->ints[i], candles[i]);
      EXPECT_DOUBLE_EQ(value->doubles[i], expected[i]->value) << i;
    }
    EXPECT_GT(used, 0);
    if (tolerance >= 0) {
      EXPECT_LT(used, static_cast<int64_t>(candles.size()));
    }
  }
}

TEST_F(LakeFeaturesTest, JoinsSeveralSetsVersionsAsOfATimeAndResampledCandles) {
  IngestCandles(kJan1, kJan1 + kMsPerDay);
  const auto five = Rows(kJan1, kJan1 + kMsPerDay, 5 * kMinute);
  ASSERT_THAT(Upload(WriteCsv("a.csv", five), "1.0.0").status(), IsOk());
  const int64_t between = env_.now.load() + 1;
  ASSERT_THAT(
      Upload(WriteCsv("b.csv", Rows(kJan1, kJan1 + kMsPerDay, 5 * kMinute, 2)), "1.1.0").status(),
      IsOk());
  ASSERT_THAT(
      Upload(WriteCsv("c.csv", Rows(kJan1, kJan1 + kMsPerDay, 60 * kMinute, 3)), "0.1.0", "beta")
          .status(),
      IsOk());
  PointInTimeRequest request;
  request.candles.dataset = *DatasetId::Make("BINANCE", "FUTURES", "BTCUSDT", "raw", "1m");
  request.candles.start = kJan1 + 61 * kMinute;
  request.candles.end = kJan1 + 63 * kMinute;
  request.candles.columns = {"close"};
  request.features = {*FeatureRef::Parse("alpha@1.0.0"), *FeatureRef::Parse("alpha"),
                      *FeatureRef::Parse("beta")};
  auto batch = lake_->ReadWithFeatures(request);
  ASSERT_THAT(batch.status(), IsOk());
  std::vector<std::string> names;
  for (const auto& c : batch->columns) names.push_back(c.name);
  EXPECT_THAT(names, ElementsAre("ts", "close", "alpha@1.0.0.ts", "alpha@1.0.0.value",
                                 "alpha@1.1.0.ts", "alpha@1.1.0.value", "beta.ts", "beta.value"));
  ASSERT_EQ(batch->num_rows, 2u);
  EXPECT_EQ(batch->Find("alpha@1.0.0.value")->doubles[0], 60.25);
  EXPECT_EQ(batch->Find("alpha@1.1.0.value")->doubles[0], 120.25);
  EXPECT_EQ(batch->Find("beta.value")->doubles[1], 180.25);

  // As of a time between the two alpha uploads: the highest version then was 1.0.0, and 1.1.0
  // named explicitly is refused.
  request.features = {*FeatureRef::Parse("alpha")};
  request.as_of = between;
  batch = lake_->ReadWithFeatures(request);
  ASSERT_THAT(batch.status(), IsOk());
  EXPECT_EQ(batch->Find("alpha.value")->doubles[0], 60.25);
  request.features = {*FeatureRef::Parse("alpha@1.1.0")};
  EXPECT_THAT(lake_->ReadWithFeatures(request).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not before --as-of")));
  request.features = {*FeatureRef::Parse("gamma")};
  request.as_of = INT64_MAX;
  EXPECT_THAT(lake_->ReadWithFeatures(request).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("feature set 'gamma'")));

  // Resampled candles join the same way: the 1h candle at 01:00 sees the row of 01:00.
  request.features = {*FeatureRef::Parse("alpha@1.0.0")};
  request.candles.columns.clear();
  request.candles.timeframe = "1h";
  request.candles.start = kJan1;
  request.candles.end = kJan1 + 3 * 60 * kMinute;
  batch = lake_->ReadWithFeatures(request);
  ASSERT_THAT(batch.status(), IsOk());
  ASSERT_EQ(batch->num_rows, 3u);
  EXPECT_EQ(batch->Find("ts")->ints[1], kJan1 + 60 * kMinute);
  EXPECT_EQ(batch->Find("alpha.ts")->ints[1], kJan1 + 60 * kMinute);
  EXPECT_EQ(batch->Find("alpha.value")->doubles[1], 60.25);
  EXPECT_EQ(batch->Find("close")->doubles[1], 219);
}

TEST_F(LakeFeaturesTest, MaintenanceLeavesFeatureFilesAlone) {
  ASSERT_THAT(
      Upload(WriteCsv("a.csv", Rows(kJan1 + 31 * kMsPerDay, kJan1 + 40 * kMsPerDay, 60 * kMinute)),
             "1.0.0")
          .status(),
      IsOk());
  const std::string before = LakeState();
  env_.now += 200 * kMsPerDay;  // February is long closed, its small days would qualify
  auto maintained = lake_->Maintain(MaintainRequest{});
  ASSERT_THAT(maintained.status(), IsOk());
  EXPECT_TRUE(maintained->ok());
  EXPECT_EQ(LakeState(), before);
}

}  // namespace
}  // namespace dlake
