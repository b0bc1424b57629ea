// The fake Binance spot and USD-M APIs: weights and bans, their error replies, and the klines,
// exchangeInfo and fundingRate endpoints (see fake_exchange.h).

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "testing/fake_server.h"

namespace dlake::testing::fake_exchange_internal {
namespace {

constexpr int64_t kPerpetualDeliveryMs = 4133404800000;  // 2100-12-25, as Binance sends

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

Reply BinanceJson(const Json& body) { return JsonReply(body, kBinanceContentType); }

Reply BinanceError(int status, int code, std::string_view msg) {
  Json body = Json::object();
  body["code"] = code;
  body["msg"] = msg;
  Reply r = BinanceJson(body);
  r.status = status;
  return r;
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

std::string BinanceStatus(const FakeSymbol& s, FakeMarket market, int64_t now) {
  const bool delisted = s.delist_ms > 0 && s.delist_ms <= now;
  if (market == FakeMarket::kBinanceSpot)
    return delisted || s.listing_ms > now ? "BREAK" : "TRADING";
  if (s.listing_ms > now) return "PENDING_TRADING";
  return delisted ? "SETTLING" : "TRADING";
}

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

// kWrongTypes on exchangeInfo (the table in fake_exchange.h).
void BreakExchangeInfo(WrongType kind, Json* body) {
  Json& symbols = (*body)["symbols"];
  if (kind == WrongType::kContainer || (kind == WrongType::kRow && symbols.empty())) {
    symbols = 3;
  } else if (kind == WrongType::kRow) {
    for (Json& s : symbols) s = s.value("symbol", "");
  } else {
    for (Json& limit : (*body)["rateLimits"]) {
      if (limit.value("rateLimitType", "") == "REQUEST_WEIGHT") limit["limit"] = "x";
    }
  }
}

}  // namespace

void BreakBinanceTypes(Endpoint endpoint, WrongType kind, Json* body) {
  if (endpoint == Endpoint::kBinanceExchangeInfo) {
    BreakExchangeInfo(kind, body);
    return;
  }
  // klines and fundingRate: arrays of rows.
  if (!body->is_array()) return;
  if (kind == WrongType::kContainer || body->empty()) {
    Json wrapped = Json::object();
    wrapped["data"] = std::move(*body);
    *body = std::move(wrapped);
    return;
  }
  const bool klines = endpoint == Endpoint::kBinanceKlines;
  Json& row = (*body)[0];
  if (kind == WrongType::kRow) {
    row = klines ? ArrayAsObject(row) : ObjectAsArray(row);
  } else {
    (klines ? row[0] : row["fundingTime"]) = Json::object();
  }
}

// ---- Admission: weights, bans ----

int64_t FakeServer::BinanceWeight(const Route& route, const httplib::Request& req) const {
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

std::optional<Reply> FakeServer::AdmitBinance(const Route& route, const httplib::Request& req,
                                              int64_t now_real, httplib::Headers* headers) {
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

std::optional<FakeServer::Refusal> FakeServer::CheckBinanceLimits(const Route& route,
                                                                  const httplib::Request& req,
                                                                  int64_t now_real, RateWindow& w) {
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

Reply FakeServer::BinanceFaultReply(const Route& route, const FaultSpec& fault) {
  switch (fault.kind) {
    case FaultKind::kTooManyRequests: {
      ++stats.sent_429;
      Reply r = BinanceError(429, -1003, "Too many requests; current request has limited.");
      if (route.api == FakeApi::kBinanceSpot || options.binance_usdm_retry_after) {
        r.headers.emplace("Retry-After", std::to_string(fault.retry_after_s));
      }
      return r;
    }
    case FaultKind::kUnknownSymbol:
      return BinanceError(400, -1121, "Invalid symbol.");
    case FaultKind::kInvalidInterval:
      return BinanceError(400, -1120, "Invalid interval.");
    case FaultKind::kWrongTypes: {  // kErrorMessage: a number as the message
      Json body = Json::object();
      body["code"] = -1121;
      body["msg"] = 5;
      Reply r = BinanceJson(body);
      r.status = 400;
      return r;
    }
    default:
      break;
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

// ---- Endpoints ----

Reply FakeServer::BinanceKlines(FakeMarket market, const httplib::Request& req) {
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

Json FakeServer::BinanceRateLimits(bool spot) const {
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

Json FakeServer::BinanceSpotSymbol(const Series& series, int64_t now) const {
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

Json FakeServer::BinanceUsdmSymbol(const Series& series, int64_t now) const {
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

Reply FakeServer::BinanceExchangeInfo(FakeMarket market, const httplib::Request& req) {
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

Reply FakeServer::BinanceFunding(const httplib::Request& req) {
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

}  // namespace dlake::testing::fake_exchange_internal
