// OPTIMIZE: bin-packing compaction of small files, partition by partition.

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "delta/data_writer.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/partition_values.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/transaction.h"
#include "dlake/common/strings.h"

namespace dlake::delta {
namespace {

using duck::QuoteIdentifier;
using maintenance_internal::LoadWritable;
using nlohmann::json;

// Files of one partition, in snapshot order.
struct PartitionFiles {
  const AddFile* first = nullptr;  // carries the partition values
  std::vector<const AddFile*> files;
};

std::vector<PartitionFiles> GroupByPartition(const Snapshot& snapshot) {
  std::vector<PartitionFiles> groups;
  std::map<std::string, size_t> index;
  for (const auto& file : snapshot.files) {
    std::string key;
    for (const auto& column : snapshot.metadata.partition_columns) {
      auto it = file.partition_values.find(column);
      bool null = it == file.partition_values.end() || IsNullPartitionValue(it->second);
      key += null ? std::string("\1") : "\2" + *it->second;
      key += '\0';
    }
    auto [it, inserted] = index.emplace(key, groups.size());
    if (inserted) groups.push_back({&file, {}});
    groups[it->second].files.push_back(&file);
  }
  return groups;
}

// The partition value of `file` for `column` as a typed DuckDB literal.
Result<std::string> PartitionLiteral(const Snapshot& snapshot, const AddFile& file,
                                     const std::string& column) {
  const StructField* field = snapshot.schema.Find(column);
  if (!field) return Corruption("partition column '", column, "' is not in the schema");
  auto it = file.partition_values.find(column);
  std::optional<std::string> value;
  if (it != file.partition_values.end()) value = it->second;
  return PartitionValueSql(value, *field->type, column);
}

// Keeps the partitions whose values satisfy `where`. DuckDB evaluates it over one row of typed
// partition values per partition, so any SQL over partition columns works exactly; a reference
// to another column fails to bind.
Result<std::vector<PartitionFiles>> SelectPartitions(duck::Connection& conn,
                                                     const Snapshot& snapshot,
                                                     std::vector<PartitionFiles> groups,
                                                     const std::string& where) {
  const auto& columns = snapshot.metadata.partition_columns;
  for (const auto& predicate : ParseSkippingPredicates(where)) {
    if (snapshot.IsPartitionColumn(predicate.column)) continue;
    return InvalidArgument("OPTIMIZE of '", snapshot.root, "': partition_where '", where,
                           "' uses column '", predicate.column,
                           "', which is not a partition column (partition columns: ",
                           columns.empty() ? "none" : JoinStrings(columns), ")");
  }
  if (columns.empty()) {
    return InvalidArgument("OPTIMIZE of '", snapshot.root, "': partition_where '", where,
                           "' given, but the table is not partitioned");
  }
  if (groups.empty()) return groups;
  std::string names = "__dlake_group";
  for (const auto& column : columns) names += ", " + QuoteIdentifier(column);
  std::string rows;
  for (size_t g = 0; g < groups.size(); ++g) {
    std::string row = "(" + std::to_string(g);
    for (const auto& column : columns) {
      DLAKE_ASSIGN_OR_RETURN(auto literal, PartitionLiteral(snapshot, *groups[g].first, column));
      row += ", " + literal;
    }
    rows += (rows.empty() ? "" : ", ") + row + ")";
  }
  auto result = conn.Query("SELECT __dlake_group FROM (VALUES " + rows + ") AS __p(" + names +
                               ") WHERE (" + where + ") ORDER BY __dlake_group",
                           "evaluating partition_where");
  if (!result.ok()) {
    return InvalidArgument("OPTIMIZE of '", snapshot.root, "': partition_where '", where,
                           "' must be a predicate over the partition columns (",
                           JoinStrings(columns), "): ", result.status().message());
  }
  std::vector<PartitionFiles> selected;
  for (size_t r = 0; r < result->RowCount(); ++r) {
    selected.push_back(std::move(groups[result->GetInt64(0, r)]));
  }
  return selected;
}

// Bins of files smaller than the target, filled in order up to about the target size.
std::vector<std::vector<const AddFile*>> PackBins(const std::vector<const AddFile*>& files,
                                                  const OptimizeOptions& options) {
  std::vector<std::vector<const AddFile*>> bins(1);
  int64_t bytes = 0;
  for (const AddFile* file : files) {
    if (file->size >= options.target_file_bytes) continue;  // already large enough
    if (!bins.back().empty() && bytes + file->size > options.target_file_bytes) {
      bins.emplace_back();
      bytes = 0;
    }
    bins.back().push_back(file);
    bytes += file->size;
  }
  std::erase_if(
      bins, [&](const auto& bin) { return static_cast<int64_t>(bin.size()) < options.min_files; });
  return bins;
}

// The rows of `bin` (files of one partition) with the table's columns: data columns cast to the
// schema (NULL where a file predates a column) and the partition values as literals, in file
// order. Without a join, DuckDB keeps the files' row order.
Result<std::string> BinRowsSql(duck::Connection& conn, const Snapshot& snapshot,
                               const std::vector<const AddFile*>& bin) {
  std::string list;
  for (const AddFile* file : bin) {
    list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(snapshot.FilePath(file->path));
  }
  std::string source =
      "read_parquet([" + list + "], union_by_name = true, hive_partitioning = false)";
  DLAKE_ASSIGN_OR_RETURN(auto described,
                         conn.Query("DESCRIBE SELECT * FROM " + source, "reading file schemas"));
  std::map<std::string, std::string> physical;  // lower case → as stored
  for (size_t r = 0; r < described.RowCount(); ++r) {
    std::string name = described.GetString(0, r);
    physical[AsciiLower(name)] = name;
  }
  std::string select;
  for (const auto& field : snapshot.schema.fields) {
    std::string expr;
    if (snapshot.IsPartitionColumn(field.name)) {
      DLAKE_ASSIGN_OR_RETURN(expr, PartitionLiteral(snapshot, *bin.front(), field.name));
    } else if (auto it = physical.find(AsciiLower(field.name)); it != physical.end()) {
      expr = "CAST(" + QuoteIdentifier(it->second) + " AS " + DuckType(*field.type) + ")";
    } else {
      expr = "CAST(NULL AS " + DuckType(*field.type) + ")";
    }
    select += (select.empty() ? "" : ", ") + expr + " AS " + QuoteIdentifier(field.name);
  }
  return "SELECT " + select + " FROM " + source;
}

int NumIndexedCols(const Snapshot& snapshot) {
  std::string text = snapshot.Config("delta.dataSkippingNumIndexedCols", "32");
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  return text.empty() || *end != '\0' ? 32 : static_cast<int>(value);
}

Status CheckOptimizeOptions(const Snapshot& snapshot, const OptimizeOptions& options) {
  if (options.target_file_bytes <= 0) {
    return InvalidArgument("OPTIMIZE target_file_bytes must be positive, not ",
                           options.target_file_bytes);
  }
  if (options.min_files < 1) {
    return InvalidArgument("OPTIMIZE min_files must be at least 1, not ", options.min_files);
  }
  for (const auto& column : options.sort_by) {
    if (!snapshot.schema.Find(column)) {
      return InvalidArgument("OPTIMIZE sort_by column '", column, "' is not in '", snapshot.root,
                             "' (columns: ", JoinStrings(snapshot.schema.Names()), ")");
    }
  }
  return Status::Ok();
}

// Deletes files written for a commit that did not happen; they are unreferenced either way.
void RemoveWritten(TableContext& ctx, const std::vector<AddFile>& written) {
  for (const auto& add : written) (void)ctx.env->RemoveFile(JoinPath(ctx.root, add.path));
}

json OptimizeMetrics(const std::vector<AddFile>& adds, const std::vector<RemoveFile>& removes,
                     size_t bins, size_t considered) {
  int64_t added_bytes = 0, removed_bytes = 0;
  int64_t min_size = adds.empty() ? 0 : std::numeric_limits<int64_t>::max(), max_size = 0;
  for (const auto& add : adds) {
    added_bytes += add.size;
    min_size = std::min(min_size, add.size);
    max_size = std::max(max_size, add.size);
  }
  for (const auto& remove : removes) removed_bytes += remove.size.value_or(0);
  return {{"numAddedFiles", std::to_string(adds.size())},
          {"numRemovedFiles", std::to_string(removes.size())},
          {"numAddedBytes", std::to_string(added_bytes)},
          {"numRemovedBytes", std::to_string(removed_bytes)},
          {"minFileSize", std::to_string(min_size)},
          {"maxFileSize", std::to_string(max_size)},
          {"numBatches", std::to_string(bins)},
          {"totalConsideredFiles", std::to_string(considered)},
          {"totalFilesSkipped", std::to_string(considered - removes.size())}};
}

// The new files of a compaction and the removes of the files they replace.
struct Compaction {
  std::vector<AddFile> adds;
  std::vector<RemoveFile> removes;
  int64_t rows = 0;
};

// Writes one file per bin. On error, files already written are deleted again.
Result<Compaction> RewriteBins(TableContext& ctx, const Snapshot& snapshot,
                               const std::vector<std::vector<const AddFile*>>& bins,
                               const OptimizeOptions& options) {
  DataWriteSpec spec;
  spec.schema = snapshot.schema;
  spec.partition_columns = snapshot.metadata.partition_columns;
  spec.sort_by = options.sort_by;
  spec.target_file_rows = std::numeric_limits<int64_t>::max() / 4;  // one file per bin
  spec.num_indexed_cols = NumIndexedCols(snapshot);
  spec.data_change = false;
  const int64_t now = ctx.env->NowMs();
  Compaction compaction;
  for (const auto& bin : bins) {
    auto sql = BinRowsSql(*ctx.conn, snapshot, bin);
    auto written = sql.ok() ? WriteDataFiles(ctx, "(" + *sql + ")", spec)
                            : Result<std::vector<AddFile>>(sql.status());
    if (!written.ok()) {
      RemoveWritten(ctx, compaction.adds);
      return written.status().WithContext("OPTIMIZE of '" + ctx.root + "'");
    }
    for (auto& add : *written) {
      add.data_change = false;
      compaction.rows += NumRecords(add.stats).value_or(0);
      compaction.adds.push_back(std::move(add));
    }
    for (const AddFile* file : bin) compaction.removes.push_back(RemoveFor(*file, now, false));
  }
  return compaction;
}

PendingCommit OptimizeCommit(const Compaction& compaction, const OptimizeOptions& options,
                             size_t bins, size_t considered) {
  PendingCommit pending;
  pending.operation = "OPTIMIZE";
  json predicate = json::array();
  if (!options.partition_where.empty()) predicate.push_back(options.partition_where);
  pending.parameters = {{"predicate", predicate.dump()},
                        {"targetSize", std::to_string(options.target_file_bytes)},
                        {"zOrderBy", "[]"},
                        {"sortBy", json(options.sort_by).dump()}};
  pending.metrics = OptimizeMetrics(compaction.adds, compaction.removes, bins, considered);
  // Rearranging files conflicts only with a concurrent removal of the files it rewrites, which
  // Commit checks for every remove. Like Delta's OPTIMIZE (snapshot isolation), it declares no
  // read: concurrent appends must not make compaction fail.
  pending.reads_data = false;
  for (const auto& add : compaction.adds) pending.actions.emplace_back(add);
  for (const auto& remove : compaction.removes) pending.actions.emplace_back(remove);
  return pending;
}
}  // namespace

Result<CommitResult> Optimize(TableContext& ctx, const OptimizeOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(ctx, "OPTIMIZE"));
  DLAKE_RETURN_IF_ERROR(CheckOptimizeOptions(snapshot, options));
  std::vector<PartitionFiles> groups = GroupByPartition(snapshot);
  if (!options.partition_where.empty()) {
    DLAKE_ASSIGN_OR_RETURN(
        groups, SelectPartitions(*ctx.conn, snapshot, std::move(groups), options.partition_where));
  }
  std::vector<std::vector<const AddFile*>> bins;
  size_t considered = 0;
  for (const auto& group : groups) {
    considered += group.files.size();
    for (auto& bin : PackBins(group.files, options)) bins.push_back(std::move(bin));
  }
  CommitResult result;
  if (bins.empty()) {
    result.skipped = true;
    return result;
  }
  DLAKE_ASSIGN_OR_RETURN(Compaction compaction, RewriteBins(ctx, snapshot, bins, options));
  auto outcome =
      Commit(ctx, snapshot, OptimizeCommit(compaction, options, bins.size(), considered));
  if (!outcome.ok()) {
    // Aborted means the version file was never written, so the new files are unreferenced.
    if (outcome.status().code() == StatusCode::kAborted) RemoveWritten(ctx, compaction.adds);
    return outcome.status();
  }
  result.version = outcome->version;
  result.attempts = outcome->attempts;
  result.files_added = static_cast<int64_t>(compaction.adds.size());
  result.files_removed = static_cast<int64_t>(compaction.removes.size());
  result.rows_copied = compaction.rows;
  for (const auto& add : compaction.adds) result.bytes_added += add.size;
  for (const auto& remove : compaction.removes) result.bytes_removed += remove.size.value_or(0);
  return result;
}
}  // namespace dlake::delta
