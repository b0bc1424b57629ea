// The 50 views and the 42 data tests on the embedded warehouse: their inventory, that each is
// valid SQL, that a clean warehouse passes every test and shows no anomaly, and that each planted
// defect fails exactly the test (and shows in exactly the anomaly view) meant to catch it.

#include "warehouse/views.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "testing/pg_cluster.h"
#include "testing/test_util.h"
#include "warehouse/data_tests.h"
#include "warehouse/migrate.h"
#include "warehouse/procedures.h"
#include "warehouse/schema.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {
namespace {

using ::dlake::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

// One snapshot of every table, with values inside every test's and view's bounds. Valid in both
// dialects.
constexpr const char* kCleanWarehouse = R"sql(
INSERT INTO dim_exchange_id VALUES (270, 'Binance'), (294, 'OKX');
INSERT INTO dim_exchange_info (exchange_id, slug, description, date_launched, logo_url,
                               website_url, twitter_url, blog_url, fee_url, fiats)
VALUES (270, 'binance', 'Exchange', '2017-07-14 00:00:00', 'https://logo/270.png',
        'https://www.binance.com', 'https://x.com/binance', NULL, 'https://www.binance.com/fee',
        ARRAY['USD', 'EUR', 'GBP']),
       (294, 'okx', 'Exchange', '2017-01-01', 'https://logo/294.png', 'https://www.okx.com',
        NULL, NULL, NULL, ARRAY['USD']);
INSERT INTO dim_exchange_map (exchange_id, snapshot_timestamp, snapshot_str, is_active,
                              maker_fee, taker_fee, weekly_visits)
VALUES (270, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', TRUE, 0.001, 0.001, 5000000),
       (294, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', TRUE, 0.0008, 0.001, 3000000);
INSERT INTO dim_crypto_id (crypto_id, name, symbol) VALUES (1, 'Bitcoin', 'BTC'),
                                                           (1027, 'Ethereum', 'ETH');
INSERT INTO fact_exchange_assets (exchange_id, snapshot_timestamp, snapshot_str, spot_volume_usd,
                                  blockchain_symbol, blockchain_name, wallet_address, crypto_id,
                                  balance, currency_price_usd, total_usd_value, wallet_weight)
VALUES (270, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 10000000000, 'BTC',
        'Bitcoin', 'bc1-a', 1, 100, 60000, 6000000, 0.0006),
       (270, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 10000000000, 'ETH',
        'Ethereum', '0x-a', 1027, 1000, 3000, 3000000, 0.0003),
       (294, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 5000000000, 'BTC',
        'Bitcoin', 'bc1-b', 1, 10, 60100, 601000, 0.0001202);
INSERT INTO dim_crypto_map (crypto_id, snapshot_timestamp, snapshot_str, rank, is_active,
                            last_historical_data)
VALUES (1, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 1, 1, '2025-06-02 07:55:00'),
       (1027, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 2, 1, '2025-06-02 07:55:00');
INSERT INTO dim_crypto_info (crypto_id, slug, snapshot_timestamp, snapshot_date, date_launched,
                             date_added, category, tags, description, logo_url, website_url)
VALUES (1, 'bitcoin', TIMESTAMP '2025-06-02 08:00:00', DATE '2025-06-02', DATE '2009-01-03',
        DATE '2010-07-13', 'coin', ARRAY['mineable', 'pow'], 'Bitcoin', 'https://logo/1.png',
        'https://bitcoin.org'),
       (1027, 'ethereum', TIMESTAMP '2025-06-02 08:00:00', DATE '2025-06-02', DATE '2015-07-30',
        DATE '2015-08-07', 'coin', ARRAY['pos'], 'Ethereum', 'https://logo/1027.png',
        'https://ethereum.org');
INSERT INTO fact_crypto_market (crypto_id, snapshot_timestamp, snapshot_str, batch_index,
                                cmc_rank, price_usd, volume_24h_usd, market_cap_usd,
                                market_cap_dominance_usd, fully_diluted_market_cap_usd,
                                circulating_supply, total_supply, max_supply, infinite_supply,
                                num_market_pairs, percent_change_24h_usd, percent_change_7d_usd,
                                volume_to_market_cap_ratio, missing_supply_ratio,
                                supply_utilization, fully_diluted_cap_ratio)
VALUES (1, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 1, 1, 60000, 30000000000,
        1200000000000, 55, 1260000000000, 19800000, 19800000, 21000000, FALSE, 11000, 1.5, 3.2,
        0.025, 0, 0.9429, 1.05),
       (1027, TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 1, 2, 3000, 15000000000,
        360000000000, 16.5, 360000000000, 120000000, 120000000, NULL, TRUE, 9000, -0.5, 2.0,
        0.0417, 0, 0, 1.0);
INSERT INTO dim_crypto_category VALUES ('cat-defi', 'DeFi', 'Decentralized Finance', 'DeFi'),
                                       ('cat-l1', 'Layer 1', 'Layer 1 blockchains', 'L1');
INSERT INTO crypto_category_link VALUES (1, 'cat-l1'), (1027, 'cat-l1'), (1027, 'cat-defi');
INSERT INTO fact_crypto_category (category_id, snapshot_timestamp, snapshot_str, num_tokens,
                                  avg_price_change, market_cap, market_cap_change, volume,
                                  volume_change, last_updated, volume_to_market_cap_ratio,
                                  dominance_per_token, market_cap_change_rate,
                                  volume_change_rate, price_change_index)
VALUES ('cat-defi', TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 100, 1.5,
        100000000000, 2000000000, 5000000000, 100000000, '2025-06-02T07:58:00.000Z', 0.05,
        1000000000, 0.02, 0.02, 150),
       ('cat-l1', TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', 50, -0.8,
        2000000000000, -10000000000, 60000000000, 500000000, '2025-06-02T07:58:00.000Z', 0.03,
        40000000000, -0.005, 0.0083, -40);
INSERT INTO fact_global_market (snapshot_timestamp, snapshot_str, last_updated_timestamp,
                                last_updated_str, active_cryptocurrencies, total_cryptocurrencies,
                                active_market_pairs, active_exchanges, total_exchanges,
                                btc_dominance, eth_dominance, btc_dominance_yesterday,
                                eth_dominance_yesterday, total_market_cap, total_volume_24h,
                                total_market_cap_yesterday, altcoin_market_cap,
                                altcoin_volume_24h, defi_volume_24h, stablecoin_market_cap,
                                new_cryptos_last_30d, min_daily_new_cryptos,
                                max_daily_new_cryptos, market_liquidity_ratio, defi_volume_share,
                                stablecoin_market_share, crypto_growth_rate_30d,
                                btc_dominance_delta, eth_dominance_delta)
VALUES (TIMESTAMP '2025-06-02 08:00:00', '2025-06-02 08:00:00', TIMESTAMP '2025-06-02 07:58:00',
        '2025-06-02 07:58:00', 9800, 28000, 90000, 800, 10000, 55, 16.5, 54.8, 16.6,
        2200000000000, 80000000000, 2150000000000, 990000000000, 50000000000, 4000000000,
        160000000000, 500, 10, 900, 0.0364, 0.05, 0.0727, 0.0179, 0.2, -0.1);
INSERT INTO fact_market_sentiment VALUES (TIMESTAMP '2025-06-01 00:00:00', '2025-06-01', 55,
                                          'Neutral'),
                                         (TIMESTAMP '2025-06-02 00:00:00', '2025-06-02', 62,
                                          'Greed');
)sql";

// A defect planted on the clean warehouse, the data tests that must then fail and the anomaly
// or monitoring views that must then show rows (all others stay empty).
struct Defect {
  std::string label;
  std::string sql;
  std::set<std::string> failing_tests;
  std::set<std::string> flagging_views;
};

std::vector<Defect> Defects() {
  return {
      {"fear and greed score of 150",
       "INSERT INTO fact_market_sentiment VALUES (TIMESTAMP '2025-06-03 00:00:00', "
       "'2025-06-03', 150, 'Extreme Greed')",
       {"fear_and_greed_score_out_of_range"},
       {"vw_invalid_fear_greed_scores"}},
      {"sentiment without a label",
       "INSERT INTO fact_market_sentiment VALUES (TIMESTAMP '2025-06-03 00:00:00', "
       "'2025-06-03', 40, NULL)",
       {"fear_and_greed_null_label"},
       {"vw_missing_sentiment_labels"}},
      {"crypto without a name",
       "INSERT INTO dim_crypto_id (crypto_id, name, symbol) VALUES (5, NULL, 'XYZ')",
       {"crypto_null_name_or_symbol"},
       {"vw_crypto_missing_names_or_symbols"}},
      {"BTC dominance of 120",
       "UPDATE fact_global_market SET btc_dominance = 120",
       {"global_dominance_out_of_range"},
       {"vw_invalid_dominance_percentages"}},
      // Between the view's bound (90) and the test's (100): only the view flags it.
      {"BTC dominance of 95",
       "UPDATE fact_global_market SET btc_dominance = 95",
       {},
       {"vw_invalid_dominance_percentages"}},
      {"taker fee of 0.9",
       "UPDATE dim_exchange_map SET taker_fee = 0.9 WHERE exchange_id = 294",
       {"exchange_map_fee_above_0_5"},
       {"vw_high_fee_exchanges"}},
      {"weekly visits of 2e8",
       "UPDATE dim_exchange_map SET weekly_visits = 200000000 WHERE exchange_id = 270",
       {"exchange_map_weekly_visits_above_1e8"},
       {"vw_weekly_visits_outliers"}},
      {"wallet weight of 500",
       "UPDATE fact_exchange_assets SET wallet_weight = 500 WHERE wallet_address = '0x-a'",
       {"exchange_assets_wallet_weight_above_100"},
       {"vw_wallet_weight_anomalies"}},
      {"date_launched as dd/mm/yyyy",
       "UPDATE dim_exchange_info SET date_launched = '14/07/2017' WHERE exchange_id = 270",
       {"exchange_info_bad_date_launched"},
       {}},
      {"exchange without a logo",
       "UPDATE dim_exchange_info SET logo_url = NULL WHERE exchange_id = 294",
       {"exchange_info_null_website_or_logo"},
       {"vw_missing_urls"}},
      {"map row without fees and visits",
       "INSERT INTO dim_exchange_map VALUES (270, TIMESTAMP '2025-06-03 08:00:00', "
       "'2025-06-03 08:00:00', TRUE, NULL, NULL, NULL)",
       {"exchange_map_all_info_null"},
       {"vw_missing_info_in_dim_exchange_map"}},
      {"assets without spot volume",
       "INSERT INTO fact_exchange_assets VALUES (294, TIMESTAMP '2025-06-03 08:00:00', "
       "'2025-06-03 08:00:00', NULL, 'BTC', 'Bitcoin', 'bc1-b', 1, 10, 61000, 610000, NULL)",
       {"exchange_assets_null_spot_volume"},
       {"vw_missing_spot_volume"}},
      {"supply utilization of 1.5",
       "UPDATE fact_crypto_market SET supply_utilization = 1.5 WHERE crypto_id = 1",
       {"crypto_market_supply_utilization_above_1_1"},
       {"vw_supply_utilization_outliers"}},
      {"crypto volume 20x its market cap",
       "UPDATE fact_crypto_market SET volume_to_market_cap_ratio = 20 WHERE crypto_id = 1027",
       {"crypto_market_volume_to_market_cap_above_10"},
       {"vw_crypto_market_cap_outliers"}},
      {"crypto without a price",
       "UPDATE fact_crypto_market SET price_usd = NULL WHERE crypto_id = 1",
       {"crypto_market_null_price"},
       {"vw_missing_crypto_prices"}},
      {"category price change index of 2000",
       "UPDATE fact_crypto_category SET price_change_index = 2000 WHERE category_id = 'cat-defi'",
       {"crypto_category_price_change_index_out_of_range"},
       {"vw_extreme_category_price_change_index"}},
      {"category without volume",
       "UPDATE fact_crypto_category SET volume = NULL WHERE category_id = 'cat-l1'",
       {"crypto_category_null_metrics"},
       {"vw_missing_metrics_in_crypto_category"}},
      {"last_updated 10 minutes before the snapshot",
       "UPDATE fact_global_market SET last_updated_timestamp = TIMESTAMP '2025-06-02 07:50:00'",
       {"global_last_updated_outdated"},
       {"vw_outdated_last_updated_timestamp"}},
      {"30-day new cryptos above the daily max",
       "UPDATE fact_global_market SET new_cryptos_last_30d = 1000",
       {"global_new_cryptos_30d_outside_daily_range"},
       {}},
      {"negative volume and liquidity",
       "UPDATE fact_global_market SET total_volume_24h = -1, market_liquidity_ratio = -0.1",
       {"global_negative_market_cap_or_volume", "global_liquidity_ratio_out_of_range"},
       {"vw_market_liquidity_ratio_outliers"}},
      {"stablecoin share of 1.2",
       "UPDATE fact_global_market SET stablecoin_market_share = 1.2",
       {"global_stablecoin_market_share_out_of_range"},
       {"vw_stablecoin_market_share_anomalies"}},
  };
}

void Exec(SqlTarget& target, const std::string& sql) {
  ASSERT_THAT(target.Execute(sql, "test").status(), IsOk());
}

void CreateViews(SqlTarget& target) {
  for (const auto& view : WarehouseViews(target.dialect())) {
    ASSERT_THAT(
        target.Execute(CreateViewSql(view, target.dialect()), "creating " + view.name).status(),
        IsOk());
  }
}

// The rows of `sql`, cells joined with '|', NULL as "NULL".
std::vector<std::string> Rows(SqlTarget& target, const std::string& sql) {
  auto rows = target.Query(sql, "test query");
  EXPECT_THAT(rows.status(), IsOk());
  std::vector<std::string> lines;
  if (!rows.ok()) return lines;
  for (const auto& row : rows->rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += (c ? "|" : "") + row[c].value_or("NULL");
    lines.push_back(line);
  }
  return lines;
}

// The names of the data tests that return rows.
std::set<std::string> FailingTests(SqlTarget& target) {
  std::set<std::string> failing;
  for (const auto& test : WarehouseDataTests(target.dialect())) {
    auto rows = target.Query(test.sql, "data test " + test.name);
    EXPECT_THAT(rows.status(), IsOk()) << test.name;
    if (rows.ok() && !rows->rows.empty()) failing.insert(test.name);
  }
  return failing;
}

// The anomaly and monitoring views that return rows.
std::set<std::string> FlaggingViews(SqlTarget& target) {
  std::set<std::string> flagging;
  for (const auto& view : WarehouseViews(target.dialect())) {
    if (view.group.starts_with("business/")) continue;
    if (!Rows(target, "SELECT * FROM " + view.name).empty()) flagging.insert(view.name);
  }
  return flagging;
}

// Plants each defect in a transaction of its own, checks what it fails and flags, and rolls back.
void ExpectDefectsCaught(SqlTarget& target) {
  for (const Defect& defect : Defects()) {
    SCOPED_TRACE(defect.label);
    DLAKE_ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(target));
    Exec(target, defect.sql);
    EXPECT_EQ(FailingTests(target), defect.failing_tests);
    EXPECT_EQ(FlaggingViews(target), defect.flagging_views);
  }
  EXPECT_THAT(FailingTests(target), IsEmpty());
}

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DLAKE_ASSERT_OK_AND_ASSIGN(target_, OpenDuckTarget(dir_.Join("warehouse.duckdb"), {}));
  }

  // Migrates and creates the views.
  void Init() {
    ASSERT_THAT(Migrate(*target_).status(), IsOk());
    CreateViews(*target_);
  }
  void Exec(const std::string& sql) { warehouse::Exec(*target_, sql); }
  std::vector<std::string> Rows(const std::string& sql) { return warehouse::Rows(*target_, sql); }
  std::set<std::string> FailingTests() { return warehouse::FailingTests(*target_); }
  std::set<std::string> FlaggingViews() { return warehouse::FlaggingViews(*target_); }

  ::dlake::testing::TempDir dir_;
  std::unique_ptr<SqlTarget> target_;
};

TEST(ViewInventoryTest, HasTheFiftyViewsOfTheSpecInTheirGroups) {
  const auto views = WarehouseViews(DuckDbDialect());
  ASSERT_EQ(views.size(), 50u);
  std::set<std::string> names;
  std::map<std::string, int> per_group;
  for (const auto& view : views) {
    EXPECT_THAT(view.name, StartsWith("vw_"));
    EXPECT_FALSE(view.purpose.empty()) << view.name;
    EXPECT_THAT(view.select, StartsWith("SELECT ")) << view.name;
    names.insert(view.name);
    ++per_group[view.group];
  }
  EXPECT_EQ(names.size(), views.size()) << "view names are not unique";
  EXPECT_EQ(per_group, (std::map<std::string, int>{{"business/crypto", 10},
                                                   {"business/exchange", 7},
                                                   {"business/fear_and_greed", 1},
                                                   {"business/global", 8},
                                                   {"anomalies/crypto", 6},
                                                   {"anomalies/exchange", 4},
                                                   {"anomalies/fear_and_greed", 2},
                                                   {"anomalies/global", 4},
                                                   {"monitoring", 8}}));
  EXPECT_EQ(WarehouseViews(PostgresDialect()).size(), 50u);
  for (const char* name :
       {"vw_category_dominance_index", "vw_exchange_supported_fiats", "vw_fear_greed_daily_trend",
        "vw_crypto_creation_activity", "vw_invalid_dominance_percentages", "vw_missing_urls",
        "vw_outdated_last_updated_timestamp"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  EXPECT_EQ(CreateViewSql(views.front(), DuckDbDialect()),
            "CREATE OR REPLACE VIEW vw_category_dominance_index AS\n" + views.front().select);
  // PostgreSQL cannot CREATE OR REPLACE a view whose columns changed: drop and create.
  EXPECT_EQ(CreateViewSql(views.front(), PostgresDialect()),
            "DROP VIEW IF EXISTS vw_category_dominance_index; CREATE VIEW "
            "vw_category_dominance_index AS\n" +
                views.front().select);
}

TEST(DataTestInventoryTest, HasTheFortyTwoTestsOfTheSpecPerDomain) {
  const auto tests = WarehouseDataTests(DuckDbDialect());
  ASSERT_EQ(tests.size(), 42u);
  std::set<std::string> names;
  std::map<std::string, int> per_domain;
  for (const auto& test : tests) {
    EXPECT_THAT(test.name, StartsWith(test.domain + "_"));
    EXPECT_THAT(test.sql, StartsWith("SELECT ")) << test.name;
    EXPECT_FALSE(test.description.empty()) << test.name;
    names.insert(test.name);
    ++per_domain[test.domain];
  }
  EXPECT_EQ(names.size(), tests.size()) << "test names are not unique";
  EXPECT_EQ(per_domain,
            (std::map<std::string, int>{
                {"crypto", 17}, {"exchange", 11}, {"fear_and_greed", 4}, {"global", 10}}));
  EXPECT_EQ(WarehouseDataTests(PostgresDialect()).size(), 42u);
}

TEST(DataTestInventoryTest, RegexTestsUseEachDialectsSearchOperator) {
  auto find = [](const std::vector<DataTest>& tests, const std::string& name) {
    for (const auto& test : tests) {
      if (test.name == name) return test.sql;
    }
    return std::string();
  };
  EXPECT_THAT(
      find(WarehouseDataTests(PostgresDialect()), "exchange_info_bad_date_launched"),
      ::testing::HasSubstr(R"(date_launched !~ '^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$')"));
  EXPECT_THAT(find(WarehouseDataTests(DuckDbDialect()), "exchange_info_bad_date_launched"),
              ::testing::HasSubstr("NOT regexp_matches(date_launched, "));
}

TEST_F(ViewsTest, EveryViewIsCreatedTwiceAndSelectableOnAnEmptyWarehouse) {
  Init();
  Init();  // CREATE OR REPLACE: a second `warehouse init` succeeds
  EXPECT_THAT(Rows("SELECT count(*) FROM information_schema.tables WHERE table_type = 'VIEW' AND "
                   "table_name LIKE 'vw_%'"),
              ElementsAre("50"));
  for (const auto& view : WarehouseViews(target_->dialect())) {
    EXPECT_THAT(Rows("SELECT * FROM " + view.name), IsEmpty()) << view.name;
  }
  EXPECT_THAT(FailingTests(), IsEmpty());
}

TEST_F(ViewsTest, ACleanWarehousePassesEveryTestAndFillsOnlyTheBusinessViews) {
  Init();
  Exec(kCleanWarehouse);
  EXPECT_THAT(FailingTests(), IsEmpty());
  EXPECT_THAT(FlaggingViews(), IsEmpty());
  for (const auto& view : WarehouseViews(target_->dialect())) {
    if (!view.group.starts_with("business/")) continue;
    EXPECT_FALSE(Rows("SELECT * FROM " + view.name).empty()) << view.name << " is empty";
  }
}

TEST_F(ViewsTest, BusinessViewsRankUnnestAggregateAndDiff) {
  Init();
  Exec(kCleanWarehouse);
  EXPECT_THAT(Rows("SELECT category_name, category_rank FROM vw_top_categories_by_market_cap "
                   "ORDER BY category_rank"),
              ElementsAre("Layer 1|1", "DeFi|2"));
  EXPECT_THAT(Rows("SELECT exchange_name, fiat FROM vw_exchange_supported_fiats"),
              UnorderedElementsAre("Binance|USD", "Binance|EUR", "Binance|GBP", "OKX|USD"));
  EXPECT_THAT(Rows("SELECT exchange_id, wallet_address, wallet_rank FROM "
                   "vw_top_wallets_by_usd_value ORDER BY exchange_id, wallet_rank"),
              ElementsAre("270|bc1-a|1", "270|0x-a|2", "294|bc1-b|1"));
  EXPECT_THAT(Rows("SELECT crypto_name, avg_price_usd, exchange_count FROM "
                   "vw_average_asset_price_by_crypto ORDER BY crypto_id"),
              ElementsAre("Bitcoin|60050.0|2", "Ethereum|3000.0|1"));
  EXPECT_THAT(Rows("SELECT exchange_id, wallet_count, max_wallet_weight FROM "
                   "vw_wallet_concentration_by_exchange ORDER BY exchange_id"),
              ElementsAre("270|2|0.0006", "294|1|0.0001202"));
  EXPECT_THAT(Rows("SELECT snapshot_day, fear_greed_score, score_change FROM "
                   "vw_fear_greed_daily_trend ORDER BY snapshot_timestamp"),
              ElementsAre("2025-06-01|55|NULL", "2025-06-02|62|7"));
  EXPECT_THAT(Rows("SELECT round(altcoin_market_cap_share, 2) FROM vw_altcoin_market_trend"),
              ElementsAre("0.45"));
  EXPECT_THAT(Rows("SELECT crypto_name, symbol, slug FROM vw_crypto_info_overview "
                   "ORDER BY crypto_id"),
              ElementsAre("Bitcoin|BTC|bitcoin", "Ethereum|ETH|ethereum"));
}

TEST_F(ViewsTest, EachPlantedDefectFailsItsTestAndShowsInItsView) {
  Init();
  Exec(kCleanWarehouse);
  ExpectDefectsCaught(*target_);
}

TEST_F(ViewsTest, OutdatedLastUpdatedReportsTheDelayInSeconds) {
  Init();
  Exec(kCleanWarehouse);
  Exec("UPDATE fact_global_market SET last_updated_timestamp = TIMESTAMP '2025-06-02 07:50:00'");
  EXPECT_THAT(Rows("SELECT CAST(delay_seconds AS INTEGER) FROM "
                   "vw_outdated_last_updated_timestamp"),
              ElementsAre("600"));
  // Exactly 5 minutes is on time.
  Exec("UPDATE fact_global_market SET last_updated_timestamp = TIMESTAMP '2025-06-02 07:55:00'");
  EXPECT_THAT(Rows("SELECT * FROM vw_outdated_last_updated_timestamp"), IsEmpty());
}

TEST_F(ViewsTest, DateLaunchedAcceptsTheStoredFormatWithOrWithoutTime) {
  Init();
  Exec(kCleanWarehouse);  // '2017-07-14 00:00:00' and '2017-01-01'
  for (const char* bad : {"2017-07-14T00:00:00", "2017-07-14 00:00", "17-07-14", "x2017-07-14"}) {
    SCOPED_TRACE(bad);
    DLAKE_ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*target_));
    Exec("UPDATE dim_exchange_info SET date_launched = " + SqlLiteral(bad) +
         " WHERE exchange_id = 294");
    EXPECT_EQ(FailingTests(), std::set<std::string>{"exchange_info_bad_date_launched"});
  }
}

// The key and foreign-key tests cannot fail on a warehouse made by Migrate, which enforces the
// keys; on tables without constraints (a warehouse loaded by other means) they catch the rows.
TEST_F(ViewsTest, KeyTestsCatchDuplicatesAndOrphansInTablesWithoutConstraints) {
  for (const auto& table : WarehouseTables()) {
    std::string sql = "CREATE TABLE " + table.name + " (";
    for (size_t i = 0; i < table.columns.size(); ++i) {
      sql += (i ? ", " : "") + table.columns[i].name + " " +
             ColumnSqlType(table.columns[i], target_->dialect());
    }
    Exec(sql + ")");
  }
  const std::vector<std::pair<std::string, std::set<std::string>>> cases = {
      {"INSERT INTO dim_crypto_id (crypto_id, name, symbol) VALUES (1, 'Bitcoin', 'BTC'), "
       "(1, 'Bitcoin', 'BTC')",
       {"crypto_duplicate_crypto_id"}},
      {"INSERT INTO dim_crypto_id (crypto_id, name, symbol) VALUES (1, 'Bitcoin', 'BTC'); "
       "INSERT INTO dim_crypto_map VALUES (1, TIMESTAMP '2025-06-02', 's', 1, 1, NULL), "
       "(1, TIMESTAMP '2025-06-02', 's', 1, 1, NULL)",
       {"crypto_map_duplicate_key"}},
      {"INSERT INTO fact_crypto_market (crypto_id, snapshot_timestamp, snapshot_str, price_usd) "
       "VALUES (9, TIMESTAMP '2025-06-02', 's', 1.0)",
       {"crypto_market_orphan_crypto_id"}},
      {"INSERT INTO crypto_category_link VALUES (9, 'cat-x')",
       {"crypto_link_orphan_category_id", "crypto_link_orphan_crypto_id"}},
      {"INSERT INTO dim_crypto_category VALUES ('c', 'C', 'C', NULL); "
       "INSERT INTO fact_crypto_category (category_id, snapshot_timestamp, snapshot_str, "
       "num_tokens, market_cap, volume) VALUES ('c', TIMESTAMP '2025-06-02', 's', 1, 1, 1), "
       "('c', TIMESTAMP '2025-06-02', 's', 1, 1, 1)",
       {"crypto_category_duplicate_key"}},
      {"INSERT INTO dim_exchange_id VALUES (1, NULL)", {"exchange_null_name"}},
      {"INSERT INTO fact_exchange_assets (exchange_id, snapshot_timestamp, snapshot_str, "
       "spot_volume_usd, wallet_address, crypto_id) VALUES (9, TIMESTAMP '2025-06-02', 's', 1, "
       "'w', NULL)",
       {"exchange_assets_orphan_exchange_id"}},
      {"INSERT INTO dim_exchange_id VALUES (1, 'X'); "
       "INSERT INTO fact_exchange_assets (exchange_id, snapshot_timestamp, snapshot_str, "
       "spot_volume_usd, wallet_address, crypto_id) VALUES (1, TIMESTAMP '2025-06-02', 's', 1, "
       "'w', NULL), (1, TIMESTAMP '2025-06-02', 's', 1, 'w', NULL)",
       {"exchange_assets_duplicate_key"}},
      {"INSERT INTO dim_exchange_map VALUES (1, TIMESTAMP '2025-06-02', 's', TRUE, 0, 0, 1), "
       "(1, TIMESTAMP '2025-06-02', 's', TRUE, 0, 0, 1)",
       {"exchange_map_duplicate_key"}},
      {"INSERT INTO fact_market_sentiment VALUES (TIMESTAMP '2025-06-02', '2025-06-02', 50, "
       "'Neutral'), (TIMESTAMP '2025-06-02', '2025-06-02', 50, 'Neutral')",
       {"fear_and_greed_duplicate_timestamp"}},
      {"INSERT INTO fact_global_market (snapshot_timestamp, snapshot_str, total_market_cap, "
       "total_volume_24h, btc_dominance) VALUES (TIMESTAMP '2025-06-02', 's', 10, 1, 50), "
       "(TIMESTAMP '2025-06-02', 's', 10, 1, 50)",
       {"global_duplicate_timestamp"}},
  };
  for (const auto& [sql, failing] : cases) {
    SCOPED_TRACE(sql);
    DLAKE_ASSERT_OK_AND_ASSIGN(Transaction txn, Transaction::Begin(*target_));
    Exec(sql);
    EXPECT_EQ(FailingTests(), failing);
  }
}

// The same SQL on PostgreSQL 15: schema, procedures and views are created, every data test and
// every anomaly view judges the clean warehouse and each defect as on DuckDB, and the procedures,
// now stored and CALLed, repair the gaps.
TEST(PostgresWarehouseTest, ViewsDataTestsAndProceduresBehaveAsOnDuckDb) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto cluster, ::dlake::testing::PgCluster::Start());
  ASSERT_THAT(cluster->CreateDatabase("warehouse"), IsOk());
  DLAKE_ASSERT_OK_AND_ASSIGN(auto target, ConnectPostgres(cluster->conninfo("warehouse")));
  ASSERT_THAT(Migrate(*target).status(), IsOk());
  for (const auto& procedure : RepairProcedures()) {
    Exec(*target, CreateProcedureSql(procedure));
    Exec(*target, CreateProcedureSql(procedure));  // OR REPLACE
  }
  CreateViews(*target);
  CreateViews(*target);
  EXPECT_THAT(Rows(*target,
                   "SELECT count(*) FROM information_schema.views "
                   "WHERE table_schema = 'public' AND table_name LIKE 'vw_%'"),
              ElementsAre("50"));
  EXPECT_THAT(FailingTests(*target), IsEmpty());

  Exec(*target, kCleanWarehouse);
  EXPECT_THAT(FailingTests(*target), IsEmpty());
  EXPECT_THAT(FlaggingViews(*target), IsEmpty());
  for (const auto& view : WarehouseViews(target->dialect())) {
    if (!view.group.starts_with("business/")) continue;
    EXPECT_FALSE(Rows(*target, "SELECT * FROM " + view.name).empty()) << view.name;
  }
  EXPECT_THAT(Rows(*target,
                   "SELECT exchange_id, wallet_address, wallet_rank FROM "
                   "vw_top_wallets_by_usd_value ORDER BY exchange_id, wallet_rank"),
              ElementsAre("270|bc1-a|1", "270|0x-a|2", "294|bc1-b|1"));
  EXPECT_THAT(Rows(*target, "SELECT count(*) FROM vw_exchange_supported_fiats"), ElementsAre("4"));
  ExpectDefectsCaught(*target);

  // A day whose exchange_info was not rebuilt: both gaps, then both procedures.
  Exec(*target,
       "INSERT INTO dim_exchange_map VALUES (270, TIMESTAMP '2025-06-03 08:00:00', "
       "'2025-06-03 08:00:00', TRUE, NULL, NULL, NULL); "
       "INSERT INTO fact_exchange_assets VALUES (294, TIMESTAMP '2025-06-03 08:00:00', "
       "'2025-06-03 08:00:00', NULL, 'BTC', 'Bitcoin', 'bc1-b', 1, 10, 61000, 610000, NULL)");
  EXPECT_EQ(FailingTests(*target), (std::set<std::string>{"exchange_map_all_info_null",
                                                          "exchange_assets_null_spot_volume"}));
  for (const auto& procedure : RepairProcedures()) {
    auto updated = RunProcedure(*target, procedure);
    ASSERT_THAT(updated.status(), IsOk()) << procedure.name;
    EXPECT_EQ(*updated, -1) << procedure.name;
  }
  EXPECT_THAT(FailingTests(*target), IsEmpty());
  EXPECT_THAT(FlaggingViews(*target), IsEmpty());
  EXPECT_THAT(Rows(*target,
                   "SELECT maker_fee, taker_fee, weekly_visits FROM dim_exchange_map "
                   "WHERE exchange_id = 270 ORDER BY snapshot_timestamp"),
              ElementsAre("0.001|0.001|5000000", "0.001|0.001|5000000"));
  EXPECT_THAT(Rows(*target,
                   "SELECT count(*) FROM fact_exchange_assets WHERE exchange_id = 294 "
                   "AND spot_volume_usd = 5000000000 "
                   "AND wallet_weight = total_usd_value / 5000000000"),
              ElementsAre("2"));
}

}  // namespace
}  // namespace dlake::warehouse
