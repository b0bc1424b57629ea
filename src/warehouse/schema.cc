// The 13 warehouse tables (cryptolakehouse §3.1, at the head of its Alembic chain, with the name
// indexes that its last revision declared and never created) and the migrations.

#include "warehouse/schema.h"

namespace dlake::warehouse {
namespace {

using T = SqlType;

TableColumn Int(std::string name) { return {std::move(name), T::kInteger}; }
TableColumn Text(std::string name) { return {std::move(name), T::kText}; }
TableColumn Text(std::string name, int length) {
  return {std::move(name), T::kBoundedText, length};
}
TableColumn LongText(std::string name) { return {std::move(name), T::kLongText}; }
TableColumn Double(std::string name) { return {std::move(name), T::kDouble}; }
TableColumn Bool(std::string name) { return {std::move(name), T::kBoolean}; }
TableColumn Timestamp(std::string name) { return {std::move(name), T::kTimestamp}; }
TableColumn Date(std::string name) { return {std::move(name), T::kDate}; }
TableColumn TextArray(std::string name) { return {std::move(name), T::kTextArray}; }
TableColumn Required(TableColumn column) {
  column.not_null = true;
  return column;
}

// snapshot_timestamp and its NOT NULL text form, in every snapshot-keyed table.
std::vector<TableColumn> WithSnapshot(std::vector<TableColumn> head,
                                      std::vector<TableColumn> tail) {
  head.push_back(Timestamp("snapshot_timestamp"));
  head.push_back(Required(Text("snapshot_str")));
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

std::vector<TableColumn> Doubles(std::initializer_list<const char*> names) {
  std::vector<TableColumn> columns;
  for (const char* name : names) columns.push_back(Double(name));
  return columns;
}

std::vector<TableColumn> Concat(std::vector<std::vector<TableColumn>> parts) {
  std::vector<TableColumn> all;
  for (auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

std::vector<TableColumn> GlobalMarketColumns() {
  std::vector<TableColumn> columns = {
      Timestamp("snapshot_timestamp"), Required(Text("snapshot_str")),
      Timestamp("last_updated_timestamp"), Text("last_updated_str")};
  for (const char* name : {"active_cryptocurrencies", "total_cryptocurrencies",
                           "active_market_pairs", "active_exchanges", "total_exchanges"}) {
    columns.push_back(Int(name));
  }
  for (const char* name :
       {"btc_dominance", "eth_dominance", "btc_dominance_yesterday", "eth_dominance_yesterday",
        "btc_dominance_24h_change", "eth_dominance_24h_change", "defi_volume_24h",
        "defi_volume_24h_reported", "defi_market_cap", "defi_24h_percentage_change",
        "stablecoin_volume_24h", "stablecoin_volume_24h_reported", "stablecoin_market_cap",
        "stablecoin_24h_percentage_change", "derivatives_volume_24h",
        "derivatives_volume_24h_reported", "derivatives_24h_percentage_change"}) {
    columns.push_back(Double(name));
  }
  for (const char* name : {"total_crypto_dex_currencies", "new_cryptos_today",
                           "new_cryptos_last_24h", "new_cryptos_last_7d", "new_cryptos_last_30d"}) {
    columns.push_back(Int(name));
  }
  columns.push_back(Double("new_cryptos_today_pct"));
  columns.push_back(Int("max_daily_new_cryptos"));
  columns.push_back(Date("max_new_cryptos_day"));
  columns.push_back(Int("min_daily_new_cryptos"));
  columns.push_back(Date("min_new_cryptos_day"));
  for (const char* name :
       {"total_market_cap", "total_volume_24h", "total_volume_24h_reported", "altcoin_volume_24h",
        "altcoin_volume_24h_reported", "altcoin_market_cap", "total_market_cap_yesterday",
        "total_volume_24h_yesterday", "total_market_cap_yesterday_change",
        "total_volume_24h_yesterday_change"}) {
    columns.push_back(Double(name));
  }
  const char* kpis[] = {"market_liquidity_ratio", "defi_volume_share",   "stablecoin_market_share",
                        "btc_dominance_delta",    "eth_dominance_delta", "crypto_growth_rate_30d"};
  for (const char* kpi : kpis) columns.push_back(Double(kpi));
  for (const char* kpi : kpis) columns.push_back(Bool(std::string("check_") + kpi));
  return columns;
}

std::vector<WarehouseTable> BuildTables() {
  std::vector<WarehouseTable> tables;
  tables.push_back({"dim_exchange_id",
                    "exchange",
                    {Int("exchange_id"), Required(Text("name"))},
                    {"exchange_id"},
                    {},
                    LoadKind::kUpsert,
                    ""});
  tables.push_back(
      {"dim_exchange_info",
       "exchange",
       {Int("exchange_id"), Text("slug", 255), LongText("description"), Text("date_launched", 25),
        Text("logo_url", 500), Text("website_url", 500), Text("twitter_url", 500),
        Text("blog_url", 500), Text("fee_url", 500), TextArray("fiats")},
       {"exchange_id"},
       {{"exchange_id", "dim_exchange_id"}},
       LoadKind::kUpsert,
       ""});
  tables.push_back({"dim_exchange_map",
                    "exchange",
                    WithSnapshot({Int("exchange_id")}, {Bool("is_active"), Double("maker_fee"),
                                                        Double("taker_fee"), Int("weekly_visits")}),
                    {"exchange_id", "snapshot_timestamp"},
                    {{"exchange_id", "dim_exchange_id"}},
                    LoadKind::kInsertNew,
                    "snapshot_timestamp"});
  tables.push_back({"dim_crypto_id",
                    "crypto",
                    {Int("crypto_id"), Text("name", 255), Text("symbol", 20), Int("platform_id"),
                     Text("platform_name", 255), Text("platform_symbol", 20),
                     Text("platform_token_address", 255)},
                    {"crypto_id"},
                    {},
                    LoadKind::kUpsert,
                    ""});
  tables.push_back({"fact_exchange_assets",
                    "exchange",
                    WithSnapshot({Int("exchange_id")},
                                 {Double("spot_volume_usd"), Text("blockchain_symbol", 20),
                                  Text("blockchain_name", 100), Text("wallet_address", 255),
                                  Int("crypto_id"), Double("balance"), Double("currency_price_usd"),
                                  Double("total_usd_value"), Double("wallet_weight")}),
                    {"exchange_id", "wallet_address", "crypto_id", "snapshot_timestamp"},
                    {{"exchange_id", "dim_exchange_id"}, {"crypto_id", "dim_crypto_id"}},
                    LoadKind::kInsertNew,
                    "snapshot_timestamp"});
  tables.push_back({"dim_crypto_map",
                    "crypto",
                    WithSnapshot({Int("crypto_id")},
                                 {Int("rank"), Int("is_active"), Text("last_historical_data")}),
                    {"crypto_id", "snapshot_timestamp"},
                    {{"crypto_id", "dim_crypto_id"}},
                    LoadKind::kInsertNew,
                    "snapshot_timestamp"});
  tables.push_back(
      {"dim_crypto_info",
       "crypto",
       {Int("crypto_id"), Text("slug", 255), Timestamp("snapshot_timestamp"), Date("snapshot_date"),
        Date("date_launched"), Date("date_added"), Text("category", 50), TextArray("tags"),
        LongText("description"), Text("logo_url", 500), Text("website_url", 500),
        Text("technical_doc_url", 500), Text("explorer_url", 500), Text("source_code_url", 500),
        Text("twitter_url", 500)},
       {"crypto_id"},
       {{"crypto_id", "dim_crypto_id"}},
       LoadKind::kUpsert,
       ""});
  tables.push_back(
      {"fact_crypto_market",
       "crypto",
       Concat({WithSnapshot({Int("crypto_id")}, {Int("batch_index"), Int("cmc_rank"),
                                                 Text("last_updated_usd"), Int("platform_id")}),
               Doubles({"circulating_supply", "total_supply", "max_supply"}),
               {Bool("infinite_supply")},
               Doubles({"self_reported_circulating_supply", "self_reported_market_cap", "price_usd",
                        "volume_24h_usd", "volume_change_24h", "percent_change_1h_usd",
                        "percent_change_24h_usd", "percent_change_7d_usd", "market_cap_usd",
                        "market_cap_dominance_usd", "fully_diluted_market_cap_usd"}),
               {Int("num_market_pairs")},
               Doubles({"volume_to_market_cap_ratio", "missing_supply_ratio", "supply_utilization",
                        "fully_diluted_cap_ratio"})}),
       {"crypto_id", "snapshot_timestamp"},
       {{"crypto_id", "dim_crypto_id"}},
       LoadKind::kInsertNew,
       "snapshot_timestamp"});
  tables.push_back(
      {"dim_crypto_category",
       "crypto",
       {Text("category_id", 100), Text("name", 100), Text("title", 255), LongText("description")},
       {"category_id"},
       {},
       LoadKind::kUpsert,
       ""});
  tables.push_back({"crypto_category_link",
                    "crypto",
                    {Int("crypto_id"), Text("category_id", 100)},
                    {"crypto_id", "category_id"},
                    {{"crypto_id", "dim_crypto_id"}, {"category_id", "dim_crypto_category"}},
                    LoadKind::kUpsert,
                    ""});
  tables.push_back(
      {"fact_crypto_category",
       "crypto",
       Concat({WithSnapshot({Text("category_id", 100)}, {Int("num_tokens")}),
               Doubles({"avg_price_change", "market_cap", "market_cap_change", "volume",
                        "volume_change"}),
               {Text("last_updated")},
               Doubles({"volume_to_market_cap_ratio", "dominance_per_token",
                        "market_cap_change_rate", "volume_change_rate", "price_change_index"})}),
       {"category_id", "snapshot_timestamp"},
       {{"category_id", "dim_crypto_category"}},
       LoadKind::kInsertNew,
       "snapshot_timestamp"});
  tables.push_back({"fact_global_market",
                    "global_metrics",
                    GlobalMarketColumns(),
                    {"snapshot_timestamp"},
                    {},
                    LoadKind::kInsertNew,
                    "snapshot_timestamp"});
  tables.push_back({"fact_market_sentiment",
                    "fear_and_greed",
                    WithSnapshot({}, {Int("fear_greed_score"), Text("sentiment_label", 20)}),
                    {"snapshot_timestamp"},
                    {},
                    LoadKind::kInsertNew,
                    "snapshot_timestamp"});
  return tables;
}

bool InPrimaryKey(const WarehouseTable& table, const std::string& column) {
  for (const auto& key : table.primary_key) {
    if (key == column) return true;
  }
  return false;
}

std::string CreateTable(const WarehouseTable& table, const Dialect& dialect) {
  std::string sql = "CREATE TABLE IF NOT EXISTS " + table.name + " (\n";
  for (const auto& column : table.columns) {
    sql += "  " + column.name + " " + ColumnSqlType(column, dialect);
    if (column.not_null || InPrimaryKey(table, column.name)) sql += " NOT NULL";
    sql += ",\n";
  }
  sql += "  PRIMARY KEY (";
  for (size_t i = 0; i < table.primary_key.size(); ++i) {
    sql += (i == 0 ? "" : ", ") + table.primary_key[i];
  }
  sql += ")";
  for (const auto& fk : table.foreign_keys) {
    sql += ",\n  FOREIGN KEY (" + fk.column + ") REFERENCES " + fk.parent + " (" + fk.column + ")";
  }
  return sql + "\n);\n";
}

std::string StarSchema(const Dialect& dialect) {
  std::string sql;
  for (const auto& table : WarehouseTables()) sql += CreateTable(table, dialect);
  return sql;
}

std::string NameIndexes(const Dialect& dialect) {
  std::string sql = dialect.SecondaryIndex("idx_exchange_name", "dim_exchange_id", "name") +
                    dialect.SecondaryIndex("idx_crypto_name", "dim_crypto_id", "name") +
                    dialect.SecondaryIndex("idx_crypto_symbol", "dim_crypto_id", "symbol") +
                    dialect.SecondaryIndex("idx_category_name", "dim_crypto_category", "name");
  return sql.empty() ? "SELECT 1" : sql;
}

std::string LoadRejects(const Dialect& /*dialect*/) {
  return "CREATE TABLE IF NOT EXISTS " + std::string(kRejectsTable) +
         " (\n"
         "  table_name VARCHAR NOT NULL,\n"
         "  row_key VARCHAR NOT NULL,\n"
         "  reason VARCHAR NOT NULL,\n"
         "  row_data TEXT,\n"
         "  snapshot_timestamp TIMESTAMP,\n"
         "  first_rejected_at TIMESTAMP NOT NULL,\n"
         "  last_rejected_at TIMESTAMP NOT NULL,\n"
         "  PRIMARY KEY (table_name, row_key, reason)\n"
         ");\n";
}

}  // namespace

const TableColumn* WarehouseTable::FindColumn(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

const std::vector<WarehouseTable>& WarehouseTables() {
  static const std::vector<WarehouseTable> tables = BuildTables();
  return tables;
}

const WarehouseTable* FindWarehouseTable(std::string_view name) {
  for (const auto& table : WarehouseTables()) {
    if (table.name == name) return &table;
  }
  return nullptr;
}

std::string ColumnSqlType(const TableColumn& column, const Dialect& dialect) {
  switch (column.type) {
    case T::kInteger:
      return "INTEGER";
    case T::kText:
      return "VARCHAR";
    case T::kBoundedText:
      return dialect.BoundedText(column.name, column.length);
    case T::kLongText:
      return "TEXT";
    case T::kDouble:
      return "DOUBLE PRECISION";
    case T::kBoolean:
      return "BOOLEAN";
    case T::kTimestamp:
      return "TIMESTAMP";
    case T::kDate:
      return "DATE";
    case T::kTextArray:
      return "VARCHAR[]";
  }
  return "VARCHAR";
}

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1, "star schema: the 13 tables with their keys", StarSchema},
      {2, "name indexes", NameIndexes},
      {3, "load rejects table", LoadRejects},
  };
  return migrations;
}

}  // namespace dlake::warehouse
