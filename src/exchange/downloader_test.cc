// Exchange downloads end to end: the real HTTP client, limiter and downloader against the fake
// exchange servers on 127.0.0.1, writing into a real lake.

#include "exchange/downloader.h"

#include <cstdlib>
#include <sstream>

#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "net/api_client.h"
#include "testing/fake_exchange.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::FakeExchange;
using ::dlake::testing::FakeExchangeOptions;
using ::dlake::testing::FakeMarket;
using ::dlake::testing::FaultKind;
using ::dlake::testing::FaultSpec;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::HasSubstr;

class DownloadTest : public ::testing::Test {
 protected:
  void StartFake(FakeExchangeOptions options = {}) {
    auto fake = FakeExchange::Start(std::move(options));
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(fake).value();
    for (const char* var :
         {"DLAKE_BINANCE_SPOT_URL", "DLAKE_BINANCE_FUTURES_URL", "DLAKE_BYBIT_URL"}) {
      ::setenv(var, fake_->base_url().c_str(), 1);
    }
    auto lake = Lake::Init(dir_.Join("lake"), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
  }

  void SetUp() override {
    ::setenv("DLAKE_RETRY_BASE_MS", "20", 1);  // quick retries; Retry-After is still obeyed
    StartFake();
  }

  DownloadRequest Request(const std::string& exchange, const std::string& symbol, int64_t start,
                          int64_t end, const std::string& period = "1m") {
    DownloadRequest r;
    r.exchange = exchange;
    r.symbols = {symbol};
    r.period = period;
    r.start = start;
    r.end = end;
    return r;
  }

  // Stored candles of a dataset: ts and close.
  std::vector<std::pair<int64_t, double>> Stored(const std::string& path) {
    std::vector<std::string> parts;
    std::stringstream in(path);
    for (std::string p; std::getline(in, p, '/');) parts.push_back(p);
    ReadRequest request;
    request.dataset = DatasetId{parts[0], parts[1], parts[2], parts[3], parts[4]};
    request.columns = {"ts", parts[3] == "alt" ? "funding_rate" : "close"};
    auto batch = lake_->Read(request);
    EXPECT_THAT(batch.status(), IsOk());
    std::vector<std::pair<int64_t, double>> out;
    if (!batch.ok() || batch->num_rows == 0) return out;
    for (size_t i = 0; i < batch->num_rows; ++i) {
      out.emplace_back(batch->columns[0].ints[i], batch->columns[1].doubles[i]);
    }
    return out;
  }

  std::vector<std::pair<int64_t, double>> Expected(FakeMarket market, const std::string& symbol,
                                                   const std::string& interval, int64_t from,
                                                   int64_t to) {
    auto candles = fake_->ExpectedCandles(market, symbol, interval, from, to - 1);
    EXPECT_THAT(candles.status(), IsOk());
    std::vector<std::pair<int64_t, double>> out;
    for (const auto& c : *candles) {
      if (c.closed) out.emplace_back(c.open_time_ms, c.close);
    }
    return out;
  }

  int64_t Requests(const std::string& path) {
    auto stats = fake_->Stats();
    auto it = stats.requests_by_path.find(path);
    return it == stats.requests_by_path.end() ? 0 : it->second;
  }

  TempDir dir_;
  std::unique_ptr<FakeExchange> fake_;
  std::unique_ptr<Lake> lake_;
};

int64_t NowMinute() { return net::WallClockMs() / kMsPerMinute * kMsPerMinute; }

TEST_F(DownloadTest, SymbolsAreStoredAndResolveOffline) {
  auto symbols = lake_->DownloadSymbols("binance", "FUTURES");
  ASSERT_THAT(symbols.status(), IsOk());
  ASSERT_FALSE(symbols->empty());
  auto stored = lake_->Symbols("BINANCE", "FUTURES");
  ASSERT_THAT(stored.status(), IsOk());
  EXPECT_EQ(stored->size(), symbols->size());
  bool found = false;
  for (const auto& s : *stored) {
    if (s.symbol == "BTCUSDT") {
      found = true;
      EXPECT_EQ(s.base, "BTC");
      EXPECT_EQ(s.contract_type, "PERPETUAL");
      EXPECT_GT(s.listing_time, 0);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(DownloadTest, BinanceFuturesCandlesEqualTheExchangeAndTheOpenCandleIsNotStored) {
  const int64_t end = NowMinute();
  const int64_t start = end - 3000 * kMsPerMinute;  // several pages of 499
  auto report = lake_->DownloadHistory(Request("binance", "BTC/USDT:USDT", start, INT64_MAX));
  ASSERT_THAT(report.status(), IsOk());
  ASSERT_EQ(report->datasets.size(), 1u);
  EXPECT_EQ(report->datasets[0].dataset.Path(), "BINANCE/FUTURES/BTCUSDT/raw/1m");
  auto stored = Stored("BINANCE/FUTURES/BTCUSDT/raw/1m");
  auto expected = Expected(FakeMarket::kBinanceUsdm, "BTCUSDT", "1m", start, end);
  EXPECT_EQ(stored, expected);
  ASSERT_FALSE(stored.empty());
  EXPECT_LT(stored.back().first + kMsPerMinute, net::WallClockMs() + 1);
  EXPECT_EQ(fake_->Stats().sent_429, 0);
  auto verify = lake_->Verify(VerifyRequest{});
  ASSERT_THAT(verify.status(), IsOk());
  EXPECT_TRUE(verify->ok());
}

TEST_F(DownloadTest, SecondRunFetchesOnlyWhatIsMissingAndBackfillsEarlierStarts) {
  const int64_t end = NowMinute();
  const int64_t start = end - 600 * kMsPerMinute;
  ASSERT_THAT(lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end)).status(), IsOk());
  const int64_t after_first = Requests("/fapi/v1/klines");
  auto again = lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end));
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->datasets[0].already_complete);
  EXPECT_EQ(Requests("/fapi/v1/klines"), after_first);  // nothing asked again

  // An earlier start fetches only the span before the stored data.
  fake_->ResetStats();
  const int64_t earlier = start - 300 * kMsPerMinute;
  ASSERT_THAT(lake_->DownloadHistory(Request("binance", "BTCUSDT", earlier, end)).status(), IsOk());
  for (const auto& target : fake_->Stats().targets) {
    if (target.find("/fapi/v1/klines") == std::string::npos) continue;
    EXPECT_THAT(target, HasSubstr("endTime=" + std::to_string(start - 1))) << target;
  }
  EXPECT_EQ(Stored("BINANCE/FUTURES/BTCUSDT/raw/1m"),
            Expected(FakeMarket::kBinanceUsdm, "BTCUSDT", "1m", earlier, end));
}

TEST_F(DownloadTest, BybitLinearCandlesArriveInOrderWithoutHolesAtPageEdges) {
  const int64_t end = NowMinute();
  const int64_t start = end - 2500 * kMsPerMinute;
  ASSERT_THAT(lake_->DownloadHistory(Request("bybit", "BTCUSDT", start, end)).status(), IsOk());
  EXPECT_EQ(Stored("BYBIT/LINEAR/BTCUSDT/raw/1m"),
            Expected(FakeMarket::kBybitLinear, "BTCUSDT", "1", start, end));
}

TEST_F(DownloadTest, FundingRatesForBothExchanges) {
  const int64_t end = net::WallClockMs();
  const int64_t start = end - 400 * kMsPerDay;  // ~1200 rates: several Bybit pages of 200
  DownloadRequest request = Request("binance", "BTCUSDT", end - 10 * kMsPerMinute, INT64_MAX);
  request.funding = true;
  request.start = start;
  request.period = "1d";
  ASSERT_THAT(lake_->DownloadHistory(request).status(), IsOk());
  auto binance = Stored("BINANCE/FUTURES/BTCUSDT/alt/funding");
  auto want = fake_->ExpectedFunding(FakeMarket::kBinanceUsdm, "BTCUSDT", start, end - 1);
  ASSERT_THAT(want.status(), IsOk());
  ASSERT_EQ(binance.size(), want->size());
  EXPECT_EQ(binance.front().first, want->front().time_ms);
  EXPECT_DOUBLE_EQ(binance.back().second, want->back().rate);

  request.exchange = "bybit";
  ASSERT_THAT(lake_->DownloadHistory(request).status(), IsOk());
  auto bybit = Stored("BYBIT/LINEAR/BTCUSDT/alt/funding");
  auto bywant = fake_->ExpectedFunding(FakeMarket::kBybitLinear, "BTCUSDT", start, end - 1);
  ASSERT_EQ(bybit.size(), bywant->size());
}

TEST_F(DownloadTest, ListingIsProbedWhenNothingIsStoredAndTheHeadIsAKnownGap) {
  // Binance spot publishes no listing date: the download asks from 2009 and starts at the
  // first candle; daily candles keep the history short.
  DownloadRequest request;
  request.exchange = "binance";
  request.market = "SPOT";
  request.symbols = {"ETHUSDT"};
  request.period = "1d";
  ASSERT_THAT(lake_->DownloadHistory(request).status(), IsOk());
  auto stored = Stored("BINANCE/SPOT/ETHUSDT/raw/1d");
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.front().first, DayStartMs(DayOf(1591014600000)));  // listing day, 2020-06-01
  auto verify = lake_->Verify(VerifyRequest{});
  EXPECT_TRUE(verify->ok());
}

TEST_F(DownloadTest, OutagesBecomeKnownGapsAndAreNotAskedAgain) {
  const int64_t end = NowMinute();
  const int64_t start = end - 2000 * kMsPerMinute;
  FakeExchangeOptions options;
  options.symbols = testing::DefaultFakeSymbols();
  options.symbols[0].downtime.push_back({start + 500 * kMsPerMinute, start + 620 * kMsPerMinute});
  StartFake(options);
  auto report = lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end));
  ASSERT_THAT(report.status(), IsOk());
  ASSERT_EQ(report->datasets[0].gaps.size(), 1u);
  EXPECT_EQ(report->datasets[0].gaps[0].time_from, start + 500 * kMsPerMinute);
  EXPECT_EQ(report->datasets[0].gaps[0].time_to, start + 620 * kMsPerMinute);
  EXPECT_TRUE(lake_->Verify(VerifyRequest{})->ok());  // the gap is known, not a problem
  fake_->ResetStats();
  auto again = lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end));
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->datasets[0].already_complete);
  EXPECT_EQ(Requests("/fapi/v1/klines"), 0);
}

TEST_F(DownloadTest, TransientFailuresAreRetriedAndTheDownloadCompletes) {
  const int64_t end = NowMinute();
  const int64_t start = end - 1500 * kMsPerMinute;
  // Five failures in a row on the first page, then more on later ones: within the 6 attempts.
  fake_->InjectFault(FaultSpec{
      .kind = FaultKind::kHttpError, .count = 1, .path_prefix = "/fapi/v1/klines", .status = 503});
  fake_->InjectFault(
      FaultSpec{.kind = FaultKind::kHtmlOk, .count = 1, .path_prefix = "/fapi/v1/klines"});
  fake_->InjectFault(
      FaultSpec{.kind = FaultKind::kTruncatedBody, .count = 1, .path_prefix = "/fapi/v1/klines"});
  fake_->InjectFault(
      FaultSpec{.kind = FaultKind::kDropConnection, .count = 1, .path_prefix = "/fapi/v1/klines"});
  fake_->InjectFault(FaultSpec{.kind = FaultKind::kTooManyRequests,
                               .count = 1,
                               .path_prefix = "/fapi/v1/klines",
                               .retry_after_s = 1});
  auto report = lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end));
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(fake_->Stats().faults_applied, 5);
  // libcurl itself retries a request whose reused connection was dropped before any response
  // byte, so the dropped connection may not count as one of ours.
  EXPECT_GE(report->retries, 4);
  EXPECT_EQ(report->rate_limited, 1);
  EXPECT_EQ(Stored("BINANCE/FUTURES/BTCUSDT/raw/1m"),
            Expected(FakeMarket::kBinanceUsdm, "BTCUSDT", "1m", start, end));
}

TEST_F(DownloadTest, BansStopWithTheBanNamed) {
  fake_->Ban(testing::FakeApi::kBinanceUsdm, 120000);
  const int64_t end = NowMinute();
  EXPECT_THAT(
      lake_->DownloadHistory(Request("binance", "BTCUSDT", end - 100 * kMsPerMinute, end)).status(),
      StatusIs(StatusCode::kFailedPrecondition, HasSubstr("banned this IP (HTTP 418) for 120 s")));
  fake_->Ban(testing::FakeApi::kBybit, 600000);
  EXPECT_THAT(
      lake_->DownloadHistory(Request("bybit", "BTCUSDT", end - 100 * kMsPerMinute, end)).status(),
      StatusIs(StatusCode::kFailedPrecondition, HasSubstr("403")));
}

TEST_F(DownloadTest, UnknownSymbolsAndIntervalsFailBeforeAnyDownload) {
  const int64_t end = NowMinute();
  EXPECT_THAT(lake_->DownloadHistory(Request("binance", "NOPEUSDT", end - kMsPerDay, end)).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown symbol 'NOPEUSDT'")));
  EXPECT_THAT(
      lake_->DownloadHistory(Request("binance", "BTCUSDT", end - kMsPerDay, end, "1s")).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("no '1s' candles")));
  EXPECT_EQ(Requests("/fapi/v1/klines"), 0);
}

// The limit lets two pages through per window, so the limiter must wait even when every request
// is slow (ThreadSanitizer builds take ~0.15 s per page; a limit of 20 pages per second was
// never reached there, and the test saw no wait).
TEST_F(DownloadTest, TheLimiterKeepsWithinAScaledWeightLimitWithoutA429) {
  FakeExchangeOptions options;
  options.binance_window_ms = 1000;
  options.binance_usdm_weight_limit = 6;  // 95% planned: exchangeInfo (1) or one page (2) more
  StartFake(options);
  const int64_t end = NowMinute();
  const int64_t start = end - 3000 * kMsPerMinute;  // 7 pages of 499: at least 3 windows
  auto report = lake_->DownloadHistory(Request("binance", "BTCUSDT", start, end));
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(fake_->Stats().sent_429, 0);
  EXPECT_EQ(report->rate_limited, 0);
  EXPECT_LE(fake_->Stats().binance_usdm_peak_window_weight, 6);
  EXPECT_GT(report->waited_ms, 0);
  EXPECT_EQ(Stored("BINANCE/FUTURES/BTCUSDT/raw/1m").size(),
            Expected(FakeMarket::kBinanceUsdm, "BTCUSDT", "1m", start, end).size());
}

}  // namespace
}  // namespace dlake
