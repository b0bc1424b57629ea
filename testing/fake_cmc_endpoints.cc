// The eleven endpoints of the fake CoinMarketCap API (see fake_cmc.h): parameter validation,
// paging, credits and the `data` member in the shapes of ../shared/api-samples/coinmarketcap.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlake/common/time.h"
#include "testing/fake_cmc_internal.h"

namespace dlake::testing::fake_cmc_internal {
namespace {

using AuxSet = std::set<std::string>;

ApiError BadRequest(std::string message) { return {400, 400, std::move(message)}; }
std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }
Json Iso(int64_t ms) { return FormatTimestamp(ms); }
int64_t Minute(int64_t ms) { return ms / kMsPerMinute * kMsPerMinute; }
Json Nullable(const std::optional<double>& v) { return v ? Number(*v) : Json(nullptr); }

std::vector<std::string> SplitCsv(std::string_view text) {
  std::vector<std::string> out;
  size_t from = 0;
  while (true) {
    const size_t comma = text.find(',', from);
    out.emplace_back(text.substr(from, comma - from));
    if (comma == std::string_view::npos) return out;
    from = comma + 1;
  }
}

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.size() > 18 || ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Reads the query; the first problem found becomes error() (HTTP 400, error_code 400). Messages
// other than `Invalid value for "<name>": "<value>"` follow the Joi style of the API [U].
class Params {
 public:
  Params(const httplib::Request& req, std::initializer_list<const char*> allowed) : req_(req) {
    for (const auto& param : req.params) {
      const std::string& name = param.first;
      if (name == "CMC_PRO_API_KEY") continue;
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; })) {
        Fail(Quoted(name) + " is not allowed");
      }
    }
  }

  bool ok() const { return !error_; }
  const ApiError& error() const { return *error_; }
  bool Has(const char* name) const { return req_.has_param(name); }
  std::string Text(const char* name) const { return req_.get_param_value(name); }

  int64_t Int(const char* name, int64_t fallback, int64_t min, int64_t max) {
    if (!Has(name)) return fallback;
    const std::optional<int64_t> v = ParseInt(Text(name));
    if (!v) {
      Fail(Quoted(name) + " must be a number");
    } else if (*v < min) {
      Fail(Quoted(name) + " must be larger than or equal to " + Str(min));
    } else if (*v > max) {
      Fail(Quoted(name) + " must be less than or equal to " + Str(max));
    } else {
      return *v;
    }
    return fallback;
  }

  bool Bool(const char* name, bool fallback) {
    if (!Has(name)) return fallback;
    const std::string v = Text(name);
    if (v != "true" && v != "false") Fail(Quoted(name) + " must be a boolean");
    return v == "true";
  }

  // A csv whose items are all in `valid`; `fallback` when absent.
  AuxSet Csv(const char* name, std::string_view fallback,
             std::initializer_list<const char*> valid) {
    AuxSet out;
    for (const std::string& item : SplitCsv(Has(name) ? Text(name) : fallback)) {
      if (std::none_of(valid.begin(), valid.end(), [&](const char* v) { return item == v; })) {
        Fail("Invalid value for " + Quoted(name) + ": " + Quoted(item));
      }
      out.insert(item);
    }
    return out;
  }

  std::string OneOf(const char* name, const char* fallback,
                    std::initializer_list<const char*> valid) {
    std::string v = Has(name) ? Text(name) : fallback;
    if (std::none_of(valid.begin(), valid.end(), [&](const char* c) { return v == c; })) {
      std::string list;
      for (const char* c : valid) list += (list.empty() ? "" : ", ") + std::string(c);
      Fail(Quoted(name) + " must be one of [" + list + "]");
    }
    return v;
  }

  // `id`: a csv of positive integers, at most `max_items`; required.
  std::vector<int64_t> Ids(size_t max_items) {
    std::vector<int64_t> ids;
    if (!Has("id")) {
      Fail("\"id\" is required");
      return ids;
    }
    const std::vector<std::string> items = SplitCsv(Text("id"));
    if (items.size() > max_items) {
      Fail("\"id\" must contain less than or equal to " + Str(max_items) + " items");
      return ids;
    }
    for (const std::string& item : items) {
      const std::optional<int64_t> v = ParseInt(item);
      if (!v || *v < 1) {
        Fail("Invalid value for \"id\": " + Quoted(item));
        return ids;
      }
      if (std::find(ids.begin(), ids.end(), *v) == ids.end()) ids.push_back(*v);
    }
    return ids;
  }

  void Fail(std::string message) {
    if (!error_) error_ = BadRequest(std::move(message));
  }

 private:
  template <typename T>
  static std::string Str(T v) {
    return std::to_string(v);
  }

  const httplib::Request& req_;
  std::optional<ApiError> error_;
};

// [begin, end) of the page `start` (1-based) / `limit` of n items.
std::pair<size_t, size_t> PageOf(size_t n, int64_t start, int64_t limit) {
  const size_t begin = std::min(n, static_cast<size_t>(start - 1));
  return {begin, std::min(n, begin + static_cast<size_t>(limit))};
}

int64_t PerUnits(size_t n, size_t unit) {
  return std::max<int64_t>(1, static_cast<int64_t>((n + unit - 1) / unit));
}

std::string StatusName(CmcListingStatus s) {
  switch (s) {
    case CmcListingStatus::kActive:
      return "active";
    case CmcListingStatus::kInactive:
      return "inactive";
    case CmcListingStatus::kUntracked:
      return "untracked";
  }
  return "";
}

double Jitter(const Context& ctx, uint64_t salt, uint64_t a, uint64_t b = 0) {
  return Unit(Hash(ctx.options.seed, 0xC0FFEE00 + salt, a, b));
}

// ---- Cryptocurrencies ----

Json PlatformOf(const Context& ctx, const FakeCmcCrypto& c) {
  if (c.platform_id == 0) return nullptr;
  const FakeCmcCrypto& p = *ctx.universe.FindCrypto(c.platform_id);
  Json j = Json::object();
  j["id"] = p.id;
  j["name"] = p.name;
  j["symbol"] = p.symbol;
  j["slug"] = p.slug;
  j["token_address"] = c.token_address;
  return j;
}

int64_t LastHistorical(const Context& ctx, const FakeCmcCrypto& c) {
  return c.status == CmcListingStatus::kActive ? Minute(ctx.now_ms) : c.last_historical_ms;
}

Json CryptoMapItem(const Context& ctx, const FakeCmcCrypto& c, const AuxSet& aux) {
  Json j = Json::object();
  j["id"] = c.id;
  j["rank"] = c.rank;
  j["name"] = c.name;
  j["symbol"] = c.symbol;
  j["slug"] = c.slug;
  if (aux.contains("is_active")) j["is_active"] = c.status == CmcListingStatus::kActive ? 1 : 0;
  if (aux.contains("status")) j["status"] = StatusName(c.status);
  if (aux.contains("first_historical_data"))
    j["first_historical_data"] = Iso(c.first_historical_ms);
  if (aux.contains("last_historical_data")) j["last_historical_data"] = Iso(LastHistorical(ctx, c));
  if (aux.contains("platform")) j["platform"] = PlatformOf(ctx, c);
  return j;
}

std::variant<Page, ApiError> CryptoMap(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"listing_status", "start", "limit", "sort", "aux"});
  const AuxSet statuses = p.Csv("listing_status", "active", {"active", "inactive", "untracked"});
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", INT32_MAX, 1, 5000);  // [U] all when absent
  const std::string sort = p.OneOf("sort", "id", {"id", "cmc_rank"});
  const AuxSet aux =
      p.Csv("aux", "platform,first_historical_data,last_historical_data,is_active",
            {"platform", "first_historical_data", "last_historical_data", "is_active", "status"});
  if (!p.ok()) return p.error();
  std::vector<const FakeCmcCrypto*> rows;
  for (const FakeCmcCrypto& c : ctx.universe.cryptos) {
    if (statuses.contains(StatusName(c.status))) rows.push_back(&c);
  }
  if (sort == "cmc_rank") {
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->rank < b->rank; });
  }
  const auto [begin, end] = PageOf(rows.size(), start, limit);
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) data.push_back(CryptoMapItem(ctx, *rows[i], aux));
  return Page{std::move(data), ctx.options.map_credits_per_call};
}

Json CryptoUrls(const Context& ctx, const FakeCmcCrypto& c) {
  const auto maybe = [&](uint64_t k, double p, const std::string& url) {
    return Jitter(ctx, 1, static_cast<uint64_t>(c.id), k) < p ? Json::array({url}) : Json::array();
  };
  Json urls = Json::object();
  urls["website"] = Json::array({"https://" + c.slug + ".org/"});
  urls["technical_doc"] = maybe(1, 0.6, "https://" + c.slug + ".org/whitepaper.pdf");
  urls["twitter"] = maybe(2, 0.8, "https://twitter.com/" + c.slug);
  urls["reddit"] = maybe(3, 0.5, "https://reddit.com/r/" + c.slug);
  urls["message_board"] = maybe(4, 0.3, "https://forum." + c.slug + ".org");
  urls["announcement"] =
      maybe(5, 0.1, "https://bitcointalk.org/index.php?topic=" + std::to_string(c.id));
  urls["chat"] = maybe(6, 0.6, "https://t.me/" + c.slug);
  urls["explorer"] = c.platform_id != 0
                         ? Json::array({"https://explorer.example/token/" + c.token_address})
                         : maybe(7, 0.9, "https://explorer." + c.slug + ".org/");
  urls["source_code"] = maybe(8, 0.7, "https://github.com/" + c.slug);
  return urls;
}

Json CryptoInfoItem(const Context& ctx, const FakeCmcCrypto& c, const AuxSet& aux) {
  Json j = Json::object();
  if (aux.contains("urls")) j["urls"] = CryptoUrls(ctx, c);
  if (aux.contains("logo")) {
    j["logo"] =
        "https://s2.coinmarketcap.com/static/img/coins/64x64/" + std::to_string(c.id) + ".png";
  }
  j["id"] = c.id;
  j["name"] = c.name;
  j["symbol"] = c.symbol;
  j["slug"] = c.slug;
  if (aux.contains("description")) {
    j["description"] = c.name + " (" + c.symbol + ") is a " +
                       (c.platform_id != 0 ? "token" : "cryptocurrency") + " added on " +
                       FormatDay(DayOf(c.date_added_ms)) + ".";
  }
  if (aux.contains("notice")) j["notice"] = "";
  if (aux.contains("status")) j["status"] = StatusName(c.status);
  if (aux.contains("date_added")) j["date_added"] = Iso(c.date_added_ms);
  j["date_launched"] = c.date_launched_ms ? Iso(*c.date_launched_ms) : Json(nullptr);
  if (aux.contains("tags")) j["tags"] = c.tags;
  if (aux.contains("platform")) j["platform"] = PlatformOf(ctx, c);
  j["category"] = c.platform_id != 0 ? "token" : "coin";
  return j;
}

std::variant<Page, ApiError> CryptoInfo(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"id", "skip_invalid", "aux"});
  const std::vector<int64_t> ids = p.Ids(100);  // [U] the real maximum
  const bool skip_invalid = p.Bool("skip_invalid", false);
  const AuxSet aux =
      p.Csv("aux", "urls,logo,description,tags,platform,date_added,notice",
            {"urls", "logo", "description", "tags", "platform", "date_added", "notice", "status"});
  if (!p.ok()) return p.error();
  Json data = Json::object();
  for (int64_t id : ids) {
    const FakeCmcCrypto* c = ctx.universe.FindCrypto(id);
    if (c == nullptr) {
      if (skip_invalid) continue;
      return BadRequest("Invalid value for \"id\": " + Quoted(std::to_string(id)));
    }
    data[std::to_string(id)] = CryptoInfoItem(ctx, *c, aux);
  }
  const int64_t credits = PerUnits(data.size(), 100);
  return Page{std::move(data), credits};
}

Json UsdQuote(const Context& ctx, const FakeCmcCrypto& c, const FakeCmcQuote& q,
              const AuxSet& aux) {
  const uint64_t day = static_cast<uint64_t>(q.last_updated_ms / kMsPerDay);
  const auto reported = [&](double v, uint64_t k) {
    return v * (1 + 0.1 * Jitter(ctx, 2, static_cast<uint64_t>(c.id) * 8 + k, day));
  };
  Json usd = Json::object();
  usd["price"] = Number(q.price);
  usd["volume_24h"] = Number(q.volume_24h);
  if (aux.contains("volume_24h_reported")) {
    usd["volume_24h_reported"] = Number(reported(q.volume_24h, 0));
  }
  const double v7 = q.volume_24h * 7 * (0.8 + 0.4 * Jitter(ctx, 3, c.id, day));
  const double v30 = v7 * 4.3 * (0.8 + 0.4 * Jitter(ctx, 4, c.id, day));
  if (aux.contains("volume_7d")) usd["volume_7d"] = Number(v7);
  if (aux.contains("volume_7d_reported")) usd["volume_7d_reported"] = Number(reported(v7, 1));
  if (aux.contains("volume_30d")) usd["volume_30d"] = Number(v30);
  if (aux.contains("volume_30d_reported")) usd["volume_30d_reported"] = Number(reported(v30, 2));
  usd["volume_change_24h"] = Number(q.volume_change_24h);
  usd["percent_change_1h"] = Number(q.percent_change_1h);
  usd["percent_change_24h"] = Number(q.percent_change_24h);
  usd["percent_change_7d"] = Number(q.percent_change_7d);
  usd["percent_change_30d"] = Number(q.percent_change_30d);
  usd["percent_change_60d"] = Number(q.percent_change_60d);
  usd["percent_change_90d"] = Number(q.percent_change_90d);
  usd["market_cap"] = Number(q.market_cap);
  if (aux.contains("market_cap_by_total_supply")) {
    usd["market_cap_by_total_supply"] = Number(q.price * q.total_supply);
  }
  usd["market_cap_dominance"] = Number(q.market_cap_dominance);
  usd["fully_diluted_market_cap"] = Number(q.fully_diluted_market_cap);
  usd["last_updated"] = Iso(q.last_updated_ms);
  Json quote = Json::object();
  quote["USD"] = std::move(usd);
  return quote;
}

Json ListingItem(const Context& ctx, const MarketMoment& m, const FakeCmcCrypto& c,
                 const AuxSet& aux) {
  const FakeCmcQuote q = QuoteOf(c, m);
  const bool self_reported = Jitter(ctx, 5, c.id) < 0.05;
  Json j = Json::object();
  j["id"] = c.id;
  j["name"] = c.name;
  j["symbol"] = c.symbol;
  j["slug"] = c.slug;
  if (aux.contains("num_market_pairs")) j["num_market_pairs"] = c.num_market_pairs;
  if (aux.contains("date_added")) j["date_added"] = Iso(c.date_added_ms);
  if (aux.contains("tags")) j["tags"] = c.tags;
  if (aux.contains("max_supply")) j["max_supply"] = Nullable(c.max_supply);
  if (aux.contains("circulating_supply")) j["circulating_supply"] = Number(q.circulating_supply);
  if (aux.contains("total_supply")) j["total_supply"] = Number(q.total_supply);
  j["infinite_supply"] = c.infinite_supply;
  if (aux.contains("platform")) j["platform"] = PlatformOf(ctx, c);
  if (aux.contains("cmc_rank")) j["cmc_rank"] = c.rank;
  if (aux.contains("is_market_cap_included_in_calc")) j["is_market_cap_included_in_calc"] = 1;
  j["self_reported_circulating_supply"] =
      self_reported ? Number(std::round(q.circulating_supply * 1.1)) : Json(nullptr);
  j["self_reported_market_cap"] =
      self_reported ? Number(q.price * std::round(q.circulating_supply * 1.1)) : Json(nullptr);
  j["self_reported_tags"] = nullptr;
  j["last_updated"] = Iso(q.last_updated_ms);
  j["quote"] = UsdQuote(ctx, c, q, aux);
  return j;
}

std::variant<Page, ApiError> ListingsLatest(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"start", "limit", "aux"});
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", 100, 1, 5000);
  const AuxSet aux =
      p.Csv("aux",
            "num_market_pairs,cmc_rank,date_added,tags,platform,max_supply,circulating_supply,"
            "total_supply",
            {"num_market_pairs", "cmc_rank", "date_added", "tags", "platform", "max_supply",
             "circulating_supply", "total_supply", "market_cap_by_total_supply",
             "volume_24h_reported", "volume_7d", "volume_7d_reported", "volume_30d",
             "volume_30d_reported", "is_market_cap_included_in_calc"});
  if (!p.ok()) return p.error();
  const MarketMoment m = MomentAt(ctx.universe, ctx.options.seed, ctx.now_ms);
  const std::vector<int64_t>& ids = ctx.universe.ids_by_rank;
  const auto [begin, end] = PageOf(ids.size(), start, limit);
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) {
    data.push_back(ListingItem(ctx, m, *ctx.universe.FindCrypto(ids[i]), aux));
  }
  return Page{std::move(data), PerUnits(end - begin, 200)};
}

// ---- Categories ----

Json CategoryCoin(const Context& ctx, const MarketMoment& m, const FakeCmcCrypto& c) {
  const FakeCmcQuote q = QuoteOf(c, m);
  Json j = Json::object();
  j["id"] = c.id;
  j["name"] = c.name;
  j["symbol"] = c.symbol;
  j["slug"] = c.slug;
  j["cmc_rank"] = c.rank;
  j["num_market_pairs"] = c.num_market_pairs;
  j["circulating_supply"] = Number(q.circulating_supply);
  j["total_supply"] = Number(q.total_supply);
  j["max_supply"] = Nullable(c.max_supply);
  j["last_updated"] = Iso(q.last_updated_ms);
  j["date_added"] = Iso(c.date_added_ms);
  j["tags"] = c.tags;
  j["platform"] = PlatformOf(ctx, c);
  Json usd = Json::object();
  usd["price"] = Number(q.price);
  usd["volume_24h"] = Number(q.volume_24h);
  usd["percent_change_1h"] = Number(q.percent_change_1h);
  usd["percent_change_24h"] = Number(q.percent_change_24h);
  usd["percent_change_7d"] = Number(q.percent_change_7d);
  usd["market_cap"] = Number(q.market_cap);
  usd["last_updated"] = Iso(q.last_updated_ms);
  j["quote"] = Json::object({{"USD", std::move(usd)}});
  return j;
}

// The category's fields up to volume_change; `coins` and last_updated follow.
Json CategoryHead(const Context& ctx, const MarketMoment& m, const FakeCmcCategory& cat) {
  double cap = 0, volume = 0, change = 0, volume_change = 0;
  for (int64_t id : cat.coin_ids) {
    const FakeCmcQuote q = QuoteOf(*ctx.universe.FindCrypto(id), m);
    cap += q.market_cap;
    volume += q.volume_24h;
    change += q.percent_change_24h;
    volume_change += q.volume_change_24h;
  }
  const double n = std::max<double>(1, static_cast<double>(cat.coin_ids.size()));
  const uint64_t key = Hash(ctx.options.seed, 7, std::hash<std::string>{}(cat.id));
  Json j = Json::object();
  j["id"] = cat.id;
  j["name"] = cat.name;
  j["title"] = cat.title;
  j["description"] = cat.description;
  j["num_tokens"] = cat.coin_ids.size();
  j["avg_price_change"] = Number(std::round(change / n * 1e8) / 1e8);
  j["market_cap"] = Number(cap);
  j["market_cap_change"] = Number(std::round((100 * (m.factor / m.factor_ago[1] - 1) +
                                              Jitter(ctx, 6, key, m.time_ms / kMsPerDay) - 0.5) *
                                             1e12) /
                                  1e12);
  j["volume"] = Number(volume);
  j["volume_change"] = Number(std::round(volume_change / n * 1e12) / 1e12);
  return j;
}

std::variant<Page, ApiError> Categories(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"start", "limit"});
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", INT32_MAX, 1, 5000);  // [U] all when absent
  if (!p.ok()) return p.error();
  const MarketMoment m = MomentAt(ctx.universe, ctx.options.seed, ctx.now_ms);
  const auto [begin, end] = PageOf(ctx.universe.categories.size(), start, limit);
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) {
    Json j = CategoryHead(ctx, m, ctx.universe.categories[i]);
    j["last_updated"] = Iso(m.time_ms);
    data.push_back(std::move(j));
  }
  return Page{std::move(data), 1 + static_cast<int64_t>((end - begin + 199) / 200)};
}

std::variant<Page, ApiError> Category(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"id", "start", "limit"});
  if (!p.Has("id")) p.Fail("\"id\" is required");
  const std::string id = p.Text("id");
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", 100, 1, 1000);
  if (!p.ok()) return p.error();
  const FakeCmcCategory* cat = ctx.universe.FindCategory(id);
  if (cat == nullptr) return BadRequest("Invalid value for \"id\": " + Quoted(id));
  const MarketMoment m = MomentAt(ctx.universe, ctx.options.seed, ctx.now_ms);
  Json j = CategoryHead(ctx, m, *cat);
  const auto [begin, end] = PageOf(cat->coin_ids.size(), start, limit);
  Json coins = Json::array();
  for (size_t i = begin; i < end; ++i) {
    coins.push_back(CategoryCoin(ctx, m, *ctx.universe.FindCrypto(cat->coin_ids[i])));
  }
  j["coins"] = std::move(coins);
  j["last_updated"] = Iso(m.time_ms);
  Json data = j;
  if (ctx.options.category_data_keyed) data = Json::object({{cat->id, std::move(j)}});
  return Page{std::move(data), 1 + static_cast<int64_t>((end - begin + 199) / 200)};
}

// ---- Exchanges ----

int64_t ExchangeLastHistorical(const Context& ctx, const FakeCmcExchange& e) {
  return e.active ? Minute(ctx.now_ms) : e.last_historical_ms;
}

std::variant<Page, ApiError> ExchangeMap(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"listing_status", "start", "limit", "sort", "aux"});
  const AuxSet statuses = p.Csv("listing_status", "active", {"active", "inactive", "untracked"});
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", INT32_MAX, 1, 5000);  // [U] all when absent
  const std::string sort = p.OneOf("sort", "id", {"volume_24h", "id"});
  const AuxSet aux =
      p.Csv("aux", "first_historical_data,last_historical_data,is_active",
            {"first_historical_data", "last_historical_data", "is_active", "status"});
  if (!p.ok()) return p.error();
  std::vector<const FakeCmcExchange*> rows;
  for (const FakeCmcExchange& e : ctx.universe.exchanges) {
    if (statuses.contains(e.active ? "active" : "inactive")) rows.push_back(&e);
  }
  if (sort == "volume_24h") {
    std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) {
      return a->active != b->active ? a->active : a->base_spot_volume_usd > b->base_spot_volume_usd;
    });
  }
  const auto [begin, end] = PageOf(rows.size(), start, limit);
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) {
    const FakeCmcExchange& e = *rows[i];
    Json j = Json::object();
    j["id"] = e.id;
    j["name"] = e.name;
    j["slug"] = e.slug;
    if (aux.contains("is_active")) j["is_active"] = e.active ? 1 : 0;
    if (aux.contains("status")) j["status"] = e.active ? "active" : "inactive";
    if (aux.contains("first_historical_data")) {
      j["first_historical_data"] = Iso(e.first_historical_ms);
    }
    if (aux.contains("last_historical_data")) {
      j["last_historical_data"] = Iso(ExchangeLastHistorical(ctx, e));
    }
    data.push_back(std::move(j));
  }
  return Page{std::move(data), ctx.options.map_credits_per_call};
}

Json ExchangeUrls(const Context& ctx, const FakeCmcExchange& e) {
  const auto maybe = [&](uint64_t k, double p, const std::string& url) {
    return Jitter(ctx, 8, static_cast<uint64_t>(e.id), k) < p ? Json::array({url}) : Json::array();
  };
  Json urls = Json::object();
  urls["website"] = Json::array({"https://www." + e.slug + ".com/"});
  urls["twitter"] = maybe(1, 0.8, "https://twitter.com/" + e.slug);
  urls["blog"] = maybe(2, 0.4, "https://blog." + e.slug + ".com/");
  urls["chat"] = maybe(3, 0.6, "https://t.me/" + e.slug);
  urls["fee"] = e.dex ? Json::array() : maybe(4, 0.7, "https://www." + e.slug + ".com/fees");
  return urls;
}

Json ExchangeInfoItem(const Context& ctx, const MarketMoment& m, const FakeCmcExchange& e,
                      const AuxSet& aux) {
  Json j = Json::object();
  j["id"] = e.id;
  j["name"] = e.name;
  j["slug"] = e.slug;
  if (aux.contains("logo")) {
    j["logo"] =
        "https://s2.coinmarketcap.com/static/img/exchanges/64x64/" + std::to_string(e.id) + ".png";
  }
  if (aux.contains("description")) j["description"] = e.description ? Json(*e.description) : Json();
  if (aux.contains("date_launched")) {
    j["date_launched"] = e.date_launched_ms ? Iso(*e.date_launched_ms) : Json(nullptr);
  }
  if (aux.contains("notice")) j["notice"] = "";
  if (aux.contains("status")) j["status"] = e.active ? "active" : "inactive";
  j["countries"] = Json::array();
  j["fiats"] = e.fiats;
  j["tags"] = nullptr;
  j["type"] = e.dex ? "dex" : "";
  j["maker_fee"] = Number(e.maker_fee);
  j["taker_fee"] = Number(e.taker_fee);
  j["weekly_visits"] = e.weekly_visits;
  j["spot_volume_usd"] = Number(ExchangeSpotVolume(e, m));
  j["spot_volume_last_updated"] = Iso(m.time_ms);
  if (aux.contains("urls")) j["urls"] = ExchangeUrls(ctx, e);
  return j;
}

std::variant<Page, ApiError> ExchangeInfo(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"id", "aux"});
  const std::vector<int64_t> ids = p.Ids(100);  // [U] the real maximum
  const AuxSet aux = p.Csv("aux", "urls,logo,description,date_launched,notice",
                           {"urls", "logo", "description", "date_launched", "notice", "status"});
  if (!p.ok()) return p.error();
  const MarketMoment m = MomentAt(ctx.universe, ctx.options.seed, ctx.now_ms);
  Json data = Json::object();
  for (int64_t id : ids) {
    const FakeCmcExchange* e = ctx.universe.FindExchange(id);
    if (e == nullptr) return BadRequest("Invalid value for \"id\": " + Quoted(std::to_string(id)));
    data[std::to_string(id)] = ExchangeInfoItem(ctx, m, *e, aux);
  }
  const int64_t credits = PerUnits(data.size(), 100);
  return Page{std::move(data), credits};
}

Json CryptoRef(const FakeCmcCrypto& c, const FakeCmcQuote* q) {
  Json j = Json::object();
  j["crypto_id"] = c.id;
  if (q != nullptr) j["price_usd"] = Number(q->price);
  j["symbol"] = c.symbol;
  j["name"] = c.name;
  return j;
}

std::variant<Page, ApiError> ExchangeAssets(const httplib::Request& req, const Context& ctx) {
  Params p(req, {"id"});
  if (!p.Has("id")) p.Fail("\"id\" is required");
  const int64_t id = p.Int("id", 0, 1, INT64_MAX);  // one exchange
  if (!p.ok()) return p.error();
  if (ctx.universe.FindExchange(id) == nullptr) {
    return BadRequest("Invalid value for \"id\": " + Quoted(std::to_string(id)));
  }
  Json data = Json::array();
  auto it = ctx.universe.wallets.find(id);
  if (it != ctx.universe.wallets.end()) {
    const MarketMoment m = MomentAt(ctx.universe, ctx.options.seed, ctx.now_ms);
    for (const FakeCmcWallet& w : it->second) {
      const FakeCmcCrypto& currency = *ctx.universe.FindCrypto(w.currency_id);
      const FakeCmcQuote q = QuoteOf(currency, m);
      Json j = Json::object();
      j["wallet_address"] = w.address;
      j["balance"] = Number(w.balance);
      j["platform"] = CryptoRef(*ctx.universe.FindCrypto(w.platform_id), nullptr);
      j["currency"] = CryptoRef(currency, &q);
      data.push_back(std::move(j));
    }
  }
  return Page{std::move(data), ctx.options.exchange_assets_credits};
}

// ---- Global metrics, fear and greed ----

std::variant<Page, ApiError> GlobalMetrics(const httplib::Request& req, const Context& ctx) {
  Params p(req, {});
  if (!p.ok()) return p.error();
  return Page{GlobalMetricsData(ctx.options, ctx.universe, ctx.now_ms), 1};
}

Json FearGreedJson(const FakeFearGreedPoint& point, bool latest) {
  Json j = Json::object();
  if (!latest) j["timestamp"] = std::to_string(point.time_s);  // unix seconds as a string
  j["value"] = point.value;
  j["value_classification"] = point.classification;
  if (latest) j["update_time"] = Iso(point.time_s * kMsPerSecond);
  return j;
}

std::variant<Page, ApiError> FearGreedLatestPage(const httplib::Request& req, const Context& ctx) {
  Params p(req, {});
  if (!p.ok()) return p.error();
  return Page{FearGreedJson(FearGreedLatest(ctx.options, ctx.now_ms), true), 1};
}

std::variant<Page, ApiError> FearGreedHistoricalPage(const httplib::Request& req,
                                                     const Context& ctx) {
  Params p(req, {"start", "limit"});
  const int64_t start = p.Int("start", 1, 1, INT32_MAX);
  const int64_t limit = p.Int("limit", 50, 1, 500);
  if (!p.ok()) return p.error();
  const std::vector<FakeFearGreedPoint> history = FearGreedHistory(ctx.options, ctx.now_ms);
  const auto [begin, end] = PageOf(history.size(), start, limit);
  Json data = Json::array();
  for (size_t i = begin; i < end; ++i) data.push_back(FearGreedJson(history[i], false));
  return Page{std::move(data), 1};
}

}  // namespace

Json Number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 9.0e15) {
    return static_cast<int64_t>(value);
  }
  return value;
}

Json StatusObject(const FakeCmcOptions& options, int64_t now_ms, int error_code,
                  const std::string& error_message, int elapsed, int64_t credits) {
  Json s = Json::object();
  s["timestamp"] = FormatTimestamp(now_ms);
  s["error_code"] = error_code;
  const bool ok = error_code == 0;
  s["error_message"] = ok && options.null_status_strings ? Json(nullptr) : Json(error_message);
  s["elapsed"] = elapsed;
  s["credit_count"] = ok ? credits : 0;
  if (ok) s["notice"] = options.null_status_strings ? Json(nullptr) : Json("");
  return s;
}

std::variant<Page, ApiError> ServeEndpoint(Endpoint endpoint, const httplib::Request& req,
                                           const Context& ctx) {
  switch (endpoint) {
    case Endpoint::kExchangeMap:
      return ExchangeMap(req, ctx);
    case Endpoint::kExchangeInfo:
      return ExchangeInfo(req, ctx);
    case Endpoint::kExchangeAssets:
      return ExchangeAssets(req, ctx);
    case Endpoint::kCryptoMap:
      return CryptoMap(req, ctx);
    case Endpoint::kCryptoInfo:
      return CryptoInfo(req, ctx);
    case Endpoint::kListingsLatest:
      return ListingsLatest(req, ctx);
    case Endpoint::kCategories:
      return Categories(req, ctx);
    case Endpoint::kCategory:
      return Category(req, ctx);
    case Endpoint::kGlobalMetrics:
      return GlobalMetrics(req, ctx);
    case Endpoint::kFearGreedLatest:
      return FearGreedLatestPage(req, ctx);
    case Endpoint::kFearGreedHistorical:
      return FearGreedHistoricalPage(req, ctx);
  }
  return ApiError{500, 500, "unknown endpoint"};
}

}  // namespace dlake::testing::fake_cmc_internal
