#pragma once
// The HTTP side of the fake exchange (see fake_exchange.h) shared by its Binance and Bybit
// halves: routes, admission (counters, rate windows, bans, injected faults), reply plumbing,
// connection killing and query-parameter parsing. FakeServer's endpoint and exchange-specific
// admission methods are defined in fake_binance.cc and fake_bybit.cc. Private to the fake
// exchange's files.

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "testing/fake_exchange.h"
#include "testing/fake_market_data.h"

namespace dlake::testing::fake_exchange_internal {

using Json = nlohmann::ordered_json;  // keeps field order as written: order is part of the format

int64_t SystemNowMs();

// ---- HTTP replies ----

inline constexpr char kBinanceContentType[] = "application/json;charset=UTF-8";
inline constexpr char kBybitContentType[] = "application/json; charset=utf-8";

enum class Transport { kNormal, kDrop, kReset, kCut };

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = kBinanceContentType;
  httplib::Headers headers;
  Transport transport = Transport::kNormal;
};

Reply JsonReply(const Json& body, std::string content_type);
// What a CDN or proxy in front of the API sends.
Reply HtmlReply(int status, std::string_view title);

// ---- Shared pieces of the wire formats ----

// Candle lists are most of the traffic, so they are written directly (AppendQuoted and the
// kline writers of fake_binance.cc and fake_bybit.cc) rather than through a JSON DOM, which would
// make the fake the slowest part of a download benchmark.

void AppendQuoted(std::string* out, const std::string& text);
// The tick (lot step) of `s` written with `decimals` digits after the point.
std::string Tick(const FakeSymbol& s, int decimals);
std::string Lot(const FakeSymbol& s, int decimals);
Json Filter(std::initializer_list<std::pair<const char*, Json>> fields);
// A row in the other shape, for kWrongTypes: an array's values keyed "0", "1", ...; an object's
// values in order.
Json ArrayAsObject(const Json& array);
Json ObjectAsArray(const Json& object);

// ---- Query parameters ----

// An integer parameter: nullopt when absent; `*bad` set when present but not 1-20 digits.
std::optional<int64_t> IntParam(const httplib::Request& req, const char* name, bool* bad);
// IntParam capped at kFarFuture.
std::optional<int64_t> TimeParam(const httplib::Request& req, const char* name, bool* bad);

// ---- Connections ----

// Connected server-side sockets of this process on local `port` (and remote `peer_port` unless
// 0). cpp-httplib hands handlers no socket; tests need to drop connections, and shutdown needs
// to end idle keep-alive connections, so the descriptors are found by their addresses.
std::vector<int> ServerSockets(int port, int peer_port);

// ---- Routes and rate windows ----

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

// kWrongTypes (fake_exchange.h): breaks the normal answer `body` of `endpoint` as `kind` (not
// kErrorMessage) says. Defined in fake_binance.cc and fake_bybit.cc.
void BreakBinanceTypes(Endpoint endpoint, WrongType kind, Json* body);
void BreakBybitTypes(Endpoint endpoint, WrongType kind, Json* body);

// ---- The server ----

// The state behind a FakeExchange. Keeps a reference to the options.
class FakeServer {
 public:
  explicit FakeServer(const FakeExchangeOptions& opts);

  // Registers a handler for every route on `server`.
  void AddRoutes();

  int64_t Now() const {
    const int64_t fixed = now_ms.load();
    return fixed != 0 ? fixed : SystemNowMs();
  }

  const Series* FindSeries(FakeMarket market, std::string_view symbol) const;
  // Series of `market`, sorted by symbol.
  std::vector<const Series*> MarketSeries(FakeMarket market) const;

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

 private:
  struct Admission {
    std::optional<Reply> reply;  // answered before the endpoint runs
    std::optional<FaultKind> body_fault;
    std::optional<WrongType> wrong_type;  // kWrongTypes, other than kErrorMessage
    int delay_ms = 0;
    httplib::Headers headers;
  };
  // A refused request: the reply and when to come back (Retry-After).
  struct Refusal {
    Reply reply;
    int64_t until_ms = 0;
  };

  void Handle(const Route& route, const httplib::Request& req, httplib::Response& res);
  void Record(const httplib::Request& req);
  Admission Admit(const Route& route, const httplib::Request& req);
  // Rate limits, bans and fault replies; the caller holds mu.
  std::optional<Reply> AdmitBinance(const Route& route, const httplib::Request& req,
                                    int64_t now_real, httplib::Headers* headers);
  std::optional<Refusal> CheckBinanceLimits(const Route& route, const httplib::Request& req,
                                            int64_t now_real, RateWindow& w);
  std::optional<Reply> AdmitBybit(int64_t now_real, httplib::Headers* headers);
  std::optional<FaultSpec> TakeFault(const std::string& path);
  Reply FaultReply(const Route& route, const FaultSpec& fault);
  // The API's own replies for kTooManyRequests, kUnknownSymbol, kInvalidInterval and
  // kHttpError without `html`.
  Reply BinanceFaultReply(const Route& route, const FaultSpec& fault);
  Reply BybitFaultReply(const FaultSpec& fault);
  bool SleepUnlessStopping(int delay_ms);
  int64_t BinanceWeight(const Route& route, const httplib::Request& req) const;

  Reply Serve(const Route& route, const httplib::Request& req);
  // kWrongTypes: `reply` (a normal answer of `route`) broken as `kind` says.
  static void BreakTypes(const Route& route, WrongType kind, Reply* reply);
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
};

}  // namespace dlake::testing::fake_exchange_internal
