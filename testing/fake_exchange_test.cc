// The fake exchanges against the real API shapes (../shared/api-samples, read at test time),
// their paging and history semantics, rate limits and failure switches, over real HTTP.

#include "testing/fake_exchange.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "testing/test_util.h"

namespace dlake::testing {
namespace {

using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1717245296789;       // 2024-06-01T12:34:56.789Z: mid-candle
constexpr int64_t k20240101 = 1704067200000;  // 2024-01-01T00:00:00Z

struct Got {
  bool ok = false;  // a response arrived
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string body;
  httplib::Headers headers;
  Json json;  // discarded when the body is not JSON

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Got Fetch(const FakeExchange& fake, const std::string& target, int read_timeout_ms = 5000) {
  httplib::Client client(fake.base_url());
  client.set_read_timeout(std::chrono::milliseconds(read_timeout_ms));
  Got got;
  auto res = client.Get(target);
  got.error = res.error();
  if (!res) return got;
  got.ok = true;
  got.status = res->status;
  got.body = res->body;
  got.headers = res->headers;
  got.json = Json::parse(got.body, nullptr, /*allow_exceptions=*/false);
  return got;
}

Json Sample(const std::string& relative) {
  const std::string text = ReadFile(SharedPath("api-samples/" + relative));
  EXPECT_FALSE(text.empty()) << "missing sample " << relative;
  return Json::parse(text);
}

std::unique_ptr<FakeExchange> StartFake(FakeExchangeOptions options = {}) {
  if (options.now_ms == 0) options.now_ms = kNow;
  auto fake = FakeExchange::Start(std::move(options));
  EXPECT_THAT(fake.status(), IsOk());
  return fake.ok() ? std::move(*fake) : nullptr;
}

// ---- Shapes ----

std::string TypeName(const Json& j) {
  if (j.is_number_integer()) return "integer";  // signed or unsigned
  if (j.is_number_float()) return "float";
  return j.type_name();
}

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.push_back(it.key());
  return keys;
}

// Same JSON types everywhere, same keys in the same order; arrays element by element (elements
// past the sample's end are compared with its first). `skip` names keys whose values differ
// on purpose (placeholders in the docs).
void ExpectSameShape(const Json& fake, const Json& sample, const std::string& where,
                     const std::set<std::string>& skip = {}) {
  ASSERT_EQ(TypeName(fake), TypeName(sample)) << where;
  if (sample.is_object()) {
    ASSERT_EQ(Keys(fake), Keys(sample)) << where;
    for (auto it = sample.begin(); it != sample.end(); ++it) {
      if (skip.count(it.key()) == 0) {
        ExpectSameShape(fake[it.key()], it.value(), where + "." + it.key(), skip);
      }
    }
  } else if (sample.is_array() && !sample.empty()) {
    for (size_t i = 0; i < fake.size(); ++i) {
      ExpectSameShape(fake[i], sample[i < sample.size() ? i : 0],
                      where + "[" + std::to_string(i) + "]", skip);
    }
  }
}

// Digits after the decimal point of a decimal string; -1 for non-strings.
int Decimals(const Json& j) {
  if (!j.is_string()) return -1;
  const std::string s = j.get<std::string>();
  const size_t dot = s.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(s.size() - dot - 1);
}

double Num(const Json& j) { return std::strtod(j.get<std::string>().c_str(), nullptr); }

void ExpectBinanceRow(const Json& row, const FakeCandle& c) {
  EXPECT_EQ(row[0].get<int64_t>(), c.open_time_ms);
  EXPECT_EQ(Num(row[1]), c.open);
  EXPECT_EQ(Num(row[2]), c.high);
  EXPECT_EQ(Num(row[3]), c.low);
  EXPECT_EQ(Num(row[4]), c.close);
  EXPECT_EQ(Num(row[5]), c.volume);
  EXPECT_EQ(row[6].get<int64_t>(), c.close_time_ms);
  EXPECT_EQ(Num(row[7]), c.quote_volume);
  EXPECT_EQ(row[8].get<int64_t>(), c.trades);
  EXPECT_EQ(Num(row[9]), c.taker_buy_volume);
  EXPECT_EQ(Num(row[10]), c.taker_buy_quote_volume);
}

void ExpectBybitRow(const Json& row, const FakeCandle& c, bool inverse = false) {
  EXPECT_EQ(row[0].get<std::string>(), std::to_string(c.open_time_ms));
  EXPECT_EQ(Num(row[1]), c.open);
  EXPECT_EQ(Num(row[2]), c.high);
  EXPECT_EQ(Num(row[3]), c.low);
  EXPECT_EQ(Num(row[4]), c.close);
  EXPECT_EQ(Num(row[5]), inverse ? c.quote_volume : c.volume);
  EXPECT_EQ(Num(row[6]), inverse ? c.volume : c.quote_volume);
}

TEST(FakeExchangeShapeTest, BinanceSpotKlinesMatchTheRecordedCall) {
  auto fake = StartFake();
  // The recorded call: startTime 15:23:11 returned the 16:00, 17:00 and 18:00 candles.
  Got got =
      Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=1706628191000&limit=3");
  ASSERT_EQ(got.status, 200) << got.body;
  const Json recorded = Sample("binance/spot_api_v3_klines.BTCUSDT-1h.ccxt-recorded.json");
  ASSERT_EQ(got.json.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got.json[i][0], recorded[i][0]);
    EXPECT_EQ(got.json[i][6], recorded[i][6]);
    for (size_t f = 0; f < 12; ++f) EXPECT_EQ(Decimals(got.json[i][f]), Decimals(recorded[i][f]));
  }
  ExpectSameShape(got.json, recorded, "spot klines");
  ExpectSameShape(got.json, Sample("binance/spot_api_v3_klines.docs.json"), "spot klines docs");
  EXPECT_EQ(got.Header("Content-Type"), "application/json;charset=UTF-8");
}

TEST(FakeExchangeShapeTest, UsdmKlinesMatchTheRecordedCall) {
  auto fake = StartFake();
  Got got = Fetch(*fake, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=3");
  ASSERT_EQ(got.status, 200) << got.body;
  const Json recorded = Sample("binance/fapi_v1_klines.BTCUSDT-1m.ccxt-recorded.json");
  ExpectSameShape(got.json, recorded, "usdm klines");
  ExpectSameShape(got.json, Sample("binance/fapi_v1_klines.docs.json"), "usdm klines docs");
  ASSERT_EQ(got.json.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {  // contract precision: "71481.90", "0.002", "142.96380"
    for (size_t f = 0; f < 12; ++f) EXPECT_EQ(Decimals(got.json[i][f]), Decimals(recorded[i][f]));
  }
  // The most recent three: the last one is still open.
  EXPECT_EQ(got.json[2][0].get<int64_t>(), kNow / kMsPerMinute * kMsPerMinute);
  EXPECT_GT(got.json[2][6].get<int64_t>(), kNow);
}

TEST(FakeExchangeShapeTest, BybitKlineMatchesTheRecordedCall) {
  auto fake = StartFake();
  // The recorded call: the candle holding `start` (…800000 < start …808000) is included.
  Got got = Fetch(*fake,
                  "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=1&start=1683472808000"
                  "&end=1683472876000");
  ASSERT_EQ(got.status, 200) << got.body;
  const Json recorded = Sample("bybit/v5_market_kline.spot-BTCUSDT-1.recorded.json");
  ExpectSameShape(got.json, recorded, "bybit kline", {"time"});
  EXPECT_EQ(got.json["result"]["list"][0][0], recorded["result"]["list"][0][0]);
  EXPECT_EQ(got.json["result"]["list"][1][0], recorded["result"]["list"][1][0]);
  EXPECT_EQ(got.json["result"]["list"].size(), 2u);
  EXPECT_TRUE(got.json["time"].is_number_integer());

  // The docs' inverse example: three hours, newest first; its result lists symbol first.
  got = Fetch(*fake,
              "/v5/market/kline?category=inverse&symbol=BTCUSD&interval=60&start=1670601600000"
              "&end=1670608800000");
  const Json docs = Sample("bybit/v5_market_kline.inverse-BTCUSD-60.docs.json");
  EXPECT_EQ(Keys(got.json), Keys(docs));
  ASSERT_EQ(got.json["result"]["list"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ExpectSameShape(got.json["result"]["list"][i], docs["result"]["list"][i], "inverse row");
    EXPECT_EQ(got.json["result"]["list"][i][0], docs["result"]["list"][i][0]);
  }
}

TEST(FakeExchangeShapeTest, FundingMatchesTheDocs) {
  auto fake = StartFake();
  Got binance = Fetch(*fake, "/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=1704067200000&limit=2");
  ASSERT_EQ(binance.status, 200) << binance.body;
  ExpectSameShape(binance.json, Sample("binance/fapi_v1_fundingRate.docs.json"), "fundingRate");
  EXPECT_EQ(Decimals(binance.json[0]["fundingRate"]), 8);
  EXPECT_EQ(Decimals(binance.json[0]["markPrice"]), 8);

  Got bybit =
      Fetch(*fake,
            "/v5/market/funding/history?category=linear&symbol=BTCUSDT&endTime=1704067200000"
            "&limit=1");
  ASSERT_EQ(bybit.status, 200) << bybit.body;
  ExpectSameShape(bybit.json, Sample("bybit/v5_market_funding_history.docs.json"), "funding");
}

TEST(FakeExchangeShapeTest, ExchangeInfoMatchesTheDocs) {
  auto fake = StartFake();
  Got spot = Fetch(*fake, "/api/v3/exchangeInfo");
  ASSERT_EQ(spot.status, 200) << spot.body;
  // The docs' rateLimits are placeholders ([{}]); real entries are checked below.
  ExpectSameShape(spot.json, Sample("binance/spot_api_v3_exchangeInfo.docs.json"), "spot info",
                  {"rateLimits"});
  const Json& weight = spot.json["rateLimits"][0];
  EXPECT_EQ(weight["rateLimitType"], "REQUEST_WEIGHT");
  EXPECT_EQ(weight["interval"], "MINUTE");
  EXPECT_EQ(weight["intervalNum"], 1);
  EXPECT_EQ(weight["limit"], 6000);
  EXPECT_EQ(spot.json["symbols"].size(), 2u);  // BTCUSDT, ETHUSDT

  Got one = Fetch(*fake, "/api/v3/exchangeInfo?symbols=%5B%22ETHUSDT%22%5D");
  ASSERT_EQ(one.json["symbols"].size(), 1u);
  EXPECT_EQ(one.json["symbols"][0]["symbol"], "ETHUSDT");

  Got usdm = Fetch(*fake, "/fapi/v1/exchangeInfo");
  ASSERT_EQ(usdm.status, 200) << usdm.body;
  // The go-binance fixture predates `assets` and spells orderTypes "orderType".
  Json fixture = Sample("binance/fapi_v1_exchangeInfo.go-binance-fixture.json");
  Json renamed = Json::object();
  for (auto it = fixture["symbols"][0].begin(); it != fixture["symbols"][0].end(); ++it) {
    renamed[it.key() == "orderType" ? "orderTypes" : it.key()] = it.value();
  }
  fixture["symbols"][0] = renamed;
  Json served = usdm.json;
  served.erase("assets");
  ExpectSameShape(served, fixture, "usdm info");
  const Json& btc = usdm.json["symbols"][0];
  EXPECT_EQ(btc["symbol"], "BTCUSDT");
  EXPECT_EQ(btc["contractType"], "PERPETUAL");
  EXPECT_EQ(btc["onboardDate"], 1577836800000);
  EXPECT_EQ(btc["deliveryDate"], 4133404800000);
  EXPECT_EQ(btc["status"], "TRADING");
}

TEST(FakeExchangeShapeTest, InstrumentsInfoMatchesTheDocs) {
  auto fake = StartFake();
  Got linear = Fetch(*fake, "/v5/market/instruments-info?category=linear");
  ASSERT_EQ(linear.status, 200) << linear.body;
  ExpectSameShape(linear.json, Sample("bybit/v5_market_instruments-info.linear.docs.json"),
                  "linear instruments");
  EXPECT_EQ(linear.json["result"]["list"][0]["launchTime"], "1577836800000");
  Got spot = Fetch(*fake, "/v5/market/instruments-info?category=spot");
  ASSERT_EQ(spot.status, 200) << spot.body;
  ExpectSameShape(spot.json, Sample("bybit/v5_market_instruments-info.spot.docs.json"),
                  "spot instruments");
  Got inverse = Fetch(*fake, "/v5/market/instruments-info?category=inverse");
  EXPECT_EQ(inverse.json["result"]["list"][0]["contractType"], "InversePerpetual");
  EXPECT_EQ(inverse.json["result"]["list"][0]["settleCoin"], "BTC");
}

// ---- Paging semantics ----

TEST(FakeExchangePagingTest, BinanceStartTimeIsInclusiveAndPagesAscend) {
  auto fake = StartFake();
  const int64_t day = k20240101;
  Got at = Fetch(
      *fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=2&startTime=" + std::to_string(day));
  EXPECT_EQ(at.json[0][0].get<int64_t>(), day);
  EXPECT_EQ(at.json[1][0].get<int64_t>(), day + kMsPerMinute);
  Got after = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1&startTime=" +
                               std::to_string(day + 1));
  EXPECT_EQ(after.json[0][0].get<int64_t>(), day + kMsPerMinute);

  // A whole day in pages of 1000, next startTime = last open + 1.
  std::vector<Json> rows;
  int64_t start = day;
  const int64_t end = day + kMsPerDay - 1;
  for (int page = 0; page < 5; ++page) {
    Got got = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000&startTime=" +
                               std::to_string(start) + "&endTime=" + std::to_string(end));
    ASSERT_EQ(got.status, 200);
    if (got.json.empty()) break;
    for (const Json& row : got.json) rows.push_back(row);
    start = got.json.back()[0].get<int64_t>() + 1;
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto expected, fake->ExpectedCandles(FakeMarket::kBinanceSpot, "BTCUSDT", "1m", day, end));
  ASSERT_EQ(rows.size(), 1440u);
  ASSERT_EQ(expected.size(), 1440u);
  for (size_t i = 0; i < rows.size(); ++i) ExpectBinanceRow(rows[i], expected[i]);
  EXPECT_EQ(fake->Stats().requests_by_path.at("/api/v3/klines"), 5);  // 1000 + 440 + empty
}

TEST(FakeExchangePagingTest, BinanceWithoutStartServesTheMostRecent) {
  auto fake = StartFake();
  const int64_t end = k20240101 + 12 * kMsPerHour + 30 * kMsPerSecond;
  Got to_end =
      Fetch(*fake, "/fapi/v1/klines?symbol=ETHUSDT&interval=1m&endTime=" + std::to_string(end));
  ASSERT_EQ(to_end.json.size(), 500u);  // default limit
  EXPECT_EQ(to_end.json.back()[0].get<int64_t>(), k20240101 + 12 * kMsPerHour);
  EXPECT_LT(to_end.json.front()[0].get<int64_t>(), to_end.json.back()[0].get<int64_t>());

  // No range: the newest candles, the last one still open with close = the current price.
  Got latest = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=2");
  const int64_t open = kNow / kMsPerHour * kMsPerHour;
  ASSERT_EQ(latest.json.size(), 2u);
  EXPECT_EQ(latest.json[1][0].get<int64_t>(), open);
  EXPECT_EQ(latest.json[1][6].get<int64_t>(), open + kMsPerHour - 1);
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto expected, fake->ExpectedCandles(FakeMarket::kBinanceSpot, "BTCUSDT", "1h", open, kNow));
  ASSERT_EQ(expected.size(), 1u);
  EXPECT_FALSE(expected[0].closed);
  ExpectBinanceRow(latest.json[1], expected[0]);
  fake->SetNow(kNow + 10 * kMsPerSecond);
  Got later = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1");
  EXPECT_EQ(later.json[0][1], latest.json[1][1]);  // same open
  EXPECT_NE(later.json[0][4], latest.json[1][4]);  // the price moved
}

TEST(FakeExchangePagingTest, BinanceLimitDefaultsAndMaximums) {
  auto clamp = StartFake();
  const std::string spot = "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067200000";
  const std::string usdm = "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=1704067200000";
  EXPECT_EQ(Fetch(*clamp, spot).json.size(), 500u);
  EXPECT_EQ(Fetch(*clamp, spot + "&limit=1000").json.size(), 1000u);
  EXPECT_EQ(Fetch(*clamp, spot + "&limit=1001").json.size(), 1000u);
  EXPECT_EQ(Fetch(*clamp, usdm + "&limit=1500").json.size(), 1500u);
  EXPECT_EQ(Fetch(*clamp, usdm + "&limit=5000").json.size(), 1500u);
  Got zero = Fetch(*clamp, spot + "&limit=0");
  EXPECT_EQ(zero.status, 400);
  EXPECT_EQ(zero.json["code"], -1130);
  Got illegal = Fetch(*clamp, spot + "&limit=ten");
  EXPECT_EQ(illegal.json["code"], -1100);
  Got missing = Fetch(*clamp, "/api/v3/klines?symbol=BTCUSDT");
  EXPECT_EQ(missing.json["code"], -1102);

  auto strict = StartFake({.binance_over_max_limit = OverMaxLimit::kError});
  Got over = Fetch(*strict, spot + "&limit=1001");
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(over.json["code"], -1130);
  EXPECT_EQ(over.json["msg"], "Data sent for parameter 'limit' is not valid.");
  EXPECT_EQ(Fetch(*strict, usdm + "&limit=1501").json["code"], -1130);
}

TEST(FakeExchangePagingTest, BybitPagesNewestFirstBackwards) {
  auto fake = StartFake();
  const int64_t day = k20240101;
  const std::string base = "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1";
  Got latest = Fetch(*fake, base);
  ASSERT_EQ(latest.json["result"]["list"].size(), 200u);  // default limit
  EXPECT_EQ(latest.json["result"]["list"][0][0],
            std::to_string(kNow / kMsPerMinute * kMsPerMinute));

  // Backwards through a day with `end` only (end = oldest open - 1): with `start` too, the
  // default kStart anchor would serve the oldest candles of the range instead.
  std::vector<Json> rows;
  int64_t end = day + kMsPerDay - 1;
  while (end >= day) {
    Got got = Fetch(*fake, base + "&limit=1000&end=" + std::to_string(end));
    const Json& list = got.json["result"]["list"];
    ASSERT_FALSE(list.empty());
    for (size_t i = 1; i < list.size(); ++i) {
      ASSERT_GT(std::stoll(list[i - 1][0].get<std::string>()),
                std::stoll(list[i][0].get<std::string>()));
    }
    for (const Json& row : list) {
      if (std::stoll(row[0].get<std::string>()) >= day) rows.push_back(row);
    }
    end = std::stoll(list.back()[0].get<std::string>()) - 1;
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto expected,
      fake->ExpectedCandles(FakeMarket::kBybitLinear, "BTCUSDT", "1", day, day + kMsPerDay - 1));
  ASSERT_EQ(rows.size(), 1440u);
  for (size_t i = 0; i < rows.size(); ++i) ExpectBybitRow(rows[i], expected[1439 - i]);
}

TEST(FakeExchangePagingTest, BybitRangeAnchorSwitch) {
  const int64_t start = k20240101 + 30 * kMsPerSecond;  // inside the 00:00 candle
  const std::string target =
      "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1000"
      "&start=" +
      std::to_string(start) + "&end=" + std::to_string(k20240101 + 2 * kMsPerDay);
  auto by_start = StartFake({.bybit_kline_anchor = RangeAnchor::kStart});
  const Json list = Fetch(*by_start, target).json["result"]["list"];
  ASSERT_EQ(list.size(), 1000u);
  EXPECT_EQ(list.back()[0], std::to_string(k20240101));  // the candle holding start
  EXPECT_EQ(list.front()[0], std::to_string(k20240101 + 999 * kMsPerMinute));

  auto by_end = StartFake({.bybit_kline_anchor = RangeAnchor::kEnd});
  const Json newest = Fetch(*by_end, target).json["result"]["list"];
  ASSERT_EQ(newest.size(), 1000u);
  EXPECT_EQ(newest.front()[0], std::to_string(k20240101 + 2 * kMsPerDay));
}

TEST(FakeExchangePagingTest, BybitLimitsAndErrors) {
  auto fake = StartFake();
  const std::string base = "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1";
  EXPECT_EQ(Fetch(*fake, base + "&limit=1000").json["result"]["list"].size(), 1000u);
  EXPECT_EQ(Fetch(*fake, base + "&limit=5000").json["result"]["list"].size(), 1000u);
  Got no_category = Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=D&limit=1");
  EXPECT_EQ(no_category.json["result"]["category"], "linear");  // the documented default

  auto strict = StartFake({.bybit_over_max_limit = OverMaxLimit::kError});
  Got over = Fetch(*strict, base + "&limit=1001");
  EXPECT_EQ(over.status, 200);
  EXPECT_EQ(over.json["retCode"], 10001);
}

TEST(FakeExchangePagingTest, BybitInstrumentsPageWithCursors) {
  FakeExchangeOptions options;
  options.symbols.clear();
  for (int i = 0; i < 25; ++i) {
    const std::string base = "C" + std::to_string(100 + i);
    options.symbols.push_back({.symbol = base + "USDT",
                               .base = base,
                               .quote = "USDT",
                               .markets = {FakeMarket::kBybitLinear, FakeMarket::kBybitSpot},
                               .listing_ms = k20240101});
  }
  auto fake = StartFake(options);
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    std::string target = "/v5/market/instruments-info?category=linear&limit=10";
    // The first page passes the cursor as received; the next one URL-encodes it.
    if (!cursor.empty()) {
      target += "&cursor=" + (pages == 1 ? cursor : httplib::detail::encode_query_param(cursor));
    }
    Got got = Fetch(*fake, target);
    ASSERT_EQ(got.json["retCode"], 0) << got.body;
    for (const Json& item : got.json["result"]["list"]) seen.push_back(item["symbol"]);
    cursor = got.json["result"]["nextPageCursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);

  Got spot = Fetch(*fake, "/v5/market/instruments-info?category=spot&limit=1");
  EXPECT_EQ(spot.json["result"]["list"].size(), 25u);  // spot is not paginated
  EXPECT_FALSE(spot.json["result"].contains("nextPageCursor"));
  Got missing = Fetch(*fake, "/v5/market/instruments-info");
  EXPECT_EQ(missing.json["retCode"], 10001);
}

TEST(FakeExchangePagingTest, FundingBoundsAndOrder) {
  auto fake = StartFake();
  const int64_t t0 = k20240101;
  Got both = Fetch(*fake, "/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=" + std::to_string(t0) +
                              "&endTime=" + std::to_string(t0 + 16 * kMsPerHour));
  ASSERT_EQ(both.json.size(), 3u);  // both bounds inclusive
  EXPECT_EQ(both.json[0]["fundingTime"], t0);
  EXPECT_EQ(both.json[2]["fundingTime"], t0 + 16 * kMsPerHour);
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto expected,
      fake->ExpectedFunding(FakeMarket::kBinanceUsdm, "BTCUSDT", t0, t0 + 16 * kMsPerHour));
  ASSERT_EQ(expected.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Num(both.json[i]["fundingRate"]), expected[i].rate);
    EXPECT_EQ(Num(both.json[i]["markPrice"]), expected[i].mark_price);
  }
  Got start_only =
      Fetch(*fake, "/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=" + std::to_string(t0));
  ASSERT_EQ(start_only.json.size(), 100u);  // default limit, ascending from start
  EXPECT_EQ(start_only.json[0]["fundingTime"], t0);
  Got recent = Fetch(*fake, "/fapi/v1/fundingRate?symbol=BTCUSDT&limit=1");
  EXPECT_EQ(recent.json[0]["fundingTime"], kNow / (8 * kMsPerHour) * (8 * kMsPerHour));
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/fundingRate?limit=1000").json.size(), 1000u);  // all symbols

  const std::string bybit = "/v5/market/funding/history?category=linear&symbol=BTCUSDT";
  Got newest = Fetch(*fake, bybit + "&endTime=" + std::to_string(t0 + 16 * kMsPerHour));
  const Json& list = newest.json["result"]["list"];
  ASSERT_EQ(list.size(), 200u);  // default and maximum
  EXPECT_EQ(list[0]["fundingRateTimestamp"], std::to_string(t0 + 16 * kMsPerHour));
  EXPECT_EQ(list[1]["fundingRateTimestamp"], std::to_string(t0 + 8 * kMsPerHour));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto bybit_expected,
                             fake->ExpectedFunding(FakeMarket::kBybitLinear, "BTCUSDT", t0, t0));
  EXPECT_EQ(Num(list[2]["fundingRate"]), bybit_expected.at(0).rate);
  EXPECT_NE(bybit_expected.at(0).rate, expected[0].rate);  // another exchange, other rates
  EXPECT_EQ(Fetch(*fake, bybit + "&limit=300").json["result"]["list"].size(), 200u);
  Got start_alone = Fetch(*fake, bybit + "&startTime=" + std::to_string(t0));
  EXPECT_EQ(start_alone.status, 200);
  EXPECT_EQ(start_alone.json["retCode"], 10001);
  Got spot = Fetch(*fake, "/v5/market/funding/history?category=spot&symbol=BTCUSDT");
  EXPECT_EQ(spot.json["retCode"], 10001);
}

// ---- History: listing, downtime, calendar intervals ----

FakeExchangeOptions HistoryOptions() {
  FakeExchangeOptions options;
  options.symbols = {
      {.symbol = "NEWUSDT",
       .base = "NEW",
       .quote = "USDT",
       .markets = {FakeMarket::kBinanceSpot, FakeMarket::kBinanceUsdm, FakeMarket::kBybitLinear},
       .listing_ms =
           k20240101 + 9 * kMsPerDay + 10 * kMsPerHour + 30 * kMsPerMinute,  // 2024-01-10T10:30Z
       .downtime = {{k20240101 + 10 * kMsPerDay,  // 2024-01-11 00:00-02:00
                     k20240101 + 10 * kMsPerDay + 2 * kMsPerHour}},
       .base_price = 1.5,
       .price_decimals = 4,
       .qty_decimals = 1}};
  return options;
}

std::vector<int64_t> BinanceOpens(const Got& got) {
  std::vector<int64_t> out;
  for (const Json& row : got.json) out.push_back(row[0].get<int64_t>());
  return out;
}

TEST(FakeExchangeHistoryTest, NothingBeforeListing) {
  auto fake = StartFake(HistoryOptions());
  const int64_t listing = fake->options().symbols[0].listing_ms;
  Got before = Fetch(
      *fake, "/api/v3/klines?symbol=NEWUSDT&interval=1m&startTime=" + std::to_string(k20240101) +
                 "&endTime=" + std::to_string(k20240101 + 5 * kMsPerDay));
  EXPECT_EQ(before.status, 200);
  EXPECT_EQ(before.body, "[]");
  const std::string from_jan = "&limit=1&startTime=" + std::to_string(k20240101);
  EXPECT_EQ(BinanceOpens(Fetch(*fake, "/api/v3/klines?symbol=NEWUSDT&interval=1m" + from_jan)),
            std::vector<int64_t>{listing});
  EXPECT_EQ(BinanceOpens(Fetch(*fake, "/api/v3/klines?symbol=NEWUSDT&interval=1h" + from_jan)),
            std::vector<int64_t>{listing - 30 * kMsPerMinute});  // the hour holding the listing
  EXPECT_EQ(BinanceOpens(Fetch(*fake, "/api/v3/klines?symbol=NEWUSDT&interval=1d" + from_jan)),
            std::vector<int64_t>{k20240101 + 9 * kMsPerDay});
  Got bybit = Fetch(*fake, "/v5/market/kline?category=linear&symbol=NEWUSDT&interval=1&end=" +
                               std::to_string(listing + 2 * kMsPerMinute));
  ASSERT_EQ(bybit.json["result"]["list"].size(), 3u);
  EXPECT_EQ(bybit.json["result"]["list"][2][0], std::to_string(listing));
  Got funding = Fetch(*fake, "/fapi/v1/fundingRate?symbol=NEWUSDT&startTime=0&limit=1");
  EXPECT_EQ(funding.json[0]["fundingTime"], k20240101 + 9 * kMsPerDay + 16 * kMsPerHour);
}

TEST(FakeExchangeHistoryTest, DowntimeLeavesHolesWithoutFiller) {
  auto fake = StartFake(HistoryOptions());
  const int64_t down = k20240101 + 10 * kMsPerDay;
  Got minutes = Fetch(*fake, "/api/v3/klines?symbol=NEWUSDT&interval=1m&limit=4&startTime=" +
                                 std::to_string(down - 2 * kMsPerMinute));
  EXPECT_EQ(BinanceOpens(minutes),
            (std::vector<int64_t>{down - 2 * kMsPerMinute, down - kMsPerMinute,
                                  down + 2 * kMsPerHour, down + 2 * kMsPerHour + kMsPerMinute}));
  Got hours = Fetch(*fake, "/fapi/v1/klines?symbol=NEWUSDT&interval=1h&limit=2&startTime=" +
                               std::to_string(down - 1));
  EXPECT_EQ(BinanceOpens(hours),
            (std::vector<int64_t>{down + 2 * kMsPerHour, down + 3 * kMsPerHour}));
  Got day = Fetch(
      *fake, "/api/v3/klines?symbol=NEWUSDT&interval=1d&limit=1&startTime=" + std::to_string(down));
  EXPECT_EQ(BinanceOpens(day), std::vector<int64_t>{down});  // the day survives a 2 h outage
  // Bybit, backwards over the hole.
  Got bybit = Fetch(*fake,
                    "/v5/market/kline?category=linear&symbol=NEWUSDT&interval=60&limit=2"
                    "&end=" +
                        std::to_string(down + 2 * kMsPerHour - 1));
  const Json& list = bybit.json["result"]["list"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0][0], std::to_string(down - kMsPerHour));
  EXPECT_EQ(list[1][0], std::to_string(down - 2 * kMsPerHour));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto expected,
                             fake->ExpectedCandles(FakeMarket::kBinanceSpot, "NEWUSDT", "1m",
                                                   down - kMsPerHour, down + 3 * kMsPerHour - 1));
  EXPECT_EQ(expected.size(), 120u);  // 1 h before, 1 h after, none inside
}

TEST(FakeExchangeHistoryTest, CalendarIntervalsAlignLikeTheExchanges) {
  auto fake = StartFake();
  Got weeks = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1w&limit=3&startTime=" +
                               std::to_string(k20240101 + 1));
  for (const Json& row : weeks.json) {
    const int64_t open = row[0].get<int64_t>();
    EXPECT_EQ(((DayOf(open) + 3) % 7 + 7) % 7, 0) << "not a Monday: " << FormatTimestamp(open);
    EXPECT_EQ(open % kMsPerDay, 0);
    EXPECT_EQ(row[6].get<int64_t>(), open + 7 * kMsPerDay - 1);
  }
  Got months = Fetch(*fake, "/fapi/v1/klines?symbol=BTCUSDT&interval=1M&limit=3&startTime=" +
                                std::to_string(k20240101));
  ASSERT_EQ(months.json.size(), 3u);
  EXPECT_EQ(FormatTimestamp(months.json[1][0].get<int64_t>()), "2024-02-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(months.json[1][6].get<int64_t>()), "2024-02-29T23:59:59.999Z");
  Got bybit = Fetch(*fake, "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=M&limit=2");
  EXPECT_EQ(bybit.json["result"]["list"][0][0], std::to_string(k20240101 + 152 * kMsPerDay));
  Got bybit_week =
      Fetch(*fake, "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=W&limit=1");
  EXPECT_EQ(FormatTimestamp(std::stoll(bybit_week.json["result"]["list"][0][0].get<std::string>())),
            "2024-05-27T00:00:00.000Z");  // the Monday before 2024-06-01
}

TEST(FakeExchangeHistoryTest, EveryIntervalServesValidCandles) {
  auto fake = StartFake();
  const std::vector<std::string> binance = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                            "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};
  for (const std::string& iv : binance) {
    for (const char* path : {"/api/v3/klines", "/fapi/v1/klines"}) {
      Got got = Fetch(*fake, std::string(path) + "?symbol=ETHUSDT&limit=20&interval=" + iv);
      if (iv == "1s" && std::string(path) == "/fapi/v1/klines") {  // spot only
        EXPECT_EQ(got.json["code"], -1120);
        continue;
      }
      ASSERT_EQ(got.status, 200) << path << " " << iv << " " << got.body;
      ASSERT_FALSE(got.json.empty()) << iv;
      for (const Json& row : got.json) {
        EXPECT_LE(Num(row[3]), std::min(Num(row[1]), Num(row[4]))) << iv;
        EXPECT_GE(Num(row[2]), std::max(Num(row[1]), Num(row[4]))) << iv;
        EXPECT_GT(Num(row[3]), 0) << iv;
      }
      EXPECT_GT(got.json.back()[6].get<int64_t>(), kNow) << iv;  // the open candle
    }
  }
  for (const char* iv :
       {"1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"}) {
    Got got =
        Fetch(*fake,
              std::string("/v5/market/kline?category=spot&symbol=BTCUSDT&limit=20&interval=") + iv);
    ASSERT_EQ(got.json["retCode"], 0) << iv << " " << got.body;
    for (const Json& row : got.json["result"]["list"]) {
      EXPECT_LE(Num(row[3]), std::min(Num(row[1]), Num(row[4]))) << iv;
      EXPECT_GE(Num(row[2]), std::max(Num(row[1]), Num(row[4]))) << iv;
    }
  }
  EXPECT_EQ(Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=2").json["retMsg"],
            "Invalid period!");
  EXPECT_EQ(Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1H").json["code"], -1120);
}

TEST(FakeExchangeHistoryTest, DelistedSymbolsStopAndChangeStatus) {
  FakeExchangeOptions options = HistoryOptions();
  options.symbols[0].delist_ms = k20240101 + 20 * kMsPerDay;
  auto fake = StartFake(options);
  Got last = Fetch(*fake, "/fapi/v1/klines?symbol=NEWUSDT&interval=1d&limit=1");
  EXPECT_EQ(BinanceOpens(last), std::vector<int64_t>{k20240101 + 19 * kMsPerDay});
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").json["symbols"][0]["status"], "SETTLING");
  EXPECT_EQ(Fetch(*fake, "/api/v3/exchangeInfo").json["symbols"][0]["status"], "BREAK");
  EXPECT_TRUE(
      Fetch(*fake, "/v5/market/instruments-info?category=linear").json["result"]["list"].empty());
  Got closed = Fetch(*fake, "/v5/market/instruments-info?category=linear&status=Closed");
  EXPECT_EQ(closed.json["result"]["list"][0]["deliveryTime"],
            std::to_string(k20240101 + 20 * kMsPerDay));
}

// ---- Coarse intervals: the aggregates of the 1m candles ----

// Candle numbers in exact integer units (prices in ticks, quantities in lots, quote amounts in
// 10^-(price + qty decimals)), read from the decimal text without rounding.
struct UnitCandle {
  int64_t open = 0, high = 0, low = 0, close = 0;
  int64_t volume = 0, quote_volume = 0, trades = 0, taker_volume = 0, taker_quote_volume = 0;
  bool operator==(const UnitCandle&) const = default;
};

std::ostream& operator<<(std::ostream& os, const UnitCandle& c) {
  return os << "{o=" << c.open << " h=" << c.high << " l=" << c.low << " c=" << c.close
            << " v=" << c.volume << " q=" << c.quote_volume << " n=" << c.trades
            << " tv=" << c.taker_volume << " tq=" << c.taker_quote_volume << "}";
}

int64_t ParseUnits(const std::string& text, int scale) {
  const size_t dot = text.find('.');
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  while (static_cast<int>(fraction.size()) > scale) {
    EXPECT_EQ(fraction.back(), '0') << text << " has more than " << scale << " decimals";
    fraction.pop_back();
  }
  fraction.append(scale - fraction.size(), '0');
  return std::stoll(text.substr(0, dot) + fraction);
}

// The double a client parses from the decimal text of `units` x 10^-scale.
double UnitsValue(int64_t units, int scale) {
  std::string digits = std::to_string(units);
  if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  digits.insert(digits.size() - scale, ".");
  return std::strtod(digits.c_str(), nullptr);
}

bool IsBybitMarket(FakeMarket m) {
  return m != FakeMarket::kBinanceSpot && m != FakeMarket::kBinanceUsdm;
}

// A served kline row in units; Bybit serves no trade counts or taker volumes (left 0).
UnitCandle RowUnits(const Json& row, bool bybit, int pd, int qd) {
  UnitCandle c;
  c.open = ParseUnits(row[1].get<std::string>(), pd);
  c.high = ParseUnits(row[2].get<std::string>(), pd);
  c.low = ParseUnits(row[3].get<std::string>(), pd);
  c.close = ParseUnits(row[4].get<std::string>(), pd);
  c.volume = ParseUnits(row[5].get<std::string>(), qd);
  if (bybit) {
    c.quote_volume = ParseUnits(row[6].get<std::string>(), pd + qd);
  } else {
    c.quote_volume = ParseUnits(row[7].get<std::string>(), pd + qd);
    c.trades = row[8].get<int64_t>();
    c.taker_volume = ParseUnits(row[9].get<std::string>(), qd);
    c.taker_quote_volume = ParseUnits(row[10].get<std::string>(), pd + qd);
  }
  return c;
}

int64_t RowOpen(const Json& row, bool bybit) {
  return bybit ? std::stoll(row[0].get<std::string>()) : row[0].get<int64_t>();
}

// The klines of `interval` with open times in [from, to], ascending, in pages of 1000: Binance
// forwards by startTime, Bybit backwards by `end` (independent of the start anchor switch).
std::vector<Json> FetchKlines(const FakeExchange& fake, FakeMarket market,
                              const std::string& symbol, const std::string& interval, int64_t from,
                              int64_t to) {
  std::vector<Json> rows;
  if (!IsBybitMarket(market)) {
    const std::string path =
        market == FakeMarket::kBinanceSpot ? "/api/v3/klines" : "/fapi/v1/klines";
    for (int64_t start = from;;) {
      Got got = Fetch(fake, path + "?symbol=" + symbol + "&interval=" + interval +
                                "&limit=1000&startTime=" + std::to_string(start) +
                                "&endTime=" + std::to_string(to));
      EXPECT_EQ(got.status, 200) << got.body;
      if (got.status != 200 || got.json.empty()) break;
      for (const Json& row : got.json) rows.push_back(row);
      start = got.json.back()[0].get<int64_t>() + 1;
    }
    return rows;
  }
  const std::string category = market == FakeMarket::kBybitSpot ? "spot" : "linear";
  std::vector<Json> newest_first;
  for (int64_t end = to; end >= from;) {
    Got got = Fetch(fake, "/v5/market/kline?category=" + category + "&symbol=" + symbol +
                              "&interval=" + interval + "&limit=1000&end=" + std::to_string(end));
    EXPECT_EQ(got.json["retCode"], 0) << got.body;
    const Json& list = got.json["result"]["list"];
    if (got.json["retCode"] != 0 || list.empty()) break;
    for (const Json& row : list) {
      if (RowOpen(row, true) >= from) newest_first.push_back(row);
    }
    end = RowOpen(list.back(), true) - 1;
  }
  return {newest_first.rbegin(), newest_first.rend()};
}

// The open time of the candle of `interval` holding `t`, worked out here rather than by the
// fake: hours from the epoch, weeks from Monday, months from the 1st.
int64_t BucketOf(const std::string& interval, int64_t t) {
  if (interval == "1w") {
    const int64_t day = DayOf(t);
    return DayStartMs(day - ((day + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  }
  if (interval == "1M") {
    const CivilDate d = CivilFromDay(DayOf(t));
    return DayStartMs(DayFromCivil(d.year, d.month, 1));
  }
  const int64_t ms = interval == "1h" ? kMsPerHour : interval == "4h" ? 4 * kMsPerHour : kMsPerDay;
  return t / ms * ms;
}

// Sums 1m candles (ascending) into the candles of `interval`, by open time.
std::map<int64_t, UnitCandle> Aggregate(const std::vector<std::pair<int64_t, UnitCandle>>& minutes,
                                        const std::string& interval) {
  std::map<int64_t, UnitCandle> out;
  for (const auto& [open, m] : minutes) {
    auto [it, first] = out.try_emplace(BucketOf(interval, open), m);
    if (first) continue;
    UnitCandle& c = it->second;
    c.high = std::max(c.high, m.high);
    c.low = std::min(c.low, m.low);
    c.close = m.close;
    c.volume += m.volume;
    c.quote_volume += m.quote_volume;
    c.trades += m.trades;
    c.taker_volume += m.taker_volume;
    c.taker_quote_volume += m.taker_quote_volume;
  }
  return out;
}

void ExpectCandleIs(const FakeCandle& c, const UnitCandle& u, int pd, int qd,
                    const std::string& where) {
  EXPECT_EQ(c.open, UnitsValue(u.open, pd)) << where;
  EXPECT_EQ(c.high, UnitsValue(u.high, pd)) << where;
  EXPECT_EQ(c.low, UnitsValue(u.low, pd)) << where;
  EXPECT_EQ(c.close, UnitsValue(u.close, pd)) << where;
  EXPECT_EQ(c.volume, UnitsValue(u.volume, qd)) << where;
  EXPECT_EQ(c.quote_volume, UnitsValue(u.quote_volume, pd + qd)) << where;
  EXPECT_EQ(c.trades, u.trades) << where;
  EXPECT_EQ(c.taker_buy_volume, UnitsValue(u.taker_volume, qd)) << where;
  EXPECT_EQ(c.taker_buy_quote_volume, UnitsValue(u.taker_quote_volume, pd + qd)) << where;
}

TEST(FakeExchangeAggregateTest, CoarseCandlesAreTheSumsOfTheMinutes) {
  auto fake = StartFake();
  const FakeSymbol& btc = fake->options().symbols[0];
  ASSERT_EQ(btc.symbol, "BTCUSDT");
  const int pd = btc.price_decimals, qd = btc.qty_decimals;
  struct Span {
    int64_t from, to;                     // open times in [from, to]
    std::map<std::string, size_t> whole;  // candles of each interval the span holds entirely
  };
  const std::vector<Span> spans = {
      // Monday 2024-01-29 to Sunday 2024-03-03: five weeks, February with its leap day, and a
      // week across the month end.
      {k20240101 + 28 * kMsPerDay,
       k20240101 + 63 * kMsPerDay - 1,
       {{"1h", 35 * 24}, {"4h", 35 * 6}, {"1d", 35}, {"1w", 5}, {"1M", 1}}},
      // Monday 2024-05-27 to now (Saturday 2024-06-01 12:34:56.789): every last candle is open,
      // and the last minute in it too.
      {k20240101 + 147 * kMsPerDay,
       kNow,
       {{"1h", 5 * 24 + 13}, {"4h", 5 * 6 + 4}, {"1d", 6}, {"1w", 1}, {"1M", 1}}}};
  const std::vector<std::pair<std::string, std::string>> intervals = {
      {"1h", "60"}, {"4h", "240"}, {"1d", "D"}, {"1w", "W"}, {"1M", "M"}};
  for (FakeMarket market :
       {FakeMarket::kBinanceSpot, FakeMarket::kBinanceUsdm, FakeMarket::kBybitLinear}) {
    const bool bybit = IsBybitMarket(market);
    for (const Span& span : spans) {
      const std::string where_span = "market " + std::to_string(static_cast<int>(market)) +
                                     " from " + FormatTimestamp(span.from);
      // The minutes over HTTP, exact; they are what ExpectedCandles says.
      const std::vector<Json> minute_rows =
          FetchKlines(*fake, market, "BTCUSDT", bybit ? "1" : "1m", span.from, span.to);
      DLAKE_ASSERT_OK_AND_ASSIGN(
          auto expected_minutes,
          fake->ExpectedCandles(market, "BTCUSDT", bybit ? "1" : "1m", span.from, span.to));
      ASSERT_EQ(minute_rows.size(), expected_minutes.size()) << where_span;
      ASSERT_EQ(minute_rows.size(), static_cast<size_t>((span.to - span.from) / kMsPerMinute + 1));
      std::vector<std::pair<int64_t, UnitCandle>> minutes;
      for (size_t i = 0; i < minute_rows.size(); ++i) {
        if (bybit) {
          ExpectBybitRow(minute_rows[i], expected_minutes[i]);
        } else {
          ExpectBinanceRow(minute_rows[i], expected_minutes[i]);
        }
        UnitCandle m = RowUnits(minute_rows[i], bybit, pd, qd);
        if (bybit) {  // not served by Bybit: from ExpectedCandles (small, so exact as doubles)
          const FakeCandle& e = expected_minutes[i];
          m.trades = e.trades;
          m.taker_volume = std::llround(e.taker_buy_volume * 1e3);
          m.taker_quote_volume = std::llround(e.taker_buy_quote_volume * 1e5);
          ASSERT_EQ(UnitsValue(m.taker_volume, qd), e.taker_buy_volume);
          ASSERT_EQ(UnitsValue(m.taker_quote_volume, pd + qd), e.taker_buy_quote_volume);
        }
        minutes.emplace_back(RowOpen(minute_rows[i], bybit), m);
      }
      EXPECT_EQ(minutes.back().first, span.to / kMsPerMinute * kMsPerMinute);
      EXPECT_EQ(expected_minutes.back().closed, span.to != kNow) << where_span;

      for (const auto& [binance_iv, bybit_iv] : intervals) {
        const std::string iv = bybit ? bybit_iv : binance_iv;
        const std::string where = where_span + " " + iv;
        const std::map<int64_t, UnitCandle> sums = Aggregate(minutes, binance_iv);
        DLAKE_ASSERT_OK_AND_ASSIGN(
            auto expected, fake->ExpectedCandles(market, "BTCUSDT", iv, span.from, span.to));
        const std::vector<Json> rows =
            FetchKlines(*fake, market, "BTCUSDT", iv, span.from, span.to);
        ASSERT_EQ(rows.size(), expected.size()) << where;
        size_t whole = 0;
        for (size_t i = 0; i < expected.size(); ++i) {
          const FakeCandle& c = expected[i];
          ASSERT_EQ(RowOpen(rows[i], bybit), c.open_time_ms) << where;
          if (bybit) {
            ExpectBybitRow(rows[i], c);
          } else {
            ExpectBinanceRow(rows[i], c);
          }
          if (c.closed && c.close_time_ms > span.to) continue;  // runs past the span
          ++whole;
          const std::string at = where + " " + FormatTimestamp(c.open_time_ms);
          ASSERT_EQ(sums.count(c.open_time_ms), 1u) << at;
          const UnitCandle& sum = sums.at(c.open_time_ms);
          ExpectCandleIs(c, sum, pd, qd, at);
          UnitCandle served = RowUnits(rows[i], bybit, pd, qd);
          if (bybit) {
            served.trades = sum.trades;
            served.taker_volume = sum.taker_volume;
            served.taker_quote_volume = sum.taker_quote_volume;
          }
          EXPECT_EQ(served, sum) << at;
        }
        EXPECT_EQ(whole, span.whole.at(binance_iv)) << where;
        if (span.to == kNow) {  // the open candle: the minutes so far, the last one partial
          ASSERT_FALSE(expected.empty()) << where;
          EXPECT_FALSE(expected.back().closed) << where;
          EXPECT_GT(expected.back().close_time_ms, kNow) << where;
          EXPECT_EQ(expected.back().close, expected_minutes.back().close) << where;
        }
      }
    }
  }
}

TEST(FakeExchangeAggregateTest, CoarseCandlesCoverOnlyTheMinutesThatExist) {
  // Listed 2024-01-10 10:30, a 2 h outage on 2024-01-11, two outages back to back covering the
  // hour 2024-01-12 05:00 exactly, delisted 2024-01-20 07:15: coarse candles sum what exists.
  FakeExchangeOptions options = HistoryOptions();
  FakeSymbol& s = options.symbols[0];
  const int64_t jan12 = k20240101 + 11 * kMsPerDay;
  s.downtime.push_back(
      {jan12 + 5 * kMsPerHour - 20 * kMsPerMinute, jan12 + 5 * kMsPerHour + 30 * kMsPerMinute});
  s.downtime.push_back({jan12 + 5 * kMsPerHour + 30 * kMsPerMinute, jan12 + 6 * kMsPerHour});
  s.delist_ms = k20240101 + 19 * kMsPerDay + 7 * kMsPerHour + 15 * kMsPerMinute;
  auto fake = StartFake(options);
  const int pd = s.price_decimals, qd = s.qty_decimals;
  const int64_t from = k20240101, to = k20240101 + 31 * kMsPerDay - 1;
  for (FakeMarket market : {FakeMarket::kBinanceSpot, FakeMarket::kBybitLinear}) {
    const bool bybit = IsBybitMarket(market);
    DLAKE_ASSERT_OK_AND_ASSIGN(
        auto expected_minutes,
        fake->ExpectedCandles(market, "NEWUSDT", bybit ? "1" : "1m", from, to));
    ASSERT_FALSE(expected_minutes.empty());
    EXPECT_EQ(expected_minutes.front().open_time_ms, s.listing_ms);
    EXPECT_EQ(expected_minutes.back().open_time_ms, s.delist_ms - kMsPerMinute);
    std::vector<std::pair<int64_t, UnitCandle>> minutes;
    for (const FakeCandle& e : expected_minutes) {
      UnitCandle m{.open = std::llround(e.open * 1e4),
                   .high = std::llround(e.high * 1e4),
                   .low = std::llround(e.low * 1e4),
                   .close = std::llround(e.close * 1e4),
                   .volume = std::llround(e.volume * 1e1),
                   .quote_volume = std::llround(e.quote_volume * 1e5),
                   .trades = e.trades,
                   .taker_volume = std::llround(e.taker_buy_volume * 1e1),
                   .taker_quote_volume = std::llround(e.taker_buy_quote_volume * 1e5)};
      ASSERT_EQ(UnitsValue(m.close, pd), e.close);
      ASSERT_EQ(UnitsValue(m.quote_volume, pd + qd), e.quote_volume);
      minutes.emplace_back(e.open_time_ms, m);
    }
    const std::vector<std::pair<std::string, std::string>> intervals = {
        {"1h", "60"}, {"4h", "240"}, {"1d", "D"}, {"1w", "W"}, {"1M", "M"}};
    for (const auto& [binance_iv, bybit_iv] : intervals) {
      const std::string iv = bybit ? bybit_iv : binance_iv;
      const std::map<int64_t, UnitCandle> sums = Aggregate(minutes, binance_iv);
      DLAKE_ASSERT_OK_AND_ASSIGN(auto expected,
                                 fake->ExpectedCandles(market, "NEWUSDT", iv, from, to));
      std::vector<int64_t> opens, sum_opens;
      for (const FakeCandle& c : expected) opens.push_back(c.open_time_ms);
      for (const auto& [open, sum] : sums) {
        if (open >= from) sum_opens.push_back(open);
      }
      EXPECT_EQ(opens, sum_opens) << iv;  // no candle without minutes, none missing
      for (const FakeCandle& c : expected) {
        if (sums.count(c.open_time_ms) == 0) continue;
        ExpectCandleIs(c, sums.at(c.open_time_ms), pd, qd,
                       iv + " " + FormatTimestamp(c.open_time_ms));
      }
      if (binance_iv == "1h") {
        EXPECT_EQ(sums.count(jan12 + 5 * kMsPerHour), 0u);  // its minutes all in outages
        EXPECT_EQ(expected.front().open_time_ms, s.listing_ms - 30 * kMsPerMinute);
        EXPECT_EQ(expected.front().open, UnitsValue(sums.begin()->second.open, pd));
      }
    }
    // Bybit over HTTP: the hour the outages cover is missing there too.
    if (bybit) {
      Got got =
          Fetch(*fake, "/v5/market/kline?category=linear&symbol=NEWUSDT&interval=60&limit=2&end=" +
                           std::to_string(jan12 + 6 * kMsPerHour));
      const Json& list = got.json["result"]["list"];
      ASSERT_EQ(list.size(), 2u);
      EXPECT_EQ(list[0][0], std::to_string(jan12 + 6 * kMsPerHour));
      EXPECT_EQ(list[1][0], std::to_string(jan12 + 4 * kMsPerHour));
    }
  }
}

// Pages of up to 1000 1d, 1w and 1M candles come quickly: each closed day is summed once from
// its minutes (by hours) and cached, so the first page of a series costs ~0.1 us per minute of
// history it covers and later pages almost nothing.
TEST(FakeExchangeAggregateTest, ThousandCandlePagesAreQuick) {
  auto timed = [](const FakeExchange& fake, const std::string& query, size_t rows) {
    const auto start = std::chrono::steady_clock::now();
    Got got = Fetch(fake, "/api/v3/klines?symbol=BTCUSDT&limit=1000&" + query, 60'000);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.json.size(), rows) << query;
    std::cout << "[ timing ] " << query << ": " << ms << " ms\n";
    return ms;
  };
  const std::string days = "interval=1d&startTime=" + std::to_string(kNow - 1000 * kMsPerDay);
  {
    auto fake = StartFake();  // cold: 1000 days, 1.44 million minutes
    EXPECT_LT(timed(*fake, days, 1000), 5000);
    EXPECT_LT(timed(*fake, days, 1000), 1000);  // warm
  }
  auto fake = StartFake();  // cold: every month since listing (2020-01 to 2024-06)
  EXPECT_LT(timed(*fake, "interval=1M&startTime=0", 54), 5000);
  EXPECT_LT(timed(*fake, "interval=1M&startTime=0", 54), 1000);
  EXPECT_LT(timed(*fake, "interval=1w&startTime=0", 231), 1000);
  EXPECT_LT(timed(*fake, days, 1000), 1000);
}

// ---- Rate limits (real clock, scaled windows) ----

// Sleeps until just after the start of a calendar window, so a burst stays inside one window.
void WaitForWindowStart(int64_t window_ms) {
  using namespace std::chrono;
  const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(milliseconds(window_ms - now % window_ms + 20));
}

TEST(FakeExchangeLimitTest, BinanceWeightThen429Then418) {
  auto fake = StartFake(
      {.binance_window_ms = 2000, .binance_spot_weight_limit = 10, .binance_ban_ms = 1500});
  const std::string klines = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1";
  WaitForWindowStart(2000);
  for (int i = 1; i <= 5; ++i) {
    Got got = Fetch(*fake, klines);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.Header("X-MBX-USED-WEIGHT-1M"), std::to_string(2 * i));
    EXPECT_EQ(got.Header("X-MBX-USED-WEIGHT"), std::to_string(2 * i));
  }
  EXPECT_EQ(fake->UsedInWindow(FakeApi::kBinanceSpot), 10);
  Got limited = Fetch(*fake, klines);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.json["code"], -1003);
  EXPECT_THAT(limited.json["msg"].get<std::string>(),
              HasSubstr("current limit is 10 request weight per 2 SECOND"));
  const int retry_after = std::atoi(limited.Header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 2);
  EXPECT_FALSE(limited.Header("X-MBX-USED-WEIGHT-1M").empty());

  Got banned = Fetch(*fake, klines);  // ignoring the 429
  EXPECT_EQ(banned.status, 418);
  EXPECT_EQ(banned.json["code"], -1003);
  EXPECT_THAT(banned.json["msg"].get<std::string>(), HasSubstr("IP banned until"));
  EXPECT_EQ(banned.Header("Retry-After"), "2");  // 1.5 s, rounded up
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1").status, 200);

  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // ban over, new window
  Got again = Fetch(*fake, klines);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.Header("X-MBX-USED-WEIGHT-1M"), "2");
  const FakeExchangeStats stats = fake->Stats();
  EXPECT_EQ(stats.sent_429, 1);
  EXPECT_EQ(stats.sent_418, 1);
  EXPECT_EQ(stats.binance_spot_peak_window_weight, 12);  // the 429'd request counted too
}

TEST(FakeExchangeLimitTest, WeightsPerEndpoint) {
  auto fake = StartFake();
  struct Case {
    std::string target;
    int weight;
  };
  const std::vector<Case> cases = {
      {"/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000", 2},
      {"/api/v3/exchangeInfo", 20},
      {"/fapi/v1/exchangeInfo", 1},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=99", 1},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=100", 2},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=499", 2},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m", 5},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000", 5},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1001", 10},
      {"/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500", 10},
      {"/fapi/v1/fundingRate?symbol=BTCUSDT", 0},
      {"/api/v3/klines?symbol=NOPE&interval=1m", 2},  // errors are charged too
  };
  for (const Case& c : cases) {
    fake->ResetLimits();
    Got got = Fetch(*fake, c.target);
    EXPECT_EQ(got.Header("X-MBX-USED-WEIGHT-1M"), std::to_string(c.weight)) << c.target;
  }
  EXPECT_EQ(
      Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1").Header("X-MBX-USED-WEIGHT-1M"),
      "");
}

TEST(FakeExchangeLimitTest, UsdmFundingHasItsOwnBucket) {
  auto fake = StartFake({.binance_window_ms = 60'000, .binance_usdm_funding_requests = 3});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Fetch(*fake, "/fapi/v1/fundingRate?limit=1").status, 200);
  Got limited = Fetch(*fake, "/fapi/v1/fundingRate?limit=1");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.json["code"], -1003);
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1").status, 200);
}

TEST(FakeExchangeLimitTest, UsdmRetryAfterSwitch) {
  auto fake = StartFake({.binance_usdm_weight_limit = 1, .binance_usdm_retry_after = false});
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").status, 200);
  Got limited = Fetch(*fake, "/fapi/v1/exchangeInfo");
  if (limited.status == 200) limited = Fetch(*fake, "/fapi/v1/exchangeInfo");  // window rolled
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "");
}

TEST(FakeExchangeLimitTest, BybitIpLimitGives403AndABan) {
  auto fake = StartFake({.bybit_window_ms = 1000,
                         .bybit_request_limit = 5,
                         .bybit_ban_ms = 1500,
                         .bybit_limit_headers = true});
  const std::string kline = "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=1";
  WaitForWindowStart(1000);
  for (int i = 1; i <= 5; ++i) {
    Got got = Fetch(*fake, kline);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.Header("X-Bapi-Limit-Status"), std::to_string(5 - i));
  }
  Got flood = Fetch(*fake, kline);
  EXPECT_EQ(flood.status, 403);
  EXPECT_THAT(flood.body, HasSubstr("access too frequent"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // new window, still banned
  EXPECT_EQ(Fetch(*fake, kline).status, 403);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the ban is over
  EXPECT_EQ(Fetch(*fake, kline).status, 200);
  EXPECT_EQ(fake->Stats().sent_403, 2);
}

// ---- Failure switches ----

TEST(FakeExchangeFaultTest, HttpErrorsForTheNextRequests) {
  auto fake = StartFake();
  const std::string klines = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1";
  fake->InjectFault({.kind = FaultKind::kHttpError, .count = 2, .status = 503});
  for (int i = 0; i < 2; ++i) {
    Got got = Fetch(*fake, klines);
    EXPECT_EQ(got.status, 503);
    EXPECT_EQ(got.json["code"], -1008);
  }
  EXPECT_EQ(Fetch(*fake, klines).status, 200);

  fake->InjectFault({.kind = FaultKind::kHttpError, .status = 502, .html = true});
  Got html = Fetch(*fake, klines);
  EXPECT_EQ(html.status, 502);
  EXPECT_EQ(html.Header("Content-Type"), "text/html");
  EXPECT_THAT(html.body, HasSubstr("502 Bad Gateway"));
  EXPECT_TRUE(html.json.is_discarded());

  fake->InjectFault({.kind = FaultKind::kHttpError, .status = 408});
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").json["code"], -1007);
  fake->InjectFault({.kind = FaultKind::kHttpError, .status = 504});
  Got bybit = Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1");
  EXPECT_EQ(bybit.status, 504);
  EXPECT_EQ(bybit.json["retCode"], 10016);
  EXPECT_EQ(fake->Stats().faults_applied, 5);
}

TEST(FakeExchangeFaultTest, SlowResponsesTripClientTimeouts) {
  auto fake = StartFake();
  fake->InjectFault({.kind = FaultKind::kSlow, .delay_ms = 1000});
  const auto start = std::chrono::steady_clock::now();
  Got slow = Fetch(*fake, "/fapi/v1/exchangeInfo", /*read_timeout_ms=*/200);
  EXPECT_FALSE(slow.ok);
  EXPECT_EQ(slow.error, httplib::Error::Read);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo", 200).status, 200);

  fake->InjectFault({.kind = FaultKind::kSlow, .delay_ms = 300});
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").status, 200);  // slow but complete
}

TEST(FakeExchangeFaultTest, BrokenConnectionsAndBodies) {
  auto fake = StartFake();
  const std::string klines = "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=50";
  fake->InjectFault({.kind = FaultKind::kDropConnection});
  Got dropped = Fetch(*fake, klines);
  EXPECT_FALSE(dropped.ok);
  fake->InjectFault({.kind = FaultKind::kResetConnection});
  Got reset = Fetch(*fake, klines);
  EXPECT_FALSE(reset.ok);
  fake->InjectFault({.kind = FaultKind::kCutBody});
  Got cut = Fetch(*fake, klines);
  EXPECT_FALSE(cut.ok && cut.json.is_array());

  fake->InjectFault({.kind = FaultKind::kTruncatedBody});
  Got truncated = Fetch(*fake, klines);
  EXPECT_EQ(truncated.status, 200);
  EXPECT_TRUE(truncated.json.is_discarded());
  EXPECT_EQ(truncated.body.front(), '[');

  fake->InjectFault({.kind = FaultKind::kHtmlOk});
  Got html = Fetch(*fake, klines);
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.Header("Content-Type"), "text/html");
  EXPECT_TRUE(html.json.is_discarded());

  Got fine = Fetch(*fake, klines);
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.json.size(), 50u);
}

TEST(FakeExchangeFaultTest, ForcedRateLimitsAndBans) {
  auto fake = StartFake();
  const std::string spot = "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1";
  fake->InjectFault({.kind = FaultKind::kTooManyRequests, .retry_after_s = 7});
  Got limited = Fetch(*fake, spot);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.Header("Retry-After"), "7");
  EXPECT_EQ(limited.json, Sample("binance/error_429_sapi.recorded.json"));
  EXPECT_EQ(Fetch(*fake, spot).status, 200);  // a forced 429 does not escalate

  fake->InjectFault({.kind = FaultKind::kTooManyRequests, .path_prefix = "/v5/"});
  Got visits = Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1");
  EXPECT_EQ(visits.status, 200);
  EXPECT_EQ(visits.json["retCode"], 10006);
  EXPECT_EQ(visits.json["retMsg"], "Too many visits!");

  fake->Ban(FakeApi::kBinanceUsdm, 1500);
  Got banned = Fetch(*fake, "/fapi/v1/exchangeInfo");
  EXPECT_EQ(banned.status, 418);
  EXPECT_EQ(banned.Header("Retry-After"), "2");
  EXPECT_EQ(Fetch(*fake, spot).status, 200);  // spot is another host
  fake->Ban(FakeApi::kBybit, 60'000);
  EXPECT_EQ(Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1").status, 403);
  fake->ResetLimits();
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").status, 200);
  EXPECT_EQ(Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1").status, 200);
  const FakeExchangeStats stats = fake->Stats();
  EXPECT_EQ(stats.sent_429, 1);
  EXPECT_EQ(stats.sent_418, 1);
  EXPECT_EQ(stats.sent_403, 1);
}

TEST(FakeExchangeFaultTest, UnknownSymbolAndInterval) {
  auto fake = StartFake();
  Got natural = Fetch(*fake, "/api/v3/klines?symbol=NOPEUSDT&interval=1m");
  EXPECT_EQ(natural.status, 400);
  EXPECT_EQ(natural.json, Sample("binance/error_invalid_symbol.docs.json"));
  fake->InjectFault({.kind = FaultKind::kUnknownSymbol});
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/klines?symbol=BTCUSDT&interval=1m").json["code"], -1121);
  Got bybit = Fetch(*fake, "/v5/market/kline?category=linear&symbol=NOPEUSDT&interval=1");
  EXPECT_EQ(bybit.status, 200);
  EXPECT_EQ(bybit.json["retCode"], 10001);
  EXPECT_EQ(Keys(bybit.json),
            (std::vector<std::string>{"retCode", "retMsg", "result", "retExtInfo", "time"}));
  fake->InjectFault({.kind = FaultKind::kUnknownSymbol});
  EXPECT_EQ(Fetch(*fake, "/v5/market/kline?symbol=BTCUSDT&interval=1").json["retCode"], 10001);

  Got interval = Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=7m");
  EXPECT_EQ(interval.status, 400);
  EXPECT_EQ(interval.json["code"], -1120);
  EXPECT_EQ(interval.json["msg"], "Invalid interval.");
  fake->InjectFault({.kind = FaultKind::kInvalidInterval});
  EXPECT_EQ(Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m").json["code"], -1120);
}

TEST(FakeExchangeFaultTest, WrongTypesBreakEachEndpointAsTheTableSays) {
  auto fake = StartFake();
  auto broken = [&](const std::string& target, WrongType kind) {
    fake->InjectFault({.kind = FaultKind::kWrongTypes, .wrong_type = kind});
    Got got = Fetch(*fake, target);
    EXPECT_EQ(got.status, 200) << target;
    EXPECT_FALSE(got.json.is_discarded()) << target << ": " << got.body;
    return got.json;
  };
  const std::string klines = "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=5";
  EXPECT_TRUE(broken(klines, WrongType::kContainer)["data"].is_array());
  EXPECT_TRUE(broken(klines, WrongType::kRow)[0].is_object());
  Json field = broken(klines, WrongType::kField);
  EXPECT_TRUE(field[0][0].is_object());
  EXPECT_TRUE(field[1][0].is_number_integer());  // only the first row

  const std::string info = "/fapi/v1/exchangeInfo";
  EXPECT_EQ(broken(info, WrongType::kContainer)["symbols"], 3);
  EXPECT_EQ(broken(info, WrongType::kRow)["symbols"][0], "BTCUSDT");
  EXPECT_EQ(broken(info, WrongType::kField)["rateLimits"][0]["limit"], "x");

  const std::string funding = "/fapi/v1/fundingRate?symbol=BTCUSDT&limit=3";
  EXPECT_TRUE(broken(funding, WrongType::kContainer).is_object());
  EXPECT_TRUE(broken(funding, WrongType::kRow)[0].is_array());
  EXPECT_TRUE(broken(funding, WrongType::kField)[0]["fundingTime"].is_object());

  const std::string kline = "/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=5";
  EXPECT_TRUE(broken(kline, WrongType::kContainer)["result"].is_array());
  EXPECT_TRUE(broken(kline, WrongType::kRow)["result"]["list"][0].is_object());
  EXPECT_TRUE(broken(kline, WrongType::kField)["result"]["list"][0][4].is_array());

  const std::string instruments = "/v5/market/instruments-info?category=linear";
  EXPECT_TRUE(broken(instruments, WrongType::kContainer)["result"].is_array());
  EXPECT_EQ(broken(instruments, WrongType::kRow)["result"]["list"][0], "BTCUSDT");
  EXPECT_EQ(broken(instruments, WrongType::kField)["result"]["list"][0]["symbol"], 5);

  const std::string history = "/v5/market/funding/history?category=linear&symbol=BTCUSDT";
  EXPECT_TRUE(broken(history, WrongType::kContainer)["result"].is_array());
  EXPECT_TRUE(broken(history, WrongType::kRow)["result"]["list"][0].is_array());
  EXPECT_TRUE(
      broken(history, WrongType::kField)["result"]["list"][0]["fundingRateTimestamp"].is_object());

  // No rows: the container breaks instead. An error answer is sent unchanged.
  const std::string empty = "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&endTime=1000";
  EXPECT_TRUE(broken(empty, WrongType::kField).is_object());
  fake->InjectFault({.kind = FaultKind::kWrongTypes, .wrong_type = WrongType::kRow});
  EXPECT_EQ(Fetch(*fake, "/api/v3/klines?symbol=NOPEUSDT&interval=1m").json["code"], -1121);

  fake->InjectFault({.kind = FaultKind::kWrongTypes, .wrong_type = WrongType::kErrorMessage});
  Got message = Fetch(*fake, klines);
  EXPECT_EQ(message.status, 400);
  EXPECT_EQ(message.json["msg"], 5);
  fake->InjectFault({.kind = FaultKind::kWrongTypes, .wrong_type = WrongType::kErrorMessage});
  Got ret_msg = Fetch(*fake, kline);
  EXPECT_EQ(ret_msg.status, 200);
  EXPECT_EQ(ret_msg.json["retCode"], 10001);
  EXPECT_EQ(ret_msg.json["retMsg"], 5);
  EXPECT_EQ(fake->Stats().faults_applied, 22);
}

TEST(FakeExchangeFaultTest, PathPrefixAndPersistentFaults) {
  auto fake = StartFake();
  fake->InjectFault({.kind = FaultKind::kHttpError, .count = -1, .path_prefix = "/fapi/"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").status, 500);
  EXPECT_EQ(Fetch(*fake, "/api/v3/exchangeInfo").status, 200);
  fake->ClearFaults();
  EXPECT_EQ(Fetch(*fake, "/fapi/v1/exchangeInfo").status, 200);
}

TEST(FakeExchangeFaultTest, SwitchesFlipWhileRequestsRun) {
  auto fake = StartFake();
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=5").ok) ++answered;
      }
    });
  }
  for (int i = 0; i < 20; ++i) {
    fake->InjectFault({.kind = FaultKind::kHttpError, .status = 500});
    fake->SetNow(kNow + i * kMsPerSecond);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(answered, 100);
  EXPECT_EQ(fake->Stats().requests, 100);
}

// ---- Counters, start and stop ----

TEST(FakeExchangeServerTest, CountsRequestsAndRecordsTargets) {
  auto fake = StartFake();
  Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067200000&limit=2");
  Fetch(*fake, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067260001&limit=2");
  Fetch(*fake, "/v5/market/instruments-info?category=spot");
  Fetch(*fake, "/nowhere");
  const FakeExchangeStats stats = fake->Stats();
  EXPECT_EQ(stats.requests, 3);  // unknown paths are 404s outside the APIs
  EXPECT_EQ(stats.requests_by_path.at("/api/v3/klines"), 2);
  EXPECT_EQ(stats.requests_by_path.at("/v5/market/instruments-info"), 1);
  ASSERT_EQ(stats.targets.size(), 3u);
  EXPECT_EQ(stats.targets[1],
            "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1704067260001&limit=2");
  EXPECT_EQ(stats.binance_spot_weight, 4);
  fake->ResetStats();
  EXPECT_EQ(fake->Stats().requests, 0);
}

TEST(FakeExchangeServerTest, StartsOnFreePortsAndStopsQuickly) {
  auto a = StartFake();
  auto b = StartFake();
  EXPECT_NE(a->port(), b->port());
  EXPECT_EQ(a->base_url(), "http://127.0.0.1:" + std::to_string(a->port()));

  // An idle keep-alive connection and a slow response in flight do not hold up the destructor.
  httplib::Client keep(a->base_url());
  keep.set_keep_alive(true);
  ASSERT_TRUE(keep.Get("/fapi/v1/exchangeInfo"));
  b->InjectFault({.kind = FaultKind::kSlow, .delay_ms = 20'000});
  std::thread waiting([&] { Fetch(*b, "/fapi/v1/exchangeInfo", 30'000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto start = std::chrono::steady_clock::now();
  a.reset();
  b.reset();
  waiting.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(FakeExchangeServerTest, RejectsBadOptionsAndQueries) {
  FakeExchangeOptions options;
  options.symbols[0].qty_decimals = 8;  // with 2 price decimals: quote amounts need 10
  EXPECT_THAT(FakeExchange::Start(options).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("BTCUSDT")));
  auto fake = StartFake();
  EXPECT_THAT(fake->ExpectedCandles(FakeMarket::kBinanceSpot, "NOPE", "1m", 0, 1).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("NOPE")));
  EXPECT_THAT(fake->ExpectedCandles(FakeMarket::kBinanceUsdm, "BTCUSDT", "1s", 0, 1).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("1s")));
  EXPECT_THAT(fake->ExpectedFunding(FakeMarket::kBinanceSpot, "BTCUSDT", 0, 1).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("spot")));
}

}  // namespace
}  // namespace dlake::testing
