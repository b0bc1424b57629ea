// The fake Bybit v5 market API: its per-IP limit, its error replies, and the kline,
// instruments-info and funding/history endpoints (see fake_exchange.h).

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

std::string BybitStatus(const FakeSymbol& s, int64_t now) {
  if (s.listing_ms > now) return "PreLaunch";
  return s.delist_ms > 0 && s.delist_ms <= now ? "Closed" : "Trading";
}

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

void BreakBybitTypes(Endpoint endpoint, WrongType kind, Json* body) {
  if (!body->is_object() || body->value("retCode", -1) != 0) return;  // an error answer
  Json& list = (*body)["result"]["list"];
  if (kind == WrongType::kContainer || !list.is_array() || list.empty()) {
    (*body)["result"] = Json::array();
    return;
  }
  Json& row = list[0];
  switch (endpoint) {
    case Endpoint::kBybitKline:
      if (kind == WrongType::kRow) {
        row = ArrayAsObject(row);
      } else {
        row[4] = Json::array();  // the close price
      }
      return;
    case Endpoint::kBybitInstruments:
      if (kind == WrongType::kRow) {
        for (Json& entry : list) entry = entry.value("symbol", "");
      } else {
        row["symbol"] = 5;
      }
      return;
    case Endpoint::kBybitFunding:
      if (kind == WrongType::kRow) {
        row = ObjectAsArray(row);
      } else {
        row["fundingRateTimestamp"] = Json::object();
      }
      return;
    default:
      return;
  }
}

// ---- Admission: the per-IP limit ----

std::optional<Reply> FakeServer::AdmitBybit(int64_t now_real, httplib::Headers* headers) {
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

Reply FakeServer::BybitFaultReply(const FaultSpec& fault) {
  const int64_t now = Now();
  switch (fault.kind) {
    case FaultKind::kTooManyRequests: {
      Reply r = BybitError(10006, "Too many visits!", now);
      r.headers.emplace("X-Bapi-Limit-Reset-Timestamp",
                        std::to_string(SystemNowMs() + fault.retry_after_s * kMsPerSecond));
      return r;
    }
    case FaultKind::kUnknownSymbol:
      return BybitError(10001, "Not supported symbols", now);
    case FaultKind::kInvalidInterval:
      return BybitError(10001, "Invalid period!", now);
    case FaultKind::kWrongTypes: {  // kErrorMessage: the envelope with a number as retMsg
      Reply r = BybitError(10001, "", now);
      Json body = Json::parse(r.body);
      body["retMsg"] = 5;
      r.body = body.dump();
      return r;
    }
    default:
      break;
  }
  Reply r = BybitError(10016, "Internal server error.", now);
  r.status = fault.status;
  return r;
}

// ---- Endpoints ----

Reply FakeServer::BybitKline(const httplib::Request& req) {
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

Json FakeServer::BybitInstrument(const Series& series, int64_t id, int64_t now) const {
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

Reply FakeServer::BybitInstruments(const httplib::Request& req) {
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

Reply FakeServer::BybitFunding(const httplib::Request& req) {
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

}  // namespace dlake::testing::fake_exchange_internal
