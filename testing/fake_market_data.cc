#include "testing/fake_market_data.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <span>

#include "dlake/common/time.h"

namespace dlake::testing::fake_exchange_internal {
namespace {

constexpr int64_t kMondayOffsetMs = 4 * kMsPerDay;  // 1970-01-05, the first Monday
constexpr Interval kMinute{Calendar::kFixed, kMsPerMinute};
// Cached closed days and hours per series (~130 bytes each): 179 years of days, 7 of hours.
constexpr size_t kMaxCachedDays = size_t{1} << 16;
constexpr size_t kMaxCachedHours = size_t{1} << 16;

bool IsGenerated(const Interval& iv) {
  return iv.calendar == Calendar::kFixed && iv.ms <= kMsPerMinute;
}

bool Aligned(int64_t t, int64_t unit) { return t == FloorDiv(t, unit) * unit; }

bool IsBybit(FakeMarket m) {
  return m == FakeMarket::kBybitSpot || m == FakeMarket::kBybitLinear ||
         m == FakeMarket::kBybitInverse;
}

[[gnu::always_inline]] inline uint64_t Mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

[[gnu::always_inline]] inline uint64_t Hash(uint64_t seed, int64_t key, uint64_t salt) {
  return Mix64(seed ^ Mix64(static_cast<uint64_t>(key) ^ Mix64(salt)));
}

// std::llround (half away from zero), exactly, without the library call: x - trunc(x) is exact.
[[gnu::always_inline]] inline int64_t Round(double x) {
  const auto whole = static_cast<int64_t>(x);
  const double fraction = x - static_cast<double>(whole);
  return fraction >= 0.5 ? whole + 1 : fraction <= -0.5 ? whole - 1 : whole;
}

double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }  // [0, 1)
double Signed(uint64_t h) { return 2 * Unit(h) - 1; }                         // [-1, 1)

uint64_t SeriesSeed(FakeMarket market, const std::string& symbol) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : symbol) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return Mix64(h ^ (static_cast<uint64_t>(market) + 1));
}

}  // namespace

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

// ---- Decimal text ----

int64_t Pow10(int n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

std::string FormatFixed(int64_t units, int scale, int decimals) {
  const bool negative = units < 0;
  std::string digits = std::to_string(negative ? -units : units);
  if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  std::string out = negative ? "-" : "";
  out += digits.substr(0, digits.size() - scale);
  if (decimals > 0) {
    out += '.';
    out += digits.substr(digits.size() - scale);
    out.append(decimals - scale, '0');
  }
  return out;
}

std::string FormatTrimmed(int64_t units, int scale) {
  std::string s = FormatFixed(units, scale, scale);
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

double DecimalValue(int64_t units, int scale) {
  return std::strtod(FormatFixed(units, scale, scale).c_str(), nullptr);
}

// ---- Intervals ----

std::optional<Interval> ParseInterval(FakeMarket market, std::string_view name) {
  struct Entry {
    std::string_view name;
    Calendar calendar;
    int64_t ms;
  };
  static constexpr Entry kBinance[] = {
      {"1s", Calendar::kFixed, kMsPerSecond},       {"1m", Calendar::kFixed, kMsPerMinute},
      {"3m", Calendar::kFixed, 3 * kMsPerMinute},   {"5m", Calendar::kFixed, 5 * kMsPerMinute},
      {"15m", Calendar::kFixed, 15 * kMsPerMinute}, {"30m", Calendar::kFixed, 30 * kMsPerMinute},
      {"1h", Calendar::kFixed, kMsPerHour},         {"2h", Calendar::kFixed, 2 * kMsPerHour},
      {"4h", Calendar::kFixed, 4 * kMsPerHour},     {"6h", Calendar::kFixed, 6 * kMsPerHour},
      {"8h", Calendar::kFixed, 8 * kMsPerHour},     {"12h", Calendar::kFixed, 12 * kMsPerHour},
      {"1d", Calendar::kFixed, kMsPerDay},          {"3d", Calendar::kFixed, 3 * kMsPerDay},
      {"1w", Calendar::kWeek, 7 * kMsPerDay},       {"1M", Calendar::kMonth, 0}};
  static constexpr Entry kBybit[] = {{"1", Calendar::kFixed, kMsPerMinute},
                                     {"3", Calendar::kFixed, 3 * kMsPerMinute},
                                     {"5", Calendar::kFixed, 5 * kMsPerMinute},
                                     {"15", Calendar::kFixed, 15 * kMsPerMinute},
                                     {"30", Calendar::kFixed, 30 * kMsPerMinute},
                                     {"60", Calendar::kFixed, kMsPerHour},
                                     {"120", Calendar::kFixed, 2 * kMsPerHour},
                                     {"240", Calendar::kFixed, 4 * kMsPerHour},
                                     {"360", Calendar::kFixed, 6 * kMsPerHour},
                                     {"720", Calendar::kFixed, 12 * kMsPerHour},
                                     {"D", Calendar::kFixed, kMsPerDay},
                                     {"W", Calendar::kWeek, 7 * kMsPerDay},
                                     {"M", Calendar::kMonth, 0}};
  if (market == FakeMarket::kBinanceUsdm && name == "1s") return std::nullopt;  // spot only
  for (const Entry& e :
       IsBybit(market) ? std::span<const Entry>(kBybit) : std::span<const Entry>(kBinance)) {
    if (e.name == name) return Interval{e.calendar, e.ms};
  }
  return std::nullopt;
}

int64_t AlignDown(const Interval& iv, int64_t t) {
  switch (iv.calendar) {
    case Calendar::kFixed:
      return FloorDiv(t, iv.ms) * iv.ms;
    case Calendar::kWeek:
      return FloorDiv(t - kMondayOffsetMs, iv.ms) * iv.ms + kMondayOffsetMs;
    case Calendar::kMonth: {
      const CivilDate d = CivilFromDay(DayOf(t));
      return DayStartMs(DayFromCivil(d.year, d.month, 1));
    }
  }
  return t;
}

int64_t NextOpen(const Interval& iv, int64_t open) {
  if (iv.calendar != Calendar::kMonth) return open + iv.ms;
  const CivilDate d = CivilFromDay(DayOf(open));
  return d.month == 12 ? DayStartMs(DayFromCivil(d.year + 1, 1, 1))
                       : DayStartMs(DayFromCivil(d.year, d.month + 1, 1));
}

int64_t PrevOpen(const Interval& iv, int64_t open) { return AlignDown(iv, open - 1); }

int64_t AlignUp(const Interval& iv, int64_t t) {
  const int64_t down = AlignDown(iv, t);
  return down == t ? t : NextOpen(iv, down);
}

// ---- Series ----

Series::Series(const FakeSymbol& symbol, FakeMarket market)
    : symbol_(symbol),
      market_(market),
      seed_(SeriesSeed(market, symbol.symbol)),
      phase_(Unit(Hash(seed_, 0, 11)) * 2 * std::numbers::pi),
      price_scale_(static_cast<double>(Pow10(symbol.price_decimals))),
      qty_scale_(static_cast<double>(Pow10(symbol.qty_decimals))),
      minute_(*this, kMsPerMinute) {}

Series::Shape::Shape(const Series& s, int64_t length)
    : seed(s.seed_ ^ Mix64(static_cast<uint64_t>(length))),
      minutes(static_cast<double>(length) / kMsPerMinute),
      wiggle(s.symbol_.base_price * 0.001 * std::sqrt(minutes) * s.price_scale_) {}

int64_t Series::PriceTicks(int64_t t) const {
  constexpr double kTau = 2 * std::numbers::pi;
  const double days = static_cast<double>(t) / kMsPerDay;
  const double phase = phase_;
  const double x = 1 + 0.20 * std::sin(kTau * days / 365.25 + phase) +
                   0.05 * std::sin(kTau * days / 7 + 2 * phase) +
                   0.01 * std::sin(kTau * days + 3 * phase) +
                   0.002 * Signed(Hash(seed_, FloorDiv(t, kMsPerMinute), 1)) +
                   0.0005 * Signed(Hash(seed_, FloorDiv(t, kMsPerSecond), 2));
  return std::max<int64_t>(1, Round(symbol_.base_price * x * price_scale_));
}

bool Series::InDowntime(int64_t open, int64_t next, const FakeTimeRange** range) const {
  for (const FakeTimeRange& r : symbol_.downtime) {
    if (open >= r.start_ms && next <= r.end_ms) {
      *range = &r;
      return true;
    }
  }
  return false;
}

std::vector<int64_t> Series::OpensAscending(const Interval& iv, int64_t from_open, int64_t to_time,
                                            size_t limit, int64_t now) const {
  std::vector<int64_t> out;
  const int64_t last = std::min({to_time, now, LastTradeMs()});
  int64_t open = std::max(from_open, AlignDown(iv, symbol_.listing_ms));
  while (out.size() < limit && open <= last) {
    const int64_t next = NextOpen(iv, open);
    const FakeTimeRange* down = nullptr;
    if (InDowntime(open, next, &down)) {
      open = std::max(next, AlignDown(iv, down->end_ms - 1));
      continue;
    }
    if (IsGenerated(iv) || HasMinutes(open, next, now)) out.push_back(open);
    open = next;
  }
  return out;
}

std::vector<int64_t> Series::OpensDescending(const Interval& iv, int64_t to_time, int64_t from_open,
                                             size_t limit, int64_t now) const {
  std::vector<int64_t> out;
  const int64_t first = AlignDown(iv, symbol_.listing_ms);
  const int64_t top = std::min({to_time, now, LastTradeMs()});
  if (top < first) return out;
  int64_t open = AlignDown(iv, top);
  while (out.size() < limit && open >= from_open && open >= first) {
    const FakeTimeRange* down = nullptr;
    const int64_t next = NextOpen(iv, open);
    if (InDowntime(open, next, &down)) {
      open = std::min(PrevOpen(iv, open), AlignDown(iv, down->start_ms - 1));
      continue;
    }
    if (IsGenerated(iv) || HasMinutes(open, next, now)) out.push_back(open);
    open = PrevOpen(iv, open);
  }
  return out;
}

CandleUnits Series::Generated(const Shape& shape, int64_t length, int64_t open, int64_t now,
                              int64_t open_price, int64_t close_price) const {
  CandleUnits c;
  const int64_t next = open + length;
  const uint64_t seed = shape.seed;
  c.open_ms = open;
  c.close_ms = next - 1;
  c.closed = now >= next;
  c.open = open_price;
  c.close = close_price;
  const double minutes = shape.minutes;
  const double wiggle = shape.wiggle;
  c.high = std::max(c.open, c.close) + Round(Unit(Hash(seed, open, 3)) * wiggle);
  c.low =
      std::max<int64_t>(1, std::min(c.open, c.close) - Round(Unit(Hash(seed, open, 4)) * wiggle));
  double volume = symbol_.volume_per_minute * minutes * (0.5 + Unit(Hash(seed, open, 5)));
  if (!c.closed) volume *= static_cast<double>(now - open + 1) / static_cast<double>(length);
  c.volume = std::max<int64_t>(1, Round(volume * qty_scale_));
  const int64_t mid = (c.open + c.close) / 2;
  c.quote_volume = c.volume * mid;
  c.trades = std::max<int64_t>(1, Round(volume * 50 / symbol_.volume_per_minute));
  c.taker_volume = c.volume * static_cast<int64_t>(30 + Hash(seed, open, 6) % 41) / 100;
  c.taker_quote_volume = c.taker_volume * mid;
  return c;
}

void Series::Sum::Add(const CandleUnits& x) {
  if (!any) {
    c = x;
    any = true;
    return;
  }
  c.high = std::max(c.high, x.high);
  c.low = std::min(c.low, x.low);
  c.close = x.close;
  c.volume += x.volume;
  c.quote_volume += x.quote_volume;
  c.trades += x.trades;
  c.taker_volume += x.taker_volume;
  c.taker_quote_volume += x.taker_quote_volume;
}

bool Series::HasMinutes(int64_t open, int64_t next, int64_t now) const {
  const int64_t last = std::min({next - 1, now, LastTradeMs()});
  for (int64_t m = std::max(open, AlignDown(kMinute, symbol_.listing_ms)); m <= last;) {
    const FakeTimeRange* down = nullptr;
    if (!InDowntime(m, m + kMsPerMinute, &down)) return true;
    m = std::max(m + kMsPerMinute, AlignDown(kMinute, down->end_ms - 1));
  }
  return false;
}

Series::Sum Series::Minutes(int64_t from, int64_t to, int64_t now) const {
  Sum sum;
  const int64_t last = std::min({to - 1, now, LastTradeMs()});
  int64_t price = -1;  // the price at m when known: the previous minute's close
  for (int64_t m = std::max(from, AlignDown(kMinute, symbol_.listing_ms)); m <= last;) {
    const int64_t next = m + kMsPerMinute;
    const FakeTimeRange* down = nullptr;
    if (!symbol_.downtime.empty() && InDowntime(m, next, &down)) {
      m = std::max(next, AlignDown(kMinute, down->end_ms - 1));
      price = -1;
      continue;
    }
    const int64_t open_price = price >= 0 ? price : PriceTicks(m);
    price = PriceTicks(std::min(next, now));
    sum.Add(Generated(minute_, kMsPerMinute, m, now, open_price, price));
    m = next;
  }
  return sum;
}

Series::Sum Series::Hour(int64_t open, int64_t now, bool store) const {
  const bool closed = now >= open + kMsPerHour;
  if (closed) {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->hours.find(open);
    if (it != cache_->hours.end()) return it->second;
  }
  Sum sum = Minutes(open, open + kMsPerHour, now);
  if (closed && store) {
    std::lock_guard lock(cache_->mu);
    if (cache_->hours.size() >= kMaxCachedHours) cache_->hours.clear();
    cache_->hours.emplace(open, sum);
  }
  return sum;
}

Series::Sum Series::Day(int64_t open, int64_t now) const {
  const bool closed = now >= open + kMsPerDay;
  if (closed) {
    std::lock_guard lock(cache_->mu);
    auto it = cache_->days.find(open);
    if (it != cache_->days.end()) return it->second;
  }
  Sum sum;
  if (open + kMsPerDay > symbol_.listing_ms) {
    // Only the day holding now stores its (closed) hours; a closed day is stored whole.
    for (int64_t h = open; h < open + kMsPerDay && h <= now; h += kMsPerHour) {
      const Sum hour = Hour(h, now, /*store=*/!closed);
      if (hour.any) sum.Add(hour.c);
    }
  }
  if (closed) {
    std::lock_guard lock(cache_->mu);
    if (cache_->days.size() >= kMaxCachedDays) cache_->days.clear();
    cache_->days.emplace(open, sum);
  }
  return sum;
}

Series::Sum Series::Range(int64_t open, int64_t next, int64_t now) const {
  Sum sum;
  for (int64_t t = open; t < next && t <= now;) {
    Sum part;
    if (Aligned(t, kMsPerDay) && t + kMsPerDay <= next) {
      part = Day(t, now);
      t += kMsPerDay;
    } else if (Aligned(t, kMsPerHour) && t + kMsPerHour <= next) {
      part = Hour(t, now, /*store=*/true);
      t += kMsPerHour;
    } else {
      const int64_t to = std::min(next, FloorDiv(t, kMsPerHour) * kMsPerHour + kMsPerHour);
      part = Minutes(t, to, now);
      t = to;
    }
    if (part.any) sum.Add(part.c);
  }
  return sum;
}

CandleUnits Series::Candle(const Interval& iv, int64_t open, int64_t now) const {
  if (IsGenerated(iv)) {
    const int64_t next = open + iv.ms;
    return Generated(iv.ms == kMsPerMinute ? minute_ : Shape(*this, iv.ms), iv.ms, open, now,
                     PriceTicks(open), PriceTicks(now >= next ? next : now));
  }
  const int64_t next = NextOpen(iv, open);
  Sum sum = Range(open, next, now);
  if (!sum.any) {  // no such candle (see OpensAscending): a flat one with nothing traded
    sum.c.open = sum.c.high = sum.c.low = sum.c.close = PriceTicks(open);
  }
  CandleUnits c = sum.c;
  c.open_ms = open;
  c.close_ms = next - 1;
  c.closed = now >= next;
  return c;
}

std::vector<int64_t> Series::FundingAscending(int64_t from, int64_t to, size_t limit,
                                              int64_t now) const {
  const int64_t step = symbol_.funding_interval_ms;
  const int64_t last = FloorDiv(std::min({to, now, LastTradeMs()}), step) * step;
  std::vector<int64_t> out;
  for (int64_t t = std::max(FirstFundingMs(), CeilDiv(from, step) * step);
       t <= last && out.size() < limit; t += step) {
    out.push_back(t);
  }
  return out;
}

std::vector<int64_t> Series::FundingDescending(int64_t to, int64_t from, size_t limit,
                                               int64_t now) const {
  const int64_t step = symbol_.funding_interval_ms;
  const int64_t first = std::max(FirstFundingMs(), from);
  std::vector<int64_t> out;
  for (int64_t t = FloorDiv(std::min({to, now, LastTradeMs()}), step) * step;
       t >= first && out.size() < limit; t -= step) {
    out.push_back(t);
  }
  return out;
}

int64_t Series::FundingRateUnits(int64_t t) const {
  return 10000 + Round(Signed(Hash(seed_, t, 7)) * 20000);
}

FakeCandle ToFakeCandle(const CandleUnits& c, const FakeSymbol& s) {
  const int pd = s.price_decimals, qd = s.qty_decimals;
  FakeCandle out;
  out.open_time_ms = c.open_ms;
  out.close_time_ms = c.close_ms;
  out.open = DecimalValue(c.open, pd);
  out.high = DecimalValue(c.high, pd);
  out.low = DecimalValue(c.low, pd);
  out.close = DecimalValue(c.close, pd);
  out.volume = DecimalValue(c.volume, qd);
  out.quote_volume = DecimalValue(c.quote_volume, pd + qd);
  out.trades = c.trades;
  out.taker_buy_volume = DecimalValue(c.taker_volume, qd);
  out.taker_buy_quote_volume = DecimalValue(c.taker_quote_volume, pd + qd);
  out.closed = c.closed;
  return out;
}

}  // namespace dlake::testing::fake_exchange_internal
