#include "lakehouse/bronze_fixture.h"

#include <filesystem>

#include "common/file_util.h"
#include "dlake/catalog/lake_file.h"

namespace dlake::lakehouse::fixture {
namespace {

namespace fs = std::filesystem;
using duck::QuoteLiteral;

std::string N(int64_t value) { return std::to_string(value); }

std::string Snapshot(const std::string& stamp) {
  return QuoteLiteral(DateSnapshot(stamp)) + " AS date_snapshot";
}

// i in [from, to) as `t(i)`.
std::string Range(int64_t from, int64_t to) {
  return " FROM range(" + N(from) + ", " + N(to) + ") AS t(i)";
}

}  // namespace

std::string DateSnapshot(const std::string& stamp) {
  // YYYY-MM-DD_HH-MM-SS
  return stamp.substr(0, 10) + "T" + stamp.substr(11, 2) + ":" + stamp.substr(14, 2) + ":" +
         stamp.substr(17, 2) + ".123456+00:00";
}

std::string ExchangeMapSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string v = N(variant);
  std::string rows = "SELECT CAST(i AS BIGINT) AS id, 'Exchange ' || i || CASE WHEN i = 2 AND " +
                     v +
                     " > 0 THEN ' renamed' ELSE '' END AS name, 'exchange-' || i AS slug, "
                     "CAST(CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END AS BIGINT) AS is_active, " +
                     Snapshot(stamp) + Range(1, scale.exchanges + 1);
  // A duplicate of id 1 (the first row must win) and a row without an id.
  return rows + " UNION ALL SELECT 1, 'Duplicate', 'dup', 0, " + QuoteLiteral(DateSnapshot(stamp)) +
         " UNION ALL SELECT NULL, 'No id', 'none', 1, " + QuoteLiteral(DateSnapshot(stamp));
}

std::string ExchangeInfoSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string v = N(variant);
  return "SELECT CAST(i AS BIGINT) AS id, 'Exchange ' || i AS name, 'exchange-' || i AS slug, "
         "'About exchange ' || i || ' v" +
         v +
         "' AS description, CASE WHEN i % 9 = 0 THEN NULL ELSE '2017-07-14T00:00:00.000Z' END "
         "AS date_launched, CAST(NULL AS VARCHAR) AS notice, "
         "'https://s2.coinmarketcap.com/static/img/exchanges/64x64/' || i || '.png' AS logo, "
         "CAST(i * 1000 + " +
         v +
         " AS BIGINT) AS weekly_visits, CASE WHEN i % 13 = 8 THEN 0.0 WHEN i % 17 = 15 THEN NULL "
         "ELSE i * 12345.5 + " +
         v +
         " END AS spot_volume_usd, 0.001 * (i % 5) AS maker_fee, 0.002 AS taker_fee, "
         "struct_pack(website := ['https://ex' || i || '.com', 'https://ex' || i || '.org'], "
         "twitter := CASE WHEN i % 3 = 0 THEN CAST([] AS VARCHAR[]) ELSE ['https://twitter.com/"
         "ex' || i] END, blog := CAST([] AS VARCHAR[]), chat := CAST([] AS VARCHAR[]), "
         "fee := ['https://ex' || i || '.com/fees']) AS urls, "
         "CASE WHEN i % 6 = 0 THEN NULL WHEN i % 4 = 0 THEN '' ELSE 'USD, EUR,GBP' END AS fiats, " +
         Snapshot(stamp) + Range(1, scale.exchanges + 1);
}

std::string ExchangeAssetsSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string e = N(scale.exchanges_with_assets);
  std::string rows =
      "SELECT CAST(i % " + e +
      " * 7 + 1 AS BIGINT) AS exchange_id, 'wallet-' || i AS wallet_address, i * 1.5 + " +
      N(variant) +
      " AS balance, CAST(1027 AS BIGINT) AS platform_crypto_id, 'ETH' AS platform_symbol, "
      "'Ethereum' AS platform_name, CAST(i % 97 + 1 AS BIGINT) AS currency_crypto_id, "
      "'C' || (i % 97 + 1) AS currency_symbol, 'Coin ' || (i % 97 + 1) AS currency_name, "
      "CASE WHEN i % 23 = 0 THEN NULL ELSE (i % 10) * 2.0 END AS currency_price_usd, " +
      Snapshot(stamp) + Range(0, scale.asset_rows);
  return rows +
         " UNION ALL SELECT 1, NULL, 1.0, 1027, 'ETH', 'Ethereum', 1, 'C1', 'Coin 1', 1.0, " +
         QuoteLiteral(DateSnapshot(stamp));
}

std::string CryptoMapSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string v = N(variant);
  return "SELECT CAST(i AS BIGINT) AS id, CAST(i + " + v +
         " AS BIGINT) AS rank, 'Coin ' || i AS name, 'C' || i AS symbol, "
         "CAST(CASE WHEN i % 50 = 0 THEN 0 ELSE 1 END AS BIGINT) AS is_active, "
         "'2013-04-28T18:47:21.000Z' AS first_historical_data, '2025-05-0' || (" +
         v +
         " % 9 + 1) || 'T23:59:00.000Z' AS last_historical_data, "
         "CASE WHEN i % 3 = 0 THEN CAST(1027 AS BIGINT) END AS platform_id, "
         "CASE WHEN i % 3 = 0 THEN 'Ethereum' END AS platform_name, "
         "CASE WHEN i % 3 = 0 THEN 'ETH' END AS platform_symbol, "
         "CASE WHEN i % 3 = 0 THEN 'ethereum' END AS platform_slug, "
         "CASE WHEN i % 3 = 0 THEN '0x' || lpad(to_hex(i), 40, '0') END AS "
         "platform_token_address, " +
         Snapshot(stamp) + Range(1, scale.cryptos + 1);
}

std::string CryptoInfoSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string v = N(variant);
  return "SELECT CAST(i AS BIGINT) AS id, 'Coin ' || i AS name, 'C' || i AS symbol, 'coin-' || i "
         "AS slug, 'https://s2.coinmarketcap.com/static/img/coins/64x64/' || i || '.png' AS logo, "
         "'About coin ' || i || CASE WHEN i = 3 THEN ' v" +
         v +
         "' ELSE '' END AS description, '2013-04-28T00:00:00.000Z' AS date_added, "
         "CASE WHEN i % 4 = 0 THEN NULL ELSE '2021-03-15T23:30:00.000Z' END AS date_launched, "
         "'https://coin' || i || '.org' AS website, NULL::VARCHAR AS technical_doc, "
         "'https://twitter.com/coin' || i AS twitter, 'https://reddit.com/r/coin' || i AS reddit, "
         "'https://explorer.coin' || i || '.org' AS explorer, CASE WHEN i % 2 = 0 THEN "
         "'https://github.com/coin' || i END AS source_code, CASE WHEN i % 3 = 0 THEN 'token' "
         "ELSE 'coin' END AS category, CASE WHEN i % 5 = 0 THEN NULL WHEN i % 7 = 0 THEN '' "
         "ELSE 'mineable,pow,sha-256' END AS tags, " +
         Snapshot(stamp) + Range(1, scale.cryptos + 1);
}

std::string ListingsBatchSql(const BronzeScale& scale, int batch, int variant,
                             const std::string& stamp) {
  const int64_t per_batch = scale.listings / 5;
  const int64_t from = per_batch * (batch - 1) + 1;
  const std::string v = N(variant);
  std::string rows =
      "SELECT CAST(i AS BIGINT) AS id, 'Coin ' || i AS name, 'C' || i AS symbol, 'coin-' || i AS "
      "slug, CAST(i AS BIGINT) AS cmc_rank, CAST(i % 400 AS BIGINT) AS num_market_pairs, "
      "CAST(i * 1000.0 AS DOUBLE) AS circulating_supply, CASE WHEN i % 11 = 0 THEN 0.0 ELSE "
      "i * 2000.0 END AS total_supply, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 4000.0 END AS "
      "max_supply, i % 3 = 0 AS infinite_supply, 0.0 AS self_reported_circulating_supply, "
      "CAST(NULL AS DOUBLE) AS self_reported_market_cap, CASE WHEN i % 2 = 0 THEN 'defi,meme' "
      "END AS self_reported_tags, '2013-04-28T00:00:00.000Z' AS date_added, 'mineable,pow' AS "
      "tags, CASE WHEN i % 3 = 0 THEN CAST(1027 AS BIGINT) END AS platform_id, i * 0.5 + " +
      v +
      " AS price_usd, CASE WHEN i % 19 = 0 THEN NULL ELSE i * 300.0 END AS volume_24h_usd, "
      "-1.5 AS volume_change_24h, 0.1 AS percent_change_1h_usd, 0.2 AS percent_change_24h_usd, "
      "0.3 AS percent_change_7d_usd, CASE WHEN i % 7 = 0 THEN 0.0 ELSE i * 500.0 END AS "
      "market_cap_usd, 0.01 AS market_cap_dominance_usd, CASE WHEN i % 13 = 0 THEN NULL ELSE "
      "i * 800.0 END AS fully_diluted_market_cap_usd, '2025-05-03T01:40:00.000Z' AS "
      "last_updated_usd, CAST(" +
      N(batch) + " AS BIGINT) AS batch_index, " + Snapshot(stamp) + Range(from, from + per_batch);
  if (batch != 2) return rows;
  // Coin 1 again in batch 2: the first row (batch 1) must win.
  return "SELECT * FROM (" + rows +
         ") UNION ALL SELECT 1, 'Coin 1 again', 'C1', 'coin-1', 999, 1, 1.0, 1.0, 1.0, false, 0.0, "
         "NULL, NULL, '2013-04-28T00:00:00.000Z', '', NULL, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, "
         "0.0, 1.0, '2025-05-03T01:40:00.000Z', 2, " +
         QuoteLiteral(DateSnapshot(stamp));
}

std::string CategoriesSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  const std::string v = N(variant);
  return "SELECT lpad(to_hex(i), 24, '0') AS category_id, 'Category ' || i AS name, "
         "'Category ' || i || CASE WHEN i = 1 THEN ' v" +
         v +
         "' ELSE '' END AS title, 'About category ' || i AS description, "
         "CAST(CASE WHEN i % 9 = 0 THEN 0 ELSE i * 3 END AS BIGINT) AS num_tokens, "
         "CASE WHEN i % 8 = 0 THEN NULL ELSE 0.5 * i END AS avg_price_change, "
         "CASE WHEN i % 7 = 0 THEN 0.0 ELSE i * 1.0e6 + " +
         v +
         " END AS market_cap, 1.5 AS market_cap_change, CASE WHEN i % 5 = 0 THEN NULL ELSE "
         "i * 2.0e5 END AS volume, -2.5 AS volume_change, '2025-05-03T01:40:00.000Z' AS "
         "last_updated, " +
         Snapshot(stamp) + Range(1, scale.categories + 1);
}

std::string CategoryLinkSql(const BronzeScale& scale, int variant, const std::string& stamp) {
  // Pairs (crypto, category) of the categories fetched: unique, plus one repeated pair.
  const std::string k = N(scale.categories);
  std::string rows = "SELECT CAST(i // " + k + " + 1 AS BIGINT) AS crypto_id, lpad(to_hex(i % " +
                     k + " + 1), 24, '0') AS category_id, " + Snapshot(stamp) +
                     Range(0, scale.links);
  (void)variant;
  return rows + " UNION ALL SELECT 1, lpad(to_hex(1), 24, '0'), " +
         QuoteLiteral(DateSnapshot(stamp));
}

std::string GlobalMetricsSql(int variant, const std::string& stamp, bool zero_market_cap) {
  const std::string v = N(variant);
  const std::string cap = zero_market_cap ? "0.0" : "3.1e12 + " + v;
  const std::string dominance_yesterday = zero_market_cap ? "NULL" : "60.5";
  return "SELECT CAST(9800 AS BIGINT) AS active_cryptocurrencies, CAST(31000 AS BIGINT) AS "
         "total_cryptocurrencies, CAST(95000 AS BIGINT) AS active_market_pairs, CAST(800 AS "
         "BIGINT) AS active_exchanges, CAST(9000 AS BIGINT) AS total_exchanges, 61.2 AS "
         "btc_dominance, 9.1 AS eth_dominance, " +
         dominance_yesterday +
         "::DOUBLE AS btc_dominance_yesterday, 9.3 AS eth_dominance_yesterday, 0.7 AS "
         "btc_dominance_24h_percentage_change, -0.2 AS eth_dominance_24h_percentage_change, "
         "1.2e10 AS defi_volume_24h, 1.3e10 AS defi_volume_24h_reported, 1.0e11 AS "
         "defi_market_cap, 2.5 AS defi_24h_percentage_change, 8.0e10 AS stablecoin_volume_24h, "
         "8.1e10 AS stablecoin_volume_24h_reported, 2.4e11 AS stablecoin_market_cap, 0.1 AS "
         "stablecoin_24h_percentage_change, 9.0e11 AS derivatives_volume_24h, 9.1e11 AS "
         "derivatives_volume_24h_reported, 3.3 AS derivatives_24h_percentage_change, "
         "CAST(1500 AS BIGINT) AS total_crypto_dex_currencies, CAST(40 AS BIGINT) AS "
         "today_incremental_crypto_number, CAST(55 AS BIGINT) AS "
         "past_24h_incremental_crypto_number, CAST(400 AS BIGINT) AS "
         "past_7d_incremental_crypto_number, CAST(1600 AS BIGINT) AS "
         "past_30d_incremental_crypto_number, 4.5 AS today_change_percent, CAST(120 AS BIGINT) "
         "AS \"tracked_maxIncrementalNumber\", '2025-04-02' AS \"tracked_maxIncrementalDate\", "
         "CAST(3 AS BIGINT) AS \"tracked_minIncrementalNumber\", '2025-01-01' AS "
         "\"tracked_minIncrementalDate\", " +
         cap + " AS quote_total_market_cap, " + (zero_market_cap ? "NULL::DOUBLE" : "1.1e11") +
         " AS quote_total_volume_24h, 1.2e11 AS quote_total_volume_24h_reported, 5.0e10 AS "
         "quote_altcoin_volume_24h, 5.1e10 AS quote_altcoin_volume_24h_reported, 1.2e12 AS "
         "quote_altcoin_market_cap, 3.0e12 AS quote_total_market_cap_yesterday, 1.0e11 AS "
         "quote_total_volume_24h_yesterday, 1.9 AS "
         "quote_total_market_cap_yesterday_percentage_change, -3.4 AS "
         "quote_total_volume_24h_yesterday_percentage_change, '2025-05-03T01:43:00.000Z' AS "
         "last_updated, " +
         Snapshot(stamp);
}

std::string FearGreedHistorySql(const BronzeScale& scale, const std::string& stamp) {
  return "SELECT CAST(1703894400 + i * 86400 AS VARCHAR) AS timestamp, CAST(i % 101 AS BIGINT) "
         "AS value, CASE WHEN i % 101 < 25 THEN 'Extreme fear' WHEN i % 101 < 50 THEN 'Fear' "
         "WHEN i % 101 < 75 THEN 'Greed' ELSE 'Extreme greed' END AS value_classification, " +
         Snapshot(stamp) + Range(0, scale.fear_greed_days);
}

std::string FearGreedLatestSql(int variant, const std::string& stamp) {
  return "SELECT CAST(" + N(40 + variant) +
         " AS BIGINT) AS value, 'Fear' AS value_classification, '2025-05-1" + N(variant % 10) +
         "T12:34:56.789Z' AS update_time, " + Snapshot(stamp);
}

Result<std::unique_ptr<BronzeWriter>> BronzeWriter::Make(std::string lake, Manifest* manifest) {
  std::unique_ptr<BronzeWriter> writer(new BronzeWriter());
  writer->lake_ = std::move(lake);
  writer->manifest_ = manifest;
  DLAKE_ASSIGN_OR_RETURN(writer->db_, duck::Database::Open("", duck::DatabaseOptions{}));
  DLAKE_ASSIGN_OR_RETURN(writer->conn_, duck::Connection::Open(*writer->db_));
  return writer;
}

Result<std::string> BronzeWriter::Write(const std::string& folder, const std::string& prefix,
                                        const std::string& stamp, const std::string& select_sql) {
  const std::string relative = "data/bronze/" + folder + "/" + prefix + "-" + stamp + ".parquet";
  const std::string path = JoinPath(lake_, relative);
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return IoError("cannot create the folder of '", path, "': ", ec.message());
  DLAKE_RETURN_IF_ERROR(
      conn_->Execute("COPY (" + select_sql + ") TO " + QuoteLiteral(path) + " (FORMAT parquet)",
                     "writing the bronze fixture " + relative));
  DLAKE_ASSIGN_OR_RETURN(
      auto count, conn_->Query("SELECT count(*) FROM read_parquet(" + QuoteLiteral(path) + ")",
                               "counting " + relative));
  DLAKE_ASSIGN_OR_RETURN(FileDigest digest, Sha256File(path));
  LakeFile file;
  file.path = relative;
  file.kind = std::string(kLakeFileBronze);
  file.collection = folder;
  file.rows = count.GetInt64(0, 0);
  file.bytes = static_cast<int64_t>(digest.bytes);
  file.sha256 = digest.sha256;
  file.source = "fixture";
  DLAKE_RETURN_IF_ERROR(manifest_->AddLakeFile(file));
  return relative;
}

Status BronzeWriter::WriteAll(const BronzeScale& scale, int variant, const std::string& stamp) {
  struct File {
    const char* folder;
    const char* prefix;
    std::string sql;
  };
  std::vector<File> files = {
      {"exchange_map_data", "exchange_map", ExchangeMapSql(scale, variant, stamp)},
      {"exchange_info_data", "exchange_info", ExchangeInfoSql(scale, variant, stamp)},
      {"exchange_assets_data", "exchange_assets", ExchangeAssetsSql(scale, variant, stamp)},
      {"crypto_map_data", "crypto_map", CryptoMapSql(scale, variant, stamp)},
      {"crypto_info_data", "crypto_info", CryptoInfoSql(scale, variant, stamp)},
      {"crypto_categories_data", "crypto_categories", CategoriesSql(scale, variant, stamp)},
      {"crypto_category_data", "link_crypto_category", CategoryLinkSql(scale, variant, stamp)},
      {"global_metrics_data", "global_metrics", GlobalMetricsSql(variant, stamp)},
      {"fear_and_greed_data", "fear_and_greed", FearGreedHistorySql(scale, stamp)},
      {"latest_fear_and_greed_data", "fear_and_greed_latest", FearGreedLatestSql(variant, stamp)},
  };
  for (int batch = 1; batch <= 5; ++batch) {
    files.push_back(
        {"crypto_listings_latest_data", "", ListingsBatchSql(scale, batch, variant, stamp)});
  }
  int batch = 0;
  for (const auto& file : files) {
    std::string prefix = file.prefix;
    if (prefix.empty()) prefix = "crypto_listings_batch" + std::to_string(++batch);
    DLAKE_RETURN_IF_ERROR(Write(file.folder, prefix, stamp, file.sql).status());
  }
  return Status::Ok();
}

}  // namespace dlake::lakehouse::fixture
