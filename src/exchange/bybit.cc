// Bybit v5 market endpoints: exchange-apis.md section 4.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/common/time.h"
#include "exchange/exchange_impl.h"

namespace dlake::exchange {
namespace {

const std::map<std::string, std::string> kIntervals = {
    {"1m", "1"},  {"3m", "3"},   {"5m", "5"},   {"15m", "15"}, {"30m", "30"},
    {"1h", "60"}, {"2h", "120"}, {"4h", "240"}, {"6h", "360"}, {"12h", "720"},
    {"1d", "D"},  {"1w", "W"},   {"1M", "M"},
};

std::string RetMessage(const nlohmann::json* json) {
  if (json && json->is_object()) {
    return JsonText(json->value("retMsg", nlohmann::json(""))) + " (retCode " +
           JsonText(json->value("retCode", nlohmann::json(0))) + ")";
  }
  return "";
}

net::Verdict JudgeBybit(const std::string& url, const net::HttpResponse& r,
                        const nlohmann::json* json) {
  net::Verdict v;
  if (r.status == 403) {
    v.kind = net::Verdict::kFail;
    v.error = FailedPrecondition(
        "Bybit blocked this IP (HTTP 403 \"access too frequent\"): the "
        "IP rate limit was broken; Bybit asks to wait at least 10 "
        "minutes before requesting again");
    return v;
  }
  v.kind = net::Verdict::kRetry;
  if (r.status == 429) {
    v.rate_limited = true;
    v.error = Unavailable("Bybit system frequency protection (HTTP 429) for ", url);
    return v;
  }
  if (r.status >= 500 || r.status == 408) {
    v.error = Unavailable("Bybit server error (HTTP ", r.status, ") for ", url);
    return v;
  }
  if (json == nullptr || !json->is_object() || !json->contains("retCode")) {
    v.error = Unavailable("Bybit answered ", url, " (HTTP ", r.status,
                          ") with a body that is not "
                          "its JSON envelope: '",
                          r.body.substr(0, 80), "'");
    return v;
  }
  const int64_t code = (*json)["retCode"].is_number() ? (*json)["retCode"].get<int64_t>() : -1;
  if (code == 0 && r.status == 200) {
    v.kind = net::Verdict::kOk;
    return v;
  }
  if (code == 10006 || code == 10018) {
    v.rate_limited = true;
    v.error = Unavailable("Bybit rate limit: ", RetMessage(json));
    return v;
  }
  if (code == 10000 || code == 10016) {
    v.error = Unavailable("Bybit server error for ", url, ": ", RetMessage(json));
    return v;
  }
  v.kind = net::Verdict::kFail;
  v.error = InvalidArgument("Bybit rejected ", url, ": ", RetMessage(json));
  return v;
}

// result.list of a v5 envelope ({"retCode":0,"retMsg":"OK","result":{"list":[...]},...}); an
// absent list is an empty one.
Result<const nlohmann::json*> ResultList(const nlohmann::json& body) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const nlohmann::json& result = body.at("result");
  if (!result.is_object()) {
    return Unavailable("'result' is not an object: ", JsonText(result).substr(0, 80));
  }
  const auto list = result.find("list");
  if (list == result.end()) return &kEmpty;
  if (!list->is_array()) {
    return Unavailable("'result.list' is not an array: ", JsonText(*list).substr(0, 80));
  }
  return &*list;
}

// Kline rows: seven strings each, newest first.
Result<std::vector<Candle>> ParseKlines(const nlohmann::json& body) {
  DLAKE_ASSIGN_OR_RETURN(const nlohmann::json* list, ResultList(body));
  std::vector<Candle> out;
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& k = (*list)[i];
    if (!k.is_array() || k.size() < 7) {
      return Unavailable("kline ", i, " is not an array of 7 fields: ", JsonText(k).substr(0, 80));
    }
    Candle c;
    DLAKE_ASSIGN_OR_RETURN(c.ts, JsonInt(k[0], "startTime"));
    DLAKE_ASSIGN_OR_RETURN(c.open, JsonNumber(k[1], "open"));
    DLAKE_ASSIGN_OR_RETURN(c.high, JsonNumber(k[2], "high"));
    DLAKE_ASSIGN_OR_RETURN(c.low, JsonNumber(k[3], "low"));
    DLAKE_ASSIGN_OR_RETURN(c.close, JsonNumber(k[4], "close"));
    DLAKE_ASSIGN_OR_RETURN(c.volume, JsonNumber(k[5], "volume"));
    DLAKE_ASSIGN_OR_RETURN(c.quote_volume, JsonNumber(k[6], "turnover"));
    out.push_back(c);
  }
  return out;
}

// Funding history rows: {"symbol":..., "fundingRate":"...", "fundingRateTimestamp":"..."}.
Result<std::vector<FundingRate>> ParseFunding(const nlohmann::json& body) {
  DLAKE_ASSIGN_OR_RETURN(const nlohmann::json* list, ResultList(body));
  std::vector<FundingRate> out;
  out.reserve(list->size());
  for (const auto& f : *list) {
    FundingRate rate;
    DLAKE_ASSIGN_OR_RETURN(rate.ts, JsonInt(f.at("fundingRateTimestamp"), "fundingRateTimestamp"));
    DLAKE_ASSIGN_OR_RETURN(rate.rate, JsonNumber(f.at("fundingRate"), "fundingRate"));
    out.push_back(rate);
  }
  return out;
}

class Bybit : public Exchange {
 public:
  Bybit(std::string category, std::unique_ptr<net::ApiClient> api, std::string base)
      : category_(std::move(category)), api_(std::move(api)), base_(std::move(base)) {
    net::RateBudget budget;  // 600 requests per 5 s per IP
    budget.window_ms = 5000;
    budget.limit = 600;
    api_->SetBudget(budget);
  }

  std::string name() const override { return "BYBIT"; }
  std::string market() const override {
    std::string m = category_;
    std::transform(m.begin(), m.end(), m.begin(), ::toupper);
    return m;
  }
  bool has_funding() const override { return category_ != "spot"; }
  bool binance_columns() const override { return false; }
  int64_t candle_page_size() const override { return 1000; }
  const net::ApiStats& stats() const override { return api_->stats(); }
  int64_t clock_offset_ms() const override { return clock_offset_ms_; }
  bool SupportsInterval(const std::string& period) const override {
    return kIntervals.count(period) > 0;
  }

  Result<std::vector<SymbolInfo>> Symbols() override {
    std::vector<SymbolInfo> out;
    std::string cursor;
    do {
      std::string url = base_ + "/v5/market/instruments-info?category=" + category_ + "&limit=1000";
      if (!cursor.empty()) url += "&cursor=" + cursor;
      DLAKE_ASSIGN_OR_RETURN(auto json, api_->GetJson(url, 1));
      DLAKE_ASSIGN_OR_RETURN(cursor, net::ParseJsonBody(api_->name(), url, [&] {
                               return ParseInstruments(json, &out);
                             }));
    } while (!cursor.empty());
    return out;
  }

  Result<Page> CandlePage(const std::string& symbol, const std::string& period, int64_t start,
                          int64_t end) override {
    // Bybit returns newest first and does not document which end of an over-long window it
    // keeps, so ask for exactly one page's width: all its candles come back.
    const auto step = ParsePeriodMs(period, start);
    int64_t window_end = end - 1;
    if (step > 0) window_end = std::min(end - 1, start + (candle_page_size() - 1) * step);
    const std::string url =
        base_ + "/v5/market/kline?category=" + category_ + "&symbol=" + symbol +
        "&interval=" + kIntervals.at(period) + "&start=" + std::to_string(start) +
        "&end=" + std::to_string(window_end) + "&limit=" + std::to_string(candle_page_size());
    DLAKE_ASSIGN_OR_RETURN(auto json, api_->GetJson(url, 1));
    DLAKE_ASSIGN_OR_RETURN(
        auto candles, net::ParseJsonBody(api_->name(), url, [&] { return ParseKlines(json); }));
    if (json.contains("time") && json["time"].is_number_integer()) {
      clock_offset_ms_ = json["time"].get<int64_t>() - net::WallClockMs();
    }
    Page page;
    for (const Candle& c : candles) {
      // The candle containing `start` is included even if it opened before it.
      if (c.ts >= start && c.ts <= window_end) page.candles.push_back(c);
    }
    std::sort(page.candles.begin(), page.candles.end(),
              [](const Candle& a, const Candle& b) { return a.ts < b.ts; });
    // The window held at most one page, so every candle in it came back.
    page.complete_until = window_end + 1;
    return page;
  }

  Result<std::vector<FundingRate>> Funding(const std::string& symbol, int64_t start,
                                           int64_t end) override {
    // Paged backwards from endTime (only-startTime is an error), 200 rows per page.
    std::vector<FundingRate> out;
    int64_t until = end - 1;
    while (until >= start) {
      const std::string url = base_ + "/v5/market/funding/history?category=" + category_ +
                              "&symbol=" + symbol + "&endTime=" + std::to_string(until) +
                              "&limit=200";
      DLAKE_ASSIGN_OR_RETURN(auto json, api_->GetJson(url, 1));
      DLAKE_ASSIGN_OR_RETURN(
          auto rates, net::ParseJsonBody(api_->name(), url, [&] { return ParseFunding(json); }));
      int64_t oldest = INT64_MAX;
      for (const FundingRate& rate : rates) {
        oldest = std::min(oldest, rate.ts);
        if (rate.ts >= start && rate.ts < end) out.push_back(rate);
      }
      if (rates.size() < 200 || oldest == INT64_MAX) break;
      until = oldest - 1;
    }
    std::sort(out.begin(), out.end(),
              [](const FundingRate& a, const FundingRate& b) { return a.ts < b.ts; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const FundingRate& a, const FundingRate& b) { return a.ts == b.ts; }),
              out.end());
    return out;
  }

 private:
  // One page of instruments-info appended to `out`; the cursor of the next page ("" = none).
  // Throws nlohmann::json::exception on fields of the wrong type.
  Result<std::string> ParseInstruments(const nlohmann::json& body,
                                       std::vector<SymbolInfo>* out) const {
    DLAKE_ASSIGN_OR_RETURN(const nlohmann::json* list, ResultList(body));
    for (const auto& s : *list) {
      SymbolInfo sym;
      sym.exchange = name();
      sym.market = market();
      sym.symbol = s.value("symbol", "");
      sym.base = s.value("baseCoin", "");
      sym.quote = s.value("quoteCoin", "");
      sym.status = s.value("status", "");
      sym.contract_type = s.value("contractType", "");
      if (s.contains("launchTime")) {
        auto t = JsonInt(s["launchTime"], "launchTime");
        if (t.ok()) sym.listing_time = *t;
      }
      if (!sym.symbol.empty()) out->push_back(std::move(sym));
    }
    // Spot is not paginated; linear and inverse pass nextPageCursor back ("" = last page).
    if (category_ == "spot") return std::string();
    return body.at("result").value("nextPageCursor", "");
  }

  static int64_t ParsePeriodMs(const std::string& period, int64_t) {
    auto p = ParsePeriod(period);
    return p.ok() ? p->ms : 0;
  }

  std::string category_;
  std::unique_ptr<net::ApiClient> api_;
  std::string base_;
  int64_t clock_offset_ms_ = 0;
};

}  // namespace

Result<std::unique_ptr<Exchange>> MakeBybit(const std::string& category,
                                            const ClientSettings& settings) {
  DLAKE_ASSIGN_OR_RETURN(auto http, net::HttpClient::Make());
  net::ApiClient::Hooks hooks;
  hooks.judge = JudgeBybit;
  hooks.used_cost = [](const net::HttpResponse&) -> int64_t { return -1; };
  auto api =
      std::make_unique<net::ApiClient>("Bybit " + category, std::move(http), std::move(hooks));
  api->SetBackoffBase(settings.retry_base_ms);
  return std::unique_ptr<Exchange>(new Bybit(category, std::move(api), settings.base_url));
}

}  // namespace dlake::exchange
