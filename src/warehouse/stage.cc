#include "warehouse/stage.h"

#include <set>

#include "duck/duck.h"

namespace dlake::warehouse {

using duck::QuoteIdentifier;

std::string StageSqlType(SqlType type) {
  switch (type) {
    case SqlType::kInteger:
      return "INTEGER";
    case SqlType::kDouble:
      return "DOUBLE";
    case SqlType::kBoolean:
      return "BOOLEAN";
    case SqlType::kTimestamp:
      return "TIMESTAMP";
    case SqlType::kDate:
      return "DATE";
    case SqlType::kTextArray:
      return "VARCHAR[]";
    case SqlType::kText:
    case SqlType::kBoundedText:
    case SqlType::kLongText:
      return "VARCHAR";
  }
  return "VARCHAR";
}

namespace {

// A list as PostgreSQL's array input text: {"a","b \"c\""}, NULL elements unquoted.
std::string PostgresArray(const std::string& column) {
  const std::string element =
      "CASE WHEN __e IS NULL THEN 'NULL' ELSE '\"' || replace(replace(__e, '\\', '\\\\'), '\"', "
      "'\\\"') || '\"' END";
  return "CASE WHEN " + column + " IS NULL THEN NULL ELSE '{' || array_to_string(list_transform(" +
         column + ", __e -> " + element + "), ',') || '}' END";
}

std::string StageColumn(const TableColumn& column, const std::set<std::string>& silver_columns,
                        const Dialect& dialect) {
  const std::string name = QuoteIdentifier(column.name);
  if (silver_columns.count(column.name) == 0) {
    return "CAST(NULL AS " + StageSqlType(column.type) + ") AS " + name;
  }
  if (column.type == SqlType::kTimestamp) {
    // Silver holds UTC instants; the warehouse holds UTC wall times.
    return "CAST(timezone('UTC', CAST(" + name + " AS TIMESTAMPTZ)) AS TIMESTAMP) AS " + name;
  }
  if (column.type == SqlType::kTextArray && dialect.stage_format() == StageFormat::kCsv) {
    return PostgresArray("CAST(" + name + " AS VARCHAR[])") + " AS " + name;
  }
  return "CAST(" + name + " AS " + StageSqlType(column.type) + ") AS " + name;
}

}  // namespace

Result<int64_t> WriteStage(delta::Table& silver, const StageRequest& request,
                           const Dialect& dialect) {
  const WarehouseTable& table = *request.table;
  delta::VersionSpec at;
  at.version = request.version;
  DLAKE_ASSIGN_OR_RETURN(delta::TableDescription description, silver.Describe(at));
  std::set<std::string> silver_columns;
  for (const auto& column : description.columns) silver_columns.insert(column.name);

  delta::ScanOptions scan;
  scan.at = at;
  scan.added_after_version = request.added_after_version;
  for (const auto& column : table.columns) {
    scan.expressions.push_back(StageColumn(column, silver_columns, dialect));
  }
  return silver.Export(scan,
                       dialect.stage_format() == StageFormat::kCsv ? delta::OutputFormat::kCsv
                                                                   : delta::OutputFormat::kParquet,
                       request.path);
}

}  // namespace dlake::warehouse
