#pragma once
// FakeExchange: the Binance (spot, USD-M) and Bybit v5 market REST endpoints the downloader uses,
// served over real HTTP on 127.0.0.1 (a free port) for tests and benchmarks.
//
// One server answers all three APIs on their real paths, so a client reaches it by swapping the
// host part of its base URLs for base_url():
//   Binance spot   GET /api/v3/klines, /api/v3/exchangeInfo
//   Binance USD-M  GET /fapi/v1/klines, /fapi/v1/exchangeInfo, /fapi/v1/fundingRate
//   Bybit v5       GET /v5/market/kline, /v5/market/instruments-info, /v5/market/funding/history
// Formats, ordering, paging, weights and errors follow ../shared/specs/exchange-apis.md §1-4
// and the payloads in ../shared/api-samples; facts tagged [U] there are switches in the options.
//
// Market data is generated, never stored: a candle is a pure function of (market, symbol,
// interval, open time) and, for the still-open last candle only, of "now". As on the real
// exchanges, every interval coarser than 1m is the exact aggregate of the 1m candles it covers
// (first open, max high, min low, last close, summed quantities and trades). ExpectedCandles() and
// ExpectedFunding() return exactly what the endpoints serve, so tests compute expectations with
// them instead of hard-coding numbers.
//
// Typical use:
//   auto fake = FakeExchange::Start({.now_ms = kNow, .binance_window_ms = 2000}).value();
//   ... point the client at fake->base_url(), download ...
//   auto want = fake->ExpectedCandles(FakeMarket::kBinanceUsdm, "BTCUSDT", "1m", from, to);
//   EXPECT_EQ(fake->Stats().sent_429, 0);
//
// Rate limits run on the real (system) clock in fixed calendar windows, scaled by the options so
// that tests exhaust them in seconds. Market data runs on the market clock (Now()), fixed or the
// system clock, independent of the rate-limit clock.
//
// Thread safety: every method may be called from any thread while requests are served.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"
#include "dlake/common/time.h"

namespace dlake::testing {

// A market a fake symbol trades on. Each market has its own price series (a perpetual and its
// spot pair differ slightly, as on real venues), so data mixed up between markets shows in tests.
enum class FakeMarket { kBinanceSpot, kBinanceUsdm, kBybitSpot, kBybitLinear, kBybitInverse };

// A rate-limit domain: Binance spot and USD-M are separate hosts with separate weight budgets;
// Bybit limits per IP across all categories.
enum class FakeApi { kBinanceSpot, kBinanceUsdm, kBybit };

// Half-open interval of time [start_ms, end_ms).
struct FakeTimeRange {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
};

// A symbol and its history. A 1m (1s) candle exists when its interval overlaps
// [listing_ms, delist_ms) and has opened by Now(), unless it lies entirely inside a downtime
// range; missing ones have no filler. A coarser candle exists when it holds an existing 1m candle
// and sums only those (so a daily candle survives a two-hour outage, without those two hours).
// Funding happens at every multiple of funding_interval_ms in [listing_ms, delist_ms), downtime
// or not.
struct FakeSymbol {
  std::string symbol;  // native id, e.g. "BTCUSDT" (Bybit inverse: "BTCUSD")
  std::string base;    // "BTC"
  std::string quote;   // "USDT"
  std::vector<FakeMarket> markets;
  int64_t listing_ms = 0;  // first trade; also USD-M onboardDate and Bybit launchTime
  int64_t delist_ms = 0;   // 0: still trading. Later candles and funding do not exist.
  std::vector<FakeTimeRange> downtime;
  double base_price = 100.0;                     // the price series oscillates around it
  int price_decimals = 2;                        // tick = 10^-price_decimals
  int qty_decimals = 3;                          // lot step; price_decimals + qty_decimals <= 8
  double volume_per_minute = 5.0;                // base asset, on average
  int64_t funding_interval_ms = 8 * kMsPerHour;  // funding at multiples of it from the epoch
};

// BTCUSDT (Binance spot+USD-M, Bybit spot+linear; listed 2020-01-01), ETHUSDT (the same markets;
// listed 2020-06-01 12:30 UTC, off any candle boundary) and BTCUSD (Bybit inverse; 2020-01-01).
std::vector<FakeSymbol> DefaultFakeSymbols();

// What the server does with a `limit` above the documented maximum: [U] for both exchanges.
enum class OverMaxLimit {
  kClamp,  // serve the maximum
  kError,  // Binance 400 -1130; Bybit retCode 10001
};

// Which candles (funding rows) Bybit keeps when `start` is given and [start, end or now] holds
// more than `limit`: [U]. Without `start` both serve the newest up to end (or now).
enum class RangeAnchor {
  kStart,  // the oldest `limit` from start (pybit #186: start=9999&limit=1 gives the first candle)
  kEnd,    // the newest `limit` up to end (or now)
};

struct FakeExchangeOptions {
  std::vector<FakeSymbol> symbols = DefaultFakeSymbols();
  // Market clock in ms; 0 follows the system clock. SetNow() changes it later.
  int64_t now_ms = 0;

  // ---- Binance ----
  int64_t binance_window_ms = 60'000;        // REQUEST_WEIGHT window (real: 1 minute)
  int64_t binance_spot_weight_limit = 6000;  // per window (real spot limit)
  int64_t binance_usdm_weight_limit = 2400;  // per window (real USD-M limit)
  // /fapi/v1/fundingRate: its own bucket of requests per 5 windows (real: 500 per 5 min) and a
  // REQUEST_WEIGHT of 0 ([U]: the docs name only the bucket; an older page says weight 0).
  int64_t binance_usdm_funding_requests = 500;
  int64_t binance_usdm_funding_weight = 0;
  // After a 429, the n-th further request in the same window draws a 418 ban.
  int binance_requests_after_429_before_ban = 1;
  int64_t binance_ban_ms = 120'000;  // 418 ban length (real: 2 minutes to 3 days)
  OverMaxLimit binance_over_max_limit = OverMaxLimit::kClamp;  // [U]
  bool binance_usdm_retry_after = true;  // [U] USD-M docs do not mention Retry-After
  // [U] rows of /fapi/v1/fundingRate without startTime/endTime: 0 = `limit` (English docs),
  // e.g. 200 (the zh-CN page).
  int binance_funding_recent_rows = 0;

  // ---- Bybit ----
  int64_t bybit_window_ms = 5000;     // per-IP window (real: 5 s)
  int64_t bybit_request_limit = 600;  // requests per window (real: 600)
  int64_t bybit_ban_ms = 600'000;     // 403 "access too frequent" for this long (real: >= 10 min)
  OverMaxLimit bybit_over_max_limit = OverMaxLimit::kClamp;  // [U]
  RangeAnchor bybit_kline_anchor = RangeAnchor::kStart;      // [U]
  RangeAnchor bybit_funding_anchor = RangeAnchor::kEnd;      // [U]
  bool bybit_limit_headers = false;  // [U] X-Bapi-Limit* headers on public GETs

  // ---- Server ----
  int threads = 16;  // concurrent connections served (an idle keep-alive one holds a thread)
};

// A candle as served. Prices and volumes are the values of the decimal text the exchange sends
// (the nearest double to it), so values parsed from a response compare equal with ==.
// Bybit "volume"/"turnover" are `volume`/`quote_volume`; for inverse they are swapped (volume in
// quote currency, turnover in base), as Bybit does.
struct FakeCandle {
  int64_t open_time_ms = 0;
  int64_t close_time_ms = 0;  // next candle's open - 1; in the future for the open candle
  double open = 0, high = 0, low = 0, close = 0;
  double volume = 0;        // base asset
  double quote_volume = 0;  // quote asset
  int64_t trades = 0;
  double taker_buy_volume = 0;
  double taker_buy_quote_volume = 0;
  bool closed = true;  // false for the still-open last candle (close = the current price)
};

struct FakeFunding {
  int64_t time_ms = 0;
  double rate = 0;
  double mark_price = 0;  // Binance only
};

// A failure the next requests draw. Faults apply after rate limiting, first injected first.
enum class FaultKind {
  kHttpError,        // `status` with the API's JSON error body, or an HTML page when `html`
  kSlow,             // waits `delay_ms`, then answers normally (to trip client timeouts)
  kDropConnection,   // closes the connection before any byte of the response (curl: 52)
  kResetConnection,  // resets the connection (RST) before any byte of the response
  kTruncatedBody,    // the normal body cut in half; Content-Length matches the cut body
  kCutBody,          // headers announce the full body; the connection closes halfway
  kHtmlOk,           // HTTP 200 with an HTML page instead of JSON
  kTooManyRequests,  // Binance 429 -1003 + Retry-After (no 418 escalation follows);
                     // Bybit retCode 10006 "Too many visits!" (HTTP 200)
  kUnknownSymbol,    // Binance 400 -1121; Bybit retCode 10001 (HTTP 200)
  kInvalidInterval,  // Binance 400 -1120; Bybit retCode 10001 (HTTP 200)
  kWrongTypes,       // well-formed JSON whose fields have the wrong types (`wrong_type` says how)
};

// How a kWrongTypes fault breaks an answer: the endpoint's normal answer (HTTP 200), changed by
// endpoint as follows.
//                     kContainer        kRow                         kField
//   Binance klines    an object         the first kline an object    its open time {}
//   exchangeInfo      "symbols": 3      the symbols strings          REQUEST_WEIGHT "limit": "x"
//   fundingRate       an object         the first row an array       its "fundingTime": {}
//   Bybit kline       "result": []      the first kline an object    its close price []
//   instruments-info  "result": []      the list's entries strings   the first "symbol": 5
//   funding/history   "result": []      the first row an array       its "fundingRateTimestamp" {}
// An answer without rows gets kContainer instead of kRow or kField; an error answer (bad query)
// is sent unchanged. kErrorMessage replaces the answer with the API's error reply carrying a
// number as its message: Binance HTTP 400 {"code":-1121,"msg":5}, Bybit HTTP 200
// {"retCode":10001,"retMsg":5,...}.
enum class WrongType { kContainer, kRow, kField, kErrorMessage };

struct FaultSpec {
  FaultKind kind = FaultKind::kHttpError;
  int count = 1;            // requests it applies to; -1 = every request until ClearFaults()
  std::string path_prefix;  // only paths starting with it, e.g. "/fapi/"; "" = every path
  int status = 500;         // kHttpError: 500/502/503/504, 408 (Binance backend timeout), ...
  bool html = false;        // kHttpError: an HTML page (a proxy's) instead of JSON
  int delay_ms = 0;         // kSlow
  int retry_after_s = 1;    // kTooManyRequests
  WrongType wrong_type = WrongType::kField;  // kWrongTypes
};

struct FakeExchangeStats {
  int64_t requests = 0;
  std::map<std::string, int64_t> requests_by_path;  // "/api/v3/klines" -> count
  std::vector<std::string> targets;  // "path?query" of every request, in arrival order
  int64_t binance_spot_weight = 0;   // weight charged, all windows together
  int64_t binance_usdm_weight = 0;
  int64_t binance_spot_peak_window_weight = 0;  // the most weight any one window held
  int64_t binance_usdm_peak_window_weight = 0;
  int64_t sent_429 = 0;
  int64_t sent_418 = 0;
  int64_t sent_403 = 0;
  int64_t faults_applied = 0;
};

class FakeExchange {
 public:
  // Validates the options, binds 127.0.0.1 on a free port and serves on a background thread.
  static Result<std::unique_ptr<FakeExchange>> Start(FakeExchangeOptions options = {});

  // Stops serving, closes open keep-alive connections, wakes slow responses and joins the server
  // thread; returns in well under a second.
  ~FakeExchange();
  FakeExchange(const FakeExchange&) = delete;
  FakeExchange& operator=(const FakeExchange&) = delete;

  // "http://127.0.0.1:<port>", without a trailing slash.
  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }
  const FakeExchangeOptions& options() const { return options_; }

  // The market clock.
  int64_t Now() const;
  void SetNow(int64_t now_ms);

  // ---- Failure switches ----
  void InjectFault(FaultSpec fault);
  void ClearFaults();
  // Bans the IP now: Binance answers 418 with Retry-After, Bybit 403, for `duration_ms`.
  void Ban(FakeApi api, int64_t duration_ms);
  // Forgets bans, used weight and 429 state of every API.
  void ResetLimits();

  // ---- Counters ----
  FakeExchangeStats Stats() const;
  void ResetStats();
  // Weight (Binance) or requests (Bybit) counted in the current window.
  int64_t UsedInWindow(FakeApi api) const;

  // ---- Expected data ----
  // The candles of `symbol` on `market` whose open time is in [from_ms, to_ms], ascending, as the
  // endpoints serve them at Now(). `interval` uses the market's notation ("1m"/"1M" on Binance,
  // "1"/"D"/"M" on Bybit). NotFound for an unknown symbol, InvalidArgument for a bad interval.
  Result<std::vector<FakeCandle>> ExpectedCandles(FakeMarket market, std::string_view symbol,
                                                  std::string_view interval, int64_t from_ms,
                                                  int64_t to_ms) const;
  // The funding rows with time in [from_ms, to_ms], ascending. Derivative markets only.
  Result<std::vector<FakeFunding>> ExpectedFunding(FakeMarket market, std::string_view symbol,
                                                   int64_t from_ms, int64_t to_ms) const;

 private:
  struct State;
  explicit FakeExchange(FakeExchangeOptions options);

  const FakeExchangeOptions options_;
  std::unique_ptr<State> state_;
  int port_ = 0;
  std::string base_url_;
};

}  // namespace dlake::testing
