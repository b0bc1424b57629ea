#include "dlake/delta/table.h"

#include <filesystem>
#include <set>

#include "common/file_util.h"
#include "delta/checkpoint.h"
#include "delta/log_files.h"
#include "delta/maintenance.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/table_context.h"
#include "delta/transaction.h"
#include "delta/write_ops.h"
#include "duck/batch_stream.h"
#include "runtime/runtime_impl.h"

namespace dlake::delta {
namespace {

using duck::QuoteIdentifier;
using duck::QuoteLiteral;

std::string AbsoluteRoot(const std::string& path) {
  std::error_code ec;
  std::string root = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) root = path;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

// The scan wrapped so every column has a RecordBatch type: integers as BIGINT, floating point
// as DOUBLE, booleans, and everything else as its text.
Result<std::string> AsBatchColumns(duck::Connection& conn, const std::string& sql) {
  DLAKE_ASSIGN_OR_RETURN(auto described, conn.Query("DESCRIBE " + sql, "describing the result"));
  std::string select;
  for (size_t r = 0; r < described.RowCount(); ++r) {
    std::string name = QuoteIdentifier(described.GetString(0, r));
    std::string type = described.GetString(1, r);
    std::string target = "VARCHAR";
    if (type == "BIGINT" || type == "INTEGER" || type == "SMALLINT" || type == "TINYINT" ||
        type == "UINTEGER" || type == "USMALLINT" || type == "UTINYINT") {
      target = "BIGINT";
    } else if (type == "DOUBLE" || type == "FLOAT") {
      target = "DOUBLE";
    } else if (type == "BOOLEAN") {
      target = "BOOLEAN";
    }
    select += (select.empty() ? "" : ", ") + ("CAST(" + name + " AS " + target + ") AS " + name);
  }
  return "SELECT " + select + " FROM (" + sql + ") AS __r";
}

Result<RecordBatch> RunToBatch(duck::Connection& conn, const std::string& sql,
                               const std::string& purpose) {
  DLAKE_ASSIGN_OR_RETURN(std::string wrapped, AsBatchColumns(conn, sql));
  DLAKE_ASSIGN_OR_RETURN(auto result, conn.Query(wrapped, purpose));
  RecordBatch all;
  DLAKE_RETURN_IF_ERROR(
      duck::StreamBatches(result, /*materialized=*/true, SIZE_MAX, [&](RecordBatch& batch) {
        all = std::move(batch);
        return Status::Ok();
      }));
  if (all.columns.empty()) {
    // No rows: still report the columns.
    DLAKE_ASSIGN_OR_RETURN(auto empty, conn.Query(wrapped + " LIMIT 0", purpose));
    for (size_t c = 0; c < empty.ColumnCount(); ++c) {
      Column column;
      column.name = empty.ColumnName(c);
      switch (empty.ColumnType(c)) {
        case duck::Type::kBigInt:
          column.type = ColumnType::kInt64;
          break;
        case duck::Type::kDouble:
          column.type = ColumnType::kDouble;
          break;
        case duck::Type::kBoolean:
          column.type = ColumnType::kBool;
          break;
        default:
          column.type = ColumnType::kString;
          break;
      }
      all.columns.push_back(std::move(column));
    }
  }
  return all;
}

std::string TypeText(const DataType& type) {
  auto json = TypeToJson(type);
  return json.is_string() ? json.get<std::string>() : json.dump();
}

}  // namespace

Result<std::unique_ptr<TableContext>> TableContext::Make(const std::string& root,
                                                         const TableOptions& options) {
  auto ctx = std::make_unique<TableContext>();
  ctx->root = AbsoluteRoot(root);
  ctx->options = options;
  if (!ctx->options.runtime) {
    DLAKE_ASSIGN_OR_RETURN(ctx->options.runtime, Runtime::Make());
  }
  ctx->env = ctx->options.runtime->env();
  auto conn = duck::Connection::Open(RuntimeDuck(*ctx->options.runtime));
  if (!conn.ok()) return conn.status().WithContext("cannot open Delta table '" + ctx->root + "'");
  ctx->conn = std::move(conn).value();
  return ctx;
}

WriteSource WriteSource::Parquet(const std::string& path) {
  return {"SELECT * FROM read_parquet(" + QuoteLiteral(path) + ", hive_partitioning = false)",
          "'" + path + "'"};
}

WriteSource WriteSource::Csv(const std::string& path) {
  return {"SELECT * FROM read_csv(" + QuoteLiteral(path) + ", header = true)", "'" + path + "'"};
}

Result<WriteSource> WriteSource::File(const std::string& path) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("input file '", path, "' does not exist");
  }
  if (ends_with(".parquet")) return Parquet(path);
  if (ends_with(".csv") || ends_with(".csv.gz")) return Csv(path);
  if (ends_with(".json") || ends_with(".ndjson") || ends_with(".jsonl")) {
    return WriteSource{"SELECT * FROM read_json_auto(" + QuoteLiteral(path) + ")",
                       "'" + path + "'"};
  }
  return InvalidArgument("input file '", path,
                         "' must end in .parquet, .csv, .csv.gz, .json, .ndjson or .jsonl");
}

struct Table::Impl {
  std::unique_ptr<TableContext> ctx;
};

Table::Table(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Table::~Table() = default;

const std::string& Table::path() const { return impl_->ctx->root; }

Result<std::unique_ptr<Table>> Table::Open(const std::string& path, const TableOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto ctx, TableContext::Make(path, options));
  DLAKE_ASSIGN_OR_RETURN(auto listing, ListLog(ctx->root));
  auto latest = LatestVersion(listing);
  if (!latest.ok()) {
    return NotFound("'", ctx->root, "' is not a Delta table: its _delta_log holds no commits");
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  return std::unique_ptr<Table>(new Table(std::move(impl)));
}

Result<std::unique_ptr<Table>> Table::Create(const std::string& path, const WriteSource& source,
                                             const CreateOptions& create,
                                             const TableOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto ctx, TableContext::Make(path, options));
  DLAKE_RETURN_IF_ERROR(CreateTable(*ctx, source, create));
  auto impl = std::make_unique<Impl>();
  impl->ctx = std::move(ctx);
  return std::unique_ptr<Table>(new Table(std::move(impl)));
}

Result<TableDescription> Table::Describe(const VersionSpec& at) {
  TableContext& ctx = *impl_->ctx;
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, at));
  TableDescription d;
  d.path = ctx.root;
  d.version = snapshot.version;
  d.timestamp_ms = snapshot.timestamp_ms;
  d.id = snapshot.metadata.id;
  d.name = snapshot.metadata.name;
  d.description = snapshot.metadata.description;
  for (const auto& field : snapshot.schema.fields) {
    d.columns.push_back({field.name, TypeText(*field.type), field.nullable,
                         snapshot.IsPartitionColumn(field.name)});
  }
  d.partition_columns = snapshot.metadata.partition_columns;
  d.configuration = snapshot.metadata.configuration;
  d.min_reader_version = snapshot.protocol.min_reader_version;
  d.min_writer_version = snapshot.protocol.min_writer_version;
  d.reader_features = snapshot.protocol.reader_features.value_or(std::vector<std::string>{});
  d.writer_features = snapshot.protocol.writer_features.value_or(std::vector<std::string>{});
  d.num_files = static_cast<int64_t>(snapshot.files.size());
  int64_t records = 0;
  bool all_stats = true;
  for (const auto& file : snapshot.files) {
    d.size_bytes += file.size;
    auto n = NumRecords(file.stats);
    if (!n) all_stats = false;
    records += n.value_or(0);
    if (file.deletion_vector) records -= file.deletion_vector->cardinality;
  }
  if (all_stats) d.num_records = records;
  d.checkpoint_version = snapshot.checkpoint_version;
  return d;
}

Result<std::vector<HistoryEntry>> Table::History(size_t limit) {
  TableContext& ctx = *impl_->ctx;
  DLAKE_ASSIGN_OR_RETURN(auto listing, ListLog(ctx.root));
  DLAKE_ASSIGN_OR_RETURN(auto times, CommitTimestamps(ctx.root, listing));
  std::vector<HistoryEntry> history;
  for (auto it = listing.commits.rbegin(); it != listing.commits.rend(); ++it) {
    if (limit && history.size() >= limit) break;
    HistoryEntry entry;
    entry.version = it->first;
    entry.timestamp_ms = times[it->first];
    DLAKE_ASSIGN_OR_RETURN(auto actions, ReadCommit(ctx.root, it->first));
    for (const auto& action : actions) {
      if (const auto* info = std::get_if<CommitInfo>(&action))
        entry.commit_info = info->value.dump();
    }
    if (entry.commit_info == "null") entry.commit_info = "{}";
    history.push_back(std::move(entry));
  }
  return history;
}

Result<std::string> Table::ScanSql(const ScanOptions& scan) {
  TableContext& ctx = *impl_->ctx;
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, scan.at));
  if (scan.added_after_version) {
    VersionSpec before;
    before.version = *scan.added_after_version;
    DLAKE_ASSIGN_OR_RETURN(Snapshot earlier, LoadSnapshot(*ctx.conn, ctx.root, before));
    std::set<std::string> known;
    for (const auto& file : earlier.files) known.insert(file.path);
    std::erase_if(snapshot.files, [&](const AddFile& file) { return known.count(file.path) > 0; });
  }
  DLAKE_ASSIGN_OR_RETURN(ScanPlan plan, PlanScan(*ctx.conn, snapshot, scan));
  if (scan.expressions.empty()) return plan.sql;
  std::string select;
  for (const auto& expression : scan.expressions) {
    select += (select.empty() ? "" : ", ") + expression;
  }
  return "SELECT " + select + " FROM (" + plan.sql + ") AS __rows";
}

Result<RecordBatch> Table::Read(const ScanOptions& scan) {
  DLAKE_ASSIGN_OR_RETURN(std::string sql, ScanSql(scan));
  return RunToBatch(*impl_->ctx->conn, sql, "reading '" + impl_->ctx->root + "'");
}

Result<RecordBatch> Table::Query(const std::string& sql) {
  return RunToBatch(*impl_->ctx->conn, sql, "querying '" + impl_->ctx->root + "'");
}

Result<int64_t> Table::Export(const ScanOptions& scan, OutputFormat format,
                              const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(std::string sql, ScanSql(scan));
  const char* options = format == OutputFormat::kParquet ? "(FORMAT parquet)"
                        : format == OutputFormat::kJson  ? "(FORMAT json)"
                                                         : "(FORMAT csv, HEADER true)";
  DLAKE_ASSIGN_OR_RETURN(
      auto result,
      impl_->ctx->conn->Query("COPY (" + sql + ") TO " + QuoteLiteral(path) + " " + options,
                              "exporting to '" + path + "'"));
  return result.GetInt64(0, 0);
}

Result<CommitResult> Table::Append(const WriteSource& source, const WriteOptions& options) {
  return AppendRows(*impl_->ctx, source, options);
}

Result<CommitResult> Table::Overwrite(const WriteSource& source, const WriteOptions& options) {
  return OverwriteRows(*impl_->ctx, source, options);
}

Result<CommitResult> Table::Delete(const std::string& predicate) {
  return DeleteRows(*impl_->ctx, predicate);
}

Result<CommitResult> Table::Merge(const WriteSource& source, const MergeOptions& options) {
  return MergeRows(*impl_->ctx, source, options);
}

Result<CommitResult> Table::Restore(const VersionSpec& at) {
  return delta::Restore(*impl_->ctx, at);
}

Result<CommitResult> Table::Optimize(const OptimizeOptions& options) {
  return delta::Optimize(*impl_->ctx, options);
}

Result<VacuumResult> Table::Vacuum(const VacuumOptions& options) {
  return delta::Vacuum(*impl_->ctx, options);
}

Result<int64_t> Table::Checkpoint() {
  TableContext& ctx = *impl_->ctx;
  DLAKE_ASSIGN_OR_RETURN(auto listing, ListLog(ctx.root));
  DLAKE_ASSIGN_OR_RETURN(int64_t latest, LatestVersion(listing));
  DLAKE_RETURN_IF_ERROR(WriteSnapshotCheckpoint(ctx, latest));
  return latest;
}

Result<LogCleanupResult> Table::CleanupLog(std::optional<double> retention_hours) {
  return delta::CleanupLog(*impl_->ctx, retention_hours);
}

}  // namespace dlake::delta
