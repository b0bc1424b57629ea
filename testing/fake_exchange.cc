#include "testing/fake_exchange.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>
#include <span>
#include <thread>
#include <variant>

namespace dlake::testing {
namespace {

using Json = nlohmann::ordered_json;  // keeps field order as written: order is part of the format

constexpr int64_t kMinTime = std::numeric_limits<int64_t>::min() / 4;
constexpr int64_t kEarliest = -31 * kMsPerDay;           // before any candle (listing_ms >= 0)
constexpr int64_t kFarFuture = 253402300799999;          // 9999-12-31T23:59:59.999Z
constexpr int64_t kPerpetualDeliveryMs = 4133404800000;  // 2100-12-25, as Binance sends

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

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

// `units` x 10^-scale written with `decimals` (>= scale) digits after the point.
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

// The shortest text of the value, as Bybit writes numbers: "17071", "28959.94".
std::string FormatTrimmed(int64_t units, int scale) {
  std::string s = FormatFixed(units, scale, scale);
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// The double a client gets by parsing the decimal text.
double DecimalValue(int64_t units, int scale) {
  return std::strtod(FormatFixed(units, scale, scale).c_str(), nullptr);
}

// ---- Intervals ----

enum class Calendar { kFixed, kWeek, kMonth };

struct Interval {
  Calendar calendar = Calendar::kFixed;
  int64_t ms = 0;  // length; 0 for months
};

constexpr int64_t kMondayOffsetMs = 4 * kMsPerDay;  // 1970-01-05, the first Monday

bool IsBybit(FakeMarket m) {
  return m == FakeMarket::kBybitSpot || m == FakeMarket::kBybitLinear ||
         m == FakeMarket::kBybitInverse;
}

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

// Open time of the candle holding `t`. Fixed intervals (3d too, [I]) align to the epoch, weeks
// to Monday 00:00 UTC, months to the 1st, as both exchanges do.
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

// ---- Deterministic market data ----

uint64_t Mix64(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(uint64_t seed, int64_t key, uint64_t salt) {
  return Mix64(seed ^ Mix64(static_cast<uint64_t>(key) ^ Mix64(salt)));
}

double Unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }  // [0, 1)
double Signed(uint64_t h) { return 2 * Unit(h) - 1; }                         // [-1, 1)

uint64_t SeriesSeed(FakeMarket market, const std::string& symbol) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : symbol) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return Mix64(h ^ (static_cast<uint64_t>(market) + 1));
}

// Candle numbers as integers: prices in ticks, quantities in lots, quote amounts in
// 10^-(price_decimals + qty_decimals).
struct CandleUnits {
  int64_t open_ms = 0, close_ms = 0;
  int64_t open = 0, high = 0, low = 0, close = 0;
  int64_t volume = 0, quote_volume = 0, trades = 0, taker_volume = 0, taker_quote_volume = 0;
  bool closed = true;
};

// The price history of one symbol on one market.
class Series {
 public:
  Series(const FakeSymbol& symbol, FakeMarket market)
      : symbol_(symbol), market_(market), seed_(SeriesSeed(market, symbol.symbol)) {}

  const FakeSymbol& symbol() const { return symbol_; }
  FakeMarket market() const { return market_; }

  // Slow waves (a year, a week, a day) plus noise per minute and per second: continuous enough
  // for realistic candles, and a pure function of t.
  int64_t PriceTicks(int64_t t) const {
    constexpr double kTau = 2 * std::numbers::pi;
    const double days = static_cast<double>(t) / kMsPerDay;
    const double phase = Unit(Hash(seed_, 0, 11)) * kTau;
    const double x = 1 + 0.20 * std::sin(kTau * days / 365.25 + phase) +
                     0.05 * std::sin(kTau * days / 7 + 2 * phase) +
                     0.01 * std::sin(kTau * days + 3 * phase) +
                     0.002 * Signed(Hash(seed_, FloorDiv(t, kMsPerMinute), 1)) +
                     0.0005 * Signed(Hash(seed_, FloorDiv(t, kMsPerSecond), 2));
    return std::max<int64_t>(1, std::llround(symbol_.base_price * x *
                                             static_cast<double>(Pow10(symbol_.price_decimals))));
  }

  bool InDowntime(int64_t open, int64_t next, const FakeTimeRange** range) const {
    for (const FakeTimeRange& r : symbol_.downtime) {
      if (open >= r.start_ms && next <= r.end_ms) {
        *range = &r;
        return true;
      }
    }
    return false;
  }

  // The open times of existing candles from `from_open` (aligned) up to `to_time`, ascending.
  std::vector<int64_t> OpensAscending(const Interval& iv, int64_t from_open, int64_t to_time,
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
      out.push_back(open);
      open = next;
    }
    return out;
  }

  // The open times of existing candles at or before `to_time` down to `from_open`, newest first.
  std::vector<int64_t> OpensDescending(const Interval& iv, int64_t to_time, int64_t from_open,
                                       size_t limit, int64_t now) const {
    std::vector<int64_t> out;
    const int64_t first = AlignDown(iv, symbol_.listing_ms);
    const int64_t top = std::min({to_time, now, LastTradeMs()});
    if (top < first) return out;
    int64_t open = AlignDown(iv, top);
    while (out.size() < limit && open >= from_open && open >= first) {
      const FakeTimeRange* down = nullptr;
      if (InDowntime(open, NextOpen(iv, open), &down)) {
        open = std::min(PrevOpen(iv, open), AlignDown(iv, down->start_ms - 1));
        continue;
      }
      out.push_back(open);
      open = PrevOpen(iv, open);
    }
    return out;
  }

  // open = price at the open, close = price at the next open (or now while the candle is open),
  // so consecutive candles join up and coarser candles share opens with finer ones.
  CandleUnits Candle(const Interval& iv, int64_t open, int64_t now) const {
    CandleUnits c;
    const int64_t next = NextOpen(iv, open);
    const int64_t length = next - open;
    const uint64_t seed = seed_ ^ Mix64(static_cast<uint64_t>(length));
    c.open_ms = open;
    c.close_ms = next - 1;
    c.closed = now >= next;
    c.open = PriceTicks(open);
    c.close = PriceTicks(c.closed ? next : now);
    const double minutes = static_cast<double>(length) / kMsPerMinute;
    const double wiggle = symbol_.base_price * 0.001 * std::sqrt(minutes) *
                          static_cast<double>(Pow10(symbol_.price_decimals));
    c.high = std::max(c.open, c.close) + std::llround(Unit(Hash(seed, open, 3)) * wiggle);
    c.low = std::max<int64_t>(
        1, std::min(c.open, c.close) - std::llround(Unit(Hash(seed, open, 4)) * wiggle));
    double volume = symbol_.volume_per_minute * minutes * (0.5 + Unit(Hash(seed, open, 5)));
    if (!c.closed) volume *= static_cast<double>(now - open + 1) / static_cast<double>(length);
    c.volume = std::max<int64_t>(
        1, std::llround(volume * static_cast<double>(Pow10(symbol_.qty_decimals))));
    const int64_t mid = (c.open + c.close) / 2;
    c.quote_volume = c.volume * mid;
    c.trades = std::max<int64_t>(1, std::llround(volume * 50 / symbol_.volume_per_minute));
    c.taker_volume = c.volume * static_cast<int64_t>(30 + Hash(seed, open, 6) % 41) / 100;
    c.taker_quote_volume = c.taker_volume * mid;
    return c;
  }

  // ---- Funding: at multiples of the funding interval from listing, up to now ----

  std::vector<int64_t> FundingAscending(int64_t from, int64_t to, size_t limit, int64_t now) const {
    const int64_t step = symbol_.funding_interval_ms;
    const int64_t last = FloorDiv(std::min({to, now, LastTradeMs()}), step) * step;
    std::vector<int64_t> out;
    for (int64_t t = std::max(FirstFundingMs(), CeilDiv(from, step) * step);
         t <= last && out.size() < limit; t += step) {
      out.push_back(t);
    }
    return out;
  }

  std::vector<int64_t> FundingDescending(int64_t to, int64_t from, size_t limit,
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

  // The rate in units of 1e-8: 0.0001 on average, between -0.0001 and 0.0003.
  int64_t FundingRateUnits(int64_t t) const {
    return 10000 + std::llround(Signed(Hash(seed_, t, 7)) * 20000);
  }

 private:
  int64_t LastTradeMs() const { return symbol_.delist_ms > 0 ? symbol_.delist_ms - 1 : kFarFuture; }
  int64_t FirstFundingMs() const {
    return CeilDiv(symbol_.listing_ms, symbol_.funding_interval_ms) * symbol_.funding_interval_ms;
  }

  const FakeSymbol& symbol_;
  const FakeMarket market_;
  const uint64_t seed_;
};

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

// ---- Wire formats ----

// Candle lists are most of the traffic, so they are written directly rather than through a JSON
// DOM, which would make the fake the slowest part of a download benchmark.

void AppendQuoted(std::string* out, const std::string& text) {
  *out += '"';
  *out += text;
  *out += '"';
}

// 12 fields; 0, 6 and 8 are numbers. Spot writes every decimal with 8 digits ("43519.34000000"),
// USD-M with the contract's precision ("71481.90", "0.002", quote "142.96380").
void AppendBinanceKline(std::string* out, const CandleUnits& c, const FakeSymbol& s, bool spot) {
  const int pd = s.price_decimals, qd = s.qty_decimals;
  auto dec = [&](int64_t units, int scale) {
    *out += ',';
    AppendQuoted(out, FormatFixed(units, scale, spot ? 8 : scale));
  };
  *out += '[' + std::to_string(c.open_ms);
  dec(c.open, pd);
  dec(c.high, pd);
  dec(c.low, pd);
  dec(c.close, pd);
  dec(c.volume, qd);
  *out += ',' + std::to_string(c.close_ms);
  dec(c.quote_volume, pd + qd);
  *out += ',' + std::to_string(c.trades);
  dec(c.taker_volume, qd);
  dec(c.taker_quote_volume, pd + qd);
  *out += ",\"0\"]";
}

// Seven strings. Inverse contracts report volume in the quote currency and turnover in base.
void AppendBybitKline(std::string* out, const CandleUnits& c, const FakeSymbol& s, bool inverse) {
  const int pd = s.price_decimals, qd = s.qty_decimals;
  const std::string base = FormatTrimmed(c.volume, qd);
  const std::string quote = FormatTrimmed(c.quote_volume, pd + qd);
  *out += '[';
  AppendQuoted(out, std::to_string(c.open_ms));
  for (int64_t price : {c.open, c.high, c.low, c.close}) {
    *out += ',';
    AppendQuoted(out, FormatTrimmed(price, pd));
  }
  *out += ',';
  AppendQuoted(out, inverse ? quote : base);
  *out += ',';
  AppendQuoted(out, inverse ? base : quote);
  *out += ']';
}

// ---- HTTP replies ----

constexpr char kBinanceContentType[] = "application/json;charset=UTF-8";
constexpr char kBybitContentType[] = "application/json; charset=utf-8";

enum class Transport { kNormal, kDrop, kReset, kCut };

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = kBinanceContentType;
  httplib::Headers headers;
  Transport transport = Transport::kNormal;
};

Reply JsonReply(const Json& body, std::string content_type) {
  Reply r;
  r.body = body.dump();
  r.content_type = std::move(content_type);
  return r;
}

Reply BinanceJson(const Json& body) { return JsonReply(body, kBinanceContentType); }

Reply BinanceError(int status, int code, std::string_view msg) {
  Json body = Json::object();
  body["code"] = code;
  body["msg"] = msg;
  Reply r = BinanceJson(body);
  r.status = status;
  return r;
}

Reply BybitReply(int ret_code, std::string_view msg, Json result, int64_t now) {
  Json body = Json::object();
  body["retCode"] = ret_code;
  body["retMsg"] = msg;
  body["result"] = std::move(result);
  body["retExtInfo"] = Json::object();
  body["time"] = now;
  return JsonReply(body, kBybitContentType);
}

Reply BybitOk(Json result, int64_t now) { return BybitReply(0, "OK", std::move(result), now); }
Reply BybitError(int ret_code, std::string_view msg, int64_t now) {
  return BybitReply(ret_code, msg, Json::object(), now);
}

// What a CDN or proxy in front of the API sends.
Reply HtmlReply(int status, std::string_view title) {
  Reply r;
  r.status = status;
  r.content_type = "text/html";
  r.body = std::string("<html>\r\n<head><title>") + std::string(title) +
           "</title></head>\r\n<body>\r\n<center><h1>" + std::string(title) +
           "</h1></center>\r\n<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n";
  return r;
}

std::string StatusTitle(int status) {
  switch (status) {
    case 408:
      return "408 Request Timeout";
    case 500:
      return "500 Internal Server Error";
    case 502:
      return "502 Bad Gateway";
    case 503:
      return "503 Service Temporarily Unavailable";
    case 504:
      return "504 Gateway Time-out";
    default:
      return std::to_string(status) + " Error";
  }
}

// "1 MINUTE" for the real window, "2 SECOND" for a scaled one (as exchangeInfo's rateLimits).
std::pair<std::string, int64_t> WindowUnit(int64_t window_ms) {
  if (window_ms % kMsPerMinute == 0) return {"MINUTE", window_ms / kMsPerMinute};
  return {"SECOND", std::max<int64_t>(1, window_ms / kMsPerSecond)};
}

int64_t RetryAfterSeconds(int64_t until_ms, int64_t now_ms) {
  return std::max<int64_t>(1, CeilDiv(until_ms - now_ms, kMsPerSecond));
}

std::string WindowText(int64_t window_ms) {
  const auto [unit, count] = WindowUnit(window_ms);
  return std::to_string(count) + " " + unit;
}

Reply BinanceWeightExceeded(int64_t limit, int64_t window_ms) {
  return BinanceError(429, -1003,
                      "Too much request weight used; current limit is " + std::to_string(limit) +
                          " request weight per " + WindowText(window_ms) +
                          ". Please use WebSocket Streams for live updates to avoid polling the "
                          "API.");
}

Reply BinanceBanned(int64_t until_ms) {
  return BinanceError(418, -1003,
                      "Way too much request weight used; IP banned until " +
                          std::to_string(until_ms) +
                          ". Please use WebSocket Streams for live updates to avoid bans.");
}

// ---- Query parameters ----

// An integer parameter: nullopt when absent; `*bad` set when present but not 1-20 digits.
std::optional<int64_t> IntParam(const httplib::Request& req, const char* name, bool* bad) {
  if (!req.has_param(name)) return std::nullopt;
  const std::string text = req.get_param_value(name);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 20 || ec != std::errc() || ptr != text.data() + text.size() ||
      value < 0) {
    *bad = true;
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> TimeParam(const httplib::Request& req, const char* name, bool* bad) {
  auto v = IntParam(req, name, bad);
  if (v) v = std::min(*v, kFarFuture);
  return v;
}

// Connected server-side sockets of this process on local `port` (and remote `peer_port` unless
// 0). cpp-httplib hands handlers no socket; tests need to drop connections, and shutdown needs
// to end idle keep-alive connections, so the descriptors are found by their addresses.
std::vector<int> ServerSockets(int port, int peer_port) {
  std::vector<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == ::dirfd(dir)) continue;
    sockaddr_in local{}, peer{};
    socklen_t local_len = sizeof(local), peer_len = sizeof(peer);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        local.sin_family != AF_INET || ntohs(local.sin_port) != port) {
      continue;
    }
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (peer_port != 0 && ntohs(peer.sin_port) != peer_port) continue;
    out.push_back(fd);
  }
  ::closedir(dir);
  return out;
}

// Closes the request's connection before a byte is answered: FIN (the client reads an empty
// reply), or RST when `reset`. For RST the socket is closed with SO_LINGER 0 by dup2-ing
// /dev/null over its descriptor, so cpp-httplib keeps a valid descriptor to fail on and close.
void KillConnection(const httplib::Request& req, bool reset) {
  for (int fd : ServerSockets(req.local_port, req.remote_port)) {
    if (!reset) {
      ::shutdown(fd, SHUT_RDWR);
      continue;
    }
    linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
}

// ---- Routes ----

enum class Endpoint {
  kBinanceKlines,
  kBinanceExchangeInfo,
  kBinanceFunding,
  kBybitKline,
  kBybitInstruments,
  kBybitFunding,
};

struct Route {
  const char* path;
  FakeApi api;
  FakeMarket market;  // Bybit: resolved from `category` per request
  Endpoint endpoint;
};

constexpr Route kRoutes[] = {
    {"/api/v3/klines", FakeApi::kBinanceSpot, FakeMarket::kBinanceSpot, Endpoint::kBinanceKlines},
    {"/api/v3/exchangeInfo", FakeApi::kBinanceSpot, FakeMarket::kBinanceSpot,
     Endpoint::kBinanceExchangeInfo},
    {"/fapi/v1/klines", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm, Endpoint::kBinanceKlines},
    {"/fapi/v1/exchangeInfo", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm,
     Endpoint::kBinanceExchangeInfo},
    {"/fapi/v1/fundingRate", FakeApi::kBinanceUsdm, FakeMarket::kBinanceUsdm,
     Endpoint::kBinanceFunding},
    {"/v5/market/kline", FakeApi::kBybit, FakeMarket::kBybitLinear, Endpoint::kBybitKline},
    {"/v5/market/instruments-info", FakeApi::kBybit, FakeMarket::kBybitLinear,
     Endpoint::kBybitInstruments},
    {"/v5/market/funding/history", FakeApi::kBybit, FakeMarket::kBybitLinear,
     Endpoint::kBybitFunding},
};

// A calendar window of a rate limit and the ban that breaking it leads to. Times: system clock.
struct RateWindow {
  int64_t index = -1;    // window number: now / window length
  int64_t used = 0;      // weight (Binance) or requests (Bybit) in it
  bool limited = false;  // a 429 was sent in it
  int requests_after_limit = 0;
  int64_t ban_until_ms = 0;

  void Roll(int64_t now_index) {
    if (now_index == index) return;
    index = now_index;
    used = 0;
    limited = false;
    requests_after_limit = 0;
  }
};

std::string MarketKey(FakeMarket market, std::string_view symbol) {
  return std::to_string(static_cast<int>(market)) + ":" + std::string(symbol);
}

}  // namespace

std::vector<FakeSymbol> DefaultFakeSymbols() {
  constexpr int64_t k20200101 = 1577836800000;
  FakeSymbol btc{.symbol = "BTCUSDT",
                 .base = "BTC",
                 .quote = "USDT",
                 .markets = {FakeMarket::kBinanceSpot, FakeMarket::kBinanceUsdm,
                             FakeMarket::kBybitSpot, FakeMarket::kBybitLinear},
                 .listing_ms = k20200101,
                 .base_price = 30000.0};
  FakeSymbol eth = btc;
  eth.symbol = "ETHUSDT";
  eth.base = "ETH";
  eth.listing_ms = 1591014600000;  // 2020-06-01T12:30:00Z
  eth.base_price = 2000.0;
  eth.volume_per_minute = 50.0;
  FakeSymbol inverse{.symbol = "BTCUSD",
                     .base = "BTC",
                     .quote = "USD",
                     .markets = {FakeMarket::kBybitInverse},
                     .listing_ms = k20200101,
                     .base_price = 30000.0,
                     .price_decimals = 1,
                     .qty_decimals = 3};
  return {btc, eth, inverse};
}

// ---- The server ----

struct FakeExchange::State {
  struct Admission {
    std::optional<Reply> reply;  // answered before the endpoint runs
    std::optional<FaultKind> body_fault;
    int delay_ms = 0;
    httplib::Headers headers;
  };

  explicit State(const FakeExchangeOptions& opts) : options(opts), now_ms(opts.now_ms) {
    for (const FakeSymbol& s : options.symbols) {
      for (FakeMarket m : s.markets) series.emplace(MarketKey(m, s.symbol), Series(s, m));
    }
  }

  int64_t Now() const {
    const int64_t fixed = now_ms.load();
    return fixed != 0 ? fixed : SystemNowMs();
  }

  const Series* FindSeries(FakeMarket market, std::string_view symbol) const {
    auto it = series.find(MarketKey(market, symbol));
    return it == series.end() ? nullptr : &it->second;
  }

  // Series of `market`, sorted by symbol.
  std::vector<const Series*> MarketSeries(FakeMarket market) const {
    std::vector<const Series*> out;
    for (const auto& [key, s] : series) {
      if (s.market() == market) out.push_back(&s);
    }
    std::sort(out.begin(), out.end(), [](const Series* a, const Series* b) {
      return a->symbol().symbol < b->symbol().symbol;
    });
    return out;
  }

  void Handle(const Route& route, const httplib::Request& req, httplib::Response& res);
  void Record(const httplib::Request& req);
  Admission Admit(const Route& route, const httplib::Request& req);
  // A refused request: the reply and when to come back (Retry-After).
  struct Refusal {
    Reply reply;
    int64_t until_ms = 0;
  };
  // Rate limits and bans; the caller holds mu.
  std::optional<Reply> AdmitBinance(const Route& route, const httplib::Request& req,
                                    int64_t now_real, httplib::Headers* headers);
  std::optional<Refusal> CheckBinanceLimits(const Route& route, const httplib::Request& req,
                                            int64_t now_real, RateWindow& w);
  std::optional<Reply> AdmitBybit(int64_t now_real, httplib::Headers* headers);
  std::optional<FaultSpec> TakeFault(const std::string& path);
  Reply FaultReply(const Route& route, const FaultSpec& fault);
  bool SleepUnlessStopping(int delay_ms);
  int64_t BinanceWeight(const Route& route, const httplib::Request& req) const;

  Reply Serve(const Route& route, const httplib::Request& req);
  Reply BinanceKlines(FakeMarket market, const httplib::Request& req);
  Reply BinanceExchangeInfo(FakeMarket market, const httplib::Request& req);
  Reply BinanceFunding(const httplib::Request& req);
  Reply BybitKline(const httplib::Request& req);
  Reply BybitInstruments(const httplib::Request& req);
  Reply BybitFunding(const httplib::Request& req);

  Json BinanceRateLimits(bool spot) const;
  Json BinanceSpotSymbol(const Series& s, int64_t now) const;
  Json BinanceUsdmSymbol(const Series& s, int64_t now) const;
  Json BybitInstrument(const Series& s, int64_t id, int64_t now) const;

  const FakeExchangeOptions& options;
  std::map<std::string, Series> series;  // MarketKey -> series; immutable after construction
  std::atomic<int64_t> now_ms;

  httplib::Server server;
  std::thread thread;
  std::atomic<bool> thread_done{false};

  mutable std::mutex mu;
  std::condition_variable wake;  // slow responses wait on it; notified when stopping
  // Guarded by mu:
  bool stopping = false;
  std::deque<FaultSpec> faults;
  RateWindow windows[3];  // by FakeApi
  RateWindow usdm_funding;
  FakeExchangeStats stats;
};

namespace {

std::string BinanceStatus(const FakeSymbol& s, FakeMarket market, int64_t now) {
  const bool delisted = s.delist_ms > 0 && s.delist_ms <= now;
  if (market == FakeMarket::kBinanceSpot)
    return delisted || s.listing_ms > now ? "BREAK" : "TRADING";
  if (s.listing_ms > now) return "PENDING_TRADING";
  return delisted ? "SETTLING" : "TRADING";
}

std::string BybitStatus(const FakeSymbol& s, int64_t now) {
  if (s.listing_ms > now) return "PreLaunch";
  return s.delist_ms > 0 && s.delist_ms <= now ? "Closed" : "Trading";
}

std::string Tick(const FakeSymbol& s, int decimals) {
  return FormatFixed(1, s.price_decimals, decimals);
}
std::string Lot(const FakeSymbol& s, int decimals) {
  return FormatFixed(1, s.qty_decimals, decimals);
}

Json Filter(std::initializer_list<std::pair<const char*, Json>> fields) {
  Json f = Json::object();
  for (const auto& [k, v] : fields) f[k] = v;
  return f;
}

}  // namespace

// ---- Admission: counters, bans, rate limits, faults ----

void FakeExchange::State::Record(const httplib::Request& req) {
  std::lock_guard lock(mu);
  ++stats.requests;
  ++stats.requests_by_path[req.path];
  stats.targets.push_back(req.target);
}

int64_t FakeExchange::State::BinanceWeight(const Route& route, const httplib::Request& req) const {
  const bool spot = route.api == FakeApi::kBinanceSpot;
  switch (route.endpoint) {
    case Endpoint::kBinanceKlines: {
      if (spot) return 2;
      bool bad = false;
      const int64_t limit = IntParam(req, "limit", &bad).value_or(500);
      if (limit < 100) return 1;
      if (limit < 500) return 2;
      return limit <= 1000 ? 5 : 10;
    }
    case Endpoint::kBinanceExchangeInfo:
      return spot ? 20 : 1;
    case Endpoint::kBinanceFunding:
      return options.binance_usdm_funding_weight;
    default:
      return 0;
  }
}

std::optional<Reply> FakeExchange::State::AdmitBinance(const Route& route,
                                                       const httplib::Request& req,
                                                       int64_t now_real,
                                                       httplib::Headers* headers) {
  RateWindow& w = windows[static_cast<int>(route.api)];
  w.Roll(now_real / options.binance_window_ms);
  std::optional<Refusal> refusal = CheckBinanceLimits(route, req, now_real, w);
  headers->emplace("X-MBX-USED-WEIGHT-1M", std::to_string(w.used));
  headers->emplace("X-MBX-USED-WEIGHT", std::to_string(w.used));
  if (!refusal) return std::nullopt;
  ++(refusal->reply.status == 418 ? stats.sent_418 : stats.sent_429);
  if (route.api == FakeApi::kBinanceSpot || options.binance_usdm_retry_after) {
    refusal->reply.headers.emplace("Retry-After",
                                   std::to_string(RetryAfterSeconds(refusal->until_ms, now_real)));
  }
  return std::move(refusal->reply);
}

std::optional<FakeExchange::State::Refusal> FakeExchange::State::CheckBinanceLimits(
    const Route& route, const httplib::Request& req, int64_t now_real, RateWindow& w) {
  const bool spot = route.api == FakeApi::kBinanceSpot;
  const int64_t length = options.binance_window_ms;
  const int64_t window_end = (w.index + 1) * length;
  const int64_t limit =
      spot ? options.binance_spot_weight_limit : options.binance_usdm_weight_limit;
  if (w.ban_until_ms > now_real) return Refusal{BinanceBanned(w.ban_until_ms), w.ban_until_ms};
  if (w.limited) {
    if (++w.requests_after_limit < options.binance_requests_after_429_before_ban) {
      return Refusal{BinanceWeightExceeded(limit, length), window_end};
    }
    w.ban_until_ms = now_real + options.binance_ban_ms;
    return Refusal{BinanceBanned(w.ban_until_ms), w.ban_until_ms};
  }
  // Charged before the check, as the exchange counts every request it receives.
  const int64_t weight = BinanceWeight(route, req);
  w.used += weight;
  (spot ? stats.binance_spot_weight : stats.binance_usdm_weight) += weight;
  int64_t& peak =
      spot ? stats.binance_spot_peak_window_weight : stats.binance_usdm_peak_window_weight;
  peak = std::max(peak, w.used);
  if (w.used > limit) {
    w.limited = true;
    return Refusal{BinanceWeightExceeded(limit, length), window_end};
  }
  if (route.endpoint != Endpoint::kBinanceFunding) return std::nullopt;
  const int64_t bucket = 5 * length;
  usdm_funding.Roll(now_real / bucket);
  if (++usdm_funding.used <= options.binance_usdm_funding_requests) return std::nullopt;
  return Refusal{BinanceError(429, -1003,
                              "Too many requests; current limit is " +
                                  std::to_string(options.binance_usdm_funding_requests) +
                                  " requests per " + WindowText(bucket) + "."),
                 (usdm_funding.index + 1) * bucket};
}

std::optional<Reply> FakeExchange::State::AdmitBybit(int64_t now_real, httplib::Headers* headers) {
  const int64_t length = options.bybit_window_ms;
  RateWindow& w = windows[static_cast<int>(FakeApi::kBybit)];
  w.Roll(now_real / length);
  auto forbidden = [&]() {
    ++stats.sent_403;
    Reply r;
    r.status = 403;
    r.content_type = "text/plain";
    r.body = "access too frequent";
    return r;
  };
  if (w.ban_until_ms > now_real) return forbidden();
  if (++w.used > options.bybit_request_limit) {
    w.ban_until_ms = now_real + options.bybit_ban_ms;
    return forbidden();
  }
  if (options.bybit_limit_headers) {
    headers->emplace("X-Bapi-Limit", std::to_string(options.bybit_request_limit));
    headers->emplace("X-Bapi-Limit-Status", std::to_string(options.bybit_request_limit - w.used));
    headers->emplace("X-Bapi-Limit-Reset-Timestamp", std::to_string((w.index + 1) * length));
  }
  return std::nullopt;
}

std::optional<FaultSpec> FakeExchange::State::TakeFault(const std::string& path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    FaultSpec fault = *it;
    if (it->count > 0 && --it->count == 0) faults.erase(it);
    ++stats.faults_applied;
    return fault;
  }
  return std::nullopt;
}

FakeExchange::State::Admission FakeExchange::State::Admit(const Route& route,
                                                          const httplib::Request& req) {
  Admission a;
  const int64_t now_real = SystemNowMs();
  std::lock_guard lock(mu);
  a.reply = route.api == FakeApi::kBybit ? AdmitBybit(now_real, &a.headers)
                                         : AdmitBinance(route, req, now_real, &a.headers);
  if (a.reply) return a;
  std::optional<FaultSpec> fault = TakeFault(req.path);
  if (!fault) return a;
  switch (fault->kind) {
    case FaultKind::kSlow:
      a.delay_ms = fault->delay_ms;
      break;
    case FaultKind::kTruncatedBody:
    case FaultKind::kCutBody:
      a.body_fault = fault->kind;
      break;
    default:
      a.reply = FaultReply(route, *fault);
  }
  return a;
}

Reply FakeExchange::State::FaultReply(const Route& route, const FaultSpec& fault) {
  const bool bybit = route.api == FakeApi::kBybit;
  const int64_t now = Now();
  switch (fault.kind) {
    case FaultKind::kDropConnection:
    case FaultKind::kResetConnection: {
      Reply r;
      r.transport = fault.kind == FaultKind::kDropConnection ? Transport::kDrop : Transport::kReset;
      return r;
    }
    case FaultKind::kHtmlOk: {
      Reply r = HtmlReply(200, "System maintenance");
      r.body =
          "<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body><h1>We'll be "
          "back soon</h1><p>The system is under maintenance.</p></body></html>\n";
      return r;
    }
    case FaultKind::kTooManyRequests: {
      if (bybit) {
        Reply r = BybitError(10006, "Too many visits!", now);
        r.headers.emplace("X-Bapi-Limit-Reset-Timestamp",
                          std::to_string(SystemNowMs() + fault.retry_after_s * kMsPerSecond));
        return r;
      }
      ++stats.sent_429;
      Reply r = BinanceError(429, -1003, "Too many requests; current request has limited.");
      if (route.api == FakeApi::kBinanceSpot || options.binance_usdm_retry_after) {
        r.headers.emplace("Retry-After", std::to_string(fault.retry_after_s));
      }
      return r;
    }
    case FaultKind::kUnknownSymbol:
      return bybit ? BybitError(10001, "Not supported symbols", now)
                   : BinanceError(400, -1121, "Invalid symbol.");
    case FaultKind::kInvalidInterval:
      return bybit ? BybitError(10001, "Invalid period!", now)
                   : BinanceError(400, -1120, "Invalid interval.");
    default:
      break;
  }
  if (fault.html) return HtmlReply(fault.status, StatusTitle(fault.status));
  if (bybit) {
    Reply r = BybitError(10016, "Internal server error.", now);
    r.status = fault.status;
    return r;
  }
  if (fault.status == 408) {
    return BinanceError(408, -1007,
                        "Timeout waiting for response from backend server. Send status unknown; "
                        "execution status unknown.");
  }
  if (fault.status == 503) {
    return BinanceError(503, -1008,
                        "Server is currently overloaded with other requests. Please try again "
                        "in a few minutes.");
  }
  return BinanceError(fault.status, -1000,
                      "An unknown error occurred while processing the request.");
}

bool FakeExchange::State::SleepUnlessStopping(int delay_ms) {
  std::unique_lock lock(mu);
  return !wake.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stopping; });
}

void FakeExchange::State::Handle(const Route& route, const httplib::Request& req,
                                 httplib::Response& res) {
  Record(req);
  Admission a = Admit(route, req);
  if (a.delay_ms > 0 && !SleepUnlessStopping(a.delay_ms)) {
    KillConnection(req, /*reset=*/false);
    return;
  }
  Reply reply;
  if (a.reply) {
    reply = std::move(*a.reply);
  } else {
    try {
      reply = Serve(route, req);
    } catch (const std::exception& e) {
      reply = HtmlReply(500, std::string("fake exchange bug: ") + e.what());
    }
  }
  if (a.body_fault == FaultKind::kTruncatedBody) reply.body.resize(reply.body.size() / 2);
  if (a.body_fault == FaultKind::kCutBody) reply.transport = Transport::kCut;

  res.status = reply.status;
  for (const auto& [k, v] : a.headers) res.set_header(k, v);
  for (const auto& [k, v] : reply.headers) res.set_header(k, v);
  switch (reply.transport) {
    case Transport::kNormal:
      res.set_content(reply.body, reply.content_type);
      return;
    case Transport::kDrop:
    case Transport::kReset:
      KillConnection(req, reply.transport == Transport::kReset);
      return;
    case Transport::kCut: {
      auto body = std::make_shared<std::string>(std::move(reply.body));
      res.set_content_provider(body->size(), reply.content_type,
                               [body](size_t, size_t, httplib::DataSink& sink) {
                                 sink.write(body->data(), body->size() / 2);
                                 return false;  // closes the connection mid-body
                               });
      return;
    }
  }
}

Reply FakeExchange::State::Serve(const Route& route, const httplib::Request& req) {
  switch (route.endpoint) {
    case Endpoint::kBinanceKlines:
      return BinanceKlines(route.market, req);
    case Endpoint::kBinanceExchangeInfo:
      return BinanceExchangeInfo(route.market, req);
    case Endpoint::kBinanceFunding:
      return BinanceFunding(req);
    case Endpoint::kBybitKline:
      return BybitKline(req);
    case Endpoint::kBybitInstruments:
      return BybitInstruments(req);
    case Endpoint::kBybitFunding:
      return BybitFunding(req);
  }
  return HtmlReply(404, "404 Not Found");
}

// ---- Binance endpoints ----

namespace {

Reply BinanceMissing(const char* name) {
  return BinanceError(400, -1102,
                      std::string("Mandatory parameter '") + name +
                          "' was not sent, was empty/null, or malformed.");
}

Reply BinanceIllegal(const char* name) {
  return BinanceError(400, -1100,
                      std::string("Illegal characters found in parameter '") + name +
                          "'; legal range is '^[0-9]{1,20}$'.");
}

Reply BinanceInvalid(const char* name) {
  return BinanceError(400, -1130,
                      std::string("Data sent for parameter '") + name + "' is not valid.");
}

// Reads `limit`: the value, or the error reply.
std::variant<int64_t, Reply> BinanceLimit(const httplib::Request& req, int64_t fallback,
                                          int64_t max, OverMaxLimit over) {
  bool bad = false;
  const std::optional<int64_t> limit = IntParam(req, "limit", &bad);
  if (bad) return BinanceIllegal("limit");
  if (!limit) return fallback;
  if (*limit < 1 || (*limit > max && over == OverMaxLimit::kError)) return BinanceInvalid("limit");
  return std::min(*limit, max);
}

}  // namespace

Reply FakeExchange::State::BinanceKlines(FakeMarket market, const httplib::Request& req) {
  const bool spot = market == FakeMarket::kBinanceSpot;
  const std::string symbol = req.get_param_value("symbol");
  const std::string interval = req.get_param_value("interval");
  if (symbol.empty()) return BinanceMissing("symbol");
  if (interval.empty()) return BinanceMissing("interval");
  const Series* s = FindSeries(market, symbol);
  if (s == nullptr) return BinanceError(400, -1121, "Invalid symbol.");
  const std::optional<Interval> iv = ParseInterval(market, interval);
  if (!iv) return BinanceError(400, -1120, "Invalid interval.");
  auto limit = BinanceLimit(req, 500, spot ? 1000 : 1500, options.binance_over_max_limit);
  if (auto* error = std::get_if<Reply>(&limit)) return *error;
  bool bad = false;
  std::optional<int64_t> start = TimeParam(req, "startTime", &bad);
  if (bad) return BinanceIllegal("startTime");
  std::optional<int64_t> end = TimeParam(req, "endTime", &bad);
  if (bad) return BinanceIllegal("endTime");
  // Spot also takes microseconds (any value past year 33658 in ms is one).
  if (spot && start && *start >= 1'000'000'000'000'000) *start /= 1000;
  if (spot && end && *end >= 1'000'000'000'000'000) *end /= 1000;

  const int64_t now = Now();
  const size_t n = static_cast<size_t>(std::get<int64_t>(limit));
  std::vector<int64_t> opens;
  if (start) {
    opens = s->OpensAscending(*iv, AlignUp(*iv, *start), end.value_or(kFarFuture), n, now);
  } else {
    opens = s->OpensDescending(*iv, end.value_or(now), kMinTime, n, now);
    std::reverse(opens.begin(), opens.end());
  }
  Reply reply;  // Binance's content type is the default
  reply.body = "[";
  for (int64_t open : opens) {
    if (reply.body.size() > 1) reply.body += ',';
    AppendBinanceKline(&reply.body, s->Candle(*iv, open, now), s->symbol(), spot);
  }
  reply.body += ']';
  return reply;
}

Json FakeExchange::State::BinanceRateLimits(bool spot) const {
  const auto [unit, count] = WindowUnit(options.binance_window_ms);
  auto limit = [&](const char* type, const std::string& interval, int64_t num, int64_t value) {
    Json j = Json::object();
    if (spot) {  // spot docs order; the USD-M example is alphabetical
      j["rateLimitType"] = type;
      j["interval"] = interval;
      j["intervalNum"] = num;
      j["limit"] = value;
    } else {
      j["interval"] = interval;
      j["intervalNum"] = num;
      j["limit"] = value;
      j["rateLimitType"] = type;
    }
    return j;
  };
  if (spot) {
    return Json::array({limit("REQUEST_WEIGHT", unit, count, options.binance_spot_weight_limit),
                        limit("ORDERS", "SECOND", 10, 100),
                        limit("RAW_REQUESTS", "MINUTE", 5, 61000)});
  }
  return Json::array({limit("REQUEST_WEIGHT", unit, count, options.binance_usdm_weight_limit),
                      limit("ORDERS", "MINUTE", 1, 1200)});
}

Json FakeExchange::State::BinanceSpotSymbol(const Series& series, int64_t now) const {
  const FakeSymbol& s = series.symbol();
  Json j = Json::object();
  j["symbol"] = s.symbol;
  j["status"] = BinanceStatus(s, FakeMarket::kBinanceSpot, now);
  j["baseAsset"] = s.base;
  j["baseAssetPrecision"] = 8;
  j["quoteAsset"] = s.quote;
  j["quotePrecision"] = 8;
  j["quoteAssetPrecision"] = 8;
  j["baseCommissionPrecision"] = 8;
  j["quoteCommissionPrecision"] = 8;
  j["orderTypes"] = Json::array({"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                 "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"});
  for (const char* flag :
       {"icebergAllowed", "ocoAllowed", "otoAllowed", "opoAllowed", "quoteOrderQtyMarketAllowed",
        "allowTrailingStop", "cancelReplaceAllowed", "amendAllowed", "pegInstructionsAllowed",
        "isSpotTradingAllowed", "isMarginTradingAllowed"}) {
    j[flag] = true;
  }
  j["filters"] = Json::array({Filter({{"filterType", "PRICE_FILTER"},
                                      {"minPrice", Tick(s, 8)},
                                      {"maxPrice", "1000000.00000000"},
                                      {"tickSize", Tick(s, 8)}}),
                              Filter({{"filterType", "LOT_SIZE"},
                                      {"minQty", Lot(s, 8)},
                                      {"maxQty", "9000.00000000"},
                                      {"stepSize", Lot(s, 8)}})});
  j["permissions"] = Json::array();
  j["permissionSets"] = Json::array({Json::array({"SPOT", "MARGIN"})});
  j["defaultSelfTradePreventionMode"] = "EXPIRE_MAKER";
  j["allowedSelfTradePreventionModes"] =
      Json::array({"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"});
  return j;
}

Json FakeExchange::State::BinanceUsdmSymbol(const Series& series, int64_t now) const {
  const FakeSymbol& s = series.symbol();
  const int pd = s.price_decimals, qd = s.qty_decimals;
  Json j = Json::object();
  j["symbol"] = s.symbol;
  j["pair"] = s.symbol;
  j["contractType"] = "PERPETUAL";
  j["deliveryDate"] = s.delist_ms > 0 ? s.delist_ms : kPerpetualDeliveryMs;
  j["onboardDate"] = s.listing_ms;
  j["status"] = BinanceStatus(s, FakeMarket::kBinanceUsdm, now);
  j["maintMarginPercent"] = "2.5000";
  j["requiredMarginPercent"] = "5.0000";
  j["baseAsset"] = s.base;
  j["quoteAsset"] = s.quote;
  j["marginAsset"] = s.quote;
  j["pricePrecision"] = pd;
  j["quantityPrecision"] = qd;
  j["baseAssetPrecision"] = 8;
  j["quotePrecision"] = 8;
  j["underlyingType"] = "COIN";
  j["underlyingSubType"] = Json::array();
  j["settlePlan"] = 0;
  j["triggerProtect"] = "0.0500";
  j["filters"] = Json::array({Filter({{"filterType", "PRICE_FILTER"},
                                      {"maxPrice", "1000000"},
                                      {"minPrice", Tick(s, pd)},
                                      {"tickSize", Tick(s, pd)}}),
                              Filter({{"filterType", "LOT_SIZE"},
                                      {"maxQty", "1000"},
                                      {"minQty", Lot(s, qd)},
                                      {"stepSize", Lot(s, qd)}}),
                              Filter({{"filterType", "MARKET_LOT_SIZE"},
                                      {"maxQty", "120"},
                                      {"minQty", Lot(s, qd)},
                                      {"stepSize", Lot(s, qd)}}),
                              Filter({{"filterType", "MAX_NUM_ORDERS"}, {"limit", 200}}),
                              Filter({{"filterType", "MAX_NUM_ALGO_ORDERS"}, {"limit", 10}}),
                              Filter({{"notional", "5"}, {"filterType", "MIN_NOTIONAL"}}),
                              Filter({{"filterType", "PERCENT_PRICE"},
                                      {"multiplierUp", "1.0500"},
                                      {"multiplierDown", "0.9500"},
                                      {"multiplierDecimal", "4"}})});
  j["orderTypes"] = Json::array({"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT",
                                 "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"});
  j["timeInForce"] = Json::array({"GTC", "IOC", "FOK", "GTX"});
  j["liquidationFee"] = "0.012500";
  j["marketTakeBound"] = "0.05";
  return j;
}

Reply FakeExchange::State::BinanceExchangeInfo(FakeMarket market, const httplib::Request& req) {
  const bool spot = market == FakeMarket::kBinanceSpot;
  const int64_t now = Now();
  std::vector<const Series*> selected = MarketSeries(market);
  if (spot && (req.has_param("symbol") || req.has_param("symbols"))) {
    std::vector<std::string> names;
    if (req.has_param("symbol")) {
      names.push_back(req.get_param_value("symbol"));
    } else {
      Json list = Json::parse(req.get_param_value("symbols"), nullptr, /*allow_exceptions=*/false);
      if (!list.is_array()) return BinanceInvalid("symbols");
      for (const Json& name : list)
        names.push_back(name.is_string() ? name.get<std::string>() : "");
    }
    selected.clear();
    for (const std::string& name : names) {
      const Series* s = FindSeries(market, name);
      if (s == nullptr) return BinanceError(400, -1121, "Invalid symbol.");
      selected.push_back(s);
    }
  }
  Json symbols = Json::array();
  for (const Series* s : selected) {
    symbols.push_back(spot ? BinanceSpotSymbol(*s, now) : BinanceUsdmSymbol(*s, now));
  }
  Json body = Json::object();
  if (spot) {
    body["timezone"] = "UTC";
    body["serverTime"] = now;
    body["rateLimits"] = BinanceRateLimits(true);
    body["exchangeFilters"] = Json::array();
    body["symbols"] = std::move(symbols);
    body["sors"] = Json::array();
    return BinanceJson(body);
  }
  body["exchangeFilters"] = Json::array();
  body["rateLimits"] = BinanceRateLimits(false);
  body["serverTime"] = now;
  body["assets"] = Json::array();
  for (const char* asset : {"USDT", "USDC", "BTC"}) {
    Json a = Json::object();
    a["asset"] = asset;
    a["marginAvailable"] = true;
    a["autoAssetExchange"] = "-10000";
    body["assets"].push_back(std::move(a));
  }
  body["symbols"] = std::move(symbols);
  body["timezone"] = "UTC";
  return BinanceJson(body);
}

Reply FakeExchange::State::BinanceFunding(const httplib::Request& req) {
  constexpr FakeMarket kMarket = FakeMarket::kBinanceUsdm;
  std::vector<const Series*> selected;
  if (req.has_param("symbol")) {
    const Series* s = FindSeries(kMarket, req.get_param_value("symbol"));
    if (s == nullptr) return BinanceError(400, -1121, "Invalid symbol.");
    selected.push_back(s);
  } else {
    selected = MarketSeries(kMarket);  // no symbol: every symbol
  }
  auto limit = BinanceLimit(req, 100, 1000, options.binance_over_max_limit);
  if (auto* error = std::get_if<Reply>(&limit)) return *error;
  bool bad = false;
  const std::optional<int64_t> start = TimeParam(req, "startTime", &bad);
  if (bad) return BinanceIllegal("startTime");
  const std::optional<int64_t> end = TimeParam(req, "endTime", &bad);
  if (bad) return BinanceIllegal("endTime");

  const int64_t now = Now();
  size_t n = static_cast<size_t>(std::get<int64_t>(limit));
  if (!start && !end && options.binance_funding_recent_rows > 0) {
    n = static_cast<size_t>(options.binance_funding_recent_rows);
  }
  std::vector<std::pair<int64_t, const Series*>> rows;
  for (const Series* s : selected) {
    std::vector<int64_t> times = start
                                     ? s->FundingAscending(*start, end.value_or(kFarFuture), n, now)
                                     : s->FundingDescending(end.value_or(now), kMinTime, n, now);
    for (int64_t t : times) rows.emplace_back(t, s);
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first
                              : a.second->symbol().symbol < b.second->symbol().symbol;
  });
  // Start given: the first `limit` rows from it; otherwise the most recent ones.
  if (rows.size() > n) {
    if (start)
      rows.resize(n);
    else
      rows.erase(rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(n));
  }
  Json body = Json::array();
  for (const auto& [t, s] : rows) {
    Json row = Json::object();
    row["symbol"] = s->symbol().symbol;
    row["fundingRate"] = FormatFixed(s->FundingRateUnits(t), 8, 8);
    row["fundingTime"] = t;
    row["markPrice"] = FormatFixed(s->PriceTicks(t), s->symbol().price_decimals, 8);
    body.push_back(std::move(row));
  }
  return BinanceJson(body);
}

// ---- Bybit endpoints ----

namespace {

std::optional<FakeMarket> BybitCategory(std::string_view category, bool allow_spot) {
  if (category == "linear") return FakeMarket::kBybitLinear;
  if (category == "inverse") return FakeMarket::kBybitInverse;
  if (category == "spot" && allow_spot) return FakeMarket::kBybitSpot;
  return std::nullopt;
}

// Reads `limit` in [1, max]: the value, or the retCode 10001 message.
std::variant<int64_t, std::string> BybitLimit(const httplib::Request& req, int64_t fallback,
                                              int64_t max, OverMaxLimit over) {
  bool bad = false;
  const std::optional<int64_t> limit = IntParam(req, "limit", &bad);
  if (bad || (limit && (*limit < 1 || (*limit > max && over == OverMaxLimit::kError)))) {
    return "params error: limit must be between 1 and " + std::to_string(max);  // [U] wording
  }
  return std::min(limit.value_or(fallback), max);
}

// Bybit cursors look like "first%3DAAVEUSDT%26last%3DBTCUSDT"; clients send them back as
// received or decoded once.
std::optional<std::string> CursorLast(std::string cursor) {
  for (auto [from, to] : {std::pair{"%3D", "="}, std::pair{"%3d", "="}, std::pair{"%26", "&"}}) {
    for (size_t at; (at = cursor.find(from)) != std::string::npos;) cursor.replace(at, 3, to);
  }
  const size_t at = cursor.find("last=");
  if (at == std::string::npos) return std::nullopt;
  const size_t stop = cursor.find('&', at);
  return cursor.substr(at + 5, stop == std::string::npos ? std::string::npos : stop - at - 5);
}

}  // namespace

Reply FakeExchange::State::BybitKline(const httplib::Request& req) {
  const int64_t now = Now();
  const std::string category =
      req.has_param("category") ? req.get_param_value("category") : "linear";
  const std::optional<FakeMarket> market = BybitCategory(category, /*allow_spot=*/true);
  if (!market) return BybitError(10001, "Illegal category", now);
  const std::string symbol = req.get_param_value("symbol");
  if (symbol.empty()) return BybitError(10001, "params error: symbol is required", now);
  const Series* s = FindSeries(*market, symbol);
  if (s == nullptr) return BybitError(10001, "Not supported symbols", now);
  const std::optional<Interval> iv = ParseInterval(*market, req.get_param_value("interval"));
  if (!iv) return BybitError(10001, "Invalid period!", now);
  auto limit = BybitLimit(req, 200, 1000, options.bybit_over_max_limit);
  if (auto* error = std::get_if<std::string>(&limit)) return BybitError(10001, *error, now);
  bool bad = false;
  const std::optional<int64_t> start = TimeParam(req, "start", &bad);
  const std::optional<int64_t> end = TimeParam(req, "end", &bad);
  if (bad) return BybitError(10001, "params error: start/end must be ms timestamps", now);

  // The candle holding `start` is included (ro-soku #3); the list is newest first.
  const size_t n = static_cast<size_t>(std::get<int64_t>(limit));
  std::vector<int64_t> opens;
  if (start && options.bybit_kline_anchor == RangeAnchor::kStart) {
    opens = s->OpensAscending(*iv, AlignDown(*iv, *start), end.value_or(now), n, now);
    std::reverse(opens.begin(), opens.end());
  } else {
    opens = s->OpensDescending(*iv, end.value_or(now), start ? AlignDown(*iv, *start) : kMinTime, n,
                               now);
  }
  // The recorded order: category, symbol, list. Both names were checked against known values.
  Reply reply;
  reply.content_type = kBybitContentType;
  reply.body = R"({"retCode":0,"retMsg":"OK","result":{"category":")" + category +
               R"(","symbol":")" + symbol + R"(","list":[)";
  const bool inverse = *market == FakeMarket::kBybitInverse;
  for (size_t i = 0; i < opens.size(); ++i) {
    if (i > 0) reply.body += ',';
    AppendBybitKline(&reply.body, s->Candle(*iv, opens[i], now), s->symbol(), inverse);
  }
  reply.body += R"(]},"retExtInfo":{},"time":)" + std::to_string(now) + "}";
  return reply;
}

Json FakeExchange::State::BybitInstrument(const Series& series, int64_t id, int64_t now) const {
  const FakeSymbol& s = series.symbol();
  const int pd = s.price_decimals, qd = s.qty_decimals;
  Json j = Json::object();
  auto risk = [] { return Filter({{"priceLimitRatioX", "0.01"}, {"priceLimitRatioY", "0.02"}}); };
  if (series.market() == FakeMarket::kBybitSpot) {  // the spot example's order
    j["symbolId"] = id;
    j["symbol"] = s.symbol;
    j["baseCoin"] = s.base;
    j["quoteCoin"] = s.quote;
    j["innovation"] = "0";
    j["status"] = BybitStatus(s, now);
    j["marginTrading"] = "utaOnly";
    j["stTag"] = "0";
    j["lotSizeFilter"] = Filter({{"basePrecision", Lot(s, qd)},
                                 {"quotePrecision", FormatFixed(1, 7, 7)},
                                 {"minOrderQty", Lot(s, qd)},
                                 {"maxOrderQty", "83"},
                                 {"minOrderAmt", "5"},
                                 {"maxOrderAmt", "8000000"},
                                 {"maxLimitOrderQty", "83"},
                                 {"maxMarketOrderQty", "41.5"},
                                 {"postOnlyMaxLimitOrderSize", "60000"}});
    j["priceFilter"] = Filter({{"tickSize", Tick(s, pd)}});
    j["riskParameters"] = risk();
    j["symbolType"] = "";
    return j;
  }
  const bool inverse = series.market() == FakeMarket::kBybitInverse;
  j["symbol"] = s.symbol;
  j["symbolId"] = id;
  j["contractType"] = inverse ? "InversePerpetual" : "LinearPerpetual";
  j["status"] = BybitStatus(s, now);
  j["baseCoin"] = s.base;
  j["quoteCoin"] = s.quote;
  j["launchTime"] = std::to_string(s.listing_ms);
  j["deliveryTime"] = std::to_string(s.delist_ms);
  j["deliveryFeeRate"] = "";
  j["priceScale"] = std::to_string(pd);
  j["leverageFilter"] =
      Filter({{"minLeverage", "1"}, {"maxLeverage", "100.00"}, {"leverageStep", "0.01"}});
  j["priceFilter"] =
      Filter({{"minPrice", Tick(s, pd)}, {"maxPrice", "1999999.80"}, {"tickSize", Tick(s, pd)}});
  j["lotSizeFilter"] = Filter({{"maxOrderQty", "1190.000"},
                               {"minOrderQty", Lot(s, qd)},
                               {"qtyStep", Lot(s, qd)},
                               {"postOnlyMaxOrderQty", "1190.000"},
                               {"maxMktOrderQty", "500.000"},
                               {"minNotionalValue", "5"}});
  j["unifiedMarginTrade"] = true;
  j["fundingInterval"] = s.funding_interval_ms / kMsPerMinute;
  j["settleCoin"] = inverse ? s.base : s.quote;
  j["copyTrading"] = "both";
  j["upperFundingRate"] = "0.00375";
  j["lowerFundingRate"] = "-0.00375";
  j["isPreListing"] = false;
  j["preListingInfo"] = nullptr;
  j["riskParameters"] = risk();
  j["symbolType"] = "";
  return j;
}

Reply FakeExchange::State::BybitInstruments(const httplib::Request& req) {
  const int64_t now = Now();
  const std::string category = req.get_param_value("category");
  const std::optional<FakeMarket> market = BybitCategory(category, /*allow_spot=*/true);
  if (!market) return BybitError(10001, "Illegal category", now);
  const bool spot = *market == FakeMarket::kBybitSpot;
  auto limit = BybitLimit(req, 500, 1000, options.bybit_over_max_limit);
  if (auto* error = std::get_if<std::string>(&limit); error && !spot) {
    return BybitError(10001, *error, now);
  }
  // Default filter: Trading only.
  const std::string status = req.has_param("status") ? req.get_param_value("status") : "Trading";
  const std::string symbol = req.get_param_value("symbol");
  const std::string base = spot ? "" : req.get_param_value("baseCoin");
  std::vector<const Series*> all = MarketSeries(*market);
  std::vector<std::pair<int64_t, const Series*>> matching;  // (symbolId, series)
  for (size_t i = 0; i < all.size(); ++i) {
    const FakeSymbol& s = all[i]->symbol();
    if (BybitStatus(s, now) != status || (!symbol.empty() && s.symbol != symbol) ||
        (!base.empty() && s.base != base)) {
      continue;
    }
    matching.emplace_back(static_cast<int64_t>(i) + 1, all[i]);
  }
  size_t begin = 0, end = matching.size();
  if (!spot) {  // spot is not paginated: limit and cursor are ignored
    if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
      const std::optional<std::string> last = CursorLast(req.get_param_value("cursor"));
      if (!last) return BybitError(10001, "params error: invalid cursor", now);
      while (begin < matching.size() && matching[begin].second->symbol().symbol <= *last) ++begin;
    }
    end = std::min(matching.size(), begin + static_cast<size_t>(std::get<int64_t>(limit)));
  }
  Json list = Json::array();
  for (size_t i = begin; i < end; ++i) {
    list.push_back(BybitInstrument(*matching[i].second, matching[i].first, now));
  }
  Json result = Json::object();
  result["category"] = category;
  result["list"] = std::move(list);
  if (!spot) {
    result["nextPageCursor"] = end < matching.size()
                                   ? "first%3D" + matching[begin].second->symbol().symbol +
                                         "%26last%3D" + matching[end - 1].second->symbol().symbol
                                   : "";
  }
  return BybitOk(std::move(result), now);
}

Reply FakeExchange::State::BybitFunding(const httplib::Request& req) {
  const int64_t now = Now();
  const std::string category = req.get_param_value("category");
  const std::optional<FakeMarket> market = BybitCategory(category, /*allow_spot=*/false);
  if (!market) return BybitError(10001, "Illegal category", now);
  const std::string symbol = req.get_param_value("symbol");
  if (symbol.empty()) return BybitError(10001, "params error: symbol is required", now);
  const Series* s = FindSeries(*market, symbol);
  if (s == nullptr) return BybitError(10001, "Not supported symbols", now);
  auto limit = BybitLimit(req, 200, 200, options.bybit_over_max_limit);
  if (auto* error = std::get_if<std::string>(&limit)) return BybitError(10001, *error, now);
  bool bad = false;
  const std::optional<int64_t> start = TimeParam(req, "startTime", &bad);
  const std::optional<int64_t> end = TimeParam(req, "endTime", &bad);
  if (bad) return BybitError(10001, "params error: startTime/endTime must be ms timestamps", now);
  // Documented: startTime alone is an error (the wording is ours).
  if (start && !end)
    return BybitError(10001, "params error: endTime is required with startTime", now);

  const size_t n = static_cast<size_t>(std::get<int64_t>(limit));
  std::vector<int64_t> times;
  if (start && options.bybit_funding_anchor == RangeAnchor::kStart) {
    times = s->FundingAscending(*start, *end, n, now);
    std::reverse(times.begin(), times.end());
  } else {
    times = s->FundingDescending(end.value_or(now), start.value_or(kMinTime), n, now);
  }
  Json list = Json::array();
  for (int64_t t : times) {
    Json row = Json::object();
    row["symbol"] = symbol;
    row["fundingRate"] = FormatTrimmed(s->FundingRateUnits(t), 8);
    row["fundingRateTimestamp"] = std::to_string(t);
    list.push_back(std::move(row));
  }
  Json result = Json::object();
  result["category"] = category;
  result["list"] = std::move(list);
  return BybitOk(std::move(result), now);
}

// ---- FakeExchange ----

namespace {

Status ValidateOptions(const FakeExchangeOptions& o) {
  if (o.binance_window_ms <= 0 || o.bybit_window_ms <= 0) {
    return InvalidArgument("fake exchange: rate-limit windows must be positive");
  }
  if (o.threads < 2) return InvalidArgument("fake exchange: needs at least 2 threads");
  for (const FakeSymbol& s : o.symbols) {
    const std::string name = "fake symbol '" + s.symbol + "'";
    if (s.symbol.empty() || s.markets.empty()) {
      return InvalidArgument(name, ": needs a name and at least one market");
    }
    if (s.price_decimals < 0 || s.qty_decimals < 0 || s.price_decimals + s.qty_decimals > 8) {
      return InvalidArgument(name, ": price_decimals + qty_decimals must be in [0, 8]");
    }
    if (s.base_price <= 0 || s.volume_per_minute <= 0 || s.funding_interval_ms <= 0 ||
        s.listing_ms < 0) {
      return InvalidArgument(name,
                             ": base_price, volume_per_minute and funding_interval_ms "
                             "must be positive and listing_ms not negative");
    }
    for (const FakeTimeRange& r : s.downtime) {
      if (r.start_ms >= r.end_ms) return InvalidArgument(name, ": empty downtime range");
    }
  }
  return Status::Ok();
}

}  // namespace

FakeExchange::FakeExchange(FakeExchangeOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}

Result<std::unique_ptr<FakeExchange>> FakeExchange::Start(FakeExchangeOptions options) {
  DLAKE_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<FakeExchange> fake(new FakeExchange(std::move(options)));
  State* state = fake->state_.get();
  const size_t threads = static_cast<size_t>(fake->options_.threads);
  state->server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  for (const Route& route : kRoutes) {
    state->server.Get(route.path,
                      [state, &route](const httplib::Request& req, httplib::Response& res) {
                        state->Handle(route, req, res);
                      });
  }
  // Without TCP_NODELAY, Nagle and delayed ACKs stall ~40% of small responses by ~40 ms.
  state->server.set_tcp_nodelay(true);
  const int port = state->server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return Unavailable("fake exchange: cannot bind a port on 127.0.0.1");
  fake->port_ = port;
  fake->base_url_ = "http://127.0.0.1:" + std::to_string(port);
  state->thread = std::thread([state] {
    state->server.listen_after_bind();
    state->thread_done = true;
  });
  // stop() before listen starts would be lost, leaving the thread serving forever.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!state->server.is_running() && !state->thread_done) {
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!state->server.is_running()) {
    return Unavailable("fake exchange: the server on port ", port, " did not start");
  }
  return fake;
}

FakeExchange::~FakeExchange() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
  }
  s.wake.notify_all();
  s.server.stop();
  // Workers idle in keep-alive would wait for their timeout (5 s); end their connections.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.thread.joinable() && !s.thread_done && std::chrono::steady_clock::now() < deadline) {
    for (int fd : ServerSockets(port_, 0)) ::shutdown(fd, SHUT_RDWR);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (s.thread.joinable()) s.thread.join();
}

int64_t FakeExchange::Now() const { return state_->Now(); }
void FakeExchange::SetNow(int64_t now_ms) { state_->now_ms = now_ms; }

void FakeExchange::InjectFault(FaultSpec fault) {
  if (fault.count == 0) return;
  std::lock_guard lock(state_->mu);
  state_->faults.push_back(std::move(fault));
}

void FakeExchange::ClearFaults() {
  std::lock_guard lock(state_->mu);
  state_->faults.clear();
}

void FakeExchange::Ban(FakeApi api, int64_t duration_ms) {
  std::lock_guard lock(state_->mu);
  state_->windows[static_cast<int>(api)].ban_until_ms = SystemNowMs() + duration_ms;
}

void FakeExchange::ResetLimits() {
  std::lock_guard lock(state_->mu);
  for (RateWindow& w : state_->windows) w = RateWindow();
  state_->usdm_funding = RateWindow();
}

FakeExchangeStats FakeExchange::Stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

void FakeExchange::ResetStats() {
  std::lock_guard lock(state_->mu);
  state_->stats = FakeExchangeStats();
}

int64_t FakeExchange::UsedInWindow(FakeApi api) const {
  std::lock_guard lock(state_->mu);
  const RateWindow& w = state_->windows[static_cast<int>(api)];
  const int64_t length =
      api == FakeApi::kBybit ? options_.bybit_window_ms : options_.binance_window_ms;
  return w.index == SystemNowMs() / length ? w.used : 0;
}

Result<std::vector<FakeCandle>> FakeExchange::ExpectedCandles(FakeMarket market,
                                                              std::string_view symbol,
                                                              std::string_view interval,
                                                              int64_t from_ms,
                                                              int64_t to_ms) const {
  const Series* s = state_->FindSeries(market, symbol);
  if (s == nullptr) return NotFound("fake exchange: no symbol '", symbol, "' on this market");
  const std::optional<Interval> iv = ParseInterval(market, interval);
  if (!iv) return InvalidArgument("fake exchange: no interval '", interval, "' on this market");
  const int64_t now = Now();
  std::vector<FakeCandle> out;
  for (int64_t open : s->OpensAscending(*iv, AlignUp(*iv, std::max(from_ms, kEarliest)),
                                        std::min(to_ms, kFarFuture), SIZE_MAX, now)) {
    out.push_back(ToFakeCandle(s->Candle(*iv, open, now), s->symbol()));
  }
  return out;
}

Result<std::vector<FakeFunding>> FakeExchange::ExpectedFunding(FakeMarket market,
                                                               std::string_view symbol,
                                                               int64_t from_ms,
                                                               int64_t to_ms) const {
  if (market == FakeMarket::kBinanceSpot || market == FakeMarket::kBybitSpot) {
    return InvalidArgument("fake exchange: spot markets have no funding");
  }
  const Series* s = state_->FindSeries(market, symbol);
  if (s == nullptr) return NotFound("fake exchange: no symbol '", symbol, "' on this market");
  std::vector<FakeFunding> out;
  for (int64_t t : s->FundingAscending(std::max(from_ms, kMinTime), std::min(to_ms, kFarFuture),
                                       SIZE_MAX, Now())) {
    out.push_back({t, DecimalValue(s->FundingRateUnits(t), 8),
                   DecimalValue(s->PriceTicks(t), s->symbol().price_decimals)});
  }
  return out;
}

}  // namespace dlake::testing
