// Binance spot (/api/v3) and USD-M futures (/fapi/v1): exchange-apis.md sections 1-3.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "dlake/common/time.h"
#include "exchange/exchange_impl.h"

namespace dlake::exchange {
namespace {

const std::set<std::string> kSpotIntervals = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                              "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};

// Binance answers errors as {"code": -1121, "msg": "Invalid symbol."}; a proxy's may differ.
std::string BinanceMessage(const net::HttpResponse& r, const nlohmann::json* json) {
  if (json && json->is_object() && json->contains("msg")) {
    return JsonText(json->at("msg")) + " (code " +
           JsonText(json->value("code", nlohmann::json(0))) + ")";
  }
  return r.body.substr(0, 200);
}

int64_t RetryAfterMs(const net::HttpResponse& r) {
  std::string value = r.Header("retry-after");
  if (value.empty()) return -1;
  return std::atoll(value.c_str()) * 1000;
}

net::Verdict JudgeBinance(const std::string& url, const net::HttpResponse& r,
                          const nlohmann::json* json) {
  net::Verdict v;
  if (r.status == 200 && json != nullptr) return v;
  v.kind = net::Verdict::kRetry;
  if (r.status == 200) {
    v.error = Unavailable("Binance answered ", url, " with a body that is not JSON: '",
                          r.body.substr(0, 80), "'");
    return v;
  }
  if (r.status == 429) {
    v.rate_limited = true;
    v.retry_after_ms = RetryAfterMs(r);
    v.error = Unavailable("Binance rate limit (HTTP 429): ", BinanceMessage(r, json));
    return v;
  }
  if (r.status == 418) {
    v.kind = net::Verdict::kFail;
    const int64_t ms = RetryAfterMs(r);
    v.error = FailedPrecondition(
        "Binance has banned this IP (HTTP 418) for ", ms >= 0 ? std::to_string(ms / 1000) : "?",
        " s, after continuing past rate limits; wait until the ban ends before downloading "
        "again: ",
        BinanceMessage(r, json));
    return v;
  }
  if (r.status == 408 || r.status >= 500) {
    v.error = Unavailable("Binance server error (HTTP ", r.status, ") for ", url, ": ",
                          BinanceMessage(r, json));
    return v;
  }
  v.kind = net::Verdict::kFail;
  if (r.status == 403) {
    v.error = FailedPrecondition("Binance refused ", url,
                                 " (HTTP 403: firewall block or rate "
                                 "limit violation): ",
                                 BinanceMessage(r, json));
    return v;
  }
  v.error = InvalidArgument("Binance rejected ", url, " (HTTP ", r.status,
                            "): ", BinanceMessage(r, json));
  return v;
}

// X-MBX-USED-WEIGHT-1M (or -2S etc. on scaled test servers); the legacy header otherwise.
int64_t UsedWeight(const net::HttpResponse& r) {
  for (const auto& [name, value] : r.headers) {
    if (name.starts_with("x-mbx-used-weight-")) return std::atoll(value.c_str());
  }
  std::string legacy = r.Header("x-mbx-used-weight");
  return legacy.empty() ? -1 : std::atoll(legacy.c_str());
}

int64_t IntervalUnitMs(const std::string& unit) {
  if (unit == "SECOND") return kMsPerSecond;
  if (unit == "MINUTE") return kMsPerMinute;
  if (unit == "HOUR") return kMsPerHour;
  if (unit == "DAY") return kMsPerDay;
  return 0;
}

// The klines of one page: an array of arrays of (at least) 11 fields; the 12th is ignored.
Result<std::vector<Candle>> ParseKlines(const nlohmann::json& body) {
  if (!body.is_array()) return Unavailable("the klines are not an array");
  std::vector<Candle> out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    const nlohmann::json& k = body[i];
    if (!k.is_array() || k.size() < 11) {
      return Unavailable("kline ", i, " is not an array of 12 fields: ", JsonText(k).substr(0, 80));
    }
    Candle c;
    DLAKE_ASSIGN_OR_RETURN(c.ts, JsonInt(k[0], "open time"));
    DLAKE_ASSIGN_OR_RETURN(c.open, JsonNumber(k[1], "open"));
    DLAKE_ASSIGN_OR_RETURN(c.high, JsonNumber(k[2], "high"));
    DLAKE_ASSIGN_OR_RETURN(c.low, JsonNumber(k[3], "low"));
    DLAKE_ASSIGN_OR_RETURN(c.close, JsonNumber(k[4], "close"));
    DLAKE_ASSIGN_OR_RETURN(c.volume, JsonNumber(k[5], "volume"));
    DLAKE_ASSIGN_OR_RETURN(c.close_time, JsonInt(k[6], "close time"));
    DLAKE_ASSIGN_OR_RETURN(c.quote_volume, JsonNumber(k[7], "quote volume"));
    DLAKE_ASSIGN_OR_RETURN(c.trades, JsonInt(k[8], "trades"));
    DLAKE_ASSIGN_OR_RETURN(c.taker_buy_base, JsonNumber(k[9], "taker buy base"));
    DLAKE_ASSIGN_OR_RETURN(c.taker_buy_quote, JsonNumber(k[10], "taker buy quote"));
    out.push_back(c);
  }
  return out;
}

// One page of /fapi/v1/fundingRate: [{"fundingTime": ..., "fundingRate": "...", ...}, ...].
Result<std::vector<FundingRate>> ParseFunding(const nlohmann::json& body) {
  if (!body.is_array()) return Unavailable("the funding rates are not an array");
  std::vector<FundingRate> out;
  out.reserve(body.size());
  for (const auto& f : body) {
    FundingRate rate;
    DLAKE_ASSIGN_OR_RETURN(rate.ts, JsonInt(f.at("fundingTime"), "fundingTime"));
    DLAKE_ASSIGN_OR_RETURN(rate.rate, JsonNumber(f.at("fundingRate"), "fundingRate"));
    // Older rows carry "" or no mark price at all.
    const auto mark = f.find("markPrice");
    if (mark != f.end() && !mark->is_null() &&
        !(mark->is_string() && mark->get_ref<const std::string&>().empty())) {
      DLAKE_ASSIGN_OR_RETURN(rate.mark_price, JsonNumber(*mark, "markPrice"));
    }
    out.push_back(rate);
  }
  return out;
}

class Binance : public Exchange {
 public:
  Binance(bool futures, std::unique_ptr<net::ApiClient> api, std::string base)
      : futures_(futures), api_(std::move(api)), base_(std::move(base)) {
    net::RateBudget budget;
    budget.limit = futures ? 2400 : 6000;  // published defaults until exchangeInfo says
    api_->SetBudget(budget);
  }

  std::string name() const override { return "BINANCE"; }
  std::string market() const override { return futures_ ? "FUTURES" : "SPOT"; }
  bool has_funding() const override { return futures_; }
  bool binance_columns() const override { return true; }
  int64_t candle_page_size() const override { return futures_ ? 499 : 1000; }
  const net::ApiStats& stats() const override { return api_->stats(); }
  int64_t clock_offset_ms() const override { return clock_offset_ms_; }

  bool SupportsInterval(const std::string& period) const override {
    return kSpotIntervals.count(period) && !(futures_ && period == "1s");
  }

  Result<std::vector<SymbolInfo>> Symbols() override {
    std::vector<SymbolInfo> out;
    DLAKE_RETURN_IF_ERROR(ExchangeInfo(&out));
    return out;
  }

  Result<Page> CandlePage(const std::string& symbol, const std::string& period, int64_t start,
                          int64_t end) override {
    DLAKE_RETURN_IF_ERROR(EnsureBudget());
    const int64_t limit = candle_page_size();
    const std::string url =
        base_ + (futures_ ? "/fapi/v1/klines" : "/api/v3/klines") + "?symbol=" + symbol +
        "&interval=" + period + "&startTime=" + std::to_string(start) +
        "&endTime=" + std::to_string(end - 1) + "&limit=" + std::to_string(limit);
    DLAKE_ASSIGN_OR_RETURN(auto json, api_->GetJson(url, KlineWeight(limit)));
    DLAKE_ASSIGN_OR_RETURN(
        auto candles, net::ParseJsonBody(api_->name(), url, [&] { return ParseKlines(json); }));
    Page page;
    for (const Candle& c : candles) {
      if (c.ts >= start && c.ts < end) page.candles.push_back(c);
    }
    // Selection is by open time >= startTime, oldest first, up to `limit`: a full page is
    // complete up to its last candle, a short one up to `end`.
    page.complete_until = static_cast<int64_t>(candles.size()) >= limit && !page.candles.empty()
                              ? page.candles.back().ts + 1
                              : end;
    return page;
  }

  Result<std::vector<FundingRate>> Funding(const std::string& symbol, int64_t start,
                                           int64_t end) override {
    std::vector<FundingRate> out;
    int64_t from = start;
    while (from < end) {
      const std::string url = base_ + "/fapi/v1/fundingRate?symbol=" + symbol +
                              "&startTime=" + std::to_string(from) +
                              "&endTime=" + std::to_string(end - 1) + "&limit=1000";
      DLAKE_ASSIGN_OR_RETURN(auto json, api_->GetJson(url, 1));
      DLAKE_ASSIGN_OR_RETURN(
          auto rates, net::ParseJsonBody(api_->name(), url, [&] { return ParseFunding(json); }));
      for (const FundingRate& rate : rates) {
        if (rate.ts >= from && rate.ts < end) out.push_back(rate);
      }
      if (rates.size() < 1000) break;
      // Ascending from startTime: the next page starts after this one's last row (always
      // forward, whatever times a strange page holds).
      from = std::max(from + 1, rates.back().ts + 1);
    }
    return out;
  }

 private:
  // Asks exchangeInfo and adopts its rate limit and clock; its symbols go to `symbols` unless it
  // is null.
  Status ExchangeInfo(std::vector<SymbolInfo>* symbols) {
    const std::string url = base_ + (futures_ ? "/fapi/v1/exchangeInfo" : "/api/v3/exchangeInfo");
    DLAKE_ASSIGN_OR_RETURN(auto info, api_->GetJson(url, futures_ ? 1 : 20));
    return net::ParseJsonBody(api_->name(), url, [&]() -> Status {
      AdoptRateLimits(info);
      if (info.contains("serverTime") && info["serverTime"].is_number_integer()) {
        clock_offset_ms_ = info["serverTime"].get<int64_t>() - net::WallClockMs();
      }
      if (symbols != nullptr) *symbols = ParseSymbols(info);
      budget_known_ = true;
      return Status::Ok();
    });
  }

  // exchangeInfo.symbols; throws nlohmann::json::exception on fields of the wrong type.
  std::vector<SymbolInfo> ParseSymbols(const nlohmann::json& info) const {
    std::vector<SymbolInfo> out;
    for (const auto& s : info.at("symbols")) {
      SymbolInfo sym;
      sym.exchange = name();
      sym.market = market();
      sym.symbol = s.value("symbol", "");
      sym.base = s.value("baseAsset", "");
      sym.quote = s.value("quoteAsset", "");
      sym.status = s.value("status", "");
      sym.contract_type = s.value("contractType", "");
      if (s.contains("onboardDate") && s["onboardDate"].is_number()) {
        sym.listing_time = s["onboardDate"].get<int64_t>();
      }
      if (!sym.symbol.empty()) out.push_back(std::move(sym));
    }
    return out;
  }

  // The REQUEST_WEIGHT limit the exchange publishes in exchangeInfo.rateLimits; throws
  // nlohmann::json::exception on fields of the wrong type.
  void AdoptRateLimits(const nlohmann::json& info) {
    if (!info.contains("rateLimits") || !info["rateLimits"].is_array()) return;
    for (const auto& limit : info["rateLimits"]) {
      if (limit.value("rateLimitType", "") != "REQUEST_WEIGHT") continue;
      const int64_t unit = IntervalUnitMs(limit.value("interval", ""));
      const int64_t count = limit.value("intervalNum", 1);
      const int64_t value = limit.value("limit", 0);
      if (unit == 0 || value <= 0) continue;
      net::RateBudget budget = api_->budget();
      budget.window_ms = unit * count;
      budget.limit = value;
      api_->SetBudget(budget);
      return;
    }
  }

  Status EnsureBudget() {
    if (budget_known_) return Status::Ok();
    return ExchangeInfo(nullptr);
  }

  int64_t KlineWeight(int64_t limit) const {
    if (!futures_) return 2;
    if (limit < 100) return 1;
    if (limit < 500) return 2;
    if (limit <= 1000) return 5;
    return 10;
  }

  bool futures_;
  std::unique_ptr<net::ApiClient> api_;
  std::string base_;
  bool budget_known_ = false;
  int64_t clock_offset_ms_ = 0;
};

}  // namespace

Result<std::unique_ptr<Exchange>> MakeBinance(bool futures, const ClientSettings& settings) {
  DLAKE_ASSIGN_OR_RETURN(auto http, net::HttpClient::Make());
  net::ApiClient::Hooks hooks;
  hooks.judge = JudgeBinance;
  hooks.used_cost = UsedWeight;
  auto api = std::make_unique<net::ApiClient>(futures ? "Binance USD-M" : "Binance spot",
                                              std::move(http), std::move(hooks));
  api->SetBackoffBase(settings.retry_base_ms);
  return std::unique_ptr<Exchange>(new Binance(futures, std::move(api), settings.base_url));
}

}  // namespace dlake::exchange
