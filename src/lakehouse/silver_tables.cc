// The table definitions. The SQL of each is in silver_sql.cc.

#include "lakehouse/silver_tables.h"

#include "common/file_util.h"
#include "common/lake_layout.h"

namespace dlake::lakehouse {
namespace {

SilverTable Define(std::string name, std::string domain, std::string folder, std::string prefix,
                   TransformCheck check, WriteMode mode, std::vector<std::string> keys,
                   Maintenance maintenance) {
  SilverTable table;
  table.delta_table = name;
  table.name = std::move(name);
  table.domain = std::move(domain);
  table.bronze_folder = std::move(folder);
  table.bronze_prefix = std::move(prefix);
  table.check = check;
  table.mode = mode;
  table.keys = std::move(keys);
  table.maintenance = maintenance;
  return table;
}

std::vector<SilverTable> MakeTables() {
  using enum TransformCheck;
  using enum WriteMode;
  using enum Maintenance;
  std::vector<SilverTable> tables;
  // weekly
  tables.push_back(Define("dim_crypto_info", "crypto", "crypto_info_data", "crypto_info", kDate,
                          kUpsert, {"crypto_id"}, kVacuumMonth));
  tables.back().uncompared = {"snapshot_timestamp", "snapshot_date"};
  // daily
  tables.push_back(Define("dim_exchange_id", "exchange", "exchange_map_data", "exchange_map", kDate,
                          kUpsert, {"exchange_id"}, kVacuumMonth));
  tables.push_back(Define("dim_exchange_info", "exchange", "exchange_info_data", "exchange_info",
                          kDate, kUpsert, {"exchange_id"}, kVacuumMonth));
  tables.push_back(Define("dim_exchange_map", "exchange", "exchange_info_data", "exchange_info",
                          kTimestamp, kInsertNew, {"exchange_id", "snapshot_timestamp"},
                          kVacuumMonth));
  tables.back().rule = BuildRule::kWithExchangeInfo;
  tables.push_back(Define("fact_exchange_assets", "exchange", "exchange_assets_data",
                          "exchange_assets", kTimestamp, kInsertNew,
                          {"exchange_id", "wallet_address", "crypto_id", "snapshot_timestamp"},
                          kVacuumMonth));
  tables.push_back(Define("dim_crypto_id", "crypto", "crypto_map_data", "crypto_map", kDate,
                          kUpsert, {"crypto_id"}, kVacuumMonth));
  tables.push_back(Define("dim_crypto_map", "crypto", "crypto_map_data", "crypto_map", kDate,
                          kInsertNew, {"crypto_id", "snapshot_timestamp"}, kVacuumMonth));
  tables.push_back(Define("crypto_category_link", "crypto", "crypto_category_data",
                          "link_crypto_category", kDate, kUpsert, {"crypto_id", "category_id"},
                          kVacuumMonth));
  // 5x
  tables.push_back(Define("fact_crypto_market", "crypto", "crypto_listings_latest_data",
                          "crypto_listings_batch", kTimestamp, kInsertNew,
                          {"crypto_id", "snapshot_timestamp"}, kVacuumMonth));
  tables.back().bronze = BronzeKind::kListingsBatch;
  // 10x
  tables.push_back(Define("dim_crypto_category", "crypto", "crypto_categories_data",
                          "crypto_categories", kTimestamp, kUpsert, {"category_id"}, kVacuumMonth));
  tables.push_back(Define("fact_crypto_category", "crypto", "crypto_categories_data",
                          "crypto_categories", kTimestamp, kInsertNew,
                          {"category_id", "snapshot_timestamp"}, kVacuumMonth));
  tables.push_back(Define("fact_global_market", "global_metrics", "global_metrics_data",
                          "global_metrics", kTimestamp, kInsertNew, {"snapshot_timestamp"},
                          kOptimizeAndVacuumWeek));
  tables.push_back(Define("fact_market_sentiment", "fear_and_greed", "latest_fear_and_greed_data",
                          "fear_and_greed_latest", kTimestamp, kInsertNew, {"snapshot_timestamp"},
                          kOptimizeAndVacuumWeek));
  // init
  tables.push_back(Define("market_sentiment_history", "fear_and_greed", "fear_and_greed_data",
                          "fear_and_greed", kTimestamp, kInsertNew, {"snapshot_timestamp"},
                          kOptimizeAndVacuumWeek));
  tables.back().delta_table = "fact_market_sentiment";
  tables.back().rule = BuildRule::kOnce;
  return tables;
}

}  // namespace

std::string SilverTable::RelativePath() const {
  return JoinPath(JoinPath(layout::kSilverDir, domain), delta_table);
}

const std::vector<SilverTable>& SilverTables() {
  static const std::vector<SilverTable> tables = MakeTables();
  return tables;
}

const SilverTable* FindSilverTable(std::string_view name) {
  for (const auto& table : SilverTables()) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

}  // namespace dlake::lakehouse
