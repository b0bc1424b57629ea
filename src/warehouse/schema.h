#pragma once
// The warehouse's star schema (doc/warehouse.md): the 13 tables of the CoinMarketCap pipeline,
// their columns, keys and foreign keys, and the numbered migrations that create and upgrade
// them. The loader, the data tests and the gold exports all work from these definitions.

#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"
#include "warehouse/dialect.h"

namespace dlake::warehouse {

enum class SqlType {
  kInteger,
  kText,
  kBoundedText,
  kLongText,
  kDouble,
  kBoolean,
  kTimestamp,
  kDate,
  kTextArray
};

struct TableColumn {
  std::string name;
  SqlType type = SqlType::kText;
  int length = 0;         // kBoundedText: at most this many characters
  bool not_null = false;  // besides the primary key's columns, which are always NOT NULL
};

struct ForeignKey {
  std::string column;  // in this table
  std::string parent;  // the referenced table, keyed by a column of the same name
};

// How the loader writes a table's silver rows.
enum class LoadKind {
  kUpsert,     // dimensions: new keys inserted, changed attributes updated
  kInsertNew,  // facts and snapshot-keyed dimensions: new keys inserted, existing rows kept
};

struct WarehouseTable {
  std::string name;
  std::string domain;  // the silver domain: exchange | crypto | global_metrics | fear_and_greed
  std::vector<TableColumn> columns;
  std::vector<std::string> primary_key;
  std::vector<ForeignKey> foreign_keys;
  LoadKind load = LoadKind::kInsertNew;
  // The timestamp column that orders its snapshots (incremental loads), or "" when it has none.
  std::string snapshot_column;

  const TableColumn* FindColumn(std::string_view column) const;
};

// The 13 tables, parents before children.
const std::vector<WarehouseTable>& WarehouseTables();
const WarehouseTable* FindWarehouseTable(std::string_view name);

// The SQL type of a column in a dialect (without NOT NULL).
std::string ColumnSqlType(const TableColumn& column, const Dialect& dialect);

// A numbered schema change. Versions start at 1 and have no holes.
struct Migration {
  int version;
  std::string name;
  std::string (*sql)(const Dialect& dialect);
};
const std::vector<Migration>& Migrations();

// The table that records applied migrations.
inline constexpr std::string_view kMigrationsTable = "dlake_schema_migrations";
// Rows a load could not write (a foreign key without its parent), kept for inspection.
inline constexpr std::string_view kRejectsTable = "dlake_load_rejects";

}  // namespace dlake::warehouse
