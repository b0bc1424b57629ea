#pragma once
// The parts of the fake CoinMarketCap API (see fake_cmc.h) shared by its files: the universe
// builder (fake_cmc_data.cc), deterministic hashing and market values (fake_cmc_market.cc), and
// the endpoints (fake_cmc_endpoints.cc) that fake_cmc.cc's server calls. Private to the fake.

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "testing/fake_cmc.h"

namespace dlake::testing::fake_cmc_internal {

using Json = nlohmann::ordered_json;  // keeps field order as written: order is part of the format

// ---- Deterministic randomness ----

uint64_t Hash(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0);
double Unit(uint64_t hash);  // [0, 1)
double RoundTo(double value, int decimals);

// ---- Universe ----

// The universe of `options` at `revision` (>= 0); see FakeCmc::SetRevision for the steps.
std::shared_ptr<const FakeCmcUniverse> BuildUniverse(const FakeCmcOptions& options, int revision);

// ---- Market values ----

// Market-wide factors at one instant, computed once per request. Every market cap is
// base_market_cap x factor, so cmc_rank order never changes within a revision.
struct MarketMoment {
  uint64_t seed = 0;
  int revision = 0;
  int64_t time_ms = 0;  // floored to the minute (listings update every 60 s)
  double factor = 1;    // market cap factor at time_ms
  // factor at time_ms minus 1h, 24h, 7d, 30d, 60d, 90d
  double factor_ago[6] = {1, 1, 1, 1, 1, 1};
  double volume_factor = 1, volume_factor_24h = 1;
  double total_market_cap = 0;  // of all active cryptos
};

MarketMoment MomentAt(const FakeCmcUniverse& universe, uint64_t seed, int64_t now_ms);
// Precondition: `crypto` is active.
FakeCmcQuote QuoteOf(const FakeCmcCrypto& crypto, const MarketMoment& moment);
double ExchangeSpotVolume(const FakeCmcExchange& exchange, const MarketMoment& moment);

// `data` of /v1/global-metrics/quotes/latest (values of the 5-minute step holding now_ms).
Json GlobalMetricsData(const FakeCmcOptions& options, const FakeCmcUniverse& universe,
                       int64_t now_ms);

// The whole history up to the UTC day of now_ms, newest first.
std::vector<FakeFearGreedPoint> FearGreedHistory(const FakeCmcOptions& options, int64_t now_ms);
FakeFearGreedPoint FearGreedLatest(const FakeCmcOptions& options, int64_t now_ms);

// ---- Endpoints ----

enum class Endpoint {
  kExchangeMap,
  kExchangeInfo,
  kExchangeAssets,
  kCryptoMap,
  kCryptoInfo,
  kListingsLatest,
  kCategories,
  kCategory,
  kGlobalMetrics,
  kFearGreedLatest,
  kFearGreedHistorical,
};

struct Route {
  const char* path;
  Endpoint endpoint;
};
inline constexpr Route kRoutes[] = {
    {"/v1/exchange/map", Endpoint::kExchangeMap},
    {"/v1/exchange/info", Endpoint::kExchangeInfo},
    {"/v1/exchange/assets", Endpoint::kExchangeAssets},
    {"/v1/cryptocurrency/map", Endpoint::kCryptoMap},
    {"/v2/cryptocurrency/info", Endpoint::kCryptoInfo},
    {"/v1/cryptocurrency/listings/latest", Endpoint::kListingsLatest},
    {"/v1/cryptocurrency/categories", Endpoint::kCategories},
    {"/v1/cryptocurrency/category", Endpoint::kCategory},
    {"/v1/global-metrics/quotes/latest", Endpoint::kGlobalMetrics},
    {"/v3/fear-and-greed/latest", Endpoint::kFearGreedLatest},
    {"/v3/fear-and-greed/historical", Endpoint::kFearGreedHistorical},
};

// A successful answer: the `data` member and its cost.
struct Page {
  Json data;
  int64_t credits = 1;
};

// An error answer: HTTP status, status.error_code and status.error_message.
struct ApiError {
  int http_status = 400;
  int error_code = 400;
  std::string message;
};

// What one request is answered from.
struct Context {
  const FakeCmcOptions& options;
  const FakeCmcUniverse& universe;
  int64_t now_ms = 0;
};

std::variant<Page, ApiError> ServeEndpoint(Endpoint endpoint, const httplib::Request& req,
                                           const Context& context);

// A number as JavaScript writes it: whole values (below 2^53) as integers, others as doubles.
Json Number(double value);
// `status` of a reply. Success (error_code 0) adds `notice`, errors report credit_count 0.
Json StatusObject(const FakeCmcOptions& options, int64_t now_ms, int error_code,
                  const std::string& error_message, int elapsed, int64_t credits);

}  // namespace dlake::testing::fake_cmc_internal
