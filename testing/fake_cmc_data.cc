// The fake CoinMarketCap universe (see fake_cmc.h): cryptocurrencies, exchanges, wallets and
// categories as a pure function of (seed, revision). Market values are in fake_cmc_market.cc.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dlake/common/time.h"
#include "testing/fake_cmc_internal.h"

namespace dlake::testing::fake_cmc_internal {
namespace {

// Streams of the hash, one per decision, so that changing one decision leaves the others alone.
enum Salt : uint64_t {
  kCryptoGap = 1,
  kCryptoStatus,
  kCryptoName,
  kCryptoKind,
  kCryptoAddress,
  kCryptoSupply,
  kCryptoDates,
  kCryptoTags,
  kStrength,
  kRankNoise,
  kProtected,
  kExchangeGap,
  kExchangeStatus,
  kExchangeName,
  kExchangeAttrs,
  kAssets,
  kWallet,
  kCategoryName,
  kCategoryId,
  kCategoryCoins,
  kStep,
};

int64_t DateMs(int year, int month, int day) { return DayStartMs(DayFromCivil(year, month, day)); }

int64_t Minute(int64_t ms) { return ms / kMsPerMinute * kMsPerMinute; }

// The part `u` (in [0, 1)) of `span`.
int64_t Part(double u, int64_t span) { return static_cast<int64_t>(u * static_cast<double>(span)); }

const int64_t kHistoryStart = DateMs(2013, 6, 1);  // generated listings start here ...
const int64_t kHistoryEnd = DateMs(2024, 1, 1);    // ... and end here
const int64_t kRevisionBase = kHistoryEnd;         // step k lists and delists on this + k days

// Real ids, names and rough mid-2024 sizes; their market caps (price x circulating) rank them
// first. Tokens give their platform and contract; max_supply 0 is null; tags are a csv.
struct NamedCoin {
  int64_t id;
  const char* name;
  const char* symbol;
  const char* slug;
  int64_t platform_id;
  const char* token_address;
  double price;  // at market factor 1
  double circulating;
  double max_supply;
  bool infinite;
  int pairs;
  const char* date_added;
  const char* tags;
};
constexpr NamedCoin kNamedCoins[] = {
    {1, "Bitcoin", "BTC", "bitcoin", 0, "", 65000, 19.7e6, 21e6, false, 11500, "2013-04-28",
     "mineable,pow,sha-256,store-of-value"},
    {1027, "Ethereum", "ETH", "ethereum", 0, "", 3500, 120.1e6, 0, true, 9400, "2015-08-07",
     "pos,smart-contracts,ethereum-ecosystem"},
    {825, "Tether USDt", "USDT", "tether", 1027, "0xdac17f958d2ee523a2206206994597c13d831ec7", 1,
     112e9, 0, true, 96000, "2015-02-25", "stablecoin,usd-stablecoin"},
    {1839, "BNB", "BNB", "bnb", 0, "", 580, 147.6e6, 200e6, false, 2100, "2017-07-25",
     "bnb-chain-ecosystem,centralized-exchange"},
    {5426, "Solana", "SOL", "solana", 0, "", 160, 462e6, 0, true, 780, "2020-04-10",
     "pos,solana-ecosystem,layer-1"},
    {3408, "USDC", "USDC", "usd-coin", 1027, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", 1, 32e9,
     0, true, 19000, "2018-10-08", "stablecoin,usd-stablecoin"},
    {52, "XRP", "XRP", "xrp", 0, "", 0.5, 55.5e9, 100e9, false, 1300, "2013-08-04",
     "medium-of-exchange,enterprise-solutions"},
    {74, "Dogecoin", "DOGE", "dogecoin", 0, "", 0.15, 144.8e9, 0, true, 950, "2013-12-15",
     "mineable,pow,memes"},
    {11419, "Toncoin", "TON", "toncoin", 0, "", 7, 2.45e9, 0, false, 150, "2021-08-26",
     "pos,layer-1"},
    {2010, "Cardano", "ADA", "cardano", 0, "", 0.45, 35.5e9, 45e9, false, 1100, "2017-10-01",
     "pos,layer-1"},
    {5994, "Shiba Inu", "SHIB", "shiba-inu", 1027, "0x95ad61b0a150d79219dcf64e1e6cc01f0b64c4ce",
     0.000025, 589.3e12, 0, false, 800, "2020-08-01", "memes,ethereum-ecosystem"},
    {5805, "Avalanche", "AVAX", "avalanche", 0, "", 35, 393e6, 720e6, false, 650, "2020-07-13",
     "pos,layer-1,avalanche-ecosystem"},
    {1958, "TRON", "TRX", "tron", 0, "", 0.12, 87.5e9, 0, true, 900, "2017-09-13",
     "media,payments,tron-ecosystem"},
    {6636, "Polkadot", "DOT", "polkadot-new", 0, "", 7, 1.44e9, 0, true, 600, "2020-08-19",
     "substrate,polkadot-ecosystem"},
    {1975, "Chainlink", "LINK", "chainlink", 1027, "0x514910771af9ca656af840dff83e10e9c9b0bdf", 16,
     587e6, 1e9, false, 1500, "2017-09-20", "oracles,ethereum-ecosystem"},
    {1831, "Bitcoin Cash", "BCH", "bitcoin-cash", 0, "", 450, 19.7e6, 21e6, false, 800,
     "2017-07-23", "mineable,pow"},
    {3890, "Polygon", "MATIC", "polygon", 0, "", 0.7, 9.9e9, 10e9, false, 950, "2019-04-28",
     "pos,layer-2,polygon-ecosystem"},
    {2, "Litecoin", "LTC", "litecoin", 0, "", 80, 74.6e6, 84e6, false, 1100, "2013-04-28",
     "mineable,pow,scrypt"},
    {7083, "Uniswap", "UNI", "uniswap", 1027, "0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", 9.5,
     600e6, 1e9, false, 700, "2020-09-17", "defi,dex,ethereum-ecosystem"},
    {1321, "Ethereum Classic", "ETC", "ethereum-classic", 0, "", 27, 147e6, 210.7e6, false, 450,
     "2016-07-24", "mineable,pow"},
    {512, "Stellar", "XLM", "stellar", 0, "", 0.1, 29e9, 50e9, false, 500, "2014-08-05",
     "payments,layer-1"},
};

struct Platform {
  int64_t id;
  double weight;
  const char* ecosystem_tag;
  bool evm;
};
constexpr Platform kPlatforms[] = {
    {1027, 0.50, "ethereum-ecosystem", true},  {1839, 0.20, "bnb-chain-ecosystem", true},
    {5426, 0.12, "solana-ecosystem", false},   {3890, 0.07, "polygon-ecosystem", true},
    {5805, 0.06, "avalanche-ecosystem", true}, {1958, 0.05, "tron-ecosystem", false},
};

struct NamedExchange {
  int64_t id;
  const char* name;
  const char* slug;
  bool dex;
  double spot_volume;
  int year, month, day;  // launched
};
constexpr NamedExchange kNamedExchanges[] = {
    {270, "Binance", "binance", false, 2.1e10, 2017, 7, 14},
    {89, "Coinbase Exchange", "coinbase-exchange", false, 3.2e9, 2012, 6, 1},
    {24, "Kraken", "kraken", false, 1.1e9, 2011, 7, 28},
    {294, "OKX", "okx", false, 2.4e9, 2017, 1, 1},
    {521, "Bybit", "bybit", false, 2.0e9, 2018, 3, 1},
    {311, "KuCoin", "kucoin", false, 9.0e8, 2017, 9, 1},
    {37, "Bitfinex", "bitfinex", false, 1.5e8, 2012, 10, 1},
    {16, "Poloniex", "poloniex", false, 9.0e7, 2014, 1, 1},
    {102, "HTX", "htx", false, 1.3e9, 2013, 9, 1},
    {151, "Gemini", "gemini", false, 9.0e7, 2015, 10, 25},
    {302, "Gate.io", "gate-io", false, 1.1e9, 2013, 4, 1},
    {544, "MEXC", "mexc", false, 1.2e9, 2018, 4, 1},
    {1149, "Uniswap v3 (Ethereum)", "uniswap-v3", true, 1.0e9, 2021, 5, 5},
};

constexpr const char* kStarts[] = {
    "Ar",  "Bel", "Cor", "Dex", "El",  "Fin", "Gal", "Hex", "Ion", "Jax", "Kra", "Lum", "Mor",
    "Nex", "Or",  "Pax", "Qua", "Rho", "Syn", "Tor", "Ul",  "Vex", "Wav", "Xen", "Yld", "Zen",
    "Aur", "Bri", "Cel", "Dra", "Eon", "Flu", "Gry", "Hal", "Iri", "Kav", "Lys", "Myr", "Nov",
    "Oxi", "Pho", "Rad", "Sol", "Tha", "Umb", "Vor", "Wyn", "Xyl", "Yor", "Zyr"};
constexpr const char* kMiddles[] = {"a",  "e",  "i",  "o",  "u",  "ar", "en", "il",
                                    "on", "ux", "is", "yn", "or", "el", "ia"};
constexpr const char* kEnds[] = {"x",   "n",   "ra",  "th", "s",  "k",  "m",   "to",  "va",  "ne",
                                 "rix", "lon", "dex", "pe", "go", "sa", "tum", "ris", "via", "no"};
constexpr const char* kCryptoSuffixes[] = {
    "",       "",      "",    "",       "",      " Finance", " Protocol", " Network",
    " Token", " Coin", " AI", " Chain", " Swap", " DAO",     " Inu",      " Labs"};
constexpr const char* kExchangeSuffixes[] = {" Exchange", "",  " Pro", "Swap",   " Markets",
                                             " Global",   "X", ".io",  " Trade", " DEX"};
constexpr const char* kTokenTags[] = {"defi",        "memes",         "gaming",
                                      "ai-big-data", "metaverse",     "collectibles-nfts",
                                      "dao",         "yield-farming", "real-world-assets",
                                      "layer-2",     "privacy",       "oracles",
                                      "payments",    "launchpad"};
constexpr const char* kFiats[] = {"USD", "EUR", "GBP", "JPY", "KRW", "TRY", "AED", "BRL", "AUD"};
// The first categories' names (the first is the docs example's), as a csv.
constexpr char kNamedCategories[] =
    "A16Z Portfolio,DeFi,Memes,Layer 1,AI & Big Data,Gaming,Stablecoin,Ethereum Ecosystem,"
    "BNB Chain Ecosystem,Solana Ecosystem,Polygon Ecosystem,Avalanche Ecosystem,Tron Ecosystem,"
    "Real World Assets,Layer 2,Collectibles & NFTs,Metaverse,Privacy,Oracles,Exchange Tokens,"
    "Liquid Staking,Derivatives,Storage,Payments,Web3,Binance Launchpool,"
    "Coinbase Ventures Portfolio,Pantera Capital Portfolio,Polychain Capital Portfolio,"
    "DWF Labs Portfolio";
constexpr const char* kCategoryKinds[] = {" Ecosystem", " Portfolio", " Launchpad", " Tokens",
                                          " Sector"};

std::string Stem(uint64_t h) {
  std::string s = kStarts[h % std::size(kStarts)];
  h /= std::size(kStarts);
  if (h % 3 != 0) s += kMiddles[(h / 3) % std::size(kMiddles)];
  h /= 3 * std::size(kMiddles);
  return s + kEnds[h % std::size(kEnds)];
}

std::string Slugify(const std::string& name) {
  std::string slug;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      slug += static_cast<char>(std::tolower(u));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

std::vector<std::string> SplitCsv(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    out.emplace_back(text.substr(0, comma));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return out;
}

// 3 or 4 letters of the name, upper case.
std::string SymbolOf(const std::string& name, uint64_t h) {
  std::string symbol;
  const size_t length = 3 + h % 2;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (symbol.size() == length) break;
    if (std::isalnum(u)) symbol += static_cast<char>(std::toupper(u));
  }
  return symbol;
}

std::string Digits(uint64_t seed, uint64_t a, uint64_t b, size_t count, std::string_view alphabet) {
  std::string out;
  for (uint64_t i = 0; out.size() < count; ++i) {
    uint64_t h = Hash(seed, a, b, i);
    for (int k = 0; k < 8 && out.size() < count; ++k, h /= alphabet.size()) {
      out += alphabet[h % alphabet.size()];
    }
  }
  return out;
}

constexpr std::string_view kHex = "0123456789abcdef";
constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// An address in the format of the chain of `platform_id` (EVM hex, Solana, TRON, Bitcoin).
std::string Address(uint64_t seed, int64_t platform_id, uint64_t a, uint64_t b) {
  for (const Platform& p : kPlatforms) {
    if (p.id == platform_id && p.evm) return "0x" + Digits(seed, a, b, 40, kHex);
  }
  if (platform_id == 5426) return Digits(seed, a, b, 44, kBase58);
  if (platform_id == 1958) return "T" + Digits(seed, a, b, 33, kBase58);
  if (platform_id == 1) return "bc1q" + Digits(seed, a, b, 38, "qpzry9x8gf2tvdw0s3jn54khce6mua7l");
  return Digits(seed, a, b, 34, kBase58);
}

// Builds one universe: revision 0, then the steps.
class Builder {
 public:
  Builder(const FakeCmcOptions& options, FakeCmcUniverse* u)
      : o_(options), seed_(options.seed), u_(*u) {}

  void Build(int revision) {
    AddCryptos();
    AddExchanges();
    Rank(0);
    AddWallets();
    AddCategories();
    for (int k = 1; k <= revision; ++k) Step(k);
    Rank(revision);
    for (FakeCmcCategory& c : u_.categories) {
      std::erase_if(c.coin_ids, [&](int64_t id) {
        return u_.FindCrypto(id)->status != CmcListingStatus::kActive;
      });
      std::sort(c.coin_ids.begin(), c.coin_ids.end(), [&](int64_t a, int64_t b) {
        return u_.FindCrypto(a)->rank < u_.FindCrypto(b)->rank;
      });
    }
  }

 private:
  // A new unique name (by slug): `suffixes` picks the kind of name.
  std::pair<std::string, std::string> NewName(uint64_t salt, uint64_t index,
                                              const char* const* suffixes, size_t n_suffixes) {
    for (uint64_t attempt = 0;; ++attempt) {
      const uint64_t h = Hash(seed_, salt, index, attempt);
      const std::string stem = Stem(h);
      std::string name = stem + suffixes[(h >> 40) % n_suffixes];
      std::string slug = Slugify(name);
      if (slugs_.insert(slug).second) return {std::move(name), std::move(slug)};
    }
  }

  void AddCryptos() {
    std::vector<int64_t> named_ids;
    for (const NamedCoin& c : kNamedCoins) named_ids.push_back(c.id);
    const int64_t generated = static_cast<int64_t>(o_.cryptos) + o_.inactive_cryptos +
                              o_.untracked_cryptos - static_cast<int64_t>(named_ids.size());
    std::vector<int64_t> ids;
    int64_t id = 2;
    for (int64_t k = 0; k < generated; ++k) {
      const double gap_max = 2 + 16.0 * static_cast<double>(k) / static_cast<double>(generated);
      id += 1 + static_cast<int64_t>(gap_max * Unit(Hash(seed_, kCryptoGap, k)));
      while (std::find(named_ids.begin(), named_ids.end(), id) != named_ids.end()) ++id;
      ids.push_back(id);
    }
    // Which generated cryptos are inactive or untracked: the lowest keys.
    std::vector<size_t> order(ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return Hash(seed_, kCryptoStatus, ids[a]) < Hash(seed_, kCryptoStatus, ids[b]);
    });
    std::vector<CmcListingStatus> status(ids.size(), CmcListingStatus::kActive);
    for (size_t i = 0; i < order.size(); ++i) {
      if (i < static_cast<size_t>(o_.inactive_cryptos)) {
        status[order[i]] = CmcListingStatus::kInactive;
      } else if (i < static_cast<size_t>(o_.inactive_cryptos) +
                         static_cast<size_t>(o_.untracked_cryptos)) {
        status[order[i]] = CmcListingStatus::kUntracked;
      }
    }
    for (const NamedCoin& c : kNamedCoins) {
      slugs_.insert(c.slug);
      u_.cryptos.push_back(MakeNamed(c));
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      const double position = static_cast<double>(i) / static_cast<double>(ids.size());
      u_.cryptos.push_back(MakeGenerated(ids[i], position, status[i], i));
    }
    std::sort(u_.cryptos.begin(), u_.cryptos.end(),
              [](const FakeCmcCrypto& a, const FakeCmcCrypto& b) { return a.id < b.id; });
    // Generated actives never delisted by a step: the wallets' currencies come from them.
    std::vector<int64_t> active;
    for (const FakeCmcCrypto& c : u_.cryptos) {
      if (c.status == CmcListingStatus::kActive && !IsNamed(c.id)) active.push_back(c.id);
    }
    std::sort(active.begin(), active.end(), [&](int64_t a, int64_t b) {
      return Hash(seed_, kProtected, a) < Hash(seed_, kProtected, b);
    });
    const auto count = static_cast<std::ptrdiff_t>(std::min<size_t>(150, active.size() / 2));
    protected_.assign(active.begin(), active.begin() + count);
  }

  static bool IsNamed(int64_t id) {
    for (const NamedCoin& c : kNamedCoins) {
      if (c.id == id) return true;
    }
    return false;
  }

  FakeCmcCrypto MakeNamed(const NamedCoin& n) {
    FakeCmcCrypto c;
    c.id = n.id;
    c.name = n.name;
    c.symbol = n.symbol;
    c.slug = n.slug;
    c.platform_id = n.platform_id;
    c.token_address = n.token_address;
    c.date_added_ms = ParseTimePoint(n.date_added).value().ms;
    c.date_launched_ms = c.date_added_ms;
    c.first_historical_ms = c.date_added_ms + 1127 * kMsPerMinute + 21 * kMsPerSecond;
    c.circulating_supply = n.circulating;
    c.total_supply = n.circulating;
    if (n.max_supply > 0) c.max_supply = n.max_supply;
    c.infinite_supply = n.infinite;
    c.num_market_pairs = n.pairs;
    c.tags = SplitCsv(n.tags);
    c.stablecoin = n.price == 1;
    named_caps_.push_back({n.id, n.price * n.circulating});
    return c;
  }

  FakeCmcCrypto MakeGenerated(int64_t id, double position, CmcListingStatus status,
                              uint64_t name_index) {
    FakeCmcCrypto c;
    c.id = id;
    c.status = status;
    const double kind = Unit(Hash(seed_, kCryptoKind, id));
    const bool token = kind < 0.42;
    if (token) {
      double pick = Unit(Hash(seed_, kCryptoKind, id, 1));
      for (const Platform& p : kPlatforms) {
        c.platform_id = p.id;
        if ((pick -= p.weight) < 0) break;
      }
      c.token_address = Address(seed_, c.platform_id, kCryptoAddress, static_cast<uint64_t>(id));
    }
    c.stablecoin = token && kind < 0.42 * 0.01;
    auto [name, slug] = NewName(kCryptoName, name_index, kCryptoSuffixes,
                                c.stablecoin ? 1 : std::size(kCryptoSuffixes));
    c.symbol = SymbolOf(name, Hash(seed_, kCryptoName, id));
    if (c.stablecoin) {  // "<Stem> USD": unique, as no other name ends in " USD"
      name += " USD";
      slug += "-usd";
      c.symbol += "USD";
    }
    c.name = std::move(name);
    c.slug = std::move(slug);
    SetDates(&c, position);
    SetSupply(&c);
    SetTags(&c);
    c.num_market_pairs =
        1 + static_cast<int>(900 * std::pow(Unit(Hash(seed_, kCryptoSupply, id, 9)), 5));
    strength_[id] = 0.5 * Unit(Hash(seed_, kStrength, id)) + 0.5 * (1 - position);
    return c;
  }

  void SetDates(FakeCmcCrypto* c, double position) {
    const int64_t span = kHistoryEnd - kHistoryStart;
    const auto at = [&](uint64_t k) { return Unit(Hash(seed_, kCryptoDates, c->id, k)); };
    const int64_t day =
        DayOf(kHistoryStart + Part(position, span)) + static_cast<int64_t>(20 * at(0));
    c->date_added_ms = std::min(DayStartMs(day), kHistoryEnd - kMsPerDay);
    c->first_historical_ms =
        c->date_added_ms + static_cast<int64_t>(at(1) * kMsPerDay) / kMsPerSecond * kMsPerSecond;
    if (at(2) >= 0.3) {
      c->date_launched_ms = c->date_added_ms - static_cast<int64_t>(200 * at(3)) * kMsPerDay;
    }
    if (c->status != CmcListingStatus::kActive) {
      const int64_t alive = Part(at(4), kHistoryEnd - c->first_historical_ms);
      c->last_historical_ms = Minute(c->first_historical_ms + alive);
    }
  }

  void SetSupply(FakeCmcCrypto* c) {
    const auto at = [&](uint64_t k) { return Unit(Hash(seed_, kCryptoSupply, c->id, k)); };
    double circulating = std::round(std::pow(10.0, 6 + 4 * at(0)));
    if (at(1) < 0.3) circulating = RoundTo(circulating + at(2), 2);
    c->circulating_supply = circulating;
    c->total_supply = std::round(circulating * (1 + 0.5 * at(3)));
    if (at(4) >= 0.35 && !c->stablecoin) {
      c->max_supply = std::round(c->total_supply * (1 + at(5)));
    } else {
      c->infinite_supply = at(6) < 0.5 || c->stablecoin;
    }
  }

  void SetTags(FakeCmcCrypto* c) {
    const auto h = [&](uint64_t k) { return Hash(seed_, kCryptoTags, c->id, k); };
    if (c->stablecoin) {
      c->tags = {"stablecoin", "usd-stablecoin"};
      return;
    }
    if (c->platform_id == 0) {
      if (Unit(h(0)) < 0.3) c->tags = {"mineable", "pow"};
      if (Unit(h(1)) < 0.3) c->tags.push_back("layer-1");
      return;
    }
    for (const Platform& p : kPlatforms) {
      if (p.id == c->platform_id && Unit(h(2)) < 0.7) c->tags.push_back(p.ecosystem_tag);
    }
    const uint64_t extra = h(3) % 4;
    for (uint64_t k = 0; k < extra; ++k) {
      std::string tag = kTokenTags[h(10 + k) % std::size(kTokenTags)];
      if (std::find(c->tags.begin(), c->tags.end(), tag) == c->tags.end()) c->tags.push_back(tag);
    }
  }

  void AddExchanges() {
    const int64_t generated = static_cast<int64_t>(o_.exchanges) + o_.inactive_exchanges -
                              static_cast<int64_t>(std::size(kNamedExchanges));
    std::unordered_set<std::string> named_slugs;
    for (const NamedExchange& n : kNamedExchanges) {
      named_slugs.insert(n.slug);
      FakeCmcExchange e;
      e.id = n.id;
      e.name = n.name;
      e.slug = n.slug;
      e.dex = n.dex;
      e.date_launched_ms = DateMs(n.year, n.month, n.day);
      e.base_spot_volume_usd = n.spot_volume;
      SetExchangeAttributes(&e);
      e.description = e.name + " is a " + (e.dex ? "decentralized" : "centralized") +
                      " exchange launched in " + FormatDay(DayOf(*e.date_launched_ms)) + ".";
      u_.exchanges.push_back(std::move(e));
    }
    int64_t id = 1;
    for (int64_t k = 0; k < generated; ++k) {
      const double gap_max = 2 + 40.0 * static_cast<double>(k) / static_cast<double>(generated);
      id += 1 + static_cast<int64_t>(gap_max * Unit(Hash(seed_, kExchangeGap, k)));
      while (IsNamedExchange(id)) ++id;
      FakeCmcExchange e;
      e.id = id;
      std::tie(e.name, e.slug) =
          NewName(kExchangeName, k, kExchangeSuffixes, std::size(kExchangeSuffixes));
      e.dex = e.name.ends_with("Swap") || e.name.ends_with("DEX");
      e.active = Unit(Hash(seed_, kExchangeStatus, id)) >=
                 static_cast<double>(o_.inactive_exchanges) / static_cast<double>(generated);
      SetExchangeAttributes(&e);
      u_.exchanges.push_back(std::move(e));
    }
    std::sort(u_.exchanges.begin(), u_.exchanges.end(),
              [](const FakeCmcExchange& a, const FakeCmcExchange& b) { return a.id < b.id; });
    FixExchangeCounts();
  }

  // Makes the active and inactive counts exact (the draw above only approximates them).
  void FixExchangeCounts() {
    std::vector<FakeCmcExchange*> generated;
    for (FakeCmcExchange& e : u_.exchanges) {
      if (!IsNamedExchange(e.id)) generated.push_back(&e);
    }
    std::sort(generated.begin(), generated.end(), [&](auto* a, auto* b) {
      return Hash(seed_, kExchangeStatus, a->id, 1) < Hash(seed_, kExchangeStatus, b->id, 1);
    });
    int64_t inactive = 0;
    for (FakeCmcExchange* e : generated) inactive += e->active ? 0 : 1;
    for (FakeCmcExchange* e : generated) {
      if (inactive == o_.inactive_exchanges) break;
      if (inactive < o_.inactive_exchanges && e->active) {
        e->active = false;
        ++inactive;
      } else if (inactive > o_.inactive_exchanges && !e->active) {
        e->active = true;
        --inactive;
      }
    }
    for (FakeCmcExchange& e : u_.exchanges) {
      if (!e.active && e.last_historical_ms == 0) {
        const double u = Unit(Hash(seed_, kExchangeAttrs, e.id, 9));
        e.last_historical_ms =
            Minute(e.first_historical_ms + Part(u, kHistoryEnd - e.first_historical_ms));
      }
    }
  }

  static bool IsNamedExchange(int64_t id) {
    for (const NamedExchange& n : kNamedExchanges) {
      if (n.id == id) return true;
    }
    return false;
  }

  void SetExchangeAttributes(FakeCmcExchange* e) {
    const auto at = [&](uint64_t k) { return Unit(Hash(seed_, kExchangeAttrs, e->id, k)); };
    if (!e->date_launched_ms && at(0) >= 0.12) {
      const int64_t from = DateMs(2011, 1, 1);
      e->date_launched_ms = DayStartMs(DayOf(from + Part(at(1), kHistoryEnd - from)));
    }
    if (at(2) >= 0.06) {
      e->description =
          e->name + " is a " + (e->dex ? "decentralized" : "centralized") + " exchange" +
          (e->date_launched_ms ? " launched in " + FormatDay(DayOf(*e->date_launched_ms)) + "."
                               : ".");
    }
    e->first_historical_ms =
        std::max(e->date_launched_ms.value_or(DateMs(2018, 4, 26)), DateMs(2018, 4, 26)) +
        45 * kMsPerMinute;
    constexpr double kMakerFees[] = {0, 0.02, 0.05, 0.1, 0.2};
    e->maker_fee = e->dex ? 0.3 : kMakerFees[Hash(seed_, kExchangeAttrs, e->id, 3) % 5];
    e->taker_fee = e->dex ? 0.3 : RoundTo(e->maker_fee + 0.02 * (1 + (at(4) * 5)), 2);
    e->weekly_visits = static_cast<int64_t>(std::pow(10.0, 2 + 5 * at(5)));
    if (e->base_spot_volume_usd == 0) e->base_spot_volume_usd = std::pow(10.0, 4 + 5 * at(6));
    if (e->dex) return;
    for (size_t i = 0; i < std::size(kFiats); ++i) {
      if (at(20 + i) < (i == 0 ? 0.6 : 0.2)) e->fiats.push_back(kFiats[i]);
    }
  }

  // Ranks the active cryptos of `revision`: named coins first by their own market caps, then the
  // generated ones by strength (plus a revision's reshuffle); sets rank and base_market_cap.
  void Rank(int revision) {
    std::vector<FakeCmcCrypto*> named, generated, others;
    for (FakeCmcCrypto& c : u_.cryptos) {
      if (c.status != CmcListingStatus::kActive) {
        others.push_back(&c);
      } else {
        (IsNamed(c.id) ? named : generated).push_back(&c);
      }
    }
    const auto cap_of = [&](int64_t id) {
      for (const auto& [named_id, cap] : named_caps_) {
        if (named_id == id) return cap;
      }
      return 0.0;
    };
    std::sort(named.begin(), named.end(),
              [&](auto* a, auto* b) { return cap_of(a->id) > cap_of(b->id); });
    const auto score = [&](int64_t id) {
      double s = strength_.at(id);
      if (revision > 0) s += 0.04 * (Unit(Hash(seed_, kRankNoise, id, revision)) - 0.5);
      return s;
    };
    std::sort(generated.begin(), generated.end(), [&](auto* a, auto* b) {
      const double sa = score(a->id), sb = score(b->id);
      return sa != sb ? sa > sb : a->id < b->id;
    });
    u_.ids_by_rank.clear();
    double tail_cap = 0;
    for (FakeCmcCrypto* c : named) {
      c->base_market_cap = cap_of(c->id);
      tail_cap = c->base_market_cap * 0.9;
      c->rank = static_cast<int64_t>(u_.ids_by_rank.size()) + 1;
      u_.ids_by_rank.push_back(c->id);
    }
    const double first_tail = static_cast<double>(named.size() + 1);
    for (FakeCmcCrypto* c : generated) {
      c->rank = static_cast<int64_t>(u_.ids_by_rank.size()) + 1;
      c->base_market_cap = tail_cap * std::pow(static_cast<double>(c->rank) / first_tail, -1.9);
      u_.ids_by_rank.push_back(c->id);
    }
    int64_t next = static_cast<int64_t>(u_.ids_by_rank.size());
    for (FakeCmcCrypto* c : others) {  // in id order, as `others` is
      c->rank = ++next;
      c->base_market_cap = 0;
    }
  }

  void AddWallets() {
    std::vector<int64_t> pool;
    for (const NamedCoin& n : kNamedCoins) pool.push_back(n.id);
    pool.insert(pool.end(), protected_.begin(), protected_.end());
    std::vector<int64_t> chosen;
    for (const NamedExchange& n : kNamedExchanges) {
      if (!n.dex && chosen.size() < static_cast<size_t>(o_.exchanges_with_assets)) {
        chosen.push_back(n.id);
      }
    }
    std::vector<int64_t> candidates;
    for (const FakeCmcExchange& e : u_.exchanges) {
      if (e.active && !IsNamedExchange(e.id)) candidates.push_back(e.id);
    }
    std::sort(candidates.begin(), candidates.end(), [&](int64_t a, int64_t b) {
      return Hash(seed_, kAssets, a) < Hash(seed_, kAssets, b);
    });
    for (int64_t id : candidates) {
      if (chosen.size() >= static_cast<size_t>(o_.exchanges_with_assets)) break;
      chosen.push_back(id);
    }
    std::vector<int64_t> counts;
    for (int64_t id : chosen) {
      const double u = Unit(Hash(seed_, kAssets, id, 1));
      counts.push_back(id == 270 ? 200 : 3 + static_cast<int64_t>(197 * std::pow(u, 1.5)));
    }
    const size_t binance = std::find(chosen.begin(), chosen.end(), 270) - chosen.begin();
    FitToTotal(&counts, o_.wallets, 3, 200, Hash(seed_, kAssets, 2), binance);
    for (size_t i = 0; i < chosen.size(); ++i) {
      std::vector<FakeCmcWallet>& wallets = u_.wallets[chosen[i]];
      for (int64_t w = 0; w < counts[i]; ++w) wallets.push_back(MakeWallet(chosen[i], w, pool));
    }
  }

  // Moves `sizes` (each in [lo, hi]) one step at a time, round robin from a hashed start and
  // leaving index `fixed` alone, until they sum to `total` or every size is at its bound.
  static void FitToTotal(std::vector<int64_t>* sizes, int64_t total, int64_t lo, int64_t hi,
                         uint64_t h, size_t fixed) {
    std::vector<int64_t>& v = *sizes;
    int64_t sum = std::accumulate(v.begin(), v.end(), int64_t{0});
    bool moved = true;
    for (size_t i = v.empty() ? 0 : h % v.size(); sum != total && moved;) {
      moved = false;
      for (size_t n = 0; n < v.size() && sum != total; ++n, i = (i + 1) % v.size()) {
        const int64_t step = sum < total ? 1 : -1;
        if (i == fixed || v[i] + step < lo || v[i] + step > hi) continue;
        v[i] += step;
        sum += step;
        moved = true;
      }
    }
  }

  FakeCmcWallet MakeWallet(int64_t exchange_id, int64_t index, const std::vector<int64_t>& pool) {
    const auto h = [&](uint64_t k) {
      return Hash(seed_, kWallet, exchange_id, static_cast<uint64_t>(index) * 16 + k);
    };
    FakeCmcWallet w;
    const FakeCmcCrypto& currency = *u_.FindCrypto(pool[h(0) % pool.size()]);
    w.currency_id = currency.id;
    w.platform_id = currency.platform_id != 0 ? currency.platform_id : currency.id;
    w.address = Address(seed_, w.platform_id, kWallet, h(1));
    const double price =
        currency.stablecoin ? 1.0 : currency.base_market_cap / currency.circulating_supply;
    const double value_usd = 1e5 * std::pow(10.0, 3.5 * std::pow(Unit(h(2)), 2));
    const double balance = value_usd / price;
    w.balance = balance >= 1000 ? std::round(balance) : std::max(RoundTo(balance, 4), 0.0001);
    return w;
  }

  void AddCategories() {
    std::vector<int64_t> pool;
    for (const FakeCmcCrypto& c : u_.cryptos) {
      if (c.status == CmcListingStatus::kActive) pool.push_back(c.id);
    }
    std::unordered_set<std::string> names;
    const std::vector<std::string> named = SplitCsv(kNamedCategories);
    const int64_t ts_from = DateMs(2021, 3, 1) / kMsPerSecond;
    const int64_t ts_span = DateMs(2024, 6, 1) / kMsPerSecond - ts_from;
    for (int i = 0; i < o_.categories; ++i) {
      FakeCmcCategory cat;
      if (static_cast<size_t>(i) < named.size()) cat.name = named[i];
      for (uint64_t attempt = 0; cat.name.empty() || !names.insert(cat.name).second; ++attempt) {
        const uint64_t h = Hash(seed_, kCategoryName, i, attempt);
        cat.name = Stem(h) + kCategoryKinds[(h >> 40) % std::size(kCategoryKinds)];
      }
      cat.title = cat.name;
      cat.description = i == 0 ? cat.name : "Tokens of the " + cat.name + " category.";
      if (i == 0) {
        cat.id = "605e2ce9d41eae1066535f7c";  // the docs example's A16Z Portfolio
      } else {
        char ts[16];
        const int64_t created = ts_from + Part(Unit(Hash(seed_, kCategoryId, i)), ts_span);
        std::snprintf(ts, sizeof(ts), "%08llx", static_cast<unsigned long long>(created));
        cat.id = ts + Digits(seed_, kCategoryId, i, 16, kHex);
      }
      u_.categories.push_back(std::move(cat));
    }
    // Sizes 10..300 (mostly small), fitted to the total; members drawn from the actives.
    const int64_t most = std::min<int64_t>(300, static_cast<int64_t>(pool.size()));
    std::vector<int64_t> sizes;
    for (int i = 0; i < o_.categories; ++i) {
      const double u = Unit(Hash(seed_, kCategoryCoins, i));
      sizes.push_back(std::min<int64_t>(most, 10 + static_cast<int64_t>(290 * u * u * u)));
    }
    FitToTotal(&sizes, o_.category_links, 10, most, Hash(seed_, kCategoryCoins, 2), SIZE_MAX);
    for (int i = 0; i < o_.categories; ++i) {
      u_.categories[i].coin_ids =
          PickDistinct(pool, static_cast<size_t>(sizes[i]), Hash(seed_, kCategoryCoins, i, 1));
    }
    std::sort(u_.categories.begin(), u_.categories.end(),
              [](const FakeCmcCategory& a, const FakeCmcCategory& b) { return a.id < b.id; });
  }

  // `count` distinct members of `pool`: a stride through it, coprime with its size.
  static std::vector<int64_t> PickDistinct(const std::vector<int64_t>& pool, size_t count,
                                           uint64_t h) {
    const size_t n = pool.size();
    size_t stride = 1 + (h >> 20) % (n - 1);
    while (std::gcd(stride, n) != 1) ++stride;
    std::vector<int64_t> out;
    for (size_t j = 0, at = h % n; j < count; ++j, at = (at + stride) % n) {
      out.push_back(pool[at]);
    }
    return out;
  }

  // Step k of SetRevision: list one, delist one, renames and retitles.
  void Step(int k) {
    const auto h = [&](uint64_t what) {
      return Hash(seed_, kStep, static_cast<uint64_t>(k), what);
    };
    // Delist one generated active crypto that no wallet uses.
    std::vector<FakeCmcCrypto*> delistable;
    for (FakeCmcCrypto& c : u_.cryptos) {
      if (c.status == CmcListingStatus::kActive && !IsNamed(c.id) && !IsProtected(c.id) &&
          !listed_.contains(c.id)) {
        delistable.push_back(&c);
      }
    }
    FakeCmcCrypto* gone = delistable[h(0) % delistable.size()];
    gone->status = CmcListingStatus::kInactive;
    gone->last_historical_ms = kRevisionBase + k * kMsPerDay;
    // List a new one above every id.
    FakeCmcCrypto fresh;
    fresh.id = u_.cryptos.back().id + 3 + static_cast<int64_t>(h(1) % 20);
    auto [name, slug] = NewName(kStep, 1'000'000 + k, kCryptoSuffixes, std::size(kCryptoSuffixes));
    fresh.symbol = SymbolOf(name, h(2));
    fresh.name = std::move(name);
    fresh.slug = std::move(slug);
    SetSupply(&fresh);
    fresh.date_added_ms = kRevisionBase + k * kMsPerDay;
    fresh.date_launched_ms = fresh.date_added_ms;
    fresh.first_historical_ms = fresh.date_added_ms + 5 * kMsPerMinute;
    fresh.num_market_pairs = 1 + static_cast<int>(h(3) % 40);
    fresh.tags = {"new-listing"};
    strength_[fresh.id] = 0.35 + 0.6 * Unit(h(4));
    listed_.insert(fresh.id);
    u_.categories[h(5) % u_.categories.size()].coin_ids.push_back(fresh.id);
    u_.cryptos.push_back(std::move(fresh));
    // Renames: 3 cryptos, 2 exchanges (generated ones); 2 category titles. Distinct picks.
    std::vector<size_t> picked =
        Pick(delistable.size(), 3, h(10), [&](size_t i) { return delistable[i] != gone; });
    for (size_t j = 0; j < picked.size(); ++j) {
      delistable[picked[j]]->name = NewName(kStep, 2'000'000 + 3 * k + j, kCryptoSuffixes, 1).first;
    }
    picked = Pick(u_.exchanges.size(), 2, h(20),
                  [&](size_t i) { return !IsNamedExchange(u_.exchanges[i].id); });
    for (size_t j = 0; j < picked.size(); ++j) {
      u_.exchanges[picked[j]].name =
          NewName(kStep, 3'000'000 + 2 * k + j, kExchangeSuffixes, 1).first;
    }
    for (size_t i : Pick(u_.categories.size(), 2, h(30), [](size_t) { return true; })) {
      u_.categories[i].title = u_.categories[i].name + " (revision " + std::to_string(k) + ")";
    }
  }

  // `count` distinct indexes below `n` accepted by `ok`, probing from a hashed start. Fewer when
  // fewer are acceptable.
  template <typename Ok>
  static std::vector<size_t> Pick(size_t n, size_t count, uint64_t h, Ok ok) {
    std::vector<size_t> out;
    for (size_t step = 0, at = h % n; step < n && out.size() < count; ++step, at = (at + 1) % n) {
      if (ok(at)) out.push_back(at);
    }
    return out;
  }

  bool IsProtected(int64_t id) const {
    return std::find(protected_.begin(), protected_.end(), id) != protected_.end();
  }

  const FakeCmcOptions& o_;
  const uint64_t seed_;
  FakeCmcUniverse& u_;
  std::unordered_set<std::string> slugs_;
  std::unordered_map<int64_t, double> strength_;
  std::vector<std::pair<int64_t, double>> named_caps_;
  std::vector<int64_t> protected_;
  std::unordered_set<int64_t> listed_;
};

}  // namespace

// ---- Universe ----

std::shared_ptr<const FakeCmcUniverse> BuildUniverse(const FakeCmcOptions& options, int revision) {
  auto u = std::make_shared<FakeCmcUniverse>();
  u->revision = revision;
  Builder(options, u.get()).Build(revision);
  return u;
}

}  // namespace dlake::testing::fake_cmc_internal
