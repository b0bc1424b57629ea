// Aggregation to longer periods and on-read resampling, through dlake::Lake on real files,
// SQLite and DuckDB, checked against candles computed independently here with std::chrono's
// calendar (doc/aggregate.md).

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "dlake/catalog/manifest.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::KlineLine;
using ::dlake::testing::KlineOptions;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kFeb1 = 1706745600000;  // 2024-02-01T00:00:00Z
constexpr int64_t kMar2 = 1709337600000;  // 2024-03-02T00:00:00Z

struct Candle {
  int64_t ts = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
  int64_t trades = 0;
  double taker_base = 0, taker_quote = 0;
};

Candle ParseLine(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream in(line);
  for (std::string item; std::getline(in, item, ',');) f.push_back(item);
  return Candle{std::stoll(f[0]), std::stod(f[1]), std::stod(f[2]), std::stod(f[3]),
                std::stod(f[4]),  std::stod(f[5]), std::stod(f[7]), std::stoll(f[8]),
                std::stod(f[9]),  std::stod(f[10])};
}

// [start, end) of the bucket of `period` holding ts, by the calendar, not by the lake's code.
std::pair<int64_t, int64_t> CalendarBucket(const std::string& period, int64_t ts) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ts}};
  const sys_days day = floor<days>(t);
  auto ms = [](sys_days d) { return duration_cast<milliseconds>(d.time_since_epoch()).count(); };
  if (period == "1M") {
    const year_month_day ymd{day};
    const year_month first = ymd.year() / ymd.month();
    return {ms(sys_days{first / 1}), ms(sys_days{(first + months{1}) / 1})};
  }
  if (period == "1w") {
    const sys_days monday = day - (weekday{day} - Monday);
    return {ms(monday), ms(monday + days{7})};
  }
  const int64_t length = ParsePeriod(period)->ms;
  return {ts - ts % length, ts - ts % length + length};
}

// The candles of `period` a lake must hold: complete buckets only, where a minute counts as
// present when it has a row or lies in a known gap.
std::vector<Candle> Expected(const std::vector<Candle>& minutes, const std::string& period,
                             const std::vector<std::pair<int64_t, int64_t>>& known_gaps) {
  std::map<int64_t, std::vector<Candle>> buckets;
  std::map<int64_t, int64_t> ends;
  for (const auto& m : minutes) {
    auto [start, end] = CalendarBucket(period, m.ts);
    buckets[start].push_back(m);
    ends[start] = end;
  }
  std::vector<Candle> out;
  for (const auto& [start, rows] : buckets) {
    std::set<int64_t> present;
    for (const auto& r : rows) present.insert(r.ts);
    bool complete = true;
    for (int64_t t = start; t < ends[start]; t += kMinute) {
      bool in_gap = false;
      for (const auto& [a, b] : known_gaps) in_gap |= t >= a && t < b;
      complete &= present.contains(t) || in_gap;
    }
    if (!complete) continue;
    Candle c{start, rows.front().open, rows.front().high, rows.front().low, rows.back().close};
    for (const auto& r : rows) {
      c.high = std::max(c.high, r.high);
      c.low = std::min(c.low, r.low);
      c.volume += r.volume;
      c.quote_volume += r.quote_volume;
      c.trades += r.trades;
      c.taker_base += r.taker_base;
      c.taker_quote += r.taker_quote;
    }
    out.push_back(c);
  }
  return out;
}

double Value(const RecordBatch& b, const std::string& column, size_t row) {
  const Column* c = b.Find(column);
  EXPECT_NE(c, nullptr) << column;
  if (c == nullptr) return NAN;
  return c->type == ColumnType::kDouble ? c->doubles[row] : static_cast<double>(c->ints[row]);
}

void ExpectCandles(const RecordBatch& got, const std::vector<Candle>& want,
                   const std::string& what) {
  ASSERT_EQ(got.num_rows, want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    const Candle& w = want[i];
    const std::string at = what + " row " + std::to_string(i) + " " + FormatTimestamp(w.ts);
    EXPECT_EQ(Value(got, "ts", i), static_cast<double>(w.ts)) << at;
    EXPECT_EQ(Value(got, "open", i), w.open) << at;
    EXPECT_EQ(Value(got, "high", i), w.high) << at;
    EXPECT_EQ(Value(got, "low", i), w.low) << at;
    EXPECT_EQ(Value(got, "close", i), w.close) << at;
    EXPECT_EQ(Value(got, "trades", i), static_cast<double>(w.trades)) << at;
    // Sums of doubles may differ in the last bits with the order of addition.
    EXPECT_NEAR(Value(got, "volume", i), w.volume, 1e-9 * w.volume) << at;
    EXPECT_NEAR(Value(got, "quote_volume", i), w.quote_volume, 1e-9 * w.quote_volume) << at;
    EXPECT_NEAR(Value(got, "taker_buy_base", i), w.taker_base, 1e-9 * w.taker_base) << at;
    EXPECT_NEAR(Value(got, "taker_buy_quote", i), w.taker_quote, 1e-9 * w.taker_quote) << at;
    EXPECT_EQ(Value(got, "close_time", i),
              static_cast<double>(CalendarBucket(what.substr(0, what.find(' ')), w.ts).second - 1))
        << at;
  }
}

void ExpectSameBatch(const RecordBatch& a, const RecordBatch& b, const std::string& what) {
  ASSERT_EQ(a.num_rows, b.num_rows) << what;
  ASSERT_EQ(a.columns.size(), b.columns.size()) << what;
  for (size_t c = 0; c < a.columns.size(); ++c) {
    EXPECT_EQ(a.columns[c].name, b.columns[c].name) << what;
    for (size_t r = 0; r < a.num_rows; ++r) {
      ASSERT_EQ(a.columns[c].ToString(r), b.columns[c].ToString(r))
          << what << ": column " << a.columns[c].name << " row " << r;
    }
  }
}

class LakeAggregateTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenLake(); }

  void OpenLake() {
    lake_.reset();
    auto lake = Lake::Init(dir_.Join("lake"), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
  }

  DatasetId Raw() { return *DatasetId::Make("binance", "spot", "BTCUSDT", "raw", "1m"); }
  DatasetId Agg(const std::string& period) {
    return *DatasetId::Make("binance", "spot", "BTCUSDT", "agg", period);
  }

  // 1m candles over [from, to) minus the `missing` minutes; ingested, and kept in minutes_.
  void IngestMinutes(int64_t from, int64_t to, const std::set<int64_t>& missing = {},
                     uint64_t seed = 1, std::optional<std::vector<std::string>> aggregate = {}) {
    KlineOptions o;
    o.start_ms = from;
    o.seed = seed;
    std::string csv;
    std::map<int64_t, Candle> merged;
    for (const auto& m : minutes_) merged[m.ts] = m;
    for (int64_t i = 0; from + i * kMinute < to; ++i) {
      if (missing.contains(from + i * kMinute)) continue;
      const std::string line = KlineLine(o, i);
      csv += line + "\n";
      merged[from + i * kMinute] = ParseLine(line);
    }
    minutes_.clear();
    for (auto& [ts, c] : merged) minutes_.push_back(c);
    const std::string path = dir_.Join("in/part-" + std::to_string(files_++) + ".csv");
    testing::WriteFile(path, csv);
    IngestRequest request;
    request.sources = {path};
    request.dataset = Raw();
    request.aggregate = aggregate;
    auto report = lake_->Ingest(request);
    ASSERT_THAT(report.status(), IsOk());
    last_ingest_ = *report;
  }

  void AddKnownGap(int64_t from, int64_t to) {
    auto manifest = Manifest::Open(dir_.Join("lake/manifest.db"));
    ASSERT_THAT(manifest.status(), IsOk());
    ASSERT_THAT((*manifest)->AddKnownGap(KnownGap{Raw(), from, to, "test"}), IsOk());
    gaps_.emplace_back(from, to);
  }

  AggregateReport Aggregate(const std::vector<std::string>& to, int64_t start = INT64_MIN,
                            int64_t end = INT64_MAX) {
    AggregateRequest request;
    request.exchange = "binance";
    request.symbol = "BTCUSDT";
    request.to = to;
    request.start = start;
    request.end = end;
    auto report = lake_->Aggregate(request);
    EXPECT_THAT(report.status(), IsOk());
    return report.ok() ? *report : AggregateReport{};
  }

  RecordBatch Read(const DatasetId& dataset, const std::string& timeframe = "",
                   int64_t start = INT64_MIN, int64_t end = INT64_MAX) {
    ReadRequest request;
    request.dataset = dataset;
    request.timeframe = timeframe;
    request.start = start;
    request.end = end;
    auto batch = lake_->Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    return batch.ok() ? *batch : RecordBatch{};
  }

  std::map<std::string, std::string> AggChecksums() {
    return testing::Checksums(dir_.Join("lake/data/BINANCE/SPOT/BTCUSDT/agg"));
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_;
  std::vector<Candle> minutes_;
  std::vector<std::pair<int64_t, int64_t>> gaps_;
  IngestReport last_ingest_;
  int files_ = 0;
};

const std::vector<std::string> kTargets = {"5m", "15m", "1h", "4h", "1d", "1w", "1M"};

TEST_F(LakeAggregateTest, AggregatesEqualAnIndependentComputationAcrossMonthEndLeapDayAndGaps) {
  const int64_t missing = kMar2 - kMsPerDay + 10 * kMsPerHour + 17 * kMinute;  // 03-01 10:17
  const int64_t outage = kMar2 - 2 * kMsPerDay + 13 * kMsPerHour;              // 02-29 13:00
  std::set<int64_t> absent = {missing};
  for (int64_t t = outage; t < outage + kMsPerHour; t += kMinute) absent.insert(t);
  // Also a minute missing at the very end of a day (10 Feb 23:59) without a recorded gap.
  absent.insert(kFeb1 + 10 * kMsPerDay - kMinute);
  IngestMinutes(kFeb1, kMar2 + 2 * kMsPerHour, absent);
  AddKnownGap(outage, outage + kMsPerHour);

  AggregateReport report = Aggregate(kTargets);
  ASSERT_EQ(report.targets.size(), kTargets.size());
  for (size_t i = 0; i < kTargets.size(); ++i) {
    const std::string& period = kTargets[i];
    EXPECT_EQ(report.targets[i].dataset, Agg(period));
    EXPECT_EQ(report.targets[i].source, Raw());
    const std::vector<Candle> want = Expected(minutes_, period, gaps_);
    ExpectCandles(Read(Agg(period)), want, period + " stored");
    ExpectCandles(Read(Raw(), period), want, period + " resampled");
  }
  // The shape of the answer, beyond agreeing with the reference: the leap day's outage is a
  // known gap, so the day and February are complete; 1 March lost 10:17, 9 Feb lost 23:59.
  RecordBatch days = Read(Agg("1d"));
  std::vector<std::string> day_names;
  for (size_t r = 0; r < days.num_rows; ++r)
    day_names.push_back(FormatDay(DayOf(days.columns[0].ints[r])));
  EXPECT_EQ(day_names.size(), 28u);  // 29 February days, less 10 Feb; 1 March incomplete
  EXPECT_NE(std::find(day_names.begin(), day_names.end(), "2024-02-29"), day_names.end());
  EXPECT_EQ(std::find(day_names.begin(), day_names.end(), "2024-02-10"), day_names.end());
  RecordBatch months = Read(Agg("1M"));
  ASSERT_EQ(months.num_rows, 0u);  // 10 Feb 23:59 is missing and not a known gap
  RecordBatch weeks = Read(Agg("1w"));
  ASSERT_EQ(weeks.num_rows, 2u);  // Mondays 12 and 19 Feb; 5 Feb's week lost 10 Feb 23:59
  EXPECT_EQ(FormatTimestamp(weeks.columns[0].ints[0]), "2024-02-12T00:00:00.000Z");
}

TEST_F(LakeAggregateTest, AKnownGapCompletesAMonthAndAMissingMinuteDoesNot) {
  const int64_t outage = kMar2 - 2 * kMsPerDay + 13 * kMsPerHour;  // 02-29 13:00
  std::set<int64_t> absent;
  for (int64_t t = outage; t < outage + kMsPerHour; t += kMinute) absent.insert(t);
  IngestMinutes(kFeb1, kMar2, absent);
  EXPECT_EQ(Read(Raw(), "1M").num_rows, 0u);
  AddKnownGap(outage, outage + kMsPerHour);
  // The known gap changes the inputs of February: it is rebuilt, now complete.
  AggregateReport report = Aggregate({"1M", "1h"});
  ExpectCandles(Read(Agg("1M")), Expected(minutes_, "1M", gaps_), "1M stored");
  ASSERT_EQ(Read(Agg("1M")).num_rows, 1u);
  // February and 1 March, less the outage hour: a bucket with no rows has no candle.
  EXPECT_EQ(Read(Agg("1h")).num_rows, 30u * 24u - 1u);
  // That missing hour is the source's known gap, not a problem of the aggregate.
  auto verify = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(verify.status(), IsOk());
  EXPECT_TRUE(verify->ok());
}

TEST_F(LakeAggregateTest, ReRunWithNothingNewWritesNothingAndChangesRebuildOnlyTheirBuckets) {
  IngestMinutes(kFeb1, kMar2);
  Aggregate(kTargets);
  const auto before = AggChecksums();
  const auto files_before =
      *lake_->ListFiles(DatasetFilter{"BINANCE", "SPOT", "BTCUSDT", "agg", ""});

  AggregateReport again = Aggregate(kTargets);
  EXPECT_EQ(again.DaysRebuilt(), 0);
  EXPECT_EQ(again.FilesWritten(), 0);
  EXPECT_EQ(AggChecksums(), before);
  auto files_after = *lake_->ListFiles(DatasetFilter{"BINANCE", "SPOT", "BTCUSDT", "agg", ""});
  ASSERT_EQ(files_after.size(), files_before.size());
  for (size_t i = 0; i < files_after.size(); ++i) EXPECT_EQ(files_after[i].id, files_before[i].id);

  // New prices for one hour of 10 Feb: 1 day of 5m..1d, its week and its month are rebuilt.
  const int64_t feb10 = kFeb1 + 9 * kMsPerDay;
  IngestMinutes(feb10 + 5 * kMsPerHour, feb10 + 6 * kMsPerHour, {}, /*seed=*/7);
  AggregateReport changed = Aggregate(kTargets);
  for (const auto& t : changed.targets) {
    EXPECT_EQ(t.days_rebuilt, 1) << t.dataset.Path();
    EXPECT_EQ(t.write.Count(DayAction::kReplaced), 1) << t.dataset.Path();
    ExpectCandles(Read(t.dataset), Expected(minutes_, t.dataset.period, {}),
                  t.dataset.period + " after change");
  }
  // A delete of the source: the aggregated days of the range are rebuilt without it.
  DeleteRequest del;
  del.filter = DatasetFilter::Of(Raw());
  del.start = feb10;
  del.end = feb10 + kMsPerDay;
  ASSERT_THAT(lake_->Delete(del).status(), IsOk());
  std::erase_if(minutes_,
                [&](const Candle& c) { return c.ts >= feb10 && c.ts < feb10 + kMsPerDay; });
  AggregateReport after_delete = Aggregate({"1h", "1d", "1w"});
  for (const auto& t : after_delete.targets) {
    EXPECT_EQ(t.days_rebuilt, 1) << t.dataset.Path();
    ExpectCandles(Read(t.dataset), Expected(minutes_, t.dataset.period, {}),
                  t.dataset.period + " after delete");
  }
  EXPECT_EQ(Read(Agg("1w")).num_rows, 2u);  // 5 Feb's week lost 10 Feb
}

TEST_F(LakeAggregateTest, OnReadResamplingIsIdenticalFromTheStoreAndOnTheFly) {
  IngestMinutes(kFeb1, kFeb1 + 5 * kMsPerDay, {kFeb1 + 3 * kMsPerHour + 4 * kMinute});
  const int64_t start = kFeb1 + 90 * kMinute + 7;  // mid-bucket: buckets starting after it
  const int64_t end = kFeb1 + 4 * kMsPerDay + 3 * kMinute;
  std::map<std::string, RecordBatch> computed;
  for (const auto& tf : {"15m", "1h", "1d"}) computed[tf] = Read(Raw(), tf, start, end);
  EXPECT_GT(computed["15m"].num_rows, 300u);
  EXPECT_EQ(computed["15m"].columns[0].ints.front(), kFeb1 + 90 * kMinute + 15 * kMinute);
  Aggregate({"15m", "1h", "1d"});
  // Served from the store now: the source files can be gone from disk and the read still works.
  const std::string raw_dir = dir_.Join("lake/data/BINANCE/SPOT/BTCUSDT/raw");
  fs::rename(raw_dir, raw_dir + ".away");
  for (const auto& tf : {"15m", "1h", "1d"}) {
    ExpectSameBatch(computed[tf], Read(Raw(), tf, start, end), std::string(tf) + " store");
  }
  fs::rename(raw_dir + ".away", raw_dir);
  // A change the aggregate has not seen: computed on the fly again, from the new rows.
  IngestMinutes(kFeb1 + kMsPerDay, kFeb1 + kMsPerDay + kMsPerHour, {}, /*seed=*/9);
  RecordBatch fresh = Read(Raw(), "1h", start, end);
  ExpectCandles(
      fresh,
      [&] {
        std::vector<Candle> want;
        for (const auto& c : Expected(minutes_, "1h", {})) {
          if (c.ts >= start && c.ts < end) want.push_back(c);
        }
        return want;
      }(),
      "1h on the fly after a change");
}

TEST_F(LakeAggregateTest, DeleteOfTypeAggRemovesOnlyAggregatesAndTheNextRunRebuildsThem) {
  IngestMinutes(kFeb1, kFeb1 + 2 * kMsPerDay);
  Aggregate({"1h"});
  const auto built = AggChecksums();
  DeleteRequest del;
  del.filter = DatasetFilter{"BINANCE", "", "BTCUSDT", "agg", ""};
  ASSERT_THAT(lake_->Delete(del).status(), IsOk());
  EXPECT_EQ(Read(Agg("1h")).num_rows, 0u);
  EXPECT_EQ(Read(Raw()).num_rows, 2u * 1440u);
  AggregateReport rebuilt = Aggregate({"1h"});
  EXPECT_EQ(rebuilt.targets[0].days_rebuilt, 2);
  EXPECT_EQ(AggChecksums(), built);
}

TEST_F(LakeAggregateTest, TheAggregateSettingKeepsAggregatesUpToDateAfterEveryWrite) {
  testing::WriteFile(dir_.Join("lake/dlake.toml"), "aggregate = [\"15m\", \"1h\"]\n");
  OpenLake();
  IngestMinutes(kFeb1, kFeb1 + kMsPerDay, {}, 1, std::nullopt);
  ASSERT_EQ(last_ingest_.aggregated.targets.size(), 2u);
  ExpectCandles(Read(Agg("15m")), Expected(minutes_, "15m", {}), "15m automatic");
  ExpectCandles(Read(Agg("1h")), Expected(minutes_, "1h", {}), "1h automatic");
  IngestMinutes(kFeb1 + 3 * kMsPerHour, kFeb1 + 4 * kMsPerHour, {}, 5, std::nullopt);
  EXPECT_EQ(last_ingest_.aggregated.targets[1].days_rebuilt, 1);
  ExpectCandles(Read(Agg("1h")), Expected(minutes_, "1h", {}), "1h after a second ingest");
  // --aggregate on the request wins over the setting.
  IngestMinutes(kFeb1 + kMsPerDay, kFeb1 + 2 * kMsPerDay, {}, 1, std::vector<std::string>{"1d"});
  ASSERT_EQ(last_ingest_.aggregated.targets.size(), 1u);
  EXPECT_EQ(last_ingest_.aggregated.targets[0].dataset, Agg("1d"));
}

TEST_F(LakeAggregateTest, CompactedAggregatesAndSourcesStayCorrectAndIncremental) {
  testing::WriteFile(dir_.Join("lake/dlake.toml"), "aggregate = [\"1h\", \"1w\"]\n");
  OpenLake();
  IngestMinutes(kFeb1, kMar2, {}, 1, std::nullopt);
  // Aggregates of a closed month are written as one month file right away.
  for (const auto& period : {"1h", "1w"}) {
    auto files = *lake_->ListFiles(DatasetFilter::Of(Agg(period)));
    ASSERT_FALSE(files.empty()) << period;
    ASSERT_LE(files.size(), 2u) << period;  // February, and March 1 for 1h
    EXPECT_EQ(FormatDay(files[0].day), "2024-02-01") << period;
    EXPECT_EQ(FormatDay(files[0].LastDay()), "2024-02-29") << period;
  }
  // Compacting February's 1m (small days) changes the source files' checksums.
  auto compacted = lake_->Compact(CompactRequest{});
  ASSERT_THAT(compacted.status(), IsOk());
  EXPECT_EQ(compacted->Months(), 1);
  AggregateReport again = Aggregate({"1h", "1w"});
  for (const auto& t : again.targets) EXPECT_EQ(t.write.Count(DayAction::kCreated), 0);
  ExpectCandles(Read(Agg("1w")), Expected(minutes_, "1w", {}), "1w after compaction");
  EXPECT_EQ(Aggregate({"1h", "1w"}).DaysRebuilt(), 0);
  // A write into the compacted source month: the days it changed are rebuilt automatically,
  // however deep in the month they lie.
  const int64_t feb20 = kFeb1 + 19 * kMsPerDay;
  IngestMinutes(feb20 + 3 * kMsPerHour, feb20 + 4 * kMsPerHour, {}, 11, std::nullopt);
  ExpectCandles(Read(Agg("1h")), Expected(minutes_, "1h", {}), "1h after a write into a month");
  ExpectCandles(Read(Agg("1w")), Expected(minutes_, "1w", {}), "1w after a write into a month");
  EXPECT_EQ(Aggregate({"1h", "1w"}).DaysRebuilt(), 0);
}

TEST_F(LakeAggregateTest, ARebuiltDayOfAClosedMonthTakesInTheMonthsOtherDayFiles) {
  // agg/1h day files for all of February, as an older lake (or an ingest) left them.
  KlineOptions hours;
  hours.start_ms = kFeb1;
  hours.step_ms = kMsPerHour;
  hours.count = 29 * 24;
  const std::string path = dir_.Join("in/hours.csv");
  testing::WriteFile(path, testing::MakeKlineCsv(hours));
  IngestRequest request;
  request.sources = {path};
  request.dataset = Agg("1h");
  ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  ASSERT_EQ(lake_->ListFiles(DatasetFilter::Of(Agg("1h")))->size(), 29u);
  const RecordBatch before = Read(Agg("1h"));
  // 1m candles for 10 February only; rebuilding that day rewrites February as one month file.
  const int64_t feb10 = kFeb1 + 9 * kMsPerDay;
  IngestMinutes(feb10, feb10 + kMsPerDay);
  AggregateReport report = Aggregate({"1h"}, feb10, feb10 + kMsPerDay);
  ASSERT_EQ(report.targets[0].days_rebuilt, 1);
  auto files = *lake_->ListFiles(DatasetFilter::Of(Agg("1h")));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(FormatDay(files[0].LastDay()), "2024-02-29");
  const RecordBatch after = Read(Agg("1h"));
  ASSERT_EQ(after.num_rows, 29u * 24u);
  const std::vector<Candle> feb10_hours = Expected(minutes_, "1h", {});
  for (size_t r = 0; r < after.num_rows; ++r) {
    const int64_t ts = after.columns[0].ints[r];
    if (ts >= feb10 && ts < feb10 + kMsPerDay) {
      EXPECT_EQ(Value(after, "open", r), feb10_hours[(ts - feb10) / kMsPerHour].open);
    } else {
      EXPECT_EQ(Value(after, "open", r), Value(before, "open", r)) << FormatTimestamp(ts);
      EXPECT_EQ(Value(after, "close", r), Value(before, "close", r)) << FormatTimestamp(ts);
    }
  }
}

TEST_F(LakeAggregateTest, SumsOverRowsMissingAColumnAreNullNotPartial) {
  // Half a day from a 6-column CSV, the other half with quote volume and trades.
  KlineOptions six;
  six.start_ms = kFeb1;
  six.columns = 6;
  six.count = 720;
  const std::string path = dir_.Join("in/six.csv");
  testing::WriteFile(path, testing::MakeKlineCsv(six));
  IngestRequest request;
  request.sources = {path};
  request.dataset = Raw();
  ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  IngestMinutes(kFeb1 + 720 * kMinute, kFeb1 + kMsPerDay);
  RecordBatch day = Read(Raw(), "1d");
  ASSERT_EQ(day.num_rows, 1u);
  EXPECT_FALSE(day.Find("volume")->IsNull(0));
  EXPECT_TRUE(day.Find("quote_volume")->IsNull(0));
  EXPECT_TRUE(day.Find("trades")->IsNull(0));
  RecordBatch hours = Read(Raw(), "1h");
  ASSERT_EQ(hours.num_rows, 24u);
  EXPECT_TRUE(hours.Find("quote_volume")->IsNull(11));
  EXPECT_FALSE(hours.Find("quote_volume")->IsNull(12));
}

TEST_F(LakeAggregateTest, ImpossibleTargetsAndMissingSourcesAreClearErrors) {
  IngestMinutes(kFeb1, kFeb1 + kMsPerDay);
  AggregateRequest request;
  request.exchange = "binance";
  request.symbol = "BTCUSDT";
  request.to = {"1m"};
  EXPECT_THAT(lake_->Aggregate(request).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("longer period")));
  request.to = {"1h"};
  request.from_period = "1h";
  EXPECT_THAT(lake_->Aggregate(request).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("BINANCE/*/BTCUSDT/raw/1h")));
  request.from_period = "";
  request.symbol = "ETHUSDT";
  EXPECT_THAT(lake_->Aggregate(request).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("ETHUSDT")));
  request.symbol = "BTCUSDT";
  request.to = {"bogus"};
  EXPECT_FALSE(lake_->Aggregate(request).ok());
  ReadRequest read;
  read.dataset = Raw();
  read.timeframe = "1h";
  read.columns = {"ts", "nope"};
  EXPECT_THAT(lake_->Read(read).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'nope'")));
}

}  // namespace
}  // namespace dlake
