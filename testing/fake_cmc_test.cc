// The fake CoinMarketCap API against the real payload shapes (../shared/api-samples/coinmarketcap,
// read at test time), its paging, credits, limits, failure switches and revisions, over real HTTP.

#include "testing/fake_cmc.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dlake/common/time.h"
#include "testing/test_util.h"

namespace dlake::testing {
namespace {

using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;

constexpr int64_t kNow = 1747334081123;  // 2025-05-15T18:34:41.123Z
constexpr char kKey[] = "fake-cmc-key";

struct Got {
  bool ok = false;  // a response arrived
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string body;
  httplib::Headers headers;
  Json json;  // discarded when the body is not JSON

  bool HasHeader(const std::string& name) const { return headers.find(name) != headers.end(); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  int64_t Credits() const { return json["status"]["credit_count"].get<int64_t>(); }
  int ErrorCode() const { return json["status"]["error_code"].get<int>(); }
  std::string Message() const {
    const Json& m = json["status"]["error_message"];
    return m.is_string() ? m.get<std::string>() : "";
  }
};

// GET `target` with the key in the X-CMC_PRO_API_KEY header (none when `key` is nullopt).
Got Fetch(const FakeCmc& fake, const std::string& target,
          std::optional<std::string> key = std::string(kKey), int read_timeout_ms = 5000) {
  httplib::Client client(fake.base_url());
  client.set_read_timeout(std::chrono::milliseconds(read_timeout_ms));
  httplib::Headers headers = {{"Accept", "application/json"}};
  if (key) headers.emplace("X-CMC_PRO_API_KEY", *key);
  Got got;
  auto res = client.Get(target, headers);
  got.error = res.error();
  if (!res) return got;
  got.ok = true;
  got.status = res->status;
  got.body = res->body;
  got.headers = res->headers;
  got.json = Json::parse(got.body, nullptr, /*allow_exceptions=*/false);
  return got;
}

Json Sample(const std::string& name) {
  const std::string text = ReadFile(SharedPath("api-samples/coinmarketcap/" + name));
  EXPECT_FALSE(text.empty()) << "missing sample " << name;
  return Json::parse(text);
}

std::unique_ptr<FakeCmc> StartFake(FakeCmcOptions options = {}) {
  if (options.now_ms == 0) options.now_ms = kNow;
  auto fake = FakeCmc::Start(std::move(options));
  EXPECT_THAT(fake.status(), IsOk());
  return fake.ok() ? std::move(*fake) : nullptr;
}

// A small universe for tests that do not need the default scale.
FakeCmcOptions Small() {
  FakeCmcOptions o;
  o.cryptos = 100;
  o.exchanges = 20;
  o.exchanges_with_assets = 5;
  o.categories = 3;
  return o;
}

// One fake at default scale shared by the read-only tests (building it is the slow part).
FakeCmc& SharedFake() {
  static FakeCmc* fake = StartFake().release();
  return *fake;
}

std::vector<int64_t> Ids(const Json& array) {
  std::vector<int64_t> ids;
  for (const Json& item : array) ids.push_back(item["id"].get<int64_t>());
  return ids;
}

// ---- Shapes ----

// Every path of a document ("data[].quote.USD.price"; the keys of an id-keyed object become
// "{}") with the JSON types seen there.
using TypesByPath = std::map<std::string, std::set<std::string>>;

std::string TypeOf(const Json& j) {
  if (j.is_number_integer()) return "integer";  // signed or unsigned
  if (j.is_number_float()) return "float";
  return j.type_name();
}

void CollectTypes(const Json& j, const std::string& path, const std::set<std::string>& keyed,
                  TypesByPath* out) {
  (*out)[path].insert(TypeOf(j));
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      CollectTypes(it.value(), path + "." + (keyed.contains(path) ? "{}" : it.key()), keyed, out);
    }
  } else if (j.is_array()) {
    for (const Json& item : j) CollectTypes(item, path + "[]", keyed, out);
  }
}

// Fields that must be JSON integers where the sample has them (others may be any number, as
// JavaScript writes whole numbers without a fraction).
const std::set<std::string> kIntegerFields = {"id",
                                              "rank",
                                              "cmc_rank",
                                              "num_market_pairs",
                                              "is_active",
                                              "value",
                                              "num_tokens",
                                              "crypto_id",
                                              "error_code",
                                              "elapsed",
                                              "credit_count",
                                              "weekly_visits",
                                              "active_cryptocurrencies",
                                              "total_cryptocurrencies",
                                              "active_market_pairs",
                                              "active_exchanges",
                                              "total_exchanges"};

std::set<std::string> Normalized(const std::set<std::string>& types, const std::string& path) {
  const std::string leaf = path.substr(path.find_last_of('.') + 1);
  std::set<std::string> out;
  for (const std::string& t : types) {
    if (t == "null") continue;
    const bool number = t == "integer" || t == "float";
    out.insert(number && !kIntegerFields.contains(leaf) ? "number" : t);
  }
  return out;
}

struct ShapeDiff {
  std::vector<std::string> problems;  // missing paths and type mismatches
  std::set<std::string> extras;       // paths the fake adds under paths the sample has
};

// The fake has every path of the sample with the sample's (non-null) types; null matches any
// type on either side (nullable fields). Arrays' items are all compared with every sample item.
ShapeDiff CompareShapes(const Json& fake, const Json& sample,
                        const std::set<std::string>& keyed = {}) {
  TypesByPath f, s;
  CollectTypes(fake, "", keyed, &f);
  CollectTypes(sample, "", keyed, &s);
  ShapeDiff diff;
  for (const auto& [path, types] : s) {
    auto it = f.find(path);
    if (it == f.end()) {
      diff.problems.push_back("missing " + path);
      continue;
    }
    const std::set<std::string> want = Normalized(types, path);
    const std::set<std::string> got = Normalized(it->second, path);
    if (!want.empty() && !got.empty() && got != want) {
      diff.problems.push_back(path + ": " + *got.begin() + " where the sample has " +
                              *want.begin());
    }
  }
  // Extras: object members the sample's objects lack (items of arrays and members of objects
  // that are only null in the sample are not compared).
  for (const auto& [path, types] : f) {
    if (s.contains(path) || path.ends_with("[]")) continue;
    auto parent = s.find(path.substr(0, path.find_last_of('.')));
    if (parent != s.end() && parent->second.contains("object")) diff.extras.insert(path);
  }
  return diff;
}

void ExpectShape(const Got& got, const Json& sample, const std::set<std::string>& extras,
                 const std::set<std::string>& keyed = {}) {
  ASSERT_EQ(got.status, 200) << got.body.substr(0, 300);
  const ShapeDiff diff = CompareShapes(got.json, sample, keyed);
  EXPECT_THAT(diff.problems, ::testing::IsEmpty());
  EXPECT_EQ(diff.extras, extras);
}

// The sample's `quote.<currency>` objects renamed to USD (the recordings used convert=EUR).
Json AsUsd(Json j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      out[it.key() == "EUR" ? "USD" : it.key()] = AsUsd(it.value());
    }
    return out;
  }
  if (j.is_array()) {
    for (Json& item : j) item = AsUsd(item);
  }
  return j;
}

TEST(FakeCmcShapeTest, ComparisonFindsMissingFieldsWrongTypesAndExtras) {
  const Json sample = Json::parse(
      R"({"data":[{"id":1,"name":"a","quote":{"USD":{"price":1.5}},"platform":null}]})");
  const ShapeDiff same = CompareShapes(
      Json::parse(R"({"data":[{"id":2,"name":"b","quote":{"USD":{"price":2}},"platform":{"id":3}},
                              {"id":4,"name":"c","quote":{"USD":{"price":0.5}},"platform":null}]})"),
      sample);
  EXPECT_THAT(same.problems, ::testing::IsEmpty());
  EXPECT_THAT(same.extras, ::testing::IsEmpty());

  const ShapeDiff bad =
      CompareShapes(Json::parse(R"({"data":[{"id":"2","quote":[],"extra":true}]})"), sample);
  EXPECT_THAT(bad.problems,
              ::testing::UnorderedElementsAre(
                  ".data[].id: string where the sample has integer", "missing .data[].name",
                  ".data[].quote: array where the sample has object", "missing .data[].quote.USD",
                  "missing .data[].quote.USD.price", "missing .data[].platform"));
  EXPECT_EQ(bad.extras, std::set<std::string>{".data[].extra"});
  const ShapeDiff float_id = CompareShapes(
      Json::parse(
          R"({"data":[{"id":2.5,"name":"b","quote":{"USD":{"price":2}},"platform":null}]})"),
      sample);
  EXPECT_THAT(float_id.problems,
              ::testing::ElementsAre(".data[].id: float where the sample has integer"));
  const ShapeDiff keyed = CompareShapes(Json::parse(R"({"data":{"7":{"id":7}}})"),
                                        Json::parse(R"({"data":{"1":{"id":270}}})"), {".data"});
  EXPECT_THAT(keyed.problems, ::testing::IsEmpty());
}

TEST(FakeCmcShapeTest, CryptoMapMatchesTheDocsAndTheRecording) {
  Got got = Fetch(SharedFake(), "/v1/cryptocurrency/map?limit=20");
  ExpectShape(got, Sample("v1_cryptocurrency_map.docs.json"), {".status.notice"});
  ExpectShape(got, Sample("v1_cryptocurrency_map.recorded-2019-12-08.json"), {});
  ASSERT_EQ(got.json["data"][0]["id"], 1);  // ascending ids: Bitcoin first
  EXPECT_EQ(got.json["data"][0]["platform"], nullptr);
  // A token's platform has the sample's fields (BTC and LTC, the recording's items, have none).
  Got tokens = Fetch(SharedFake(), "/v1/cryptocurrency/map?sort=cmc_rank&limit=3");
  EXPECT_EQ(tokens.json["data"][2]["symbol"], "USDT");
  const ShapeDiff platform =
      CompareShapes(tokens.json["data"][2]["platform"],
                    Sample("v1_cryptocurrency_map.docs.json")["data"][1]["platform"]);
  EXPECT_THAT(platform.problems, ::testing::IsEmpty());
}

TEST(FakeCmcShapeTest, ListingsMatchTheRecordingInV1Form) {
  Got got = Fetch(SharedFake(), "/v1/cryptocurrency/listings/latest?limit=50");
  const std::set<std::string> extras = {
      ".data[].infinite_supply",
      ".data[].self_reported_circulating_supply",
      ".data[].self_reported_market_cap",
      ".data[].self_reported_tags",
      ".data[].quote.USD.volume_change_24h",
      ".data[].quote.USD.percent_change_30d",
      ".data[].quote.USD.percent_change_60d",
      ".data[].quote.USD.percent_change_90d",
      ".data[].quote.USD.market_cap_dominance",
      ".data[].quote.USD.fully_diluted_market_cap",
  };
  ExpectShape(got,
              AsUsd(Sample("v1_cryptocurrency_listings_latest.recorded-2019-12-08."
                           "convert-EUR.json")),
              extras);
  // v1, not v3: quote is an object keyed "USD".
  EXPECT_TRUE(got.json["data"][0]["quote"].is_object());
  EXPECT_EQ(got.json["data"][0]["quote"].begin().key(), "USD");
  // Every extra but self_reported_tags is in the v3 docs example.
  const Json v3 = Sample("v3_cryptocurrency_listings_latest.docs.json")["data"][0];
  for (const char* key :
       {"infinite_supply", "self_reported_circulating_supply", "self_reported_market_cap"}) {
    EXPECT_TRUE(v3.contains(key)) << key;
  }
  for (const char* key : {"volume_change_24h", "percent_change_30d", "market_cap_dominance",
                          "fully_diluted_market_cap"}) {
    EXPECT_TRUE(v3["quote"][0].contains(key)) << key;
  }
}

TEST(FakeCmcShapeTest, CryptoInfoMatchesTheDocs) {
  Got got = Fetch(SharedFake(), "/v2/cryptocurrency/info?id=1,1027,825,74");
  ExpectShape(got, Sample("v2_cryptocurrency_info.docs.json"), {".data.{}.notice"}, {".data"});
  EXPECT_EQ(got.json["data"]["825"]["category"], "token");
  EXPECT_EQ(got.json["data"]["825"]["platform"]["id"], 1027);
  EXPECT_EQ(got.json["data"]["1"]["category"], "coin");
}

TEST(FakeCmcShapeTest, CategoriesMatchTheDocs) {
  Got got = Fetch(SharedFake(), "/v1/cryptocurrency/categories?limit=30");
  ExpectShape(got, Sample("v1_cryptocurrency_categories.docs.json"), {".status.notice"});
  for (const Json& c : got.json["data"]) {
    const std::string id = c["id"].get<std::string>();
    EXPECT_EQ(id.size(), 24u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
}

TEST(FakeCmcShapeTest, CategoryMatchesTheDocs) {
  const std::string id = SharedFake().CategoryIds()[3];
  Got got = Fetch(SharedFake(), "/v1/cryptocurrency/category?id=" + id + "&limit=20");
  ExpectShape(got, Sample("v1_cryptocurrency_category.docs.json"), {}, {".data"});
  ASSERT_TRUE(got.json["data"].contains(id));  // keyed by the category id
  EXPECT_EQ(got.json["data"][id]["id"], id);
}

TEST(FakeCmcShapeTest, ExchangeEndpointsMatchTheDocs) {
  FakeCmc& fake = SharedFake();
  Got map = Fetch(fake,
                  "/v1/exchange/map?limit=10&aux=first_historical_data,last_historical_data,"
                  "is_active,status");
  ExpectShape(map, Sample("v1_exchange_map.docs.json"), {});
  Got info = Fetch(fake, "/v1/exchange/info?id=270,24,89");
  ExpectShape(info, Sample("v1_exchange_info.docs.json"), {}, {".data"});
  EXPECT_EQ(info.json["data"]["270"]["name"], "Binance");
  Got assets = Fetch(fake, "/v1/exchange/assets?id=270");
  ExpectShape(assets, Sample("v1_exchange_assets.docs.json"), {});
  EXPECT_EQ(assets.json["data"].size(), 200u);
}

TEST(FakeCmcShapeTest, GlobalMetricsMatchTheDocsPlusTheLiveFields) {
  Got got = Fetch(SharedFake(), "/v1/global-metrics/quotes/latest");
  // [U]: fields of live responses (the 43 CryptoLakehouse flattens) missing from the docs example.
  std::set<std::string> live;
  for (const char* f : {"eth_dominance_yesterday",
                        "btc_dominance_yesterday",
                        "eth_dominance_24h_percentage_change",
                        "btc_dominance_24h_percentage_change",
                        "defi_volume_24h",
                        "defi_volume_24h_reported",
                        "defi_market_cap",
                        "defi_24h_percentage_change",
                        "stablecoin_volume_24h",
                        "stablecoin_volume_24h_reported",
                        "stablecoin_market_cap",
                        "stablecoin_24h_percentage_change",
                        "derivatives_volume_24h",
                        "derivatives_volume_24h_reported",
                        "derivatives_24h_percentage_change",
                        "total_crypto_dex_currencies",
                        "today_incremental_crypto_number",
                        "past_24h_incremental_crypto_number",
                        "past_7d_incremental_crypto_number",
                        "past_30d_incremental_crypto_number",
                        "today_change_percent",
                        "tracked_yearly_number"}) {
    live.insert(std::string(".data.") + f);
  }
  for (const char* f : {"total_market_cap_yesterday", "total_volume_24h_yesterday",
                        "total_market_cap_yesterday_percentage_change",
                        "total_volume_24h_yesterday_percentage_change"}) {
    live.insert(std::string(".data.quote.USD.") + f);
  }
  ExpectShape(got, Sample("v1_global-metrics_quotes_latest.docs.json"), live);
  ExpectShape(got,
              AsUsd(Sample("v1_global-metrics_quotes_latest.recorded-2019-12-08.convert-EUR."
                           "json")),
              live);
  const Json& tracked = got.json["data"]["tracked_yearly_number"];
  EXPECT_TRUE(tracked["maxIncrementalNumber"].is_number_integer());
  EXPECT_EQ(tracked["maxIncrementalDate"].get<std::string>().size(), 10u);  // YYYY-MM-DD
  EXPECT_TRUE(tracked["minIncrementalNumber"].is_number_integer());
  EXPECT_EQ(tracked["minIncrementalDate"].get<std::string>().size(), 10u);
  // The 43 flat fields: 33 at the top (tracked_yearly_number's 4 counted, quote and itself not),
  // 10 in quote.USD besides last_updated.
  EXPECT_EQ(got.json["data"].size() - 2 + tracked.size(), 33u);
  EXPECT_EQ(got.json["data"]["quote"]["USD"].size() - 1, 10u);
}

TEST(FakeCmcShapeTest, FearAndGreedMatchTheDocs) {
  Got latest = Fetch(SharedFake(), "/v3/fear-and-greed/latest");
  ExpectShape(latest, Sample("v3_fear-and-greed_latest.docs.json"), {});
  Got history = Fetch(SharedFake(), "/v3/fear-and-greed/historical?limit=5");
  ExpectShape(history, Sample("v3_fear-and-greed_historical.docs.json"), {});
  EXPECT_TRUE(history.json["data"][0]["timestamp"].is_string());
}

TEST(FakeCmcShapeTest, ErrorsMatchTheDocumentedExample) {
  Got bad = Fetch(SharedFake(), "/v2/cryptocurrency/info?id=abc");
  EXPECT_EQ(bad.status, 400);
  ExpectShape(Got{.status = 200, .json = bad.json}, Sample("error_400.docs-v1.json"), {});
  EXPECT_FALSE(bad.json.contains("data"));
  EXPECT_EQ(bad.Credits(), 0);
  EXPECT_EQ(bad.Header("Content-Type"), "application/json; charset=utf-8");
}

TEST(FakeCmcShapeTest, StatusTimestampAndWireVariants) {
  Got got = Fetch(SharedFake(), "/v3/fear-and-greed/latest");
  EXPECT_EQ(got.json["status"]["timestamp"], "2025-05-15T18:34:41.123Z");
  EXPECT_EQ(got.json["status"]["error_message"], "");
  EXPECT_EQ(got.json["status"]["notice"], "");
  EXPECT_EQ(got.json["status"]["error_code"], 0);

  FakeCmcOptions options = Small();
  options.category_data_keyed = false;
  options.null_status_strings = true;
  auto fake = StartFake(options);
  Got bare = Fetch(*fake, "/v1/cryptocurrency/category?id=" + fake->CategoryIds()[0]);
  EXPECT_EQ(bare.json["data"]["id"], fake->CategoryIds()[0]);  // what data.id readers expect
  EXPECT_TRUE(bare.json["data"]["coins"].is_array());
  EXPECT_EQ(bare.json["status"]["error_message"], nullptr);
  EXPECT_EQ(bare.json["status"]["notice"], nullptr);
}

// ---- Paging and expected data ----

TEST(FakeCmcPagingTest, CryptoMapMustBePagedPast5000) {
  FakeCmc& fake = SharedFake();
  const std::string map = "/v1/cryptocurrency/map?listing_status=active&limit=5000&sort=id";
  Got first = Fetch(fake, map + "&start=1");
  Got rest = Fetch(fake, map + "&start=5001");
  ASSERT_EQ(first.json["data"].size(), 5000u);
  ASSERT_EQ(rest.json["data"].size(), 200u);
  std::vector<int64_t> ids = Ids(first.json["data"]);
  const std::vector<int64_t> more = Ids(rest.json["data"]);
  ids.insert(ids.end(), more.begin(), more.end());
  EXPECT_EQ(ids, fake.CryptoIds(CmcListingStatus::kActive));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_GT(ids[99], 150);                                      // sparse ids from the start
  EXPECT_GT(ids.back(), 3 * static_cast<int64_t>(ids.size()));  // ... to the end

  // The first page by id misses some of the 5000 listed by rank: the map must be paged.
  const std::set<int64_t> first_page(ids.begin(), ids.begin() + 5000);
  const std::vector<int64_t> ranked = fake.ListingIdsByRank();
  int64_t missed = 0;
  for (size_t i = 0; i < 5000; ++i) missed += first_page.contains(ranked[i]) ? 0 : 1;
  EXPECT_GT(missed, 50);

  Got none = Fetch(fake, map + "&start=5201");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.json["data"].empty());
}

TEST(FakeCmcPagingTest, CryptoMapListingStatusesAndRankSort) {
  FakeCmc& fake = SharedFake();
  Got inactive = Fetch(fake, "/v1/cryptocurrency/map?listing_status=inactive&aux=is_active,status");
  EXPECT_EQ(Ids(inactive.json["data"]), fake.CryptoIds(CmcListingStatus::kInactive));
  EXPECT_EQ(inactive.json["data"][0]["is_active"], 0);
  EXPECT_EQ(inactive.json["data"][0]["status"], "inactive");
  EXPECT_FALSE(inactive.json["data"][0].contains("platform"));  // not asked in aux
  Got untracked = Fetch(fake, "/v1/cryptocurrency/map?listing_status=untracked");
  EXPECT_EQ(Ids(untracked.json["data"]), fake.CryptoIds(CmcListingStatus::kUntracked));
  Got both = Fetch(fake, "/v1/cryptocurrency/map?listing_status=untracked,inactive");
  EXPECT_EQ(both.json["data"].size(), 400u);  // no limit: everything [U]

  Got ranked = Fetch(fake, "/v1/cryptocurrency/map?sort=cmc_rank&limit=300&start=101");
  const std::vector<int64_t> by_rank = fake.ListingIdsByRank();
  EXPECT_EQ(Ids(ranked.json["data"]),
            std::vector<int64_t>(by_rank.begin() + 100, by_rank.begin() + 400));
  EXPECT_EQ(ranked.json["data"][0]["rank"], 101);
}

TEST(FakeCmcPagingTest, ListingsPagesCoverTheTop5000ByRank) {
  FakeCmc& fake = SharedFake();
  const std::vector<int64_t> ranked = fake.ListingIdsByRank();
  ASSERT_EQ(ranked.size(), 5200u);
  std::vector<int64_t> ids, ranks;
  std::vector<double> caps;
  for (int page = 0; page < 25; ++page) {
    Got got =
        Fetch(fake, "/v1/cryptocurrency/listings/latest?start=" + std::to_string(1 + 200 * page) +
                        "&limit=200");
    ASSERT_EQ(got.status, 200);
    ASSERT_EQ(got.json["data"].size(), 200u);
    EXPECT_EQ(got.Credits(), 1);
    for (const Json& item : got.json["data"]) {
      ids.push_back(item["id"].get<int64_t>());
      ranks.push_back(item["cmc_rank"].get<int64_t>());
      caps.push_back(item["quote"]["USD"]["market_cap"].get<double>());
    }
  }
  EXPECT_EQ(ids, std::vector<int64_t>(ranked.begin(), ranked.begin() + 5000));
  std::vector<int64_t> one_to_5000(5000);
  std::iota(one_to_5000.begin(), one_to_5000.end(), 1);
  EXPECT_EQ(ranks, one_to_5000);
  EXPECT_TRUE(std::is_sorted(caps.rbegin(), caps.rend()));  // market caps descending
  const std::vector<int64_t> by_id = fake.CryptoIds();
  EXPECT_NE(ids, std::vector<int64_t>(by_id.begin(), by_id.begin() + 5000));
}

TEST(FakeCmcPagingTest, ListingValuesAreTheExpectedQuotes) {
  FakeCmc& fake = SharedFake();
  Got got = Fetch(fake,
                  "/v1/cryptocurrency/listings/latest?start=4990&limit=20&aux=cmc_rank,"
                  "volume_7d,is_market_cap_included_in_calc");
  ASSERT_EQ(got.json["data"].size(), 20u);
  for (const Json& item : got.json["data"]) {
    DLAKE_ASSERT_OK_AND_ASSIGN(const FakeCmcQuote q, fake.Quote(item["id"].get<int64_t>()));
    const Json& usd = item["quote"]["USD"];
    EXPECT_EQ(usd["price"].get<double>(), q.price);
    EXPECT_EQ(usd["volume_24h"].get<double>(), q.volume_24h);
    EXPECT_EQ(usd["market_cap"].get<double>(), q.market_cap);
    EXPECT_EQ(usd["percent_change_24h"].get<double>(), q.percent_change_24h);
    EXPECT_EQ(usd["market_cap_dominance"].get<double>(), q.market_cap_dominance);
    EXPECT_EQ(usd["last_updated"], "2025-05-15T18:34:00.000Z");
    EXPECT_TRUE(usd.contains("volume_7d"));
    EXPECT_FALSE(item.contains("tags"));  // aux replaces the default list
    EXPECT_EQ(item["is_market_cap_included_in_calc"], 1);
  }
  Got btc = Fetch(fake, "/v1/cryptocurrency/listings/latest?limit=1");
  EXPECT_EQ(btc.json["data"][0]["id"], 1);
  const double dominance = btc.json["data"][0]["quote"]["USD"]["market_cap_dominance"];
  EXPECT_GT(dominance, 40);
  EXPECT_LT(dominance, 70);
}

TEST(FakeCmcPagingTest, ExchangesInfoAndAssets) {
  FakeCmc& fake = SharedFake();
  Got map = Fetch(fake, "/v1/exchange/map?start=1&limit=5000");
  EXPECT_EQ(Ids(map.json["data"]), fake.ExchangeIds());
  Got paged = Fetch(fake, "/v1/exchange/map?start=801&limit=100");
  EXPECT_EQ(paged.json["data"].size(), 16u);
  Got inactive = Fetch(fake, "/v1/exchange/map?listing_status=inactive");
  EXPECT_EQ(Ids(inactive.json["data"]), fake.ExchangeIds(false));
  EXPECT_EQ(inactive.json["data"][0]["is_active"], 0);

  // Chunks of 100 ids, as the extractor asks; keyed by the ids asked.
  const std::vector<int64_t> ids = fake.ExchangeIds();
  std::string csv;
  for (size_t i = 0; i < 100; ++i) csv += (i ? "," : "") + std::to_string(ids[i]);
  Got info = Fetch(fake, "/v1/exchange/info?id=" + csv +
                             "&aux=urls,logo,description,"
                             "date_launched,notice,status");
  ASSERT_EQ(info.json["data"].size(), 100u);
  EXPECT_EQ(info.Credits(), 1);
  EXPECT_EQ(info.json["data"][std::to_string(ids[7])]["id"], ids[7]);
  int nulls = 0;
  for (const auto& [key, e] : info.json["data"].items()) {
    nulls += e["date_launched"].is_null() || e["description"].is_null() ? 1 : 0;
    EXPECT_EQ(e["status"], "active");
  }
  EXPECT_GT(nulls, 0);  // some null fields

  const std::vector<int64_t> with_assets = fake.ExchangesWithAssets();
  ASSERT_EQ(with_assets.size(), 50u);
  int64_t rows = 0;
  for (int64_t id : with_assets) {
    Got got = Fetch(fake, "/v1/exchange/assets?id=" + std::to_string(id));
    ASSERT_EQ(got.status, 200);
    EXPECT_GE(got.json["data"].size(), 3u);
    EXPECT_LE(got.json["data"].size(), 200u);
    rows += static_cast<int64_t>(got.json["data"].size());
  }
  EXPECT_EQ(rows, fake.Totals().wallets);
  const int64_t empty_id = *std::find_if(ids.begin(), ids.end(), [&](int64_t id) {
    return !std::binary_search(with_assets.begin(), with_assets.end(), id);
  });
  Got empty = Fetch(fake, "/v1/exchange/assets?id=" + std::to_string(empty_id));
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.ErrorCode(), 0);
  EXPECT_TRUE(empty.json["data"].is_array());
  EXPECT_TRUE(empty.json["data"].empty());
}

TEST(FakeCmcPagingTest, CategoriesAndTheirCoins) {
  FakeCmc& fake = SharedFake();
  Got all = Fetch(fake, "/v1/cryptocurrency/categories?start=1&limit=5000");
  ASSERT_EQ(all.json["data"].size(), 280u);
  std::vector<std::string> ids;
  for (const Json& c : all.json["data"]) ids.push_back(c["id"].get<std::string>());
  EXPECT_EQ(ids, fake.CategoryIds());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 280u);

  for (size_t i : {size_t{0}, size_t{17}, size_t{200}}) {
    DLAKE_ASSERT_OK_AND_ASSIGN(const std::vector<int64_t> want, fake.CategoryCoinIds(ids[i]));
    Got got = Fetch(fake, "/v1/cryptocurrency/category?id=" + ids[i] + "&start=1&limit=1000");
    const Json& cat = got.json["data"][ids[i]];
    EXPECT_EQ(Ids(cat["coins"]), want);
    EXPECT_EQ(cat["num_tokens"].get<size_t>(), want.size());
    EXPECT_EQ(all.json["data"][i]["num_tokens"].get<size_t>(), want.size());
    EXPECT_EQ(got.Credits(), 1 + static_cast<int64_t>((want.size() + 199) / 200));
    // Paged by 7.
    std::vector<int64_t> paged;
    for (size_t start = 1; start <= want.size(); start += 7) {
      Got page = Fetch(fake, "/v1/cryptocurrency/category?id=" + ids[i] +
                                 "&start=" + std::to_string(start) + "&limit=7");
      const std::vector<int64_t> part = Ids(page.json["data"][ids[i]]["coins"]);
      paged.insert(paged.end(), part.begin(), part.end());
    }
    EXPECT_EQ(paged, want);
  }
}

TEST(FakeCmcPagingTest, FearAndGreedHistoryNewestFirst) {
  FakeCmc& fake = SharedFake();
  const std::vector<FakeFearGreedPoint> history = fake.FearGreedHistory();
  ASSERT_EQ(history.size(), 500u);
  Got defaults = Fetch(fake, "/v3/fear-and-greed/historical");
  EXPECT_EQ(defaults.json["data"].size(), 50u);
  Got all = Fetch(fake, "/v3/fear-and-greed/historical?start=1&limit=500");
  ASSERT_EQ(all.json["data"].size(), 500u);
  const int64_t today_s = DayStartMs(DayOf(kNow)) / kMsPerSecond;
  EXPECT_EQ(all.json["data"][0]["timestamp"], std::to_string(today_s));
  EXPECT_EQ(all.json["data"][1]["timestamp"], std::to_string(today_s - 86400));
  for (size_t i = 0; i < 500; ++i) {
    EXPECT_EQ(all.json["data"][i]["timestamp"], std::to_string(history[i].time_s));
    EXPECT_EQ(all.json["data"][i]["value"], history[i].value);
    EXPECT_EQ(all.json["data"][i]["value_classification"], history[i].classification);
  }
  Got tail = Fetch(fake, "/v3/fear-and-greed/historical?start=499&limit=10");
  EXPECT_EQ(tail.json["data"].size(), 2u);
  const FakeFearGreedPoint latest = fake.FearGreedLatest();
  Got got = Fetch(fake, "/v3/fear-and-greed/latest");
  EXPECT_EQ(got.json["data"]["value"], latest.value);
  EXPECT_EQ(got.json["data"]["update_time"], "2025-05-15T18:30:00.000Z");  // 15-minute steps
}

TEST(FakeCmcPagingTest, CountsAtDefaultScale) {
  FakeCmc& fake = SharedFake();
  const FakeCmcTotals t = fake.Totals();
  EXPECT_EQ(t.active_cryptos, 5200);
  EXPECT_EQ(t.inactive_cryptos, 300);
  EXPECT_EQ(t.untracked_cryptos, 100);
  EXPECT_EQ(t.active_exchanges, 816);
  EXPECT_EQ(t.inactive_exchanges, 100);
  EXPECT_EQ(t.exchanges_with_assets, 50);
  EXPECT_EQ(t.wallets, 4000);
  EXPECT_EQ(t.categories, 280);
  EXPECT_EQ(t.category_links, 23000);
  EXPECT_EQ(t.fear_greed_points, 500);

  const auto u = fake.Universe();
  int64_t tokens = 0, null_max = 0, infinite = 0;
  for (const FakeCmcCrypto& c : u->cryptos) {
    if (c.status != CmcListingStatus::kActive) continue;
    tokens += c.platform_id != 0 ? 1 : 0;
    null_max += c.max_supply ? 0 : 1;
    infinite += c.infinite_supply ? 1 : 0;
    if (c.platform_id != 0) {
      ASSERT_NE(u->FindCrypto(c.platform_id), nullptr);
      EXPECT_FALSE(c.token_address.empty());
    }
  }
  EXPECT_NEAR(static_cast<double>(tokens) / 5200, 0.4, 0.05);
  EXPECT_GT(null_max, 0);
  EXPECT_GT(infinite, 0);
  for (const FakeCmcCategory& c : u->categories) {
    EXPECT_GE(c.coin_ids.size(), 10u);
    EXPECT_LE(c.coin_ids.size(), 300u);
  }
  Got global = Fetch(fake, "/v1/global-metrics/quotes/latest");
  EXPECT_EQ(global.json["data"]["active_cryptocurrencies"], 5200);
  EXPECT_EQ(global.json["data"]["total_cryptocurrencies"], 5600);
  EXPECT_EQ(global.json["data"]["active_exchanges"], 816);
  EXPECT_EQ(global.json["data"]["total_exchanges"], 916);
}

// ---- Credits, keys, validation ----

TEST(FakeCmcCreditTest, CreditCountsFollowThePublishedRule) {
  FakeCmcOptions options = Small();
  options.cryptos = 1200;
  options.categories = 280;
  options.category_links = 5000;
  auto fake = StartFake(options);
  const std::string category = fake->CategoryIds()[5];
  const int64_t coins = static_cast<int64_t>(fake->CategoryCoinIds(category)->size());
  const std::vector<int64_t> ids = fake->CryptoIds();
  std::string ids100;
  for (size_t i = 0; i < 100; ++i) ids100 += (i ? "," : "") + std::to_string(ids[i]);
  struct Case {
    std::string target;
    int64_t credits;
  };
  const std::vector<Case> cases = {
      {"/v1/cryptocurrency/map?limit=5000", 1},
      {"/v1/exchange/map", 1},
      {"/v1/cryptocurrency/listings/latest?limit=200", 1},
      {"/v1/cryptocurrency/listings/latest?limit=201", 2},
      {"/v1/cryptocurrency/listings/latest?limit=1000", 5},
      {"/v1/cryptocurrency/listings/latest?start=1101&limit=5000", 1},  // 100 left
      {"/v2/cryptocurrency/info?id=1", 1},
      {"/v2/cryptocurrency/info?id=" + ids100, 1},
      {"/v1/exchange/info?id=270,24", 1},
      {"/v1/exchange/assets?id=270", 1},
      {"/v1/cryptocurrency/categories", 3},  // 1 + 280 / 200 rounded up
      {"/v1/cryptocurrency/categories?limit=200", 2},
      {"/v1/cryptocurrency/category?id=" + category + "&limit=1000", 1 + (coins + 199) / 200},
      {"/v1/cryptocurrency/category?id=" + category + "&limit=1", 2},
      {"/v1/global-metrics/quotes/latest", 1},
      {"/v3/fear-and-greed/latest", 1},
      {"/v3/fear-and-greed/historical?limit=500", 1},
  };
  int64_t total = 0;
  for (const Case& c : cases) {
    Got got = Fetch(*fake, c.target);
    ASSERT_EQ(got.status, 200) << c.target << " " << got.body.substr(0, 200);
    EXPECT_EQ(got.Credits(), c.credits) << c.target;
    total += c.credits;
  }
  const FakeCmcStats stats = fake->Stats();
  EXPECT_EQ(stats.credits, total);
  EXPECT_EQ(stats.credits_by_path.at("/v1/cryptocurrency/listings/latest"), 9);
  EXPECT_EQ(fake->CreditsToday(), total);
  EXPECT_EQ(fake->CreditsThisMonth(), total);
  Fetch(*fake, "/v2/cryptocurrency/info?id=abc");  // errors cost nothing
  EXPECT_EQ(fake->Stats().credits, total);
}

TEST(FakeCmcCreditTest, MapCreditSwitches) {
  auto fake = StartFake({.map_credits_per_call = 0, .exchange_assets_credits = 0});
  EXPECT_EQ(Fetch(*fake, "/v1/cryptocurrency/map?limit=1").Credits(), 0);
  EXPECT_EQ(Fetch(*fake, "/v1/exchange/map?limit=1").Credits(), 0);
  EXPECT_EQ(Fetch(*fake, "/v1/exchange/assets?id=270").Credits(), 0);
}

TEST(FakeCmcAuthTest, KeyMissingOrWrong) {
  FakeCmc& fake = SharedFake();
  Got missing = Fetch(fake, "/v1/cryptocurrency/map?limit=1", std::nullopt);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.ErrorCode(), 1002);
  EXPECT_EQ(missing.Message(), "API key missing.");
  EXPECT_EQ(missing.Credits(), 0);
  Got wrong = Fetch(fake, "/v1/cryptocurrency/map?limit=1", "not-the-key");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.ErrorCode(), 1001);
  EXPECT_EQ(wrong.Message(), "This API Key is invalid.");
  Got query =
      Fetch(fake, "/v1/cryptocurrency/map?limit=1&CMC_PRO_API_KEY=fake-cmc-key", std::nullopt);
  EXPECT_EQ(query.status, 200);
  Got wrong_query = Fetch(fake, "/v3/fear-and-greed/latest?CMC_PRO_API_KEY=nope", std::nullopt);
  EXPECT_EQ(wrong_query.ErrorCode(), 1001);

  FakeCmcOptions options = Small();
  options.api_key = "k2";
  auto other = StartFake(options);
  EXPECT_EQ(Fetch(*other, "/v3/fear-and-greed/latest").ErrorCode(), 1001);
  EXPECT_EQ(Fetch(*other, "/v3/fear-and-greed/latest", "k2").status, 200);
}

TEST(FakeCmcServerTest, ServesOnTheRequestedPort) {
  int port = 0;
  {
    auto first = StartFake(Small());
    ASSERT_NE(first, nullptr);
    port = first->port();
  }
  FakeCmcOptions options = Small();
  options.port = port;
  auto fake = StartFake(options);
  ASSERT_NE(fake, nullptr);
  EXPECT_EQ(fake->port(), port);
  EXPECT_EQ(fake->base_url(), "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").status, 200);

  EXPECT_THAT(FakeCmc::Start(options).status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr(std::to_string(port))));
  options.port = -1;
  EXPECT_THAT(FakeCmc::Start(options).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("port")));
}

TEST(FakeCmcValidationTest, BadParametersGet400) {
  FakeCmc& fake = SharedFake();
  const std::string cat = fake.CategoryIds()[0];
  const std::vector<int64_t> ids = fake.CryptoIds();
  std::string ids101;
  for (size_t i = 0; i < 101; ++i) ids101 += (i ? "," : "") + std::to_string(ids[i]);
  struct Case {
    std::string target;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/v1/cryptocurrency/map?limit=0", "\"limit\" must be larger than or equal to 1"},
      {"/v1/cryptocurrency/map?limit=5001", "\"limit\" must be less than or equal to 5000"},
      {"/v1/cryptocurrency/map?limit=abc", "\"limit\" must be a number"},
      {"/v1/cryptocurrency/map?start=0", "\"start\" must be larger than or equal to 1"},
      {"/v1/cryptocurrency/map?sort=name", "\"sort\" must be one of [id, cmc_rank]"},
      {"/v1/cryptocurrency/map?listing_status=dead",
       "Invalid value for \"listing_status\": \"dead\""},
      {"/v1/cryptocurrency/map?aux=logo", "Invalid value for \"aux\": \"logo\""},
      {"/v1/cryptocurrency/listings/latest?convert=EUR", "\"convert\" is not allowed"},
      {"/v1/cryptocurrency/listings/latest?limit=5001",
       "\"limit\" must be less than or equal to 5000"},
      {"/v1/exchange/map?sort=cmc_rank", "\"sort\" must be one of [volume_24h, id]"},
      {"/v2/cryptocurrency/info", "\"id\" is required"},
      {"/v2/cryptocurrency/info?id=1,999999999", "Invalid value for \"id\": \"999999999\""},
      {"/v2/cryptocurrency/info?id=1,x", "Invalid value for \"id\": \"x\""},
      {"/v2/cryptocurrency/info?id=1&skip_invalid=yes", "\"skip_invalid\" must be a boolean"},
      {"/v2/cryptocurrency/info?id=" + ids101,
       "\"id\" must contain less than or equal to 100 items"},
      {"/v1/exchange/info", "\"id\" is required"},
      {"/v1/exchange/info?id=270,99999999", "Invalid value for \"id\": \"99999999\""},
      {"/v1/exchange/assets", "\"id\" is required"},
      {"/v1/exchange/assets?id=99999999", "Invalid value for \"id\": \"99999999\""},
      {"/v1/exchange/assets?id=270,24", "\"id\" must be a number"},
      {"/v1/cryptocurrency/category", "\"id\" is required"},
      {"/v1/cryptocurrency/category?id=0123456789abcdef01234567",
       "Invalid value for \"id\": \"0123456789abcdef01234567\""},
      {"/v1/cryptocurrency/category?id=" + cat + "&limit=1001",
       "\"limit\" must be less than or equal to 1000"},
      {"/v3/fear-and-greed/historical?limit=501", "\"limit\" must be less than or equal to 500"},
      {"/v3/fear-and-greed/latest?start=1", "\"start\" is not allowed"},
  };
  for (const Case& c : cases) {
    Got got = Fetch(fake, c.target);
    EXPECT_EQ(got.status, 400) << c.target;
    EXPECT_EQ(got.ErrorCode(), 400) << c.target;
    EXPECT_EQ(got.Message(), c.message) << c.target;
    EXPECT_EQ(got.Credits(), 0) << c.target;
  }
}

TEST(FakeCmcValidationTest, SkipInvalidDropsUnknownIds) {
  FakeCmc& fake = SharedFake();
  const int64_t inactive = fake.CryptoIds(CmcListingStatus::kInactive)[0];
  Got got = Fetch(fake, "/v2/cryptocurrency/info?id=1,999999999," + std::to_string(inactive) +
                            ",1027&skip_invalid=true&aux=status");
  ASSERT_EQ(got.status, 200);
  std::vector<std::string> keys;
  for (const auto& [key, value] : got.json["data"].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"1", std::to_string(inactive), "1027"}));
  EXPECT_EQ(got.json["data"][std::to_string(inactive)]["status"], "inactive");
  EXPECT_FALSE(got.json["data"]["1"].contains("urls"));  // aux replaces the default list
}

// ---- Limits ----

void SleepToNextWindow(int64_t window_ms) {
  using namespace std::chrono;
  const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  std::this_thread::sleep_for(milliseconds(window_ms - now % window_ms + 5));
}

TEST(FakeCmcLimitTest, PerMinuteThrottle) {
  FakeCmcOptions options = Small();
  options.requests_per_minute = 3;
  options.minute_ms = 500;
  auto fake = StartFake(options);
  const std::string target = "/v3/fear-and-greed/latest";
  SleepToNextWindow(500);  // four requests well inside one window
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Fetch(*fake, target).status, 200);
  Got limited = Fetch(*fake, target);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.ErrorCode(), 1008);
  EXPECT_EQ(limited.Message(),
            "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every "
            "minute.");
  EXPECT_FALSE(limited.HasHeader("Retry-After"));
  EXPECT_EQ(limited.Credits(), 0);
  SleepToNextWindow(500);
  EXPECT_EQ(Fetch(*fake, target).status, 200);
  EXPECT_EQ(fake->Stats().sent_429, 1);
  EXPECT_EQ(fake->Stats().credits, 4);
}

TEST(FakeCmcLimitTest, ResetLimitsOpensTheWindow) {
  FakeCmcOptions options = Small();
  options.requests_per_minute = 1;
  options.minute_ms = 3'600'000;
  auto fake = StartFake(options);
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").status, 200);
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").ErrorCode(), 1008);
  fake->ResetLimits();
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").status, 200);
}

TEST(FakeCmcLimitTest, DailyCreditsRunOut) {
  FakeCmcOptions options = Small();
  options.cryptos = 300;
  options.daily_credit_limit = 3;
  auto fake = StartFake(options);
  const std::string global = "/v1/global-metrics/quotes/latest";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Fetch(*fake, global).status, 200);
  Got spent = Fetch(*fake, global);
  EXPECT_EQ(spent.status, 429);
  EXPECT_EQ(spent.ErrorCode(), 1009);
  EXPECT_EQ(fake->CreditsToday(), 3);
  fake->SetNow(kNow + kMsPerDay);  // a new UTC day of the market clock
  EXPECT_EQ(fake->CreditsToday(), 0);
  // The request that crosses the limit is served; the next one is refused.
  Got big = Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=300");
  EXPECT_EQ(big.status, 200);
  EXPECT_EQ(big.Credits(), 2);
  EXPECT_EQ(Fetch(*fake, global).status, 200);
  EXPECT_EQ(Fetch(*fake, global).ErrorCode(), 1009);
  EXPECT_EQ(fake->CreditsThisMonth(), 6);
  EXPECT_EQ(fake->Stats().sent_429, 2);
}

TEST(FakeCmcLimitTest, MonthlyCreditsRunOut) {
  constexpr int64_t kMay31 = 1748732400000;  // 2025-05-31T23:00:00Z
  FakeCmcOptions options = Small();
  options.now_ms = kMay31;
  options.monthly_credit_limit = 4;
  auto fake = StartFake(options);
  const std::string fng = "/v3/fear-and-greed/latest";
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Fetch(*fake, fng).status, 200);
  fake->SetNow(kMay31 - 10 * kMsPerDay);  // another day of the same month
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Fetch(*fake, fng).status, 200);
  Got spent = Fetch(*fake, fng);
  EXPECT_EQ(spent.status, 429);
  EXPECT_EQ(spent.ErrorCode(), 1010);
  EXPECT_EQ(fake->CreditsThisMonth(), 4);
  fake->SetNow(kMay31 + 2 * kMsPerHour);  // June
  EXPECT_EQ(Fetch(*fake, fng).status, 200);
  EXPECT_EQ(fake->CreditsThisMonth(), 1);
}

// ---- Failure switches ----

TEST(FakeCmcFaultTest, HttpErrorsJsonAndHtml) {
  auto fake = StartFake(Small());
  const std::string target = "/v1/cryptocurrency/map?limit=5";
  for (int status : {500, 502, 503, 504}) {
    fake->InjectFault({.kind = CmcFaultKind::kHttpError, .status = status});
    Got got = Fetch(*fake, target);
    EXPECT_EQ(got.status, status);
    EXPECT_EQ(got.ErrorCode(), status);
    EXPECT_EQ(got.Credits(), 0);
  }
  fake->InjectFault({.kind = CmcFaultKind::kHttpError, .count = 2, .status = 502, .html = true});
  for (int i = 0; i < 2; ++i) {
    Got html = Fetch(*fake, target);
    EXPECT_EQ(html.status, 502);
    EXPECT_EQ(html.Header("Content-Type"), "text/html");
    EXPECT_THAT(html.body, HasSubstr("502 Bad Gateway"));
    EXPECT_TRUE(html.json.is_discarded());
  }
  EXPECT_EQ(Fetch(*fake, target).status, 200);
  EXPECT_EQ(fake->Stats().faults_applied, 6);
  EXPECT_EQ(fake->Stats().credits, 1);
}

TEST(FakeCmcFaultTest, EveryCmcErrorCode) {
  auto fake = StartFake(Small());
  const std::map<int, int> http = {{400, 400},  {1001, 401}, {1002, 401}, {1003, 402},
                                   {1004, 402}, {1005, 403}, {1006, 403}, {1007, 403},
                                   {1008, 429}, {1009, 429}, {1010, 429}, {1011, 429}};
  for (const auto& [code, status] : http) {
    fake->InjectFault({.kind = CmcFaultKind::kApiError, .error_code = code});
    Got got = Fetch(*fake, "/v1/global-metrics/quotes/latest");
    EXPECT_EQ(got.status, status) << code;
    EXPECT_EQ(got.ErrorCode(), code);
    EXPECT_FALSE(got.Message().empty());
    EXPECT_EQ(got.Credits(), 0);
    EXPECT_FALSE(got.HasHeader("Retry-After"));
  }
  fake->InjectFault({.kind = CmcFaultKind::kApiError, .error_code = 1006});
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").Message(),
            "Your API Key subscription plan doesn't support this endpoint.");
  EXPECT_EQ(fake->Stats().sent_429, 4);
  EXPECT_EQ(fake->Stats().credits, 0);
}

TEST(FakeCmcFaultTest, SlowResponsesTripClientTimeouts) {
  auto fake = StartFake(Small());
  fake->InjectFault({.kind = CmcFaultKind::kSlow, .delay_ms = 2000});
  Got slow = Fetch(*fake, "/v3/fear-and-greed/latest", std::string(kKey), /*read_timeout_ms=*/200);
  EXPECT_FALSE(slow.ok);
  EXPECT_EQ(slow.error, httplib::Error::Read);
  fake->InjectFault({.kind = CmcFaultKind::kSlow, .delay_ms = 100});
  EXPECT_EQ(Fetch(*fake, "/v3/fear-and-greed/latest").status, 200);  // slow but complete
}

TEST(FakeCmcFaultTest, BrokenConnectionsAndBodies) {
  auto fake = StartFake(Small());
  const std::string target = "/v1/cryptocurrency/map";
  fake->InjectFault({.kind = CmcFaultKind::kDropConnection});
  EXPECT_FALSE(Fetch(*fake, target).ok);
  fake->InjectFault({.kind = CmcFaultKind::kResetConnection});
  EXPECT_FALSE(Fetch(*fake, target).ok);
  fake->InjectFault({.kind = CmcFaultKind::kCutBody});
  Got cut = Fetch(*fake, target);
  EXPECT_FALSE(cut.ok && !cut.json.is_discarded());

  fake->InjectFault({.kind = CmcFaultKind::kTruncatedBody});
  Got truncated = Fetch(*fake, target);
  EXPECT_EQ(truncated.status, 200);
  EXPECT_TRUE(truncated.json.is_discarded());
  EXPECT_EQ(truncated.body.substr(0, 9), "{\"data\":[");

  fake->InjectFault({.kind = CmcFaultKind::kHtmlOk});
  Got html = Fetch(*fake, target);
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.Header("Content-Type"), "text/html");
  EXPECT_TRUE(html.json.is_discarded());

  Got fine = Fetch(*fake, target);
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.json["data"].size(), 100u);
  EXPECT_EQ(fake->Stats().faults_applied, 5);
}

TEST(FakeCmcFaultTest, EmptyDataAndWrongTypes) {
  auto fake = StartFake(Small());
  fake->InjectFault({.kind = CmcFaultKind::kEmptyData, .count = 2});
  Got array = Fetch(*fake, "/v1/cryptocurrency/listings/latest");
  EXPECT_EQ(array.status, 200);
  EXPECT_EQ(array.ErrorCode(), 0);
  EXPECT_EQ(array.json["data"], Json::array());
  EXPECT_EQ(array.Credits(), 1);
  Got object = Fetch(*fake, "/v2/cryptocurrency/info?id=1");
  EXPECT_EQ(object.json["data"], Json::object());

  fake->InjectFault({.kind = CmcFaultKind::kWrongTypes, .count = 3});
  Got listings = Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=3");
  ASSERT_EQ(listings.status, 200);
  for (const Json& item : listings.json["data"]) {
    EXPECT_EQ(item["id"], "abc");
    EXPECT_EQ(item["quote"], Json::array());
    EXPECT_TRUE(item["cmc_rank"].is_object());
    EXPECT_TRUE(item["name"].is_string());
  }
  EXPECT_EQ(listings.json["status"]["error_code"], 0);  // the envelope stays valid
  Got info = Fetch(*fake, "/v2/cryptocurrency/info?id=1027");
  EXPECT_EQ(info.json["data"]["1027"]["id"], "abc");
  EXPECT_TRUE(info.json["data"]["1027"]["platform"].is_null());
  Got fng = Fetch(*fake, "/v3/fear-and-greed/latest");
  EXPECT_TRUE(fng.json["data"]["value"].is_object());
}

TEST(FakeCmcFaultTest, PathPrefixAndPersistentFaults) {
  auto fake = StartFake(Small());
  fake->InjectFault({.kind = CmcFaultKind::kHttpError,
                     .count = -1,
                     .path_prefix = "/v1/exchange/",
                     .status = 503});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Fetch(*fake, "/v1/exchange/map").status, 503);
  EXPECT_EQ(Fetch(*fake, "/v1/cryptocurrency/map").status, 200);
  fake->ClearFaults();
  EXPECT_EQ(Fetch(*fake, "/v1/exchange/map").status, 200);
  EXPECT_EQ(fake->Stats().faults_applied, 3);
}

TEST(FakeCmcFaultTest, AuthComesBeforeFaults) {
  auto fake = StartFake(Small());
  fake->InjectFault({.kind = CmcFaultKind::kHttpError});
  EXPECT_EQ(Fetch(*fake, "/v1/exchange/map", std::nullopt).ErrorCode(), 1002);
  EXPECT_EQ(Fetch(*fake, "/v1/exchange/map").status, 500);  // still waiting for a keyed request
}

// ---- Determinism and revisions ----

const std::vector<std::string>& EveryEndpoint(const FakeCmc& fake) {
  static const std::vector<std::string> targets = {
      "/v1/exchange/map",
      "/v1/exchange/info?id=270,24",
      "/v1/exchange/assets?id=270",
      "/v1/cryptocurrency/map?limit=1000&start=4001",
      "/v2/cryptocurrency/info?id=1,1027,825",
      "/v1/cryptocurrency/listings/latest?limit=200&start=4801",
      "/v1/cryptocurrency/categories",
      "/v1/cryptocurrency/category?id=" + fake.CategoryIds()[9],
      "/v1/global-metrics/quotes/latest",
      "/v3/fear-and-greed/latest",
      "/v3/fear-and-greed/historical?limit=500",
  };
  return targets;
}

TEST(FakeCmcDeterminismTest, SameOptionsSameBytes) {
  FakeCmc& a = SharedFake();
  auto b = StartFake();
  for (const std::string& target : EveryEndpoint(a)) {
    Got x = Fetch(a, target), y = Fetch(*b, target);
    EXPECT_EQ(x.status, 200) << target;
    EXPECT_EQ(x.body, y.body) << target;
  }
  auto other = StartFake({.seed = 2});
  EXPECT_NE(Fetch(a, "/v1/cryptocurrency/map").body, Fetch(*other, "/v1/cryptocurrency/map").body);
  EXPECT_NE(a.CategoryIds(), other->CategoryIds());
}

TEST(FakeCmcDeterminismTest, MarketClockMovesValuesNotDimensions) {
  auto fake = StartFake();
  const std::string listings = "/v1/cryptocurrency/listings/latest?limit=50";
  Got before = Fetch(*fake, listings);
  const Json info = Fetch(*fake, "/v2/cryptocurrency/info?id=1,52").json["data"];
  fake->SetNow(kNow + 10 * kMsPerSecond);  // the same minute
  EXPECT_EQ(Fetch(*fake, listings).json["data"], before.json["data"]);
  fake->SetNow(kNow + 3 * kMsPerHour);
  Got later = Fetch(*fake, listings);
  EXPECT_EQ(Ids(later.json["data"]), Ids(before.json["data"]));  // ranks hold in a revision
  EXPECT_NE(later.json["data"][0]["quote"]["USD"]["price"],
            before.json["data"][0]["quote"]["USD"]["price"]);
  EXPECT_EQ(Fetch(*fake, "/v2/cryptocurrency/info?id=1,52").json["data"], info);
}

// The names of `items` by id.
template <typename T>
std::map<int64_t, std::string> NamesById(const std::vector<T>& items) {
  std::map<int64_t, std::string> out;
  for (const T& item : items) out[item.id] = item.name;
  return out;
}

TEST(FakeCmcRevisionTest, StepsListDelistAndRename) {
  auto fake = StartFake();
  const auto r0 = fake->Universe();
  const std::vector<int64_t> active0 = fake->CryptoIds();
  const Got listings0 = Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=3");
  DLAKE_ASSERT_OK(fake->SetRevision(1));
  EXPECT_EQ(fake->Revision(), 1);
  const auto r1 = fake->Universe();
  const std::vector<int64_t> active1 = fake->CryptoIds();
  ASSERT_EQ(active1.size(), active0.size());

  std::vector<int64_t> gone, added;
  std::set_difference(active0.begin(), active0.end(), active1.begin(), active1.end(),
                      std::back_inserter(gone));
  std::set_difference(active1.begin(), active1.end(), active0.begin(), active0.end(),
                      std::back_inserter(added));
  ASSERT_EQ(gone.size(), 1u);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_GT(added[0], active0.back());
  EXPECT_EQ(r1->FindCrypto(gone[0])->status, CmcListingStatus::kInactive);

  // Served: the map has the new id and not the delisted one; inactive lists the delisted one.
  Got map = Fetch(*fake, "/v1/cryptocurrency/map?start=5001&limit=5000");
  EXPECT_EQ(map.json["data"].back()["id"], added[0]);
  Got inactive = Fetch(*fake, "/v1/cryptocurrency/map?listing_status=inactive");
  const std::vector<int64_t> inactive_ids = Ids(inactive.json["data"]);
  EXPECT_TRUE(std::binary_search(inactive_ids.begin(), inactive_ids.end(), gone[0]));

  // Exactly 3 cryptos, 2 exchanges and 2 category titles change; the server shows them.
  const auto names0 = NamesById(r0->cryptos), names1 = NamesById(r1->cryptos);
  std::vector<int64_t> renamed;
  for (const auto& [id, name] : names0) {
    if (names1.at(id) != name) renamed.push_back(id);
  }
  ASSERT_EQ(renamed.size(), 3u);
  Got info = Fetch(*fake, "/v2/cryptocurrency/info?id=" + std::to_string(renamed[0]));
  EXPECT_EQ(info.json["data"][std::to_string(renamed[0])]["name"], names1.at(renamed[0]));
  int exchanges_renamed = 0;
  for (size_t i = 0; i < r0->exchanges.size(); ++i) {
    exchanges_renamed += r0->exchanges[i].name != r1->exchanges[i].name ? 1 : 0;
  }
  EXPECT_EQ(exchanges_renamed, 2);
  int retitled = 0;
  bool new_coin_in_a_category = false;
  for (size_t i = 0; i < r0->categories.size(); ++i) {
    retitled += r0->categories[i].title != r1->categories[i].title ? 1 : 0;
    EXPECT_EQ(r0->categories[i].name, r1->categories[i].name);
    const std::vector<int64_t>& coins = r1->categories[i].coin_ids;
    new_coin_in_a_category |= std::find(coins.begin(), coins.end(), added[0]) != coins.end();
  }
  EXPECT_EQ(retitled, 2);
  EXPECT_TRUE(new_coin_in_a_category);

  // Market values change too (Bitcoin stays first).
  Got listings1 = Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=3");
  EXPECT_EQ(listings1.json["data"][0]["id"], 1);
  EXPECT_NE(listings1.json["data"][0]["quote"]["USD"]["price"],
            listings0.json["data"][0]["quote"]["USD"]["price"]);

  // Revisions are cumulative and a pure function: 2 = two steps, back to 0 = the original.
  DLAKE_ASSERT_OK(fake->SetRevision(2));
  EXPECT_EQ(fake->CryptoIds(CmcListingStatus::kInactive).size(), 302u);
  DLAKE_ASSERT_OK(fake->SetRevision(0));
  EXPECT_EQ(Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=3").body, listings0.body);
  EXPECT_THAT(fake->SetRevision(-1), StatusIs(StatusCode::kInvalidArgument, HasSubstr("-1")));
}

// ---- Server ----

TEST(FakeCmcServerTest, CountsRequestsAndRecordsTargets) {
  auto fake = StartFake(Small());
  Fetch(*fake, "/v1/cryptocurrency/map?start=1&limit=10");
  Fetch(*fake, "/v1/cryptocurrency/map?start=11&limit=10");
  Fetch(*fake, "/v3/fear-and-greed/latest", std::nullopt);
  Fetch(*fake, "/nowhere");
  const FakeCmcStats stats = fake->Stats();
  EXPECT_EQ(stats.requests, 3);  // unknown paths are 404s outside the API
  EXPECT_EQ(stats.requests_by_path.at("/v1/cryptocurrency/map"), 2);
  EXPECT_EQ(stats.requests_by_path.at("/v3/fear-and-greed/latest"), 1);
  ASSERT_EQ(stats.targets.size(), 3u);
  EXPECT_EQ(stats.targets[1], "/v1/cryptocurrency/map?start=11&limit=10");
  EXPECT_EQ(stats.credits, 2);
  EXPECT_EQ(stats.credits_by_path.at("/v1/cryptocurrency/map"), 2);
  fake->ResetStats();
  EXPECT_EQ(fake->Stats().requests, 0);
  EXPECT_EQ(fake->CreditsToday(), 2);  // limits are not stats
}

TEST(FakeCmcServerTest, StartsOnFreePortsAndStops) {
  auto a = StartFake(Small());
  auto b = StartFake(Small());
  EXPECT_NE(a->port(), b->port());
  EXPECT_EQ(a->base_url(), "http://127.0.0.1:" + std::to_string(a->port()));
  // An idle keep-alive connection and a slow response in flight do not hold up the destructor.
  httplib::Client keep(a->base_url());
  keep.set_keep_alive(true);
  ASSERT_TRUE(keep.Get("/v3/fear-and-greed/latest", {{"X-CMC_PRO_API_KEY", kKey}}));
  b->InjectFault({.kind = CmcFaultKind::kSlow, .delay_ms = 60'000});
  std::atomic<bool> answered{false};
  std::thread waiting(
      [&] { answered = Fetch(*b, "/v3/fear-and-greed/latest", std::string(kKey), 120'000).ok; });
  while (b->Stats().requests == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  a.reset();
  b.reset();
  waiting.join();
  EXPECT_FALSE(answered);  // the slow response was cut, not served
}

TEST(FakeCmcServerTest, RejectsBadOptionsAndLookups) {
  EXPECT_THAT(FakeCmc::Start({.cryptos = 10}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("100 active cryptos")));
  EXPECT_THAT(FakeCmc::Start({.minute_ms = 0}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("minute_ms")));
  FakeCmc& fake = SharedFake();
  EXPECT_THAT(fake.CategoryCoinIds("nope").status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(fake.Quote(fake.CryptoIds(CmcListingStatus::kInactive)[0]).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("no active crypto")));
}

TEST(FakeCmcServerTest, SwitchesFlipWhileRequestsRun) {
  FakeCmcOptions options = Small();
  options.cryptos = 200;
  auto fake = StartFake(options);
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  clients.reserve(4);
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (Fetch(*fake, "/v1/cryptocurrency/listings/latest?limit=20").ok) ++answered;
      }
    });
  }
  for (int i = 0; i < 10; ++i) {
    fake->InjectFault({.kind = CmcFaultKind::kHttpError, .status = 503});
    fake->SetNow(kNow + i * kMsPerMinute);
    ASSERT_THAT(fake->SetRevision(i % 3), IsOk());
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(answered, 80);
  EXPECT_EQ(fake->Stats().requests, 80);
}

}  // namespace
}  // namespace dlake::testing
