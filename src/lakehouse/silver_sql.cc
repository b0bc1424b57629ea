// The SQL of each silver table (doc/silver.md lists the columns, keys and KPIs). Everything is
// computed in UTC: timestamps are TIMESTAMPTZ and rendered through timezone('UTC', ...), never
// the session's or the host's zone. Bronze columns are cast explicitly (the "explicit read
// schema" of the original), integers that narrow with TRY_CAST (NULL rather than a wrapped
// value), keys with CAST (an id that does not fit fails the table).

#include <map>

#include "duck/duck.h"
#include "lakehouse/silver_tables.h"

namespace dlake::lakehouse {
namespace {

using duck::QuoteIdentifier;
using duck::QuoteLiteral;

using SqlBuilder = Result<std::string> (*)(const SilverInputs&);

std::string Read(const std::string& path) {
  return "read_parquet(" + QuoteLiteral(path) + ", file_row_number = true)";
}

std::string ReadAll(const std::vector<std::string>& paths) {
  std::string list;
  for (const auto& path : paths) list += (list.empty() ? "" : ", ") + QuoteLiteral(path);
  return "read_parquet([" + list + "], file_row_number = true, union_by_name = true)";
}

std::string Text(const std::string& column) { return "CAST(" + column + " AS VARCHAR)"; }

std::string AsTimestamp(const std::string& text_column) {
  return "TRY_CAST(" + Text(text_column) + " AS TIMESTAMPTZ)";
}

// yyyy-MM-dd HH:mm:ss (or another strftime format) of a TIMESTAMPTZ, in UTC.
std::string Format(const std::string& timestamp, const char* format = "%Y-%m-%d %H:%M:%S") {
  return "strftime(timezone('UTC', " + timestamp + "), '" + format + "')";
}

std::string UtcDate(const std::string& timestamp) {
  return "CAST(timezone('UTC', " + timestamp + ") AS DATE)";
}

// A ratio KPI: 0.0 when it cannot be computed (a NULL input or a zero denominator).
std::string Ratio(const std::string& numerator, const std::string& denominator) {
  return "coalesce(CAST(" + numerator + " AS DOUBLE) / NULLIF(CAST(" + denominator +
         " AS DOUBLE), 0), 0.0)";
}

// The snapshot time of every bronze row, and its text form.
std::string SnapshotColumns(const std::string& qualifier = "") {
  std::string ts = AsTimestamp(qualifier + "date_snapshot");
  return ts + " AS snapshot_timestamp, " + Format(ts) + " AS snapshot_str";
}

// A comma-separated list as an array: NULL stays NULL, '' is the empty array.
std::string SplitList(const std::string& column, const std::string& pattern, bool trim) {
  std::string text = trim ? "trim(" + Text(column) + ")" : Text(column);
  return "CASE WHEN " + column + " IS NULL THEN NULL WHEN " + text +
         " = '' THEN CAST([] AS VARCHAR[]) ELSE regexp_split_to_array(" + text + ", '" + pattern +
         "') END";
}

// Drops rows with a NULL key and keeps the first row (by `order`) of each key. `inner` is a
// SELECT that also yields the helper columns named in `helpers`.
std::string Dedup(const std::string& inner, const std::vector<std::string>& keys,
                  const std::string& order, const std::string& helpers = "__row") {
  std::string not_null, partition;
  for (const auto& key : keys) {
    not_null += (not_null.empty() ? "" : " AND ") + QuoteIdentifier(key) + " IS NOT NULL";
    partition += (partition.empty() ? "" : ", ") + QuoteIdentifier(key);
  }
  return "SELECT * EXCLUDE (" + helpers + ") FROM (" + inner + ") AS __snapshot WHERE " + not_null +
         " QUALIFY row_number() OVER (PARTITION BY " + partition + " ORDER BY " + order + ") = 1";
}

// The first row of each exchange id in an exchange_info file, for the tables that take columns
// of it.
std::string ExchangeInfoById(const std::string& path, const std::string& columns) {
  return "(SELECT id, " + columns + " FROM " + Read(path) +
         " WHERE id IS NOT NULL QUALIFY row_number() OVER (PARTITION BY id ORDER BY "
         "file_row_number) = 1)";
}

Result<std::string> DimExchangeId(const SilverInputs& in) {
  return Dedup("SELECT " + Text("name") + " AS name, CAST(id AS INTEGER) AS exchange_id, " +
                   "file_row_number AS __row FROM " + Read(in.files[0]),
               {"exchange_id"}, "__row");
}

Result<std::string> DimExchangeInfo(const SilverInputs& in) {
  auto url = [](const char* key) {
    return "CAST(struct_extract(urls, '" + std::string(key) + "')[1] AS VARCHAR) AS " + key +
           "_url";
  };
  return Dedup("SELECT CAST(id AS INTEGER) AS exchange_id, " + Text("slug") + " AS slug, " +
                   Format(AsTimestamp("date_launched")) + " AS date_launched, " +
                   Text("description") + " AS description, " + Text("logo") + " AS logo_url, " +
                   url("website") + ", " + url("twitter") + ", " + url("fee") + ", " + url("blog") +
                   ", " + SplitList("fiats", ",\\s*", /*trim=*/true) +
                   " AS fiats, file_row_number AS __row FROM " + Read(in.files[0]),
               {"exchange_id"}, "__row");
}

Result<std::string> DimExchangeMap(const SilverInputs& in) {
  if (in.exchange_info.empty()) {
    return InvalidArgument("dim_exchange_map is built only with exchange_info");
  }
  std::string is_active = "CAST(NULL AS BOOLEAN)";
  std::string join;
  if (!in.exchange_map.empty()) {
    is_active = "CAST(m.is_active AS BOOLEAN)";
    join = " LEFT JOIN (SELECT id, is_active FROM " + Read(in.exchange_map) +
           " WHERE id IS NOT NULL QUALIFY row_number() OVER (PARTITION BY id ORDER BY "
           "file_row_number) = 1) AS m ON m.id = i.id";
  }
  return Dedup("SELECT CAST(i.id AS INTEGER) AS exchange_id, " + SnapshotColumns("i.") +
                   ", TRY_CAST(i.weekly_visits AS INTEGER) AS weekly_visits, "
                   "TRY_CAST(i.maker_fee AS FLOAT) AS maker_fee, "
                   "TRY_CAST(i.taker_fee AS FLOAT) AS taker_fee, " +
                   is_active + " AS is_active, i.file_row_number AS __row FROM " +
                   Read(in.exchange_info) + " AS i" + join,
               {"exchange_id", "snapshot_timestamp"}, "__row");
}

Result<std::string> FactExchangeAssets(const SilverInputs& in) {
  const std::string value = "CAST(a.balance AS DOUBLE) * CAST(a.currency_price_usd AS DOUBLE)";
  std::string spot = "CAST(NULL AS DOUBLE)";
  std::string join;
  if (!in.exchange_info.empty()) {
    spot = "i.spot_volume_usd";
    join =
        " LEFT JOIN " +
        ExchangeInfoById(in.exchange_info, "CAST(spot_volume_usd AS DOUBLE) AS spot_volume_usd") +
        " AS i ON i.id = a.exchange_id";
  }
  // The exchange KPIs are NULL (not 0.0) when they cannot be computed.
  return Dedup("SELECT CAST(a.exchange_id AS INTEGER) AS exchange_id, " + SnapshotColumns("a.") +
                   ", " + spot + " AS spot_volume_usd, " + Text("a.platform_symbol") +
                   " AS blockchain_symbol, " + Text("a.platform_name") + " AS blockchain_name, " +
                   Text("a.wallet_address") +
                   " AS wallet_address, CAST(a.currency_crypto_id AS INTEGER) AS crypto_id, "
                   "CAST(a.balance AS DOUBLE) AS balance, "
                   "CAST(a.currency_price_usd AS DOUBLE) AS currency_price_usd, " +
                   value + " AS total_usd_value, " + value + " / NULLIF(" + spot +
                   ", 0) AS wallet_weight, a.file_row_number AS __row FROM " + Read(in.files[0]) +
                   " AS a" + join,
               {"exchange_id", "wallet_address", "crypto_id", "snapshot_timestamp"}, "__row");
}

Result<std::string> DimCryptoId(const SilverInputs& in) {
  return Dedup("SELECT CAST(id AS INTEGER) AS crypto_id, " + Text("name") + " AS name, " +
                   Text("symbol") +
                   " AS symbol, TRY_CAST(platform_id AS INTEGER) AS platform_id, " +
                   Text("platform_name") + " AS platform_name, " + Text("platform_symbol") +
                   " AS platform_symbol, " + Text("platform_token_address") +
                   " AS platform_token_address, file_row_number AS __row FROM " + Read(in.files[0]),
               {"crypto_id"}, "__row");
}

Result<std::string> DimCryptoMap(const SilverInputs& in) {
  return Dedup("SELECT CAST(id AS INTEGER) AS crypto_id, " + SnapshotColumns() +
                   ", TRY_CAST(\"rank\" AS INTEGER) AS \"rank\", "
                   "TRY_CAST(is_active AS INTEGER) AS is_active, " +
                   Format(AsTimestamp("last_historical_data")) +
                   " AS last_historical_data, file_row_number AS __row FROM " + Read(in.files[0]),
               {"crypto_id", "snapshot_timestamp"}, "__row");
}

Result<std::string> DimCryptoInfo(const SilverInputs& in) {
  const std::string ts = AsTimestamp("date_snapshot");
  std::string urls;
  for (const char* key :
       {"logo", "website", "technical_doc", "explorer", "source_code", "twitter"}) {
    urls += ", " + Text(key) + " AS " + key + "_url";
  }
  return Dedup("SELECT CAST(id AS INTEGER) AS crypto_id, " + Text("slug") + " AS slug, " + ts +
                   " AS snapshot_timestamp, " + UtcDate(ts) + " AS snapshot_date, " +
                   UtcDate(AsTimestamp("date_launched")) + " AS date_launched, " +
                   UtcDate(AsTimestamp("date_added")) + " AS date_added, " + Text("category") +
                   " AS category, " + SplitList("tags", ",", /*trim=*/false) + " AS tags, " +
                   Text("description") + " AS description" + urls +
                   ", file_row_number AS __row FROM " + Read(in.files[0]),
               {"crypto_id"}, "__row");
}

Result<std::string> FactCryptoMarket(const SilverInputs& in) {
  std::string doubles;
  for (const char* column :
       {"circulating_supply", "total_supply", "max_supply", "infinite_supply",
        "self_reported_circulating_supply", "self_reported_market_cap", "price_usd",
        "volume_24h_usd", "volume_change_24h", "percent_change_1h_usd", "percent_change_24h_usd",
        "percent_change_7d_usd", "market_cap_usd", "market_cap_dominance_usd",
        "fully_diluted_market_cap_usd"}) {
    std::string type = std::string(column) == "infinite_supply" ? "BOOLEAN" : "DOUBLE";
    doubles += ", CAST(" + std::string(column) + " AS " + type + ") AS " + column;
  }
  return Dedup(
      "SELECT CAST(id AS INTEGER) AS crypto_id, " + SnapshotColumns() +
          ", TRY_CAST(batch_index AS INTEGER) AS batch_index, "
          "TRY_CAST(cmc_rank AS INTEGER) AS cmc_rank, " +
          Text("last_updated_usd") +
          " AS last_updated_usd, TRY_CAST(platform_id AS INTEGER) AS platform_id" + doubles +
          ", TRY_CAST(num_market_pairs AS INTEGER) AS num_market_pairs, " +
          Ratio("volume_24h_usd", "market_cap_usd") + " AS volume_to_market_cap_ratio, " +
          Ratio("CAST(total_supply AS DOUBLE) - CAST(circulating_supply AS DOUBLE)",
                "total_supply") +
          " AS missing_supply_ratio, " + Ratio("circulating_supply", "max_supply") +
          " AS supply_utilization, " + Ratio("fully_diluted_market_cap_usd", "market_cap_usd") +
          " AS fully_diluted_cap_ratio, batch_index AS __batch, file_row_number AS __row FROM " +
          ReadAll(in.files),
      {"crypto_id", "snapshot_timestamp"}, "__batch, __row", "__batch, __row");
}

Result<std::string> DimCryptoCategory(const SilverInputs& in) {
  return Dedup("SELECT " + Text("category_id") + " AS category_id, " + Text("name") + " AS name, " +
                   Text("title") + " AS title, " + Text("description") +
                   " AS description, file_row_number AS __row FROM " + Read(in.files[0]),
               {"category_id"}, "__row");
}

Result<std::string> FactCryptoCategory(const SilverInputs& in) {
  std::string metrics;
  for (const char* column :
       {"avg_price_change", "market_cap", "market_cap_change", "volume", "volume_change"}) {
    metrics += ", CAST(" + std::string(column) + " AS DOUBLE) AS " + column;
  }
  return Dedup("SELECT " + Text("category_id") + " AS category_id, " + SnapshotColumns() +
                   ", TRY_CAST(num_tokens AS INTEGER) AS num_tokens" + metrics + ", " +
                   Text("last_updated") + " AS last_updated, " + Ratio("volume", "market_cap") +
                   " AS volume_to_market_cap_ratio, " + Ratio("market_cap", "num_tokens") +
                   " AS dominance_per_token, " + Ratio("market_cap_change", "market_cap") +
                   " AS market_cap_change_rate, " + Ratio("volume_change", "volume") +
                   " AS volume_change_rate, coalesce(CAST(avg_price_change AS DOUBLE) * "
                   "CAST(num_tokens AS DOUBLE), 0.0) AS price_change_index, "
                   "file_row_number AS __row FROM " +
                   Read(in.files[0]),
               {"category_id", "snapshot_timestamp"}, "__row");
}

Result<std::string> CryptoCategoryLink(const SilverInputs& in) {
  return Dedup("SELECT CAST(crypto_id AS INTEGER) AS crypto_id, " + Text("category_id") +
                   " AS category_id, file_row_number AS __row FROM " + Read(in.files[0]),
               {"crypto_id", "category_id"}, "__row");
}

Result<std::string> FactMarketSentiment(const SilverInputs& in) {
  const std::string ts = AsTimestamp("update_time");
  return Dedup("SELECT " + ts + " AS snapshot_timestamp, " + Format(ts, "%Y-%m-%d") +
                   " AS snapshot_str, TRY_CAST(value AS INTEGER) AS fear_greed_score, " +
                   Text("value_classification") +
                   " AS sentiment_label, file_row_number AS "
                   "__row FROM " +
                   Read(in.files[0]),
               {"snapshot_timestamp"}, "__row");
}

Result<std::string> MarketSentimentHistory(const SilverInputs& in) {
  const std::string ts = "to_timestamp(TRY_CAST(" + Text("\"timestamp\"") + " AS BIGINT))";
  return Dedup("SELECT " + ts + " AS snapshot_timestamp, " + Format(ts, "%Y-%m-%d") +
                   " AS snapshot_str, TRY_CAST(value AS INTEGER) AS fear_greed_score, " +
                   Text("value_classification") +
                   " AS sentiment_label, file_row_number AS "
                   "__row FROM " +
                   Read(in.files[0]),
               {"snapshot_timestamp"}, "__row");
}

// fact_global_market: 58 columns. Bronze name -> silver name and type, in table order.
struct GlobalColumn {
  const char* bronze;
  const char* silver;
  const char* type;  // INTEGER (narrowed with TRY_CAST), DOUBLE or DATE
};

constexpr GlobalColumn kGlobalColumns[] = {
    {"active_cryptocurrencies", "active_cryptocurrencies", "INTEGER"},
    {"total_cryptocurrencies", "total_cryptocurrencies", "INTEGER"},
    {"active_market_pairs", "active_market_pairs", "INTEGER"},
    {"active_exchanges", "active_exchanges", "INTEGER"},
    {"total_exchanges", "total_exchanges", "INTEGER"},
    {"btc_dominance", "btc_dominance", "DOUBLE"},
    {"eth_dominance", "eth_dominance", "DOUBLE"},
    {"btc_dominance_yesterday", "btc_dominance_yesterday", "DOUBLE"},
    {"eth_dominance_yesterday", "eth_dominance_yesterday", "DOUBLE"},
    {"btc_dominance_24h_percentage_change", "btc_dominance_24h_change", "DOUBLE"},
    {"eth_dominance_24h_percentage_change", "eth_dominance_24h_change", "DOUBLE"},
    {"defi_volume_24h", "defi_volume_24h", "DOUBLE"},
    {"defi_volume_24h_reported", "defi_volume_24h_reported", "DOUBLE"},
    {"defi_market_cap", "defi_market_cap", "DOUBLE"},
    {"defi_24h_percentage_change", "defi_24h_percentage_change", "DOUBLE"},
    {"stablecoin_volume_24h", "stablecoin_volume_24h", "DOUBLE"},
    {"stablecoin_volume_24h_reported", "stablecoin_volume_24h_reported", "DOUBLE"},
    {"stablecoin_market_cap", "stablecoin_market_cap", "DOUBLE"},
    {"stablecoin_24h_percentage_change", "stablecoin_24h_percentage_change", "DOUBLE"},
    {"derivatives_volume_24h", "derivatives_volume_24h", "DOUBLE"},
    {"derivatives_volume_24h_reported", "derivatives_volume_24h_reported", "DOUBLE"},
    {"derivatives_24h_percentage_change", "derivatives_24h_percentage_change", "DOUBLE"},
    {"total_crypto_dex_currencies", "total_crypto_dex_currencies", "INTEGER"},
    {"today_incremental_crypto_number", "new_cryptos_today", "INTEGER"},
    {"past_24h_incremental_crypto_number", "new_cryptos_last_24h", "INTEGER"},
    {"past_7d_incremental_crypto_number", "new_cryptos_last_7d", "INTEGER"},
    {"past_30d_incremental_crypto_number", "new_cryptos_last_30d", "INTEGER"},
    {"today_change_percent", "new_cryptos_today_pct", "DOUBLE"},
    {"tracked_maxIncrementalNumber", "max_daily_new_cryptos", "INTEGER"},
    {"tracked_maxIncrementalDate", "max_new_cryptos_day", "DATE"},
    {"tracked_minIncrementalNumber", "min_daily_new_cryptos", "INTEGER"},
    {"tracked_minIncrementalDate", "min_new_cryptos_day", "DATE"},
    {"quote_total_market_cap", "total_market_cap", "DOUBLE"},
    {"quote_total_volume_24h", "total_volume_24h", "DOUBLE"},
    {"quote_total_volume_24h_reported", "total_volume_24h_reported", "DOUBLE"},
    {"quote_altcoin_volume_24h", "altcoin_volume_24h", "DOUBLE"},
    {"quote_altcoin_volume_24h_reported", "altcoin_volume_24h_reported", "DOUBLE"},
    {"quote_altcoin_market_cap", "altcoin_market_cap", "DOUBLE"},
    {"quote_total_market_cap_yesterday", "total_market_cap_yesterday", "DOUBLE"},
    {"quote_total_volume_24h_yesterday", "total_volume_24h_yesterday", "DOUBLE"},
    {"quote_total_market_cap_yesterday_percentage_change", "total_market_cap_yesterday_change",
     "DOUBLE"},
    {"quote_total_volume_24h_yesterday_percentage_change", "total_volume_24h_yesterday_change",
     "DOUBLE"},
};

// The KPIs of fact_global_market over the silver names, each followed by its check_ flag.
constexpr const char* kGlobalKpis[][2] = {
    {"market_liquidity_ratio", "coalesce(total_volume_24h / NULLIF(total_market_cap, 0), 0.0)"},
    {"defi_volume_share", "coalesce(defi_volume_24h / NULLIF(total_volume_24h, 0), 0.0)"},
    {"stablecoin_market_share",
     "CASE WHEN abs(total_market_cap) > 1e-6 THEN coalesce(stablecoin_market_cap / "
     "total_market_cap, 0.0) ELSE 0.0 END"},
    {"btc_dominance_delta", "coalesce(btc_dominance - btc_dominance_yesterday, 0.0)"},
    {"eth_dominance_delta", "coalesce(eth_dominance - eth_dominance_yesterday, 0.0)"},
    {"crypto_growth_rate_30d",
     "coalesce(CAST(new_cryptos_last_30d AS DOUBLE) / NULLIF(total_cryptocurrencies, 0), 0.0)"},
};

Result<std::string> FactGlobalMarket(const SilverInputs& in) {
  const std::string updated = AsTimestamp("last_updated");
  std::string columns = SnapshotColumns() + ", " + updated + " AS last_updated_timestamp, " +
                        Format(updated) + " AS last_updated_str";
  for (const auto& column : kGlobalColumns) {
    std::string source = QuoteIdentifier(column.bronze);
    std::string type = column.type;
    std::string value = type == "INTEGER" ? "TRY_CAST(" + source + " AS INTEGER)"
                        : type == "DATE"  ? "TRY_CAST(" + Text(source) + " AS DATE)"
                                          : "CAST(" + source + " AS DOUBLE)";
    columns += ", " + value + " AS " + column.silver;
  }
  std::string kpis, checks;
  for (const auto& [name, formula] : kGlobalKpis) {
    kpis += std::string(", ") + formula + " AS " + name;
    checks += std::string(", ") + name + " != 0.0 AS check_" + name;
  }
  std::string renamed =
      "SELECT " + columns + ", file_row_number AS __row FROM " + Read(in.files[0]);
  std::string with_kpis = "SELECT *" + kpis + " FROM (" + renamed + ") AS __renamed";
  std::string with_checks = "SELECT *" + checks + " FROM (" + with_kpis + ") AS __kpis";
  return Dedup(with_checks, {"snapshot_timestamp"}, "__row");
}

const std::map<std::string, SqlBuilder, std::less<>>& Builders() {
  static const std::map<std::string, SqlBuilder, std::less<>> builders = {
      {"dim_exchange_id", DimExchangeId},
      {"dim_exchange_info", DimExchangeInfo},
      {"dim_exchange_map", DimExchangeMap},
      {"fact_exchange_assets", FactExchangeAssets},
      {"dim_crypto_id", DimCryptoId},
      {"dim_crypto_map", DimCryptoMap},
      {"dim_crypto_info", DimCryptoInfo},
      {"fact_crypto_market", FactCryptoMarket},
      {"dim_crypto_category", DimCryptoCategory},
      {"fact_crypto_category", FactCryptoCategory},
      {"crypto_category_link", CryptoCategoryLink},
      {"fact_global_market", FactGlobalMarket},
      {"fact_market_sentiment", FactMarketSentiment},
      {"market_sentiment_history", MarketSentimentHistory},
  };
  return builders;
}

}  // namespace

Result<std::string> SnapshotSql(const SilverTable& table, const SilverInputs& inputs) {
  auto it = Builders().find(table.name);
  if (it == Builders().end()) return InvalidArgument("no silver table named '", table.name, "'");
  if (inputs.files.empty() && table.rule != BuildRule::kWithExchangeInfo) {
    return InvalidArgument("silver table '", table.name, "' needs a bronze file");
  }
  return it->second(inputs);
}

}  // namespace dlake::lakehouse
