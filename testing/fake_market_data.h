#pragma once
// The fake exchange's market data (see fake_exchange.h): decimal text, candle intervals and the
// deterministic price, candle and funding series of one symbol on one market. Private to the
// fake exchange's files; no HTTP here.

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

  // A candle exists when it holds an existing 1m candle: one that has opened by `now`, overlaps
  // [listing, delisting) and does not lie entirely inside one downtime range.

  // The open times of existing candles from `from_open` (aligned) up to `to_time`, ascending.
  std::vector<int64_t> OpensAscending(const Interval& iv, int64_t from_open, int64_t to_time,
                                      size_t limit, int64_t now) const;

  // The open times of existing candles at or before `to_time` down to `from_open`, newest first.
  std::vector<int64_t> OpensDescending(const Interval& iv, int64_t to_time, int64_t from_open,
                                       size_t limit, int64_t now) const;

  // 1s and 1m candles are generated: open = price at the open, close = price at the next open
  // (or now while the candle is open), so consecutive candles join up; a still-open candle has
  // the volume of the part elapsed. Every coarser candle is, as on the real exchanges, the exact
  // aggregate of the existing 1m candles it covers (first open, max high, min low, last close,
  // sums of the quantities), the open one of those up to now. Built from cached closed days and
  // hours, so a page of 1000 1d, 1w or 1M candles stays fast.
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

  // A sum of 1m candles; `any` is false while it holds none.
  struct Sum {
    CandleUnits c;
    bool any = false;
    void Add(const CandleUnits& x);
  };
  // Closed days and hours by open time, for this series' candles at any now past their end.
  // Bounded: a map that outgrows its cap starts over.
  struct Cache {
    std::mutex mu;
    std::unordered_map<int64_t, Sum> days, hours;
  };

  // What the generated candles of one length share.
  struct Shape {
    Shape(const Series& s, int64_t length);
    uint64_t seed;
    double minutes;  // the length in minutes
    double wiggle;   // the largest wick, in ticks
  };

  // The generated candle of a 1s or 1m interval, given the prices at its open and close.
  CandleUnits Generated(const Shape& shape, int64_t length, int64_t open, int64_t now,
                        int64_t open_price, int64_t close_price) const;
  // Whether [open, next) holds an existing 1m candle.
  bool HasMinutes(int64_t open, int64_t next, int64_t now) const;
  // The sum of the existing 1m candles with open times in [from, to) (minute-aligned).
  Sum Minutes(int64_t from, int64_t to, int64_t now) const;
  Sum Hour(int64_t open, int64_t now, bool store) const;
  Sum Day(int64_t open, int64_t now) const;
  // The sum over [open, next): whole days, whole hours and minutes, whichever fit.
  Sum Range(int64_t open, int64_t next, int64_t now) const;

  const FakeSymbol& symbol_;
  const FakeMarket market_;
  const uint64_t seed_;
  const double phase_;                    // of the price waves
  const double price_scale_, qty_scale_;  // ticks and lots per unit
  const Shape minute_;
  std::unique_ptr<Cache> cache_ = std::make_unique<Cache>();
};

FakeCandle ToFakeCandle(const CandleUnits& c, const FakeSymbol& s);

}  // namespace dlake::testing::fake_exchange_internal
