#pragma once
// The fake exchange's market data (see fake_exchange.h): decimal text, candle intervals and the
// deterministic price, candle and funding series of one symbol on one market. Private to the
// fake exchange's files; no HTTP here.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "testing/fake_exchange.h"

namespace dlake::testing::fake_exchange_internal {

inline constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 4;
inline constexpr int64_t kFarFuture = 253402300799999;  // 9999-12-31T23:59:59.999Z

int64_t FloorDiv(int64_t a, int64_t b);
int64_t CeilDiv(int64_t a, int64_t b);

// ---- Decimal text ----

int64_t Pow10(int n);
// `units` x 10^-scale written with `decimals` (>= scale) digits after the point.
std::string FormatFixed(int64_t units, int scale, int decimals);
// The shortest text of the value, as Bybit writes numbers: "17071", "28959.94".
std::string FormatTrimmed(int64_t units, int scale);
// The double a client gets by parsing the decimal text.
double DecimalValue(int64_t units, int scale);

// ---- Intervals ----

enum class Calendar { kFixed, kWeek, kMonth };

struct Interval {
  Calendar calendar = Calendar::kFixed;
  int64_t ms = 0;  // length; 0 for months
};

// `name` in the notation of `market` ("1m"/"1M" on Binance, "1"/"D"/"M" on Bybit).
std::optional<Interval> ParseInterval(FakeMarket market, std::string_view name);
// Open time of the candle holding `t`. Fixed intervals (3d too, [I]) align to the epoch, weeks
// to Monday 00:00 UTC, months to the 1st, as both exchanges do.
int64_t AlignDown(const Interval& iv, int64_t t);
int64_t NextOpen(const Interval& iv, int64_t open);
int64_t PrevOpen(const Interval& iv, int64_t open);
int64_t AlignUp(const Interval& iv, int64_t t);

// ---- Deterministic market data ----

// Candle numbers as integers: prices in ticks, quantities in lots, quote amounts in
// 10^-(price_decimals + qty_decimals).
struct CandleUnits {
  int64_t open_ms = 0, close_ms = 0;
  int64_t open = 0, high = 0, low = 0, close = 0;
  int64_t volume = 0, quote_volume = 0, trades = 0, taker_volume = 0, taker_quote_volume = 0;
  bool closed = true;
};

// The price history of one symbol on one market. Keeps a reference to `symbol`.
class Series {
 public:
  Series(const FakeSymbol& symbol, FakeMarket market);

  const FakeSymbol& symbol() const { return symbol_; }
  FakeMarket market() const { return market_; }

  // Slow waves (a year, a week, a day) plus noise per minute and per second: continuous enough
  // for realistic candles, and a pure function of t.
  int64_t PriceTicks(int64_t t) const;

  bool InDowntime(int64_t open, int64_t next, const FakeTimeRange** range) const;

  // The open times of existing candles from `from_open` (aligned) up to `to_time`, ascending.
  std::vector<int64_t> OpensAscending(const Interval& iv, int64_t from_open, int64_t to_time,
                                      size_t limit, int64_t now) const;

  // The open times of existing candles at or before `to_time` down to `from_open`, newest first.
  std::vector<int64_t> OpensDescending(const Interval& iv, int64_t to_time, int64_t from_open,
                                       size_t limit, int64_t now) const;

  // open = price at the open, close = price at the next open (or now while the candle is open),
  // so consecutive candles join up and coarser candles share opens with finer ones.
  CandleUnits Candle(const Interval& iv, int64_t open, int64_t now) const;

  // ---- Funding: at multiples of the funding interval from listing, up to now ----

  std::vector<int64_t> FundingAscending(int64_t from, int64_t to, size_t limit, int64_t now) const;

  std::vector<int64_t> FundingDescending(int64_t to, int64_t from, size_t limit, int64_t now) const;

  // The rate in units of 1e-8: 0.0001 on average, between -0.0001 and 0.0003.
  int64_t FundingRateUnits(int64_t t) const;

 private:
  int64_t LastTradeMs() const { return symbol_.delist_ms > 0 ? symbol_.delist_ms - 1 : kFarFuture; }
  int64_t FirstFundingMs() const {
    return CeilDiv(symbol_.listing_ms, symbol_.funding_interval_ms) * symbol_.funding_interval_ms;
  }

  const FakeSymbol& symbol_;
  const FakeMarket market_;
  const uint64_t seed_;
};

FakeCandle ToFakeCandle(const CandleUnits& c, const FakeSymbol& s);

}  // namespace dlake::testing::fake_exchange_internal
