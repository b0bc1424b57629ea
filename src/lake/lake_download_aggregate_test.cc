// Aggregates of downloaded candles against the exchange's own coarse candles: the fake exchange
// (testing/fake_exchange.h) serves every 1h and 1d kline as the exact aggregate of its 1m klines,
// as Binance does, so the lake's agg/1h and agg/1d built from raw/1m must equal the raw/1h and
// raw/1d the exchange serves, across a month end with a leap day, after an incremental download
// with --aggregate, and around an outage the downloader records as a known gap.

#include <cstdlib>
#include <map>
#include <string>

#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "testing/fake_exchange.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::FakeExchange;
using ::dlake::testing::FakeExchangeOptions;
using ::dlake::testing::FakeMarket;
using ::dlake::testing::IsOk;
using ::dlake::testing::TempDir;

constexpr int64_t kFeb28 = 1709078400000;  // 2024-02-28T00:00:00Z
constexpr int64_t kFeb29 = kFeb28 + kMsPerDay;
constexpr int64_t kMar2 = kFeb28 + 3 * kMsPerDay;
constexpr int64_t kMar3 = kFeb28 + 4 * kMsPerDay;  // end of the span: 28 Feb .. 2 Mar

// One stored candle, by column name.
struct Row {
  double open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
  double taker_buy_base = 0, taker_buy_quote = 0;
  int64_t close_time = 0, trades = 0;
};

double Double(const RecordBatch& b, const std::string& name, size_t row) {
  const Column* c = b.Find(name);
  EXPECT_NE(c, nullptr) << name;
  if (c == nullptr) return -1;
  EXPECT_EQ(c->type, ColumnType::kDouble) << name;
  EXPECT_FALSE(c->IsNull(row)) << name << " row " << row;
  return c->doubles[row];
}

int64_t Int(const RecordBatch& b, const std::string& name, size_t row) {
  const Column* c = b.Find(name);
  EXPECT_NE(c, nullptr) << name;
  if (c == nullptr) return -1;
  EXPECT_EQ(c->type, ColumnType::kInt64) << name;
  EXPECT_FALSE(c->IsNull(row)) << name << " row " << row;
  return c->ints[row];
}

void ExpectNearRelative(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-9 * std::abs(want)) << what;
}

class LakeDownloadAggregateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("DLAKE_RETRY_BASE_MS", "20", 1);
    StartFake();
  }

  void StartFake(FakeExchangeOptions options = {}) {
    lake_.reset();
    auto fake = FakeExchange::Start(std::move(options));
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(fake).value();
    for (const char* var :
         {"DLAKE_BINANCE_SPOT_URL", "DLAKE_BINANCE_FUTURES_URL", "DLAKE_BYBIT_URL"}) {
      ::setenv(var, fake_->base_url().c_str(), 1);
    }
    auto lake = Lake::Init(dir_.Join("lake-" + std::to_string(lakes_++)), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
  }

  DownloadReport Download(const std::string& market, const std::string& period, int64_t start,
                          int64_t end, std::optional<std::vector<std::string>> aggregate = {}) {
    DownloadRequest r;
    r.exchange = "binance";
    r.market = market;
    r.symbols = {"BTCUSDT"};
    r.period = period;
    r.start = start;
    r.end = end;
    r.aggregate = std::move(aggregate);
    auto report = lake_->DownloadHistory(r);
    EXPECT_THAT(report.status(), IsOk()) << market << " " << period;
    return report.ok() ? *report : DownloadReport{};
  }

  AggregateReport Aggregate(const std::string& market, const std::vector<std::string>& to) {
    AggregateRequest request;
    request.exchange = "binance";
    request.market = market;
    request.symbol = "BTCUSDT";
    request.from_period = "1m";  // raw/1h and raw/1d are stored too
    request.to = to;
    auto report = lake_->Aggregate(request);
    EXPECT_THAT(report.status(), IsOk()) << market;
    return report.ok() ? *report : AggregateReport{};
  }

  static DatasetId Id(const std::string& market, const std::string& type,
                      const std::string& period) {
    return *DatasetId::Make("BINANCE", market, "BTCUSDT", type, period);
  }

  std::map<int64_t, Row> Rows(const DatasetId& dataset) {
    ReadRequest request;
    request.dataset = dataset;
    auto batch = lake_->Read(request);
    EXPECT_THAT(batch.status(), IsOk()) << dataset.Path();
    std::map<int64_t, Row> out;
    if (!batch.ok()) return out;
    for (size_t i = 0; i < batch->num_rows; ++i) {
      Row r;
      r.open = Double(*batch, "open", i);
      r.high = Double(*batch, "high", i);
      r.low = Double(*batch, "low", i);
      r.close = Double(*batch, "close", i);
      r.volume = Double(*batch, "volume", i);
      r.quote_volume = Double(*batch, "quote_volume", i);
      r.taker_buy_base = Double(*batch, "taker_buy_base", i);
      r.taker_buy_quote = Double(*batch, "taker_buy_quote", i);
      r.close_time = Int(*batch, "close_time", i);
      r.trades = Int(*batch, "trades", i);
      EXPECT_TRUE(out.emplace(Int(*batch, "ts", i), r).second) << dataset.Path() << " row " << i;
    }
    return out;
  }

  // The lake's agg/<period> equals the exchange's own raw/<period>, candle for candle.
  void ExpectAggEqualsExchange(const std::string& market, const std::string& period,
                               size_t expected_candles) {
    const std::map<int64_t, Row> agg = Rows(Id(market, "agg", period));
    const std::map<int64_t, Row> raw = Rows(Id(market, "raw", period));
    const std::string what = market + " " + period;
    EXPECT_EQ(raw.size(), expected_candles) << what << " from the exchange";
    ASSERT_EQ(agg.size(), raw.size()) << what;
    for (const auto& [ts, want] : raw) {
      const auto it = agg.find(ts);
      ASSERT_NE(it, agg.end()) << what << ": no agg candle at " << FormatTimestamp(ts);
      const Row& got = it->second;
      const std::string at = what + " " + FormatTimestamp(ts);
      EXPECT_EQ(got.open, want.open) << at;
      EXPECT_EQ(got.high, want.high) << at;
      EXPECT_EQ(got.low, want.low) << at;
      EXPECT_EQ(got.close, want.close) << at;
      EXPECT_EQ(got.trades, want.trades) << at;
      EXPECT_EQ(got.close_time, want.close_time) << at;
      ExpectNearRelative(got.volume, want.volume, at + " volume");
      ExpectNearRelative(got.quote_volume, want.quote_volume, at + " quote_volume");
      ExpectNearRelative(got.taker_buy_base, want.taker_buy_base, at + " taker_buy_base");
      ExpectNearRelative(got.taker_buy_quote, want.taker_buy_quote, at + " taker_buy_quote");
    }
  }

  // The exchange's candles as the fake serves them: what raw/<period> must hold.
  size_t ExchangeCandles(FakeMarket market, const std::string& interval, int64_t from, int64_t to) {
    auto candles = fake_->ExpectedCandles(market, "BTCUSDT", interval, from, to - 1);
    EXPECT_THAT(candles.status(), IsOk());
    return candles.ok() ? candles->size() : 0;
  }

  TempDir dir_;
  int lakes_ = 0;
  std::unique_ptr<FakeExchange> fake_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(LakeDownloadAggregateTest, AggregatesOfOneMinuteKlinesEqualTheExchangesHourAndDayKlines) {
  for (const std::string market : {"SPOT", "FUTURES"}) {
    const FakeMarket fake_market =
        market == "SPOT" ? FakeMarket::kBinanceSpot : FakeMarket::kBinanceUsdm;
    for (const std::string period : {"1m", "1h", "1d"}) {
      DownloadReport report = Download(market, period, kFeb28, kMar3);
      ASSERT_EQ(report.datasets.size(), 1u);
      EXPECT_EQ(report.datasets[0].dataset, Id(market, "raw", period));
      EXPECT_TRUE(report.datasets[0].gaps.empty()) << market << " " << period;
      EXPECT_TRUE(report.aggregated.targets.empty());  // no aggregate setting, no --aggregate
    }
    EXPECT_EQ(Rows(Id(market, "raw", "1m")).size(), 4u * 1440u);

    AggregateReport report = Aggregate(market, {"1h", "1d"});
    ASSERT_EQ(report.targets.size(), 2u);
    for (const auto& t : report.targets) {
      EXPECT_EQ(t.source, Id(market, "raw", "1m"));
      EXPECT_EQ(t.days_rebuilt, 4) << t.dataset.Path();
    }
    EXPECT_EQ(report.targets[0].dataset, Id(market, "agg", "1h"));
    EXPECT_EQ(report.targets[0].candles, 96);
    EXPECT_EQ(report.targets[1].dataset, Id(market, "agg", "1d"));
    EXPECT_EQ(report.targets[1].candles, 4);
    ExpectAggEqualsExchange(market, "1h", ExchangeCandles(fake_market, "1h", kFeb28, kMar3));
    ExpectAggEqualsExchange(market, "1d", ExchangeCandles(fake_market, "1d", kFeb28, kMar3));
    EXPECT_EQ(Rows(Id(market, "agg", "1d")).size(), 4u);  // 28 Feb, 29 Feb, 1 Mar, 2 Mar
  }
  // Spot and USD-M are separate price series: the aggregates were not mixed up.
  EXPECT_NE(Rows(Id("SPOT", "agg", "1d")).begin()->second.close,
            Rows(Id("FUTURES", "agg", "1d")).begin()->second.close);
}

TEST_F(LakeDownloadAggregateTest, DownloadWithAggregateBringsTheHourAggregateUpToDate) {
  Download("FUTURES", "1h", kFeb28, kMar3);
  DownloadReport first = Download("FUTURES", "1m", kFeb28, kMar2, std::vector<std::string>{"1h"});
  ASSERT_EQ(first.aggregated.targets.size(), 1u);
  EXPECT_EQ(first.aggregated.targets[0].dataset, Id("FUTURES", "agg", "1h"));
  EXPECT_EQ(first.aggregated.targets[0].days_rebuilt, 3);
  EXPECT_EQ(Rows(Id("FUTURES", "agg", "1h")).size(), 72u);

  // The later incremental download fetches 2 March only and rebuilds only its day.
  DownloadReport later = Download("FUTURES", "1m", kFeb28, kMar3, std::vector<std::string>{"1h"});
  ASSERT_EQ(later.datasets.size(), 1u);
  EXPECT_EQ(later.datasets[0].rows_written, 1440);
  ASSERT_EQ(later.aggregated.targets.size(), 1u);
  const AggregateTarget& target = later.aggregated.targets[0];
  EXPECT_EQ(target.dataset, Id("FUTURES", "agg", "1h"));
  EXPECT_EQ(target.source, Id("FUTURES", "raw", "1m"));
  EXPECT_EQ(target.days_rebuilt, 1);
  EXPECT_EQ(target.candles, 24);
  // March 2024 is a closed month: the day joins the month file.
  EXPECT_EQ(target.write.Count(DayAction::kReplaced), 1);
  EXPECT_EQ(target.write.Count(DayAction::kCreated), 0);
  ExpectAggEqualsExchange("FUTURES", "1h",
                          ExchangeCandles(FakeMarket::kBinanceUsdm, "1h", kFeb28, kMar3));

  // Nothing new: nothing downloaded, no aggregate touched.
  DownloadReport again = Download("FUTURES", "1m", kFeb28, kMar3, std::vector<std::string>{"1h"});
  EXPECT_TRUE(again.datasets[0].already_complete);
  EXPECT_TRUE(again.aggregated.targets.empty());
}

TEST_F(LakeDownloadAggregateTest,
       HoursInsideAnOutageHaveNoCandleAndTheHoursAroundItEqualTheExchange) {
  // 29 Feb 12:30-15:30: 13:00 and 14:00 lie wholly inside, 12:00 and 15:00 half.
  const int64_t down_from = kFeb29 + 12 * kMsPerHour + 30 * kMsPerMinute;
  const int64_t down_to = kFeb29 + 15 * kMsPerHour + 30 * kMsPerMinute;
  FakeExchangeOptions options;
  options.symbols = testing::DefaultFakeSymbols();
  ASSERT_EQ(options.symbols[0].symbol, "BTCUSDT");
  options.symbols[0].downtime.push_back({down_from, down_to});
  StartFake(options);

  for (const std::string market : {"SPOT", "FUTURES"}) {
    const FakeMarket fake_market =
        market == "SPOT" ? FakeMarket::kBinanceSpot : FakeMarket::kBinanceUsdm;
    DownloadReport minutes = Download(market, "1m", kFeb28, kMar3);
    ASSERT_EQ(minutes.datasets.size(), 1u);
    ASSERT_EQ(minutes.datasets[0].gaps.size(), 1u) << market;
    EXPECT_EQ(minutes.datasets[0].gaps[0].time_from, down_from);
    EXPECT_EQ(minutes.datasets[0].gaps[0].time_to, down_to);
    EXPECT_EQ(Rows(Id(market, "raw", "1m")).size(), 4u * 1440u - 180u);
    Download(market, "1h", kFeb28, kMar3);
    Download(market, "1d", kFeb28, kMar3);

    AggregateReport report = Aggregate(market, {"1h", "1d"});
    ASSERT_EQ(report.targets.size(), 2u);
    // The exchange serves no 13:00 and 14:00 candles, and the half hours around the outage
    // sum only the minutes that traded; the day sums its 21 hours.
    const size_t hours = ExchangeCandles(fake_market, "1h", kFeb28, kMar3);
    EXPECT_EQ(hours, 94u);
    ExpectAggEqualsExchange(market, "1h", hours);
    ExpectAggEqualsExchange(market, "1d", ExchangeCandles(fake_market, "1d", kFeb28, kMar3));
    const std::map<int64_t, Row> agg = Rows(Id(market, "agg", "1h"));
    EXPECT_FALSE(agg.contains(kFeb29 + 13 * kMsPerHour)) << market;
    EXPECT_FALSE(agg.contains(kFeb29 + 14 * kMsPerHour)) << market;
    EXPECT_TRUE(agg.contains(kFeb29 + 12 * kMsPerHour)) << market;
    EXPECT_TRUE(agg.contains(kFeb29 + 15 * kMsPerHour)) << market;
    EXPECT_TRUE(Rows(Id(market, "agg", "1d")).contains(kFeb29)) << market;
  }
}

}  // namespace
}  // namespace dlake
