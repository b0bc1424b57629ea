#pragma once
// FakeCmc: the CoinMarketCap Pro API endpoints the CMC extractors call, served over real HTTP on
// 127.0.0.1 (a free port) for tests and benchmarks. A client reaches it by using base_url()
// instead of https://pro-api.coinmarketcap.com; paths are the real ones:
//   GET /v1/exchange/map, /v1/exchange/info, /v1/exchange/assets,
//       /v1/cryptocurrency/map, /v2/cryptocurrency/info, /v1/cryptocurrency/listings/latest,
//       /v1/cryptocurrency/categories, /v1/cryptocurrency/category,
//       /v1/global-metrics/quotes/latest, /v3/fear-and-greed/latest, /v3/fear-and-greed/historical
// Envelope, errors, credits and parameters follow ../shared/specs/exchange-apis.md §6, the calls
// of ../shared/specs/cryptolakehouse.md §1.2 and the payloads of
// ../shared/api-samples/coinmarketcap. Facts tagged [U] there are options here or noted below.
//
// Every request needs the key (header X-CMC_PRO_API_KEY or query CMC_PRO_API_KEY); responses are
// {"data": ..., "status": {timestamp, error_code, error_message, elapsed, credit_count, notice}};
// errors are {"status": {timestamp, error_code, error_message, elapsed, credit_count: 0}} (no
// `notice` and no `data`, as the documented 400 example). Parameters are validated: unknown
// parameters (including real ones the fake does not model, e.g. `convert`, `slug`, `symbol`) are
// refused with 400 "\"<name>\" is not allowed", so a test never silently gets another answer than
// the real API would give. `aux` lists replace the default field set, as on the real API.
//
// Choices where the sources are silent ([U]): 400 texts other than `Invalid value for "id":
// "<id>"` are Joi-style ("\"limit\" must be less than or equal to 5000"); the texts of 1003..1011
// other than 1006 and 1008; /v1/cryptocurrency/map, /v1/exchange/map and /categories without
// `limit` return everything; `id` lists of the info endpoints hold at most 100 ids; aux `status`
// is "active"/"inactive"/"untracked"; inactive and untracked cryptos rank after the active ones;
// listings' aux volume_*_reported, volume_7d/30d and market_cap_by_total_supply sit in
// quote.USD, is_market_cap_included_in_calc is 1; fear-and-greed labels "Extreme fear" and
// "Extreme greed" (bands of 20 points, as the docs examples' 34/38 "Fear" and 40 "Neutral" imply).
// A credit limit refuses requests once the credits counted reach it (the request that crosses it
// is served).
//
// The universe is generated, never stored: cryptocurrencies with sparse ids, exchanges, exchange
// wallets, categories and the fear-and-greed history are a pure function of (options.seed,
// revision); market values (prices, volumes, market caps, global metrics, the latest F&G value)
// also of the market clock Now(). The accessors below return exactly what the endpoints serve,
// so tests compute expectations instead of hard-coding them. Ranks (market-cap order) are fixed
// within a revision: every market cap follows one market factor of Now().
//
// Typical use:
//   auto fake = FakeCmc::Start({.now_ms = kNow}).value();
//   ... point the client at fake->base_url() with key fake->options().api_key, extract ...
//   EXPECT_EQ(loaded_ids, fake->ListingIdsByRank() /* first 5000 */);
//   EXPECT_EQ(fake->Stats().credits, 25);
//
// Thread safety: every method may be called from any thread while requests are served.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::testing {

struct FakeCmcOptions {
  uint64_t seed = 1;  // another seed gives another universe (names, ids, sizes, values)
  // Market clock in ms; 0 follows the system clock. SetNow() changes it later.
  int64_t now_ms = 0;
  std::string api_key = "fake-cmc-key";

  // ---- Universe at revision 0 (each SetRevision step lists one crypto and delists one) ----
  int cryptos = 5200;              // active; all on /v1/cryptocurrency/listings/latest
  int inactive_cryptos = 300;      // map with listing_status=inactive only
  int untracked_cryptos = 100;     // map with listing_status=untracked only
  int exchanges = 816;             // active exchanges (/v1/exchange/map default)
  int inactive_exchanges = 100;    // map with listing_status=inactive only
  int exchanges_with_assets = 50;  // of the active ones; 3..200 wallets each (Binance 200)
  int wallets = 4000;              // rows of /v1/exchange/assets in all, as bounds allow
  int categories = 280;            // each with 10..300 active coins
  int category_links = 23000;      // coins of all categories at revision 0, as bounds allow
  int fear_greed_days = 500;       // daily points up to the UTC day of Now()

  // ---- Credits (exchange-apis.md §6.3/§6.4), per UTC day and month of the market clock ----
  int64_t daily_credit_limit = 0;    // 0 = unlimited; reached -> 429, error_code 1009
  int64_t monthly_credit_limit = 0;  // 0 = unlimited; reached -> 429, error_code 1010
  int map_credits_per_call = 1;      // [U] older docs 1/call, new docs "no credit needed"
  int exchange_assets_credits = 1;   // [U] docs say 1, their example shows credit_count 0

  // ---- Per-minute throttle, in fixed windows of the system clock ----
  int requests_per_minute = 0;  // 0 = unlimited; over it -> 429, error_code 1008, no Retry-After
  int64_t minute_ms = 60'000;   // window length (scaled down by tests)

  // ---- Wire variants ----
  // [U] /v1/cryptocurrency/category: `data` keyed by the category id (the docs example, keyed
  // "1") when true; the bare category object (what CryptoLakehouse reads as data.id) when false.
  bool category_data_keyed = true;
  // [U] success `status.error_message`/`notice`: "" (docs examples) or null (2019 recordings).
  bool null_status_strings = false;

  // ---- Server ----
  int threads = 8;  // concurrent connections served (an idle keep-alive one holds a thread)
  int port = 0;     // the port to bind on 127.0.0.1; 0 = a free one
};

enum class CmcListingStatus { kActive, kInactive, kUntracked };

// A cryptocurrency at a revision. Dates are fixed (not following Now()), except the
// last_historical_data of active coins, which is Now() floored to the minute.
struct FakeCmcCrypto {
  int64_t id = 0;
  std::string name, symbol, slug;  // slugs are unique, symbols are not
  CmcListingStatus status = CmcListingStatus::kActive;
  int64_t rank = 0;  // cmc_rank: active by market cap (1 = largest); others after them, by id
  int64_t platform_id = 0;    // 0: a coin; else the crypto whose chain the token lives on
  std::string token_address;  // tokens only
  int64_t date_added_ms = 0;
  int64_t first_historical_ms = 0;
  int64_t last_historical_ms = 0;           // inactive and untracked only
  std::optional<int64_t> date_launched_ms;  // null for some
  double circulating_supply = 0;            // stablecoins: derived from the market instead
  double total_supply = 0;
  std::optional<double> max_supply;  // null for some
  bool infinite_supply = false;      // implies max_supply null
  int num_market_pairs = 0;
  std::vector<std::string> tags;
  double base_market_cap = 0;  // USD market cap at market factor 1 (active only)
  bool stablecoin = false;
};

struct FakeCmcExchange {
  int64_t id = 0;
  std::string name, slug;
  bool active = true;
  bool dex = false;
  std::optional<int64_t> date_launched_ms;  // null for some
  std::optional<std::string> description;   // null for some
  int64_t first_historical_ms = 0;
  int64_t last_historical_ms = 0;  // inactive only (active: Now() floored to the minute)
  double maker_fee = 0, taker_fee = 0;
  int64_t weekly_visits = 0;
  double base_spot_volume_usd = 0;  // at volume factor 1
  std::vector<std::string> fiats;
};

// One row of /v1/exchange/assets.
struct FakeCmcWallet {
  std::string address;
  double balance = 0;
  int64_t platform_id = 0;  // the chain: the currency itself for coins
  int64_t currency_id = 0;
};

struct FakeCmcCategory {
  std::string id;  // 24 lowercase hex digits
  std::string name, title, description;
  std::vector<int64_t> coin_ids;  // active members, cmc_rank order (as served)
};

// Everything but market values, at one revision. Immutable once built.
struct FakeCmcUniverse {
  int revision = 0;
  std::vector<FakeCmcCrypto> cryptos;                     // every listing status, ascending id
  std::vector<int64_t> ids_by_rank;                       // active cryptos in cmc_rank order
  std::vector<FakeCmcExchange> exchanges;                 // active and inactive, ascending id
  std::map<int64_t, std::vector<FakeCmcWallet>> wallets;  // exchange id -> its wallets
  std::vector<FakeCmcCategory> categories;                // in the order /categories serves

  const FakeCmcCrypto* FindCrypto(int64_t id) const;
  const FakeCmcExchange* FindExchange(int64_t id) const;
  const FakeCmcCategory* FindCategory(std::string_view id) const;
};

// Market values of an active crypto at a moment, exactly as served (values parsed from a
// response compare equal with ==).
struct FakeCmcQuote {
  double price = 0;
  double volume_24h = 0;
  double volume_change_24h = 0;
  double percent_change_1h = 0, percent_change_24h = 0, percent_change_7d = 0;
  double percent_change_30d = 0, percent_change_60d = 0, percent_change_90d = 0;
  double market_cap = 0;
  double market_cap_dominance = 0;
  double fully_diluted_market_cap = 0;
  double circulating_supply = 0;
  double total_supply = 0;
  int64_t last_updated_ms = 0;  // Now() floored to the minute
};

struct FakeFearGreedPoint {
  int64_t time_s = 0;          // 00:00 UTC of the day (latest: update time, 15-minute steps)
  int value = 0;               // 0..100
  std::string classification;  // "Extreme fear" [U casing], "Fear", "Neutral", "Greed", ...
};

// Sizes of the universe at the current revision.
struct FakeCmcTotals {
  int64_t active_cryptos = 0, inactive_cryptos = 0, untracked_cryptos = 0;
  int64_t active_exchanges = 0, inactive_exchanges = 0;
  int64_t exchanges_with_assets = 0, wallets = 0;
  int64_t categories = 0, category_links = 0;
  int64_t fear_greed_points = 0;
};

// A failure the next requests draw. Faults apply after authentication, the per-minute throttle
// and the credit limits, first injected first.
enum class CmcFaultKind {
  kHttpError,        // `status` (500/502/503/504) with a CMC error envelope, or HTML when `html`
  kSlow,             // waits `delay_ms`, then answers normally (to trip client timeouts)
  kDropConnection,   // closes the connection before any byte of the response
  kResetConnection,  // resets the connection (RST) before any byte of the response
  kTruncatedBody,    // the normal body cut in half; Content-Length matches the cut body
  kCutBody,          // headers announce the full body; the connection closes halfway
  kHtmlOk,           // HTTP 200 with an HTML page instead of JSON
  kEmptyData,        // HTTP 200, error_code 0, `data` empty ([] or {}), credit_count 1
  kWrongTypes,       // HTTP 200, well-formed JSON with wrong types in every data item:
                     // "id" -> "abc", "quote" -> [], other numbers -> {"value": n}
  kApiError,         // the CMC error `error_code` (400, 1001..1011) with its HTTP status
                     // (400, 401, 402, 403, 429); another code answers HTTP 500
};

struct CmcFault {
  CmcFaultKind kind = CmcFaultKind::kHttpError;
  int count = 1;            // requests it applies to; -1 = every request until ClearFaults()
  std::string path_prefix;  // only paths starting with it, e.g. "/v1/exchange/"; "" = all
  int status = 500;         // kHttpError
  bool html = false;        // kHttpError: an HTML page (a proxy's) instead of JSON
  int delay_ms = 0;         // kSlow
  int error_code = 1006;    // kApiError
};

struct FakeCmcStats {
  int64_t requests = 0;  // requests on the 11 paths (others are 404s, not counted)
  std::map<std::string, int64_t> requests_by_path;
  std::vector<std::string> targets;  // "path?query" of every request, in arrival order
  // Credits charged: the status.credit_count of every reply with error_code 0.
  int64_t credits = 0;
  std::map<std::string, int64_t> credits_by_path;
  int64_t sent_429 = 0;  // throttle, credit limits and injected 1008..1011
  int64_t faults_applied = 0;
};

class FakeCmc {
 public:
  // Validates the options, builds the universe, binds 127.0.0.1 on options.port (a free port when
  // 0) and serves on a background thread. InvalidArgument for bad options; Unavailable when the
  // port cannot be bound (e.g. in use).
  static Result<std::unique_ptr<FakeCmc>> Start(FakeCmcOptions options = {});

  // Stops serving, closes open keep-alive connections, wakes slow responses and joins the server
  // thread; returns in well under a second.
  ~FakeCmc();
  FakeCmc(const FakeCmc&) = delete;
  FakeCmc& operator=(const FakeCmc&) = delete;

  // "http://127.0.0.1:<port>", without a trailing slash.
  const std::string& base_url() const { return base_url_; }
  int port() const { return port_; }
  const FakeCmcOptions& options() const { return options_; }

  // ---- Clocks and revisions ----
  int64_t Now() const;  // the market clock
  void SetNow(int64_t now_ms);
  int Revision() const;
  // Revision r >= 0 is revision 0 plus r steps; step k (1-based) lists one new crypto (a new id
  // above all others), moves one active crypto to inactive, renames 3 cryptos and 2 exchanges,
  // retitles 2 categories (their names stay), adds the new crypto to a category and reshuffles
  // ranks a little. Requests in flight finish on the revision they started with.
  // InvalidArgument for r < 0.
  Status SetRevision(int revision);

  // ---- Failure switches ----
  void InjectFault(CmcFault fault);
  void ClearFaults();
  // Forgets the per-minute window and the credits counted against the daily and monthly limits.
  void ResetLimits();

  // ---- Counters ----
  FakeCmcStats Stats() const;
  void ResetStats();
  // Credits counted against the limits in the UTC day and month of Now().
  int64_t CreditsToday() const;
  int64_t CreditsThisMonth() const;

  // ---- Expected data (current revision; market values at Now()) ----
  std::shared_ptr<const FakeCmcUniverse> Universe() const;
  FakeCmcTotals Totals() const;
  // Ids with that listing status, ascending (what /v1/cryptocurrency/map pages through).
  std::vector<int64_t> CryptoIds(CmcListingStatus status = CmcListingStatus::kActive) const;
  // Active ids by cmc_rank (what listings pages serve, in order).
  std::vector<int64_t> ListingIdsByRank() const;
  // Exchange ids, ascending: active (true) or inactive (false).
  std::vector<int64_t> ExchangeIds(bool active = true) const;
  // Exchanges whose /v1/exchange/assets data is not empty, ascending.
  std::vector<int64_t> ExchangesWithAssets() const;
  // Category ids in the order /v1/cryptocurrency/categories serves them.
  std::vector<std::string> CategoryIds() const;
  // The coins of a category, cmc_rank order. NotFound for an unknown id.
  Result<std::vector<int64_t>> CategoryCoinIds(std::string_view category_id) const;
  // Market values of an active crypto at Now(). NotFound for unknown or not active ids.
  Result<FakeCmcQuote> Quote(int64_t crypto_id) const;
  // The whole history, newest first (what /v3/fear-and-greed/historical pages through).
  std::vector<FakeFearGreedPoint> FearGreedHistory() const;
  FakeFearGreedPoint FearGreedLatest() const;

 private:
  struct State;
  explicit FakeCmc(FakeCmcOptions options);

  const FakeCmcOptions options_;
  std::unique_ptr<State> state_;
  int port_ = 0;
  std::string base_url_;
};

}  // namespace dlake::testing
