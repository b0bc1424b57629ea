// One full run ("all") over one extract run's bronze files, then what every silver table holds:
// columns and types (cryptolakehouse §2.2), KPIs against an independent computation (§2.3),
// dedup on the keys, the metadata line, and chDB (the reference Delta reader) reading every
// table as our reader does.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "dlake/delta/table.h"
#include "lakehouse/silver_test_fixture.h"
#include "testing/delta_reference.h"

namespace dlake::lakehouse {
namespace {

using ::dlake::testing::CompareRowSets;
using ::dlake::testing::FormatRow;
using ::dlake::testing::RowSet;
using ::dlake::testing::TextRow;
using ::testing::ElementsAreArray;

// The silver tables and their Delta folders.
const std::vector<std::string>& TablePaths() {
  static const std::vector<std::string> paths = {
      "data/silver/exchange/dim_exchange_id",
      "data/silver/exchange/dim_exchange_info",
      "data/silver/exchange/dim_exchange_map",
      "data/silver/exchange/fact_exchange_assets",
      "data/silver/crypto/dim_crypto_id",
      "data/silver/crypto/dim_crypto_map",
      "data/silver/crypto/dim_crypto_info",
      "data/silver/crypto/fact_crypto_market",
      "data/silver/crypto/dim_crypto_category",
      "data/silver/crypto/fact_crypto_category",
      "data/silver/crypto/crypto_category_link",
      "data/silver/global_metrics/fact_global_market",
      "data/silver/fear_and_greed/fact_market_sentiment"};
  return paths;
}

class SilverColumnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lake_ = new SilverLake();
    ASSERT_THAT(lake_->bronze().WriteAll(SmallScale(), 0, lake_->Stamp(0, 8, 20)),
                ::dlake::testing::IsOk());
    lake_->SetClock(0, 8, 30);
    report_ = lake_->Run("all");
  }
  static void TearDownTestSuite() {
    delete lake_;
    lake_ = nullptr;
  }

  // A bronze query in the fixture's own DuckDB: rows as text.
  RowSet Bronze(const std::string& sql) {
    RowSet rows;
    auto result = lake_->bronze().connection().Query(
        "SELECT COLUMNS(*)::VARCHAR FROM (" + sql + ")", "reading bronze");
    EXPECT_THAT(result.status(), ::dlake::testing::IsOk()) << sql;
    if (!result.ok()) return rows;
    for (size_t c = 0; c < result->ColumnCount(); ++c)
      rows.columns.push_back(result->ColumnName(c));
    for (size_t r = 0; r < result->RowCount(); ++r) {
      TextRow row;
      for (size_t c = 0; c < result->ColumnCount(); ++c) {
        row.push_back(result->IsNull(c, r) ? std::nullopt
                                           : std::optional<std::string>(result->GetString(c, r)));
      }
      rows.rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string BronzeGlob(const std::string& folder) {
    return "read_parquet('" + lake_->root() + "/data/bronze/" + folder + "/*.parquet')";
  }

  static SilverLake* lake_;
  static TransformReport report_;
};

SilverLake* SilverColumnsTest::lake_ = nullptr;
TransformReport SilverColumnsTest::report_;

// "name:type", arrays as array<element>.
std::vector<std::string> Columns(SilverLake& lake, const std::string& path) {
  std::vector<std::string> columns;
  auto table = lake.Open(path);
  if (!table) return columns;
  auto description = table->Describe();
  EXPECT_THAT(description.status(), ::dlake::testing::IsOk());
  if (!description.ok()) return columns;
  for (const auto& column : description->columns) {
    std::string type = column.type;
    if (!type.empty() && type[0] == '{') {
      auto json = nlohmann::json::parse(type);
      type = json["type"].get<std::string>() + "<" + json["elementType"].get<std::string>() + ">";
    }
    columns.push_back(column.name + ":" + type + (column.nullable ? "" : " not null"));
  }
  return columns;
}

TEST_F(SilverColumnsTest, EveryTableOfTheGroupSucceeded) {
  ASSERT_EQ(report_.tables.size(), 14u);
  for (const auto& table : report_.tables) {
    EXPECT_EQ(table.status, "success") << table.table << ": " << table.error << table.notes;
    EXPECT_TRUE(table.committed) << table.table;
  }
  EXPECT_TRUE(report_.ok());
}

TEST_F(SilverColumnsTest, ColumnsAndTypesAreThoseOfTheSpec) {
  const std::map<std::string, std::vector<std::string>> expected = {
      {"data/silver/exchange/dim_exchange_id", {"name:string", "exchange_id:integer not null"}},
      {"data/silver/exchange/dim_exchange_info",
       {"exchange_id:integer not null", "slug:string", "date_launched:string", "description:string",
        "logo_url:string", "website_url:string", "twitter_url:string", "fee_url:string",
        "blog_url:string", "fiats:array<string>"}},
      {"data/silver/exchange/dim_exchange_map",
       {"exchange_id:integer not null", "snapshot_timestamp:timestamp not null",
        "snapshot_str:string", "weekly_visits:integer", "maker_fee:float", "taker_fee:float",
        "is_active:boolean"}},
      {"data/silver/exchange/fact_exchange_assets",
       {"exchange_id:integer not null", "snapshot_timestamp:timestamp not null",
        "snapshot_str:string", "spot_volume_usd:double", "blockchain_symbol:string",
        "blockchain_name:string", "wallet_address:string not null", "crypto_id:integer not null",
        "balance:double", "currency_price_usd:double", "total_usd_value:double",
        "wallet_weight:double"}},
      {"data/silver/crypto/dim_crypto_id",
       {"crypto_id:integer not null", "name:string", "symbol:string", "platform_id:integer",
        "platform_name:string", "platform_symbol:string", "platform_token_address:string"}},
      {"data/silver/crypto/dim_crypto_map",
       {"crypto_id:integer not null", "snapshot_timestamp:timestamp not null",
        "snapshot_str:string", "rank:integer", "is_active:integer", "last_historical_data:string"}},
      {"data/silver/crypto/dim_crypto_info",
       {"crypto_id:integer not null", "slug:string", "snapshot_timestamp:timestamp",
        "snapshot_date:date", "date_launched:date", "date_added:date", "category:string",
        "tags:array<string>", "description:string", "logo_url:string", "website_url:string",
        "technical_doc_url:string", "explorer_url:string", "source_code_url:string",
        "twitter_url:string"}},
      {"data/silver/crypto/fact_crypto_market",
       {"crypto_id:integer not null",
        "snapshot_timestamp:timestamp not null",
        "snapshot_str:string",
        "batch_index:integer",
        "cmc_rank:integer",
        "last_updated_usd:string",
        "platform_id:integer",
        "circulating_supply:double",
        "total_supply:double",
        "max_supply:double",
        "infinite_supply:boolean",
        "self_reported_circulating_supply:double",
        "self_reported_market_cap:double",
        "price_usd:double",
        "volume_24h_usd:double",
        "volume_change_24h:double",
        "percent_change_1h_usd:double",
        "percent_change_24h_usd:double",
        "percent_change_7d_usd:double",
        "market_cap_usd:double",
        "market_cap_dominance_usd:double",
        "fully_diluted_market_cap_usd:double",
        "num_market_pairs:integer",
        "volume_to_market_cap_ratio:double",
        "missing_supply_ratio:double",
        "supply_utilization:double",
        "fully_diluted_cap_ratio:double"}},
      {"data/silver/crypto/dim_crypto_category",
       {"category_id:string not null", "name:string", "title:string", "description:string"}},
      {"data/silver/crypto/fact_crypto_category",
       {"category_id:string not null", "snapshot_timestamp:timestamp not null",
        "snapshot_str:string", "num_tokens:integer", "avg_price_change:double", "market_cap:double",
        "market_cap_change:double", "volume:double", "volume_change:double", "last_updated:string",
        "volume_to_market_cap_ratio:double", "dominance_per_token:double",
        "market_cap_change_rate:double", "volume_change_rate:double", "price_change_index:double"}},
      {"data/silver/crypto/crypto_category_link",
       {"crypto_id:integer not null", "category_id:string not null"}},
      {"data/silver/fear_and_greed/fact_market_sentiment",
       {"snapshot_timestamp:timestamp not null", "snapshot_str:string", "fear_greed_score:integer",
        "sentiment_label:string"}},
  };
  for (const auto& [path, columns] : expected) {
    EXPECT_THAT(Columns(*lake_, path), ElementsAreArray(columns)) << path;
  }
  EXPECT_EQ(report_.tables.size(), 14u);
}

TEST_F(SilverColumnsTest, FactGlobalMarketHasTheFiftyEightColumnsOfTheWarehouseTable) {
  auto columns = Columns(*lake_, "data/silver/global_metrics/fact_global_market");
  ASSERT_EQ(columns.size(), 58u);
  const std::set<std::string> have(columns.begin(), columns.end());
  for (const char* column : {"snapshot_timestamp:timestamp not null",
                             "snapshot_str:string",
                             "last_updated_timestamp:timestamp",
                             "last_updated_str:string",
                             "active_cryptocurrencies:integer",
                             "total_exchanges:integer",
                             "btc_dominance_24h_change:double",
                             "eth_dominance_24h_change:double",
                             "defi_24h_percentage_change:double",
                             "total_crypto_dex_currencies:integer",
                             "new_cryptos_today:integer",
                             "new_cryptos_last_24h:integer",
                             "new_cryptos_last_7d:integer",
                             "new_cryptos_last_30d:integer",
                             "new_cryptos_today_pct:double",
                             "max_daily_new_cryptos:integer",
                             "max_new_cryptos_day:date",
                             "min_daily_new_cryptos:integer",
                             "min_new_cryptos_day:date",
                             "total_market_cap:double",
                             "total_volume_24h_reported:double",
                             "altcoin_volume_24h:double",
                             "altcoin_market_cap:double",
                             "total_market_cap_yesterday:double",
                             "total_market_cap_yesterday_change:double",
                             "total_volume_24h_yesterday_change:double",
                             "market_liquidity_ratio:double",
                             "defi_volume_share:double",
                             "stablecoin_market_share:double",
                             "btc_dominance_delta:double",
                             "eth_dominance_delta:double",
                             "crypto_growth_rate_30d:double",
                             "check_market_liquidity_ratio:boolean",
                             "check_defi_volume_share:boolean",
                             "check_stablecoin_market_share:boolean",
                             "check_btc_dominance_delta:boolean",
                             "check_eth_dominance_delta:boolean",
                             "check_crypto_growth_rate_30d:boolean"}) {
    EXPECT_TRUE(have.count(column)) << column;
  }
  for (const auto& column : columns) {
    EXPECT_EQ(column.find("quote_"), std::string::npos) << column;
    EXPECT_EQ(column.find("incremental"), std::string::npos) << column;
  }
  auto row = lake_->Rows("data/silver/global_metrics/fact_global_market",
                         "SELECT snapshot_str, last_updated_str, max_new_cryptos_day, "
                         "total_market_cap, new_cryptos_last_30d FROM t");
  ASSERT_EQ(row.rows.size(), 1u);
  // UTC renderings of the bronze times (2025-05-03T01:43:00Z is last_updated).
  EXPECT_EQ(row.rows[0][0], lake_->Stamp(0, 8, 20).substr(0, 10) + " 08:20:00");
  EXPECT_EQ(row.rows[0][1], "2025-05-03 01:43:00");
  EXPECT_EQ(row.rows[0][2], "2025-04-02");
  EXPECT_EQ(row.rows[0][3], "3100000000000.0");
  EXPECT_EQ(row.rows[0][4], "1600");
}

double Number(const std::optional<std::string>& text) {
  return text ? std::strtod(text->c_str(), nullptr) : NAN;
}

// A ratio as §2.3 defines it: 0.0 for a NULL input or a zero denominator.
double Ratio(const std::optional<std::string>& numerator,
             const std::optional<std::string>& denominator) {
  if (!numerator || !denominator || Number(denominator) == 0.0) return 0.0;
  return Number(numerator) / Number(denominator);
}

TEST_F(SilverColumnsTest, CryptoMarketKpisMatchAnIndependentComputation) {
  // The bronze rows (the first of each id: the batch-1 row of coin 1), and silver's KPIs.
  RowSet bronze = Bronze(
      "SELECT id, volume_24h_usd, market_cap_usd, total_supply, circulating_supply, max_supply, "
      "fully_diluted_market_cap_usd FROM " +
      BronzeGlob("crypto_listings_latest_data") + " WHERE name <> 'Coin 1 again' ORDER BY id");
  RowSet silver = lake_->Rows("data/silver/crypto/fact_crypto_market",
                              "SELECT crypto_id, volume_to_market_cap_ratio, missing_supply_ratio, "
                              "supply_utilization, fully_diluted_cap_ratio FROM t ORDER BY "
                              "crypto_id");
  ASSERT_EQ(bronze.rows.size(), 50u);
  ASSERT_EQ(silver.rows.size(), bronze.rows.size());
  int zero_denominators = 0, null_inputs = 0;
  for (size_t r = 0; r < bronze.rows.size(); ++r) {
    const TextRow& b = bronze.rows[r];
    const TextRow& s = silver.rows[r];
    ASSERT_EQ(b[0], s[0]);
    // missing_supply_ratio = (total - circulating) / total.
    const double expected[] = {
        Ratio(b[1], b[2]),
        b[3] && b[4] && Number(b[3]) != 0.0 ? (Number(b[3]) - Number(b[4])) / Number(b[3]) : 0.0,
        Ratio(b[4], b[5]), Ratio(b[6], b[2])};
    for (int k = 0; k < 4; ++k) {
      EXPECT_EQ(Number(s[k + 1]), expected[k]) << "crypto " << *s[0] << " KPI " << k;
    }
    if (b[2] && Number(b[2]) == 0.0) ++zero_denominators;
    if (!b[1] || !b[5] || !b[6]) ++null_inputs;
  }
  EXPECT_GT(zero_denominators, 0);  // the fixture reaches the fallbacks
  EXPECT_GT(null_inputs, 0);
}

TEST_F(SilverColumnsTest, CryptoCategoryKpisMatchAnIndependentComputation) {
  RowSet bronze = Bronze(
      "SELECT category_id, volume, market_cap, num_tokens, market_cap_change, volume_change, "
      "avg_price_change FROM " +
      BronzeGlob("crypto_categories_data") + " ORDER BY category_id");
  RowSet silver = lake_->Rows("data/silver/crypto/fact_crypto_category",
                              "SELECT category_id, volume_to_market_cap_ratio, "
                              "dominance_per_token, market_cap_change_rate, volume_change_rate, "
                              "price_change_index FROM t ORDER BY category_id");
  ASSERT_EQ(bronze.rows.size(), 12u);
  ASSERT_EQ(silver.rows.size(), 12u);
  for (size_t r = 0; r < bronze.rows.size(); ++r) {
    const TextRow& b = bronze.rows[r];
    const TextRow& s = silver.rows[r];
    ASSERT_EQ(b[0], s[0]);
    const double price_index = b[6] && b[3] ? Number(b[6]) * Number(b[3]) : 0.0;
    const double expected[] = {Ratio(b[1], b[2]), Ratio(b[2], b[3]), Ratio(b[4], b[2]),
                               Ratio(b[5], b[1]), price_index};
    for (int k = 0; k < 5; ++k) {
      EXPECT_EQ(Number(s[k + 1]), expected[k]) << "category " << *s[0] << " KPI " << k;
    }
  }
}

// The exchange KPIs are NULL, not 0.0, when they cannot be computed.
TEST_F(SilverColumnsTest, ExchangeAssetKpisAreNullWhenTheyCannotBeComputed) {
  RowSet silver = lake_->Rows(
      "data/silver/exchange/fact_exchange_assets",
      "SELECT exchange_id, spot_volume_usd, balance, currency_price_usd, total_usd_value, "
      "wallet_weight FROM t ORDER BY wallet_address");
  ASSERT_EQ(silver.rows.size(), 30u);  // the row without a wallet address is dropped
  std::set<std::string> exchanges;
  for (const auto& s : silver.rows) {
    exchanges.insert(*s[0]);
    const bool priced = s[3].has_value();
    EXPECT_EQ(s[4].has_value(), priced) << FormatRow(s);
    if (priced) {
      EXPECT_EQ(Number(s[4]), Number(s[2]) * Number(s[3])) << FormatRow(s);
    }
    const bool spot = s[1] && Number(s[1]) != 0.0;
    EXPECT_EQ(s[5].has_value(), spot && priced) << FormatRow(s);
    if (spot && priced) {
      EXPECT_EQ(Number(s[5]), Number(s[2]) * Number(s[3]) / Number(s[1])) << FormatRow(s);
    }
  }
  // Exchange 1 has a spot volume, 8 a zero one, 15 none (the fixture's edge cases).
  EXPECT_EQ(exchanges, (std::set<std::string>{"1", "8", "15"}));
  EXPECT_EQ(lake_->Count("data/silver/exchange/fact_exchange_assets",
                         "exchange_id = 8 AND spot_volume_usd = 0 AND wallet_weight IS NULL"),
            10);
  EXPECT_EQ(lake_->Count("data/silver/exchange/fact_exchange_assets",
                         "exchange_id = 15 AND spot_volume_usd IS NULL AND wallet_weight IS NULL"),
            10);
  EXPECT_EQ(lake_->Count("data/silver/exchange/fact_exchange_assets",
                         "exchange_id = 1 AND wallet_weight IS NOT NULL"),
            9);  // one of its ten wallets has no price
}

TEST_F(SilverColumnsTest, GlobalMarketKpisAndChecks) {
  RowSet silver = lake_->Rows(
      "data/silver/global_metrics/fact_global_market",
      "SELECT market_liquidity_ratio, defi_volume_share, stablecoin_market_share, "
      "btc_dominance_delta, eth_dominance_delta, crypto_growth_rate_30d, "
      "check_market_liquidity_ratio, check_defi_volume_share, check_stablecoin_market_share, "
      "check_btc_dominance_delta, check_eth_dominance_delta, check_crypto_growth_rate_30d FROM t");
  ASSERT_EQ(silver.rows.size(), 1u);
  const TextRow& s = silver.rows[0];
  // The fixture's values (bronze_fixture.cc GlobalMetricsSql, variant 0).
  const double expected[] = {1.1e11 / 3.1e12, 1.2e10 / 1.1e11, 2.4e11 / 3.1e12,
                             61.2 - 60.5,     9.1 - 9.3,       1600.0 / 31000.0};
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ(Number(s[k]), expected[k]) << "KPI " << k;
    EXPECT_EQ(s[k + 6], "true") << "check " << k;
  }
}

TEST_F(SilverColumnsTest, RowsWithoutAKeyAreDroppedAndTheFirstRowOfAKeyWins) {
  EXPECT_EQ(lake_->Count("data/silver/exchange/dim_exchange_id"), 20);
  auto first = lake_->Rows("data/silver/exchange/dim_exchange_id",
                           "SELECT name FROM t WHERE exchange_id = 1");
  ASSERT_EQ(first.rows.size(), 1u);
  EXPECT_EQ(first.rows[0][0], "Exchange 1");
  EXPECT_EQ(lake_->Count("data/silver/crypto/fact_crypto_market"), 50);
  auto coin = lake_->Rows("data/silver/crypto/fact_crypto_market",
                          "SELECT cmc_rank, batch_index FROM t WHERE crypto_id = 1");
  ASSERT_EQ(coin.rows.size(), 1u);
  EXPECT_EQ(coin.rows[0][0], "1");
  EXPECT_EQ(coin.rows[0][1], "1");
  EXPECT_EQ(lake_->Count("data/silver/crypto/crypto_category_link"), 40);
  EXPECT_EQ(lake_->Count("data/silver/exchange/dim_exchange_map"), 20);
  EXPECT_EQ(lake_->Count("data/silver/exchange/dim_exchange_map", "is_active IS NULL"), 0);
  EXPECT_EQ(lake_->Count("data/silver/fear_and_greed/fact_market_sentiment"), 11);
}

TEST_F(SilverColumnsTest, ListsTimesAndDatesAreConvertedInUtc) {
  auto info = lake_->Rows("data/silver/exchange/dim_exchange_info",
                          "SELECT exchange_id, fiats, website_url, twitter_url, blog_url, "
                          "date_launched FROM t WHERE exchange_id IN (1, 3, 4, 6) ORDER BY 1");
  ASSERT_EQ(info.rows.size(), 4u);
  EXPECT_EQ(info.rows[0][1], "[USD, EUR, GBP]");  // "USD, EUR,GBP" split on ",\s*"
  EXPECT_EQ(info.rows[0][2], "https://ex1.com");  // the first URL of the list
  EXPECT_EQ(info.rows[0][3], "https://twitter.com/ex1");
  EXPECT_EQ(info.rows[0][4], std::nullopt);  // an empty list
  EXPECT_EQ(info.rows[0][5], "2017-07-14 00:00:00");
  EXPECT_EQ(info.rows[1][3], std::nullopt);
  EXPECT_EQ(info.rows[2][1], "[]");          // ''
  EXPECT_EQ(info.rows[3][1], std::nullopt);  // NULL
  auto crypto = lake_->Rows("data/silver/crypto/dim_crypto_info",
                            "SELECT crypto_id, tags, date_launched, date_added, snapshot_date "
                            "FROM t WHERE crypto_id IN (1, 4, 5, 7) ORDER BY 1");
  ASSERT_EQ(crypto.rows.size(), 4u);
  EXPECT_EQ(crypto.rows[0][1], "[mineable, pow, sha-256]");
  EXPECT_EQ(crypto.rows[0][2], "2021-03-15");  // 23:30 UTC stays on its UTC day
  EXPECT_EQ(crypto.rows[0][3], "2013-04-28");
  EXPECT_EQ(crypto.rows[0][4], lake_->Stamp(0, 8, 20).substr(0, 10));
  EXPECT_EQ(crypto.rows[1][2], std::nullopt);
  EXPECT_EQ(crypto.rows[2][1], std::nullopt);
  EXPECT_EQ(crypto.rows[3][1], "[]");
  auto sentiment = lake_->Rows("data/silver/fear_and_greed/fact_market_sentiment",
                               "SELECT snapshot_str, fear_greed_score FROM t ORDER BY "
                               "snapshot_timestamp LIMIT 1");
  ASSERT_EQ(sentiment.rows.size(), 1u);
  EXPECT_EQ(sentiment.rows[0][0], "2023-12-30");  // unix 1703894400, yyyy-MM-dd
  EXPECT_EQ(sentiment.rows[0][1], "0");
}

TEST_F(SilverColumnsTest, TheSuccessLineHasEveryFieldInOrder) {
  auto lines = lake_->MetadataLines("crypto", "fact_crypto_market");
  ASSERT_EQ(lines.size(), 1u);
  auto line = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (auto it = line.begin(); it != line.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAreArray({"table", "domain", "last_status", "source_snapshot",
                                      "current_status", "status", "record_count", "started_at",
                                      "ended_at", "duration_seconds", "notes"}));
  EXPECT_EQ(line["table"], "fact_crypto_market");
  EXPECT_EQ(line["domain"], "crypto");
  EXPECT_EQ(line["last_status"], "raw");
  EXPECT_EQ(line["source_snapshot"],
            lake_->root() + "/data/bronze/crypto_listings_latest_data/crypto_listings_batch1-" +
                lake_->Stamp(0, 8, 20) + ".parquet");
  EXPECT_EQ(line["current_status"], "transformed");
  EXPECT_EQ(line["status"], "success");
  EXPECT_EQ(line["record_count"], 50);
  EXPECT_EQ(line["notes"], "ready to load step");
  auto started = ParseTimePoint(line["started_at"].get<std::string>());
  auto ended = ParseTimePoint(line["ended_at"].get<std::string>());
  ASSERT_TRUE(started.ok() && ended.ok());
  EXPECT_GT(ended->ms, started->ms);  // real times: the test clock ticks on every reading
  EXPECT_DOUBLE_EQ(line["duration_seconds"].get<double>(), (ended->ms - started->ms) / 1000.0);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("\", \"domain\": \"crypto\", "));
  // No table's line carries another's fields.
  for (const auto& path : TablePaths()) {
    std::string domain = path.substr(12, path.rfind('/') - 12);
    std::string table = path.substr(path.rfind('/') + 1);
    for (const auto& text : lake_->MetadataLines(domain, table)) {
      auto parsed = nlohmann::ordered_json::parse(text);
      EXPECT_EQ(parsed.size(), 11u) << text;
      EXPECT_EQ(parsed["table"], table);
    }
  }
}

// ---- chDB reads what we wrote ----

// A value normalised for comparing the two readers' renderings.
std::string Normalize(const std::string& type, const std::string& value, bool from_chdb) {
  char buf[64];
  if (type == "double") {
    std::snprintf(buf, sizeof(buf), "%.17g", std::strtod(value.c_str(), nullptr));
    return buf;
  }
  if (type == "float") {
    std::snprintf(buf, sizeof(buf), "%.9g",
                  static_cast<double>(std::strtof(value.c_str(), nullptr)));
    return buf;
  }
  if (type == "timestamp") {
    std::string text = value.substr(0, 19);
    std::string fraction = value.size() > 20 && value[19] == '.' ? value.substr(20) : "";
    fraction = fraction.substr(0, fraction.find_first_not_of("0123456789"));
    fraction.resize(6, '0');
    return text + "." + fraction;
  }
  if (!type.empty() && type[0] == '{') {  // array<string>: elements joined by '|'
    std::string inner = value.size() >= 2 ? value.substr(1, value.size() - 2) : "";
    std::string out;
    for (size_t i = 0; i < inner.size(); ++i) {
      char c = inner[i];
      if (from_chdb && c == '\'') continue;
      if (c == ',') {
        out += '|';
        if (!from_chdb && i + 1 < inner.size() && inner[i + 1] == ' ') ++i;
        continue;
      }
      out += c;
    }
    return out;
  }
  return value;
}

RowSet NormalizeRows(const RowSet& rows, const std::map<std::string, std::string>& types,
                     bool from_chdb) {
  RowSet out;
  out.columns = rows.columns;
  for (const auto& row : rows.rows) {
    TextRow normalized;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string& type = types.at(rows.columns[c]);
      const bool array = !type.empty() && type[0] == '{';
      if (!row[c]) {
        // chDB reads a NULL array as an empty one.
        normalized.push_back(array ? std::optional<std::string>("") : std::nullopt);
        continue;
      }
      normalized.push_back(Normalize(type, *row[c], from_chdb));
    }
    out.rows.push_back(std::move(normalized));
  }
  return out;
}

TEST_F(SilverColumnsTest, ChdbReadsEveryTableWithTheRowsOfOurReader) {
  std::vector<std::string> sqls;
  std::vector<RowSet> ours;
  std::vector<std::map<std::string, std::string>> types;
  for (const auto& path : TablePaths()) {
    auto table = lake_->Open(path);
    ASSERT_NE(table, nullptr);
    DLAKE_ASSERT_OK_AND_ASSIGN(auto description, table->Describe());
    std::map<std::string, std::string> column_types;
    for (const auto& column : description.columns) column_types[column.name] = column.type;
    DLAKE_ASSERT_OK_AND_ASSIGN(RecordBatch batch, table->Read({}));
    RowSet rows;
    for (const auto& column : batch.columns) rows.columns.push_back(column.name);
    for (size_t r = 0; r < batch.num_rows; ++r) {
      TextRow row;
      for (const auto& column : batch.columns) {
        row.push_back(column.IsNull(r) ? std::nullopt
                                       : std::optional<std::string>(column.ToString(r)));
      }
      rows.rows.push_back(std::move(row));
    }
    EXPECT_GT(rows.rows.size(), 0u) << path;
    ours.push_back(NormalizeRows(rows, column_types, false));
    types.push_back(column_types);
    sqls.push_back(::dlake::testing::ChdbDeltaReadSql(lake_->root() + "/" + path));
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto chdb, ::dlake::testing::ChdbQueries(sqls));
  ASSERT_EQ(chdb.size(), ours.size());
  for (size_t i = 0; i < chdb.size(); ++i) {
    EXPECT_TRUE(CompareRowSets(ours[i], NormalizeRows(chdb[i], types[i], true))) << TablePaths()[i];
  }
}

}  // namespace
}  // namespace dlake::lakehouse
