// The fake CoinMarketCap market (see fake_cmc.h): the deterministic hash, market values of a
// moment (quotes, exchange volumes, global metrics) and the fear-and-greed index.

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/time.h"
#include "testing/fake_cmc_internal.h"

namespace dlake::testing::fake_cmc_internal {
namespace {

constexpr double kTwoPi = 6.283185307179586;

// Streams of the hash (the universe's are below 100).
enum Salt : uint64_t { kMarket = 100, kQuote, kFearGreed, kGlobal };

double Phase(uint64_t seed, uint64_t k) { return kTwoPi * Unit(Hash(seed, kMarket, k)); }

double MarketFactor(uint64_t seed, int revision, int64_t t_ms) {
  const double days = static_cast<double>(t_ms) / kMsPerDay;
  const double f = 1 + 0.06 * std::sin(kTwoPi * days / 9.0 + Phase(seed, 1)) +
                   0.03 * std::sin(kTwoPi * days / 1.3 + Phase(seed, 2)) +
                   0.01 * std::sin(kTwoPi * days * 24 / 2.7 + Phase(seed, 3));
  return f * (1 + 0.02 * std::sin(1.7 * revision));
}

double VolumeFactor(uint64_t seed, int64_t t_ms) {
  const double days = static_cast<double>(t_ms) / kMsPerDay;
  return 1 + 0.25 * std::sin(kTwoPi * days / 3.1 + Phase(seed, 4)) +
         0.1 * std::sin(kTwoPi * days / 0.37 + Phase(seed, 5));
}

int FearGreedValue(uint64_t seed, int64_t day) {
  const double d = static_cast<double>(day);
  const double v = 50 + 27 * std::sin(kTwoPi * d / 53 + Phase(seed, 6)) +
                   13 * std::sin(kTwoPi * d / 13.7 + Phase(seed, 7)) +
                   10 * (Unit(Hash(seed, kFearGreed, static_cast<uint64_t>(day))) - 0.5);
  return static_cast<int>(std::clamp(std::lround(v), 1L, 99L));
}

// CMC's bands (the docs examples: 34 and 38 "Fear", 40 "Neutral").
std::string Classify(int value) {
  if (value < 20) return "Extreme fear";
  if (value < 40) return "Fear";
  if (value < 60) return "Neutral";
  if (value < 80) return "Greed";
  return "Extreme greed";
}

// Sums over the active cryptos at a moment.
struct MarketSums {
  double volume = 0, btc_cap = 0, btc_volume = 0, eth_cap = 0;
  double defi_cap = 0, defi_volume = 0, stable_cap = 0, stable_volume = 0;
  int64_t pairs = 0, tokens = 0;
};

MarketSums SumMarket(const FakeCmcUniverse& u, const MarketMoment& m) {
  MarketSums s;
  for (const FakeCmcCrypto& c : u.cryptos) {
    if (c.status != CmcListingStatus::kActive) continue;
    const FakeCmcQuote q = QuoteOf(c, m);
    s.volume += q.volume_24h;
    s.pairs += c.num_market_pairs;
    s.tokens += c.platform_id != 0 ? 1 : 0;
    if (c.id == 1) {
      s.btc_cap = q.market_cap;
      s.btc_volume = q.volume_24h;
    }
    if (c.id == 1027) s.eth_cap = q.market_cap;
    if (std::find(c.tags.begin(), c.tags.end(), "defi") != c.tags.end()) {
      s.defi_cap += q.market_cap;
      s.defi_volume += q.volume_24h;
    }
    if (c.stablecoin) {
      s.stable_cap += q.market_cap;
      s.stable_volume += q.volume_24h;
    }
  }
  return s;
}

double Percent(double v) { return RoundTo(v, 8); }

// tracked_yearly_number [U]: the busiest and quietest days of the year so far.
Json TrackedYearlyNumber(uint64_t seed, int64_t day) {
  const CivilDate civil = CivilFromDay(day);
  const int64_t year_start = DayFromCivil(civil.year, 1, 1);
  const uint64_t span = static_cast<uint64_t>(day - year_start + 1);
  const auto h = [&](uint64_t k, uint64_t v) { return Hash(seed, kGlobal, k, v); };
  Json t = Json::object();
  t["maxIncrementalNumber"] = 120 + h(14, civil.year) % 200;
  t["maxIncrementalDate"] = FormatDay(year_start + static_cast<int64_t>(h(15, day) % span));
  t["minIncrementalNumber"] = h(16, civil.year) % 10;
  t["minIncrementalDate"] = FormatDay(year_start + static_cast<int64_t>(h(17, day) % span));
  return t;
}

}  // namespace

// ---- Deterministic randomness ----

uint64_t Hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  // SplitMix64's finalizer over the words in turn.
  const auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return mix(mix(mix(mix(seed) ^ a) ^ b) ^ c);
}

double Unit(uint64_t hash) { return static_cast<double>(hash >> 11) * 0x1.0p-53; }

double RoundTo(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// ---- Market values ----

MarketMoment MomentAt(const FakeCmcUniverse& universe, uint64_t seed, int64_t now_ms) {
  MarketMoment m;
  m.seed = seed;
  m.revision = universe.revision;
  m.time_ms = now_ms / kMsPerMinute * kMsPerMinute;
  m.factor = MarketFactor(seed, m.revision, m.time_ms);
  constexpr int64_t kAgo[] = {kMsPerHour,     kMsPerDay,      7 * kMsPerDay,
                              30 * kMsPerDay, 60 * kMsPerDay, 90 * kMsPerDay};
  for (int i = 0; i < 6; ++i) m.factor_ago[i] = MarketFactor(seed, m.revision, m.time_ms - kAgo[i]);
  m.volume_factor = VolumeFactor(seed, m.time_ms);
  m.volume_factor_24h = VolumeFactor(seed, m.time_ms - kMsPerDay);
  double base = 0;
  for (const FakeCmcCrypto& c : universe.cryptos) base += c.base_market_cap;
  m.total_market_cap = base * m.factor;
  return m;
}

FakeCmcQuote QuoteOf(const FakeCmcCrypto& c, const MarketMoment& m) {
  const auto at = [&](uint64_t k, int64_t bucket) {
    return Unit(Hash(m.seed, kQuote, static_cast<uint64_t>(c.id) * 64 + k,
                     static_cast<uint64_t>(bucket) * 16 + static_cast<uint64_t>(m.revision)));
  };
  FakeCmcQuote q;
  q.last_updated_ms = m.time_ms;
  q.market_cap = c.base_market_cap * m.factor;
  const double hours = static_cast<double>(m.time_ms) / kMsPerHour;
  if (c.stablecoin) {
    q.price = 1 + 0.0004 * std::sin(hours / 5 + kTwoPi * at(0, 0));
    q.circulating_supply = RoundTo(q.market_cap / q.price, 2);
    q.total_supply = RoundTo(q.circulating_supply * 1.02, 2);
  } else {
    q.circulating_supply = c.circulating_supply;
    q.total_supply = c.total_supply;
    q.price = q.market_cap / c.circulating_supply;
  }
  const double beta = c.stablecoin ? 0 : 0.5 + 1.5 * at(1, 0);
  const double noise = c.stablecoin ? 0.02 : 3;
  const int64_t day = m.time_ms / kMsPerDay;
  double* changes[] = {&q.percent_change_1h,  &q.percent_change_24h, &q.percent_change_7d,
                       &q.percent_change_30d, &q.percent_change_60d, &q.percent_change_90d};
  for (int i = 0; i < 6; ++i) {
    const int64_t bucket = i == 0 ? m.time_ms / kMsPerHour : day;
    const double jitter = noise * (i + 1) * (at(2 + i, bucket) - 0.5);
    *changes[i] = RoundTo(100 * (m.factor / m.factor_ago[i] - 1) * beta + jitter, 8);
  }
  const double turnover = c.stablecoin ? 0.5 : 0.004 + 0.25 * std::pow(at(10, 0), 2);
  q.volume_24h = q.market_cap * turnover * m.volume_factor;
  q.volume_change_24h =
      RoundTo(100 * (m.volume_factor / m.volume_factor_24h - 1) + 4 * (at(11, day) - 0.5), 4);
  q.market_cap_dominance = RoundTo(100 * q.market_cap / m.total_market_cap, 4);
  q.fully_diluted_market_cap = RoundTo(q.price * c.max_supply.value_or(q.total_supply), 2);
  return q;
}

double ExchangeSpotVolume(const FakeCmcExchange& e, const MarketMoment& m) {
  return e.active ? e.base_spot_volume_usd * m.volume_factor : 0;
}

std::vector<FakeFearGreedPoint> FearGreedHistory(const FakeCmcOptions& options, int64_t now_ms) {
  std::vector<FakeFearGreedPoint> out;
  const int64_t today = DayOf(now_ms);
  for (int64_t i = 0; i < options.fear_greed_days; ++i) {
    const int value = FearGreedValue(options.seed, today - i);
    out.push_back({DayStartMs(today - i) / kMsPerSecond, value, Classify(value)});
  }
  return out;
}

FakeFearGreedPoint FearGreedLatest(const FakeCmcOptions& options, int64_t now_ms) {
  constexpr int64_t kStep = 15 * kMsPerMinute;  // updated every 15 minutes
  const int64_t bucket = now_ms / kStep;
  const double drift = 4 * std::sin(static_cast<double>(bucket) * 0.9);
  const int value = static_cast<int>(
      std::clamp(std::lround(FearGreedValue(options.seed, DayOf(now_ms)) + drift), 0L, 100L));
  return {bucket * kStep / kMsPerSecond, value, Classify(value)};
}

// Fields marked [U] are not in the documented example (v1_global-metrics_quotes_latest.docs.json)
// but are read by CryptoLakehouse from live responses (cryptolakehouse.md §1.5, the 43 fields it
// flattens); their values here are only plausible.
Json GlobalMetricsData(const FakeCmcOptions& options, const FakeCmcUniverse& u, int64_t now_ms) {
  const MarketMoment m = MomentAt(u, options.seed, now_ms / (5 * kMsPerMinute) * 5 * kMsPerMinute);
  const MarketSums s = SumMarket(u, m);
  const int64_t day = m.time_ms / kMsPerDay;
  const uint64_t seed = options.seed;
  const auto j = [&](uint64_t k, double scale) {
    return scale * (Unit(Hash(seed, kGlobal, k, static_cast<uint64_t>(day))) - 0.5);
  };
  const double cap = m.total_market_cap, cap_change = 100 * (m.factor / m.factor_ago[1] - 1);
  const double volume_change = 100 * (m.volume_factor / m.volume_factor_24h - 1);
  const double btc_dom = RoundTo(100 * s.btc_cap / cap, 6);
  const double eth_dom = RoundTo(100 * s.eth_cap / cap, 6);
  const double btc_dom_y = RoundTo(btc_dom * (1 + j(1, 0.02)), 6);
  const double eth_dom_y = RoundTo(eth_dom * (1 + j(2, 0.02)), 6);
  int64_t active_exchanges = 0;
  for (const FakeCmcExchange& e : u.exchanges) active_exchanges += e.active ? 1 : 0;
  const uint64_t day_key = static_cast<uint64_t>(day);

  Json d = Json::object();
  d["active_cryptocurrencies"] = u.ids_by_rank.size();
  d["total_cryptocurrencies"] = u.cryptos.size();
  d["active_market_pairs"] = s.pairs;
  d["active_exchanges"] = active_exchanges;
  d["total_exchanges"] = u.exchanges.size();
  d["eth_dominance"] = Number(eth_dom);
  d["btc_dominance"] = Number(btc_dom);
  d["eth_dominance_yesterday"] = Number(eth_dom_y);                                        // [U]
  d["btc_dominance_yesterday"] = Number(btc_dom_y);                                        // [U]
  d["eth_dominance_24h_percentage_change"] = Number(Percent(eth_dom - eth_dom_y));         // [U]
  d["btc_dominance_24h_percentage_change"] = Number(Percent(btc_dom - btc_dom_y));         // [U]
  d["defi_volume_24h"] = Number(s.defi_volume);                                            // [U]
  d["defi_volume_24h_reported"] = Number(s.defi_volume * (1.05 + j(3, 0.1)));              // [U]
  d["defi_market_cap"] = Number(s.defi_cap);                                               // [U]
  d["defi_24h_percentage_change"] = Number(Percent(cap_change + j(4, 4)));                 // [U]
  d["stablecoin_volume_24h"] = Number(s.stable_volume);                                    // [U]
  d["stablecoin_volume_24h_reported"] = Number(s.stable_volume * (1.05 + j(5, 0.1)));      // [U]
  d["stablecoin_market_cap"] = Number(s.stable_cap);                                       // [U]
  d["stablecoin_24h_percentage_change"] = Number(Percent(j(6, 0.2)));                      // [U]
  d["derivatives_volume_24h"] = Number(s.volume * 9.3);                                    // [U]
  d["derivatives_volume_24h_reported"] = Number(s.volume * 9.3 * (1.04 + j(7, 0.02)));     // [U]
  d["derivatives_24h_percentage_change"] = Number(Percent(volume_change + j(8, 6)));       // [U]
  d["total_crypto_dex_currencies"] = s.tokens;                                             // [U]
  d["today_incremental_crypto_number"] = Hash(seed, kGlobal, 10, day_key) % 40;            // [U]
  d["past_24h_incremental_crypto_number"] = 20 + Hash(seed, kGlobal, 11, day_key) % 40;    // [U]
  d["past_7d_incremental_crypto_number"] = 200 + Hash(seed, kGlobal, 12, day_key) % 200;   // [U]
  d["past_30d_incremental_crypto_number"] = 900 + Hash(seed, kGlobal, 13, day_key) % 600;  // [U]
  d["today_change_percent"] = Number(Percent(j(9, 2)));                                    // [U]
  d["tracked_yearly_number"] = TrackedYearlyNumber(seed, day);                             // [U]
  Json usd = Json::object();
  usd["total_market_cap"] = Number(cap);
  usd["total_volume_24h"] = Number(s.volume);
  usd["total_volume_24h_reported"] = Number(s.volume * (1.08 + j(18, 0.04)));
  usd["altcoin_volume_24h"] = Number(s.volume - s.btc_volume);
  usd["altcoin_volume_24h_reported"] = Number((s.volume - s.btc_volume) * (1.08 + j(19, 0.04)));
  usd["altcoin_market_cap"] = Number(cap - s.btc_cap);
  usd["total_market_cap_yesterday"] = Number(cap / m.factor * m.factor_ago[1]);  // [U]
  usd["total_volume_24h_yesterday"] =
      Number(s.volume / m.volume_factor * m.volume_factor_24h);                          // [U]
  usd["total_market_cap_yesterday_percentage_change"] = Number(Percent(cap_change));     // [U]
  usd["total_volume_24h_yesterday_percentage_change"] = Number(Percent(volume_change));  // [U]
  usd["last_updated"] = FormatTimestamp(m.time_ms);
  d["quote"] = Json::object({{"USD", std::move(usd)}});
  d["last_updated"] = FormatTimestamp(m.time_ms);
  return d;
}

}  // namespace dlake::testing::fake_cmc_internal

namespace dlake::testing {

const FakeCmcCrypto* FakeCmcUniverse::FindCrypto(int64_t id) const {
  auto it = std::lower_bound(cryptos.begin(), cryptos.end(), id,
                             [](const FakeCmcCrypto& c, int64_t v) { return c.id < v; });
  return it != cryptos.end() && it->id == id ? &*it : nullptr;
}

const FakeCmcExchange* FakeCmcUniverse::FindExchange(int64_t id) const {
  auto it = std::lower_bound(exchanges.begin(), exchanges.end(), id,
                             [](const FakeCmcExchange& e, int64_t v) { return e.id < v; });
  return it != exchanges.end() && it->id == id ? &*it : nullptr;
}

const FakeCmcCategory* FakeCmcUniverse::FindCategory(std::string_view id) const {
  auto it = std::lower_bound(categories.begin(), categories.end(), id,
                             [](const FakeCmcCategory& c, std::string_view v) { return c.id < v; });
  return it != categories.end() && it->id == id ? &*it : nullptr;
}

}  // namespace dlake::testing
