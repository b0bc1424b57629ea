#include "delta/data_writer.h"

#include <filesystem>
#include <random>

#include "common/file_util.h"
#include "delta/partition_values.h"
#include "delta/stats.h"

namespace dlake::delta {
namespace {

using duck::QuoteIdentifier;
using duck::QuoteLiteral;

std::string NewFileName(int part) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string uuid;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) uuid += '-';
    uuid += kHex[rng() & 15];
  }
  char prefix[16];
  std::snprintf(prefix, sizeof(prefix), "part-%05d-", part);
  return prefix + uuid + "-c000.snappy.parquet";
}

bool IsPartition(const DataWriteSpec& spec, const std::string& name) {
  for (const auto& column : spec.partition_columns) {
    if (column == name) return true;
  }
  return false;
}

std::string OrderBy(const DataWriteSpec& spec, const std::string& fallback) {
  std::string order;
  for (const auto& column : spec.sort_by) {
    order += (order.empty() ? "" : ", ") + QuoteIdentifier(column);
  }
  if (!fallback.empty()) order += (order.empty() ? "" : ", ") + fallback;
  return order.empty() ? "" : " ORDER BY " + order;
}

struct PartitionGroup {
  PartitionValues values;  // stored text per partition column
  std::string condition;   // SQL selecting the group's rows
  std::string folder;      // Hive-style relative folder ("" unpartitioned)
  int64_t rows = 0;
};

Result<std::vector<PartitionGroup>> Groups(duck::Connection& conn, const std::string& stage,
                                           const DataWriteSpec& spec) {
  if (spec.partition_columns.empty()) {
    DLAKE_ASSIGN_OR_RETURN(auto count,
                           conn.Query("SELECT count(*) FROM " + stage, "counting rows"));
    PartitionGroup all;
    all.condition = "true";
    all.rows = count.GetInt64(0, 0);
    if (all.rows == 0) return std::vector<PartitionGroup>{};
    return std::vector<PartitionGroup>{all};
  }
  std::string keys;
  for (const auto& column : spec.partition_columns) {
    keys += (keys.empty() ? "" : ", ") + ("CAST(" + QuoteIdentifier(column) + " AS VARCHAR)");
  }
  DLAKE_ASSIGN_OR_RETURN(auto result, conn.Query("SELECT " + keys + ", count(*) FROM " + stage +
                                                     " GROUP BY ALL"
                                                     " ORDER BY ALL",
                                                 "finding partitions"));
  std::vector<PartitionGroup> groups;
  for (size_t r = 0; r < result.RowCount(); ++r) {
    PartitionGroup group;
    std::string condition;
    for (size_t c = 0; c < spec.partition_columns.size(); ++c) {
      const std::string& column = spec.partition_columns[c];
      const StructField* field = spec.schema.Find(column);
      if (!field) return InvalidArgument("partition column '", column, "' is not in the schema");
      std::optional<std::string> duck_text;
      if (!result.IsNull(c, r)) duck_text = result.GetString(c, r);
      std::optional<std::string> stored = PartitionValueText(duck_text, *field->type);
      group.values[column] = stored;
      std::string cast = "CAST(" + QuoteIdentifier(column) + " AS VARCHAR)";
      condition += (condition.empty() ? "" : " AND ") +
                   (duck_text ? cast + " = " + QuoteLiteral(*duck_text) : cast + " IS NULL");
      group.folder += (group.folder.empty() ? "" : "/") + PartitionFolder(column, stored);
    }
    group.condition = condition;
    group.rows = result.GetInt64(spec.partition_columns.size(), r);
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace

namespace {

Status WriteGroups(TableContext& ctx, const std::string& relation, const DataWriteSpec& spec,
                   std::vector<AddFile>& added, std::string& current);

}  // namespace

Result<std::vector<AddFile>> WriteDataFiles(TableContext& ctx, const std::string& relation,
                                            const DataWriteSpec& spec) {
  std::vector<AddFile> added;
  std::string current;  // the file being written when an error happens
  Status status = WriteGroups(ctx, relation, spec, added, current);
  if (status.ok()) return added;
  // Nothing references these files yet: take them away again (best effort; VACUUM removes what
  // a failing disk leaves behind).
  for (const auto& add : added) (void)ctx.env->RemoveFile(JoinPath(ctx.root, add.path));
  if (!current.empty()) (void)ctx.env->RemoveFile(current);
  return status;
}

namespace {

Status WriteGroups(TableContext& ctx, const std::string& relation, const DataWriteSpec& spec,
                   std::vector<AddFile>& added, std::string& current) {
  duck::Connection& conn = *ctx.conn;
  DLAKE_ASSIGN_OR_RETURN(auto groups, Groups(conn, relation, spec));
  Schema data_schema;
  std::string data_columns;
  for (const auto& field : spec.schema.fields) {
    if (IsPartition(spec, field.name)) continue;
    data_schema.fields.push_back(field);
    data_columns += (data_columns.empty() ? "" : ", ") +
                    ("CAST(" + QuoteIdentifier(field.name) + " AS " + DuckType(*field.type) +
                     ") AS " + QuoteIdentifier(field.name));
  }
  if (data_columns.empty()) {
    return InvalidArgument(
        "every column is a partition column; a Delta table needs at least one "
        "data column");
  }
  int part = 0;
  const int64_t per_file = std::max<int64_t>(1, spec.target_file_rows);
  for (const auto& group : groups) {
    std::string folder = group.folder.empty() ? ctx.root : JoinPath(ctx.root, group.folder);
    DLAKE_RETURN_IF_ERROR(ctx.env->CreateDirs(folder));
    int64_t files = group.rows == 0 ? 0 : 1 + (group.rows - 1) / per_file;
    // Several files: number the group's rows once so that the files split them exactly.
    std::string source = relation;
    std::string condition = group.condition;
    if (files > 1) {
      std::string order = OrderBy(spec, "");
      DLAKE_RETURN_IF_ERROR(conn.Execute(
          "CREATE OR REPLACE TEMP TABLE __dlake_split AS SELECT *, row_number() OVER (" + order +
              ") - 1 AS __dlake_seq FROM " + relation + " WHERE " + group.condition,
          "splitting rows into files"));
      source = "__dlake_split";
    }
    for (int64_t f = 0; f < files; ++f) {
      std::string name = NewFileName(part++);
      std::string relative = group.folder.empty() ? name : group.folder + "/" + name;
      std::string path = JoinPath(ctx.root, relative);
      current = path;
      std::string rows = "SELECT " + data_columns + " FROM " + source;
      if (files > 1) {
        // Several files only happen when per_file * files <= rows: no overflow.
        rows += " WHERE __dlake_seq >= " + std::to_string(f * per_file) + " AND __dlake_seq < " +
                std::to_string((f + 1) * per_file) + " ORDER BY __dlake_seq";
      } else {
        rows += " WHERE " + condition + OrderBy(spec, "");
      }
      DLAKE_RETURN_IF_ERROR(conn.Execute(
          "COPY (" + rows + ") TO " + QuoteLiteral(path) + " (FORMAT parquet, COMPRESSION snappy)",
          "writing data file '" + path + "'"));
      DLAKE_RETURN_IF_ERROR(ctx.env->SyncFile(path));
      AddFile add;
      add.path = relative;
      add.partition_values = group.values;
      std::error_code ec;
      add.size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
      if (ec) return IoError("cannot stat '", path, "': ", ec.message());
      add.modification_time = ctx.env->NowMs();
      add.data_change = spec.data_change;
      DLAKE_ASSIGN_OR_RETURN(auto stats,
                             ComputeFileStats(conn, path, data_schema, spec.num_indexed_cols));
      add.stats = std::move(stats);
      added.push_back(std::move(add));
      current.clear();
    }
    DLAKE_RETURN_IF_ERROR(ctx.env->SyncDir(folder));
    if (files > 1) {
      DLAKE_RETURN_IF_ERROR(conn.Execute("DROP TABLE IF EXISTS __dlake_split", "cleaning up"));
    }
  }
  return Status::Ok();
}

}  // namespace

}  // namespace dlake::delta
