#include "delta/scan.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "delta/partition_values.h"
#include "delta/stats.h"
#include "dlake/common/strings.h"

namespace dlake::delta {
namespace {

using duck::QuoteIdentifier;
using duck::QuoteLiteral;

constexpr const char* kFileColumn = "__dlake_file";
constexpr const char* kRowColumn = "__dlake_row";

bool Wants(const std::vector<std::string>& extra, const char* column) {
  return std::find(extra.begin(), extra.end(), column) != extra.end();
}

std::string EmptySql(const Snapshot& snapshot, const std::vector<std::string>& extra) {
  std::string sql = "SELECT ";
  bool first = true;
  for (const auto& field : snapshot.schema.fields) {
    if (!first) sql += ", ";
    first = false;
    sql += "CAST(NULL AS " + DuckType(*field.type) + ") AS " + QuoteIdentifier(field.name);
  }
  if (Wants(extra, kFileColumn)) sql += ", CAST(NULL AS VARCHAR) AS __dlake_file";
  if (Wants(extra, kRowColumn)) sql += ", CAST(NULL AS BIGINT) AS __dlake_row";
  return sql + " WHERE false";
}

// Physical column names present in the files (lower case → as stored).
Result<std::map<std::string, std::string>> PhysicalColumns(duck::Connection& conn,
                                                           const std::string& source) {
  DLAKE_ASSIGN_OR_RETURN(auto result,
                         conn.Query("DESCRIBE SELECT * FROM " + source, "reading file schemas"));
  std::map<std::string, std::string> columns;
  for (size_t r = 0; r < result.RowCount(); ++r) {
    std::string name = result.GetString(0, r);
    columns[AsciiLower(name)] = name;
  }
  return columns;
}

// "col", "col DESC" or "col ASC" with the column quoted.
std::string OrderTerm(const std::string& term) {
  auto space = term.find_last_of(' ');
  if (space != std::string::npos) {
    std::string direction = AsciiLower(term.substr(space + 1));
    if (direction == "desc" || direction == "asc") {
      return QuoteIdentifier(term.substr(0, space)) + (direction == "desc" ? " DESC" : " ASC");
    }
  }
  return QuoteIdentifier(term);
}

}  // namespace

Result<std::string> ScanFilesSql(duck::Connection& conn, const Snapshot& snapshot,
                                 const std::vector<const AddFile*>& files,
                                 const std::vector<std::string>& extra_columns) {
  if (files.empty()) return EmptySql(snapshot, extra_columns);
  bool has_dv = std::any_of(files.begin(), files.end(),
                            [](const AddFile* f) { return f->deletion_vector.has_value(); });
  bool partitioned = !snapshot.metadata.partition_columns.empty();
  bool need_file = partitioned || has_dv || Wants(extra_columns, kFileColumn);
  bool need_row = has_dv || Wants(extra_columns, kRowColumn);

  for (const AddFile* file : files) {
    std::error_code ec;
    if (!std::filesystem::exists(snapshot.FilePath(file->path), ec)) {
      return FailedPrecondition(
          "data file '", snapshot.FilePath(file->path), "' of version ", snapshot.version, " of '",
          snapshot.root,
          "' no longer exists (VACUUM deletes the files of versions older than "
          "its retention; or it was removed by hand)");
    }
  }
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) list += ", ";
    list += QuoteLiteral(snapshot.FilePath(files[i]->path));
  }
  list += "]";
  // Partition values come from the log, never from folder names.
  std::string source = "read_parquet(" + list + ", union_by_name = true, hive_partitioning = false";
  if (need_file) source += ", filename = '__dlake_path'";
  if (need_row) source += ", file_row_number = true";
  source += ")";
  DLAKE_ASSIGN_OR_RETURN(auto physical, PhysicalColumns(conn, source));

  std::string select;
  auto add = [&](const std::string& expr) {
    if (!select.empty()) select += ", ";
    select += expr;
  };
  for (const auto& field : snapshot.schema.fields) {
    std::string type = DuckType(*field.type);
    std::string name = QuoteIdentifier(field.name);
    if (snapshot.IsPartitionColumn(field.name)) {
      add("__p." + name + " AS " + name);
      continue;
    }
    auto it = physical.find(AsciiLower(field.name));
    if (it == physical.end()) {
      add("CAST(NULL AS " + type + ") AS " + name);
    } else {
      add("CAST(__d." + QuoteIdentifier(it->second) + " AS " + type + ") AS " + name);
    }
  }
  if (Wants(extra_columns, kFileColumn)) add("__p.__dlake_file AS __dlake_file");
  if (Wants(extra_columns, kRowColumn)) add("__d.file_row_number AS __dlake_row");

  std::string sql = "SELECT " + select + " FROM " + source + " AS __d";
  if (need_file) {
    std::string values;
    std::string names = "__dlake_path, __dlake_file";
    for (const auto& column : snapshot.metadata.partition_columns) {
      names += ", " + QuoteIdentifier(column);
    }
    for (const AddFile* file : files) {
      std::string row =
          "(" + QuoteLiteral(snapshot.FilePath(file->path)) + ", " + QuoteLiteral(file->path);
      for (const auto& column : snapshot.metadata.partition_columns) {
        const StructField* field = snapshot.schema.Find(column);
        auto it = file->partition_values.find(column);
        std::optional<std::string> value;
        if (it != file->partition_values.end())
          value = it->second;
        else if (field == nullptr)
          return Corruption("partition column '", column, "' unknown");
        DLAKE_ASSIGN_OR_RETURN(auto literal, PartitionValueSql(value, *field->type, column));
        row += ", " + literal;
      }
      if (!values.empty()) values += ", ";
      values += row + ")";
    }
    sql += " JOIN (VALUES " + values + ") AS __p(" + names +
           ") ON __d.__dlake_path = __p.__dlake_path";
  }
  if (has_dv) {
    std::string deleted;
    for (const AddFile* file : files) {
      if (!file->deletion_vector) continue;
      DLAKE_ASSIGN_OR_RETURN(auto rows, LoadDeletedRows(snapshot.root, *file->deletion_vector));
      std::string path = QuoteLiteral(snapshot.FilePath(file->path));
      for (uint64_t row : rows) {
        if (!deleted.empty()) deleted += ", ";
        deleted += "(" + path + ", " + std::to_string(row) + ")";
      }
    }
    if (!deleted.empty()) {
      sql += " ANTI JOIN (VALUES " + deleted +
             ") AS __dv(__dlake_path, __dlake_row) ON __d.__dlake_path = __dv.__dlake_path "
             "AND __d.file_row_number = __dv.__dlake_row";
    }
  }
  return sql;
}

Result<ScanPlan> PlanScan(duck::Connection& conn, const Snapshot& snapshot,
                          const ScanOptions& options,
                          const std::vector<std::string>& extra_columns) {
  for (const auto& column : options.columns) {
    if (!snapshot.schema.Find(column)) {
      std::string known;
      for (const auto& name : snapshot.schema.Names()) known += (known.empty() ? "" : ", ") + name;
      return InvalidArgument("column '", column, "' is not in the table (columns: ", known, ")");
    }
  }
  ScanPlan plan;
  auto predicates = ParseSkippingPredicates(options.where);
  for (const auto& file : snapshot.files) {
    if (MayContainMatches(file, snapshot.schema, snapshot.metadata.partition_columns, predicates)) {
      plan.files.push_back(&file);
    } else {
      ++plan.files_skipped;
    }
  }
  DLAKE_ASSIGN_OR_RETURN(auto inner, ScanFilesSql(conn, snapshot, plan.files, extra_columns));
  std::string columns;
  for (const auto& column : options.columns) {
    columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(column);
  }
  for (const auto& extra : extra_columns) {
    if (!options.columns.empty()) columns += ", " + extra;
  }
  if (columns.empty()) columns = "*";
  std::string sql = "SELECT " + columns + " FROM (" + inner + ") AS __t";
  if (!options.where.empty()) sql += " WHERE (" + options.where + ")";
  if (!options.order_by.empty()) {
    std::string order;
    for (const auto& term : options.order_by) {
      order += (order.empty() ? "" : ", ") + OrderTerm(term);
    }
    sql += " ORDER BY " + order;
  }
  if (options.limit) sql += " LIMIT " + std::to_string(*options.limit);
  plan.sql = std::move(sql);
  return plan;
}

}  // namespace dlake::delta
