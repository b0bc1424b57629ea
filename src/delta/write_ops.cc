#include "delta/write_ops.h"

#include <filesystem>
#include <random>
#include <set>

#include "common/file_util.h"
#include "delta/data_writer.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/transaction.h"

namespace dlake::delta {
namespace {

using duck::QuoteIdentifier;
using duck::QuoteLiteral;

constexpr const char* kSource = "__dlake_source";

// Table properties dlake understands; any other delta.* property would need a feature dlake
// does not implement.
const std::set<std::string> kKnownProperties = {
    "delta.appendOnly",
    "delta.checkpointInterval",
    "delta.logRetentionDuration",
    "delta.deletedFileRetentionDuration",
    "delta.dataSkippingNumIndexedCols",
    "delta.enableExpiredLogCleanup",
};

std::string NewUuid() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* kHex = "0123456789abcdef";
  std::string uuid;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) uuid += '-';
    char c = kHex[rng() & 15];
    if (i == 12) c = '4';
    if (i == 16) c = kHex[8 + (rng() & 3)];
    uuid += c;
  }
  return uuid;
}

// Materialises the source as a temporary table and returns its schema.
Result<Schema> Stage(TableContext& ctx, const WriteSource& source) {
  DLAKE_RETURN_IF_ERROR(ctx.conn->Execute(
      std::string("CREATE OR REPLACE TEMP TABLE ") + kSource + " AS " + source.sql,
      "reading " + source.description));
  DLAKE_ASSIGN_OR_RETURN(auto described,
                         ctx.conn->Query(std::string("DESCRIBE ") + kSource,
                                         "reading the columns of " + source.description));
  Schema schema;
  for (size_t r = 0; r < described.RowCount(); ++r) {
    StructField field;
    field.name = described.GetString(0, r);
    auto type = FromDuckType(described.GetString(1, r), field.name);
    if (!type.ok()) return type.status().WithContext(source.description);
    field.type = *type;
    schema.fields.push_back(std::move(field));
  }
  return schema;
}

// The table schema after this write: unchanged, or with the source's new columns when
// `merge_schema` allows them.
Result<Schema> ResolveSchema(const Schema& table, const Schema& incoming, bool merge_schema,
                             const std::string& source) {
  std::vector<std::string> added;
  for (const auto& field : incoming.fields) {
    if (!table.Find(field.name)) added.push_back(field.name);
  }
  if (added.empty()) return table;
  if (!merge_schema) {
    std::string names;
    for (const auto& name : added) names += (names.empty() ? "'" : ", '") + name + "'";
    return InvalidArgument(source, " has column", added.size() > 1 ? "s " : " ", names,
                           " that the table does not have; allow new columns with schema "
                           "merging (--merge-schema)");
  }
  auto merged = MergeSchemas(table, incoming);
  if (!merged.ok()) return merged.status().WithContext(source);
  return merged;
}

// A SELECT giving the source's rows in the table schema: casts, NULL for absent columns.
std::string CastRelation(const Schema& schema, const Schema& incoming, const std::string& from) {
  std::string select;
  for (const auto& field : schema.fields) {
    std::string type = DuckType(*field.type);
    std::string value =
        incoming.Find(field.name)
            ? "CAST(" + QuoteIdentifier(incoming.Find(field.name)->name) + " AS " + type + ")"
            : "CAST(NULL AS " + type + ")";
    select += (select.empty() ? "" : ", ") + value + " AS " + QuoteIdentifier(field.name);
  }
  return "(SELECT " + select + " FROM " + from + ")";
}

Result<int64_t> Count(TableContext& ctx, const std::string& sql, const std::string& purpose) {
  DLAKE_ASSIGN_OR_RETURN(auto result, ctx.conn->Query(sql, purpose));
  return result.GetInt64(0, 0);
}

// The SQL expression of a field's delta.invariants, if any.
Result<std::optional<std::string>> Invariant(const StructField& field) {
  auto it = field.metadata.find("delta.invariants");
  if (it == field.metadata.end()) return std::optional<std::string>();
  nlohmann::json parsed =
      it->is_string() ? nlohmann::json::parse(it->get<std::string>(), nullptr, false) : *it;
  if (parsed.is_discarded() || !parsed.contains("expression") ||
      !parsed["expression"].contains("expression") ||
      !parsed["expression"]["expression"].is_string()) {
    return FailedPrecondition("column '", field.name,
                              "' has an invariant dlake cannot read; refusing to write");
  }
  return std::optional<std::string>(parsed["expression"]["expression"].get<std::string>());
}

bool HasNestedInvariant(const DataType& type) {
  if (type.kind != DataType::Kind::kStruct) return false;
  for (const auto& field : type.fields) {
    if (field.metadata.contains("delta.invariants") || HasNestedInvariant(*field.type)) return true;
  }
  return false;
}

// NOT NULL columns and delta.invariants (PROTOCOL.md "Column Invariants").
Status CheckConstraints(TableContext& ctx, const Schema& schema, const std::string& relation) {
  for (const auto& field : schema.fields) {
    std::string column = QuoteIdentifier(field.name);
    if (!field.nullable) {
      DLAKE_ASSIGN_OR_RETURN(
          int64_t nulls,
          Count(ctx, "SELECT count(*) FROM " + relation + " WHERE " + column + " IS NULL",
                "checking NOT NULL"));
      if (nulls > 0) {
        return InvalidArgument(nulls, " row(s) have NULL in column '", field.name,
                               "', which the table declares NOT NULL; nothing was written");
      }
    }
    if (HasNestedInvariant(*field.type)) {
      return FailedPrecondition("column '", field.name,
                                "' has invariants on nested fields, "
                                "which dlake cannot check; refusing to write");
    }
    DLAKE_ASSIGN_OR_RETURN(auto invariant, Invariant(field));
    if (!invariant) continue;
    auto violations = Count(
        ctx,
        "SELECT count(*) FROM " + relation + " WHERE NOT coalesce((" + *invariant + "), false)",
        "checking invariant '" + *invariant + "'");
    if (!violations.ok()) {
      return FailedPrecondition("cannot evaluate the invariant '", *invariant, "' of column '",
                                field.name, "' (", violations.status().message(),
                                "); refusing to write");
    }
    if (*violations > 0) {
      return InvalidArgument(*violations, " row(s) violate the invariant '", *invariant,
                             "' of column '", field.name, "'; nothing was written");
    }
  }
  return Status::Ok();
}

void DeleteWrittenFiles(TableContext& ctx, const std::vector<AddFile>& adds) {
  for (const auto& add : adds) (void)ctx.env->RemoveFile(JoinPath(ctx.root, add.path));
}

int NumIndexedCols(const Snapshot& snapshot) {
  try {
    return std::stoi(snapshot.Config("delta.dataSkippingNumIndexedCols", "32"));
  } catch (...) {
    return 32;
  }
}

DataWriteSpec SpecFor(const Snapshot& snapshot, const Schema& schema,
                      std::vector<std::string> sort_by, int64_t target_rows = 4'000'000) {
  DataWriteSpec spec;
  spec.schema = schema;
  spec.partition_columns = snapshot.metadata.partition_columns;
  spec.sort_by = std::move(sort_by);
  spec.target_file_rows = target_rows;
  spec.num_indexed_cols = NumIndexedCols(snapshot);
  return spec;
}

Status CheckSortColumns(const Schema& schema, const std::vector<std::string>& sort_by) {
  for (const auto& column : sort_by) {
    if (!schema.Find(column)) {
      return InvalidArgument("sort column '", column, "' is not in the table");
    }
  }
  return Status::Ok();
}

struct WriteTally {
  std::vector<AddFile> adds;
  std::vector<RemoveFile> removes;
  int64_t rows_written = 0, rows_deleted = 0, rows_updated = 0, rows_copied = 0;
};

// Commits the tally; deletes the new files again when the commit fails.
Result<CommitResult> CommitTally(TableContext& ctx, const Snapshot& read, PendingCommit pending,
                                 const WriteTally& tally) {
  CommitResult result;
  for (const auto& add : tally.adds) {
    result.bytes_added += add.size;
    pending.actions.emplace_back(add);
  }
  for (const auto& remove : tally.removes) {
    result.bytes_removed += remove.size.value_or(0);
    pending.actions.emplace_back(remove);
  }
  result.files_added = static_cast<int64_t>(tally.adds.size());
  result.files_removed = static_cast<int64_t>(tally.removes.size());
  result.rows_written = tally.rows_written;
  result.rows_deleted = tally.rows_deleted;
  result.rows_updated = tally.rows_updated;
  result.rows_copied = tally.rows_copied;
  auto outcome = Commit(ctx, read, std::move(pending));
  if (!outcome.ok()) {
    DeleteWrittenFiles(ctx, tally.adds);
    return outcome.status();
  }
  result.version = outcome->version;
  result.attempts = outcome->attempts;
  return result;
}

Result<Snapshot> LatestForWrite(TableContext& ctx) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, {}));
  DLAKE_RETURN_IF_ERROR(
      CheckWriteSupported(snapshot.protocol, snapshot.metadata).WithContext("'" + ctx.root + "'"));
  return snapshot;
}

// True when the table already holds a txn of `app_id` at `app_version` or later: the write was
// applied before (a retried job).
bool AlreadyApplied(const Snapshot& snapshot, const std::optional<std::string>& app_id,
                    const std::optional<int64_t>& app_version) {
  if (!app_id) return false;
  auto it = snapshot.txns.find(*app_id);
  return it != snapshot.txns.end() && it->second.version >= app_version.value_or(0);
}

bool AppendOnly(const Snapshot& snapshot) { return snapshot.Config("delta.appendOnly") == "true"; }

Status RefuseIfAppendOnly(const Snapshot& snapshot, const std::string& operation) {
  if (!AppendOnly(snapshot)) return Status::Ok();
  return FailedPrecondition("'", snapshot.root, "' is append-only (delta.appendOnly=true); ",
                            operation, " would change or remove existing rows");
}

// Removes the rows matching `predicate` from the files that hold them: whole files are
// removed, partly matching files are rewritten without those rows.
Status RewriteWithout(TableContext& ctx, const Snapshot& snapshot, const std::string& predicate,
                      WriteTally& tally) {
  std::vector<const AddFile*> candidates;
  auto predicates = ParseSkippingPredicates(predicate);
  for (const auto& file : snapshot.files) {
    if (MayContainMatches(file, snapshot.schema, snapshot.metadata.partition_columns, predicates)) {
      candidates.push_back(&file);
    }
  }
  if (candidates.empty()) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(
      auto scan, ScanFilesSql(*ctx.conn, snapshot, candidates, {"__dlake_file", "__dlake_row"}));
  std::string matches = "coalesce((" + predicate + "), false)";
  DLAKE_ASSIGN_OR_RETURN(
      auto counts,
      ctx.conn->Query("SELECT __dlake_file, count(*) FILTER (WHERE " + matches +
                          "), count(*) FROM (" + scan + ") AS __t GROUP BY __dlake_file",
                      "finding rows matching '" + predicate + "'"));
  std::map<std::string, std::pair<int64_t, int64_t>> per_file;
  for (size_t r = 0; r < counts.RowCount(); ++r) {
    per_file[counts.GetString(0, r)] = {counts.GetInt64(1, r), counts.GetInt64(2, r)};
  }
  const int64_t now = ctx.env->NowMs();
  std::string partial;
  for (const AddFile* file : candidates) {
    auto it = per_file.find(file->path);
    if (it == per_file.end() || it->second.first == 0) continue;
    tally.removes.push_back(RemoveFor(*file, now, /*data_change=*/true));
    tally.rows_deleted += it->second.first;
    if (it->second.first < it->second.second) {
      partial += (partial.empty() ? "" : ", ") + QuoteLiteral(file->path);
      tally.rows_copied += it->second.second - it->second.first;
    }
  }
  if (partial.empty()) return Status::Ok();
  DLAKE_RETURN_IF_ERROR(
      ctx.conn->Execute("CREATE OR REPLACE TEMP TABLE __dlake_keep AS SELECT * FROM (" + scan +
                            ") AS __t WHERE __dlake_file IN (" + partial + ") AND NOT " + matches +
                            " ORDER BY __dlake_file, __dlake_row",
                        "copying the rows to keep"));
  DLAKE_ASSIGN_OR_RETURN(auto adds, WriteDataFiles(ctx, "__dlake_keep",
                                                   SpecFor(snapshot, snapshot.schema,
                                                           {"__dlake_file", "__dlake_row"})));
  tally.adds.insert(tally.adds.end(), adds.begin(), adds.end());
  return Status::Ok();
}

Status ValidateProperties(const std::map<std::string, std::string>& properties) {
  for (const auto& [key, value] : properties) {
    if (key.rfind("delta.", 0) != 0) continue;
    if (!kKnownProperties.count(key)) {
      return InvalidArgument("table property '", key,
                             "' is not supported: dlake writes Delta "
                             "protocol (1, 2) tables without optional features");
    }
    if (key == "delta.appendOnly" && value != "true" && value != "false") {
      return InvalidArgument("delta.appendOnly must be true or false, not '", value, "'");
    }
    if (key == "delta.checkpointInterval" || key == "delta.dataSkippingNumIndexedCols") {
      char* end = nullptr;
      long number = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || number < 1) {
        return InvalidArgument(key, " must be a positive integer, not '", value, "'");
      }
    }
    if ((key == "delta.logRetentionDuration" || key == "delta.deletedFileRetentionDuration") &&
        !ParseIntervalHours(value)) {
      return InvalidArgument(key, " must be an interval such as 'interval 7 days', not '", value,
                             "'");
    }
  }
  return Status::Ok();
}

// Adds the metaData action of a schema that merge_schema widened.
void RecordSchemaChange(const Snapshot& snapshot, const Schema& schema, PendingCommit& pending) {
  if (schema.fields.size() == snapshot.schema.fields.size()) return;
  Metadata metadata = snapshot.metadata;
  metadata.schema_string = SerializeSchema(schema);
  pending.actions.emplace_back(std::move(metadata));
  pending.changes_metadata = true;
}

nlohmann::json Metrics(const WriteTally& tally) {
  return {{"numFiles", std::to_string(tally.adds.size())},
          {"numOutputRows", std::to_string(tally.rows_written)},
          {"numRemovedFiles", std::to_string(tally.removes.size())},
          {"numDeletedRows", std::to_string(tally.rows_deleted)},
          {"numCopiedRows", std::to_string(tally.rows_copied)}};
}

}  // namespace

Status CreateTable(TableContext& ctx, const WriteSource& source, const CreateOptions& create) {
  auto listing = ListLog(ctx.root);
  if (listing.ok() && (!listing->commits.empty() || !listing->checkpoints.empty())) {
    return AlreadyExists("'", ctx.root, "' already holds a Delta table");
  }
  DLAKE_RETURN_IF_ERROR(ValidateProperties(create.configuration));
  DLAKE_ASSIGN_OR_RETURN(Schema incoming, Stage(ctx, source));
  const Schema& schema = incoming;
  for (const auto& column : create.not_null_columns) {
    auto* field = const_cast<StructField*>(schema.Find(column));
    if (!field)
      return InvalidArgument("NOT NULL column '", column, "' is not in ", source.description);
    field->nullable = false;
  }
  for (const auto& [column, expression] : create.invariants) {
    auto* field = const_cast<StructField*>(schema.Find(column));
    if (!field)
      return InvalidArgument("invariant column '", column, "' is not in ", source.description);
    field->metadata["delta.invariants"] =
        nlohmann::json{{"expression", {{"expression", expression}}}}.dump();
  }
  std::vector<std::string> partitions;
  for (const auto& column : create.partition_columns) {
    const StructField* field = schema.Find(column);
    if (!field) {
      return InvalidArgument("partition column '", column, "' is not in ", source.description);
    }
    if (field->type->kind != DataType::Kind::kPrimitive &&
        field->type->kind != DataType::Kind::kDecimal) {
      return InvalidArgument("partition column '", column, "' must have a primitive type");
    }
    partitions.push_back(field->name);
  }
  Snapshot read;
  read.root = ctx.root;
  read.version = -1;
  read.schema = schema;
  read.metadata.id = NewUuid();
  read.metadata.name = create.name;
  read.metadata.description = create.description;
  read.metadata.schema_string = SerializeSchema(schema);
  read.metadata.partition_columns = partitions;
  read.metadata.configuration = create.configuration;
  read.metadata.created_time = ctx.env->NowMs();
  std::string relation = CastRelation(schema, incoming, kSource);
  DLAKE_RETURN_IF_ERROR(CheckConstraints(ctx, schema, relation));
  DLAKE_RETURN_IF_ERROR(ctx.env->CreateDirs(LogDir(ctx.root)));
  WriteTally tally;
  DLAKE_ASSIGN_OR_RETURN(tally.adds, WriteDataFiles(ctx, relation, SpecFor(read, schema, {})));
  for (const auto& add : tally.adds) tally.rows_written += NumRecords(add.stats).value_or(0);
  PendingCommit pending;
  pending.operation = "CREATE TABLE AS SELECT";
  pending.parameters = {{"isManaged", "false"},
                        {"description", create.description.value_or("")},
                        {"partitionBy", nlohmann::json(partitions).dump()},
                        {"properties", nlohmann::json(create.configuration).dump()}};
  pending.metrics = Metrics(tally);
  pending.actions.emplace_back(Protocol{1, 2, std::nullopt, std::nullopt});
  pending.actions.emplace_back(read.metadata);
  return CommitTally(ctx, read, std::move(pending), tally).status();
}

Result<CommitResult> AppendRows(TableContext& ctx, const WriteSource& source,
                                const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LatestForWrite(ctx));
  if (AlreadyApplied(snapshot, options.app_id, options.app_version)) {
    CommitResult skipped;
    skipped.skipped = true;
    return skipped;
  }
  if (!options.replace_where.empty()) {
    return InvalidArgument("replace_where applies to overwrite, not append");
  }
  DLAKE_ASSIGN_OR_RETURN(Schema incoming, Stage(ctx, source));
  DLAKE_ASSIGN_OR_RETURN(Schema schema, ResolveSchema(snapshot.schema, incoming,
                                                      options.merge_schema, source.description));
  DLAKE_RETURN_IF_ERROR(CheckSortColumns(schema, options.sort_by));
  std::string relation = CastRelation(schema, incoming, kSource);
  DLAKE_RETURN_IF_ERROR(CheckConstraints(ctx, schema, relation));
  WriteTally tally;
  DLAKE_ASSIGN_OR_RETURN(tally.adds, WriteDataFiles(ctx, relation,
                                                    SpecFor(snapshot, schema, options.sort_by,
                                                            options.target_file_rows)));
  for (const auto& add : tally.adds) tally.rows_written += NumRecords(add.stats).value_or(0);
  PendingCommit pending;
  pending.operation = "WRITE";
  pending.parameters = {
      {"mode", "Append"},
      {"partitionBy", nlohmann::json(snapshot.metadata.partition_columns).dump()}};
  pending.metrics = Metrics(tally);
  RecordSchemaChange(snapshot, schema, pending);
  if (options.app_id) {
    pending.actions.emplace_back(
        Txn{*options.app_id, options.app_version.value_or(0), ctx.env->NowMs()});
  }
  if (tally.adds.empty() && !pending.changes_metadata && !options.app_id) {
    CommitResult nothing;
    nothing.skipped = true;
    return nothing;
  }
  return CommitTally(ctx, snapshot, std::move(pending), tally);
}

Result<CommitResult> OverwriteRows(TableContext& ctx, const WriteSource& source,
                                   const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LatestForWrite(ctx));
  DLAKE_RETURN_IF_ERROR(RefuseIfAppendOnly(snapshot, "overwrite"));
  DLAKE_ASSIGN_OR_RETURN(Schema incoming, Stage(ctx, source));
  DLAKE_ASSIGN_OR_RETURN(Schema schema, ResolveSchema(snapshot.schema, incoming,
                                                      options.merge_schema, source.description));
  DLAKE_RETURN_IF_ERROR(CheckSortColumns(schema, options.sort_by));
  std::string relation = CastRelation(schema, incoming, kSource);
  DLAKE_RETURN_IF_ERROR(CheckConstraints(ctx, schema, relation));
  WriteTally tally;
  PendingCommit pending;
  pending.operation = "WRITE";
  pending.reads_data = true;
  if (options.replace_where.empty()) {
    const int64_t now = ctx.env->NowMs();
    for (const auto& file : snapshot.files) {
      tally.removes.push_back(RemoveFor(file, now, /*data_change=*/true));
      tally.rows_deleted += NumRecords(file.stats).value_or(0);
    }
    pending.parameters = {{"mode", "Overwrite"}};
  } else {
    DLAKE_ASSIGN_OR_RETURN(int64_t outside,
                           Count(ctx,
                                 "SELECT count(*) FROM " + relation + " WHERE NOT coalesce((" +
                                     options.replace_where + "), false)",
                                 "checking the new rows against '" + options.replace_where + "'"));
    if (outside > 0) {
      return InvalidArgument(outside, " row(s) of ", source.description,
                             " do not match the replace predicate '", options.replace_where,
                             "'; nothing was written");
    }
    DLAKE_RETURN_IF_ERROR(RewriteWithout(ctx, snapshot, options.replace_where, tally));
    pending.read_predicates = ParseSkippingPredicates(options.replace_where);
    pending.parameters = {{"mode", "Overwrite"}, {"predicate", options.replace_where}};
  }
  std::vector<AddFile> rewritten = std::move(tally.adds);
  tally.adds.clear();
  auto written = WriteDataFiles(
      ctx, relation, SpecFor(snapshot, schema, options.sort_by, options.target_file_rows));
  if (!written.ok()) {
    DeleteWrittenFiles(ctx, rewritten);
    return written.status();
  }
  for (const auto& add : *written) tally.rows_written += NumRecords(add.stats).value_or(0);
  tally.adds = std::move(rewritten);
  tally.adds.insert(tally.adds.end(), written->begin(), written->end());
  pending.metrics = Metrics(tally);
  RecordSchemaChange(snapshot, schema, pending);
  return CommitTally(ctx, snapshot, std::move(pending), tally);
}

Result<CommitResult> DeleteRows(TableContext& ctx, const std::string& predicate) {
  if (predicate.empty()) return InvalidArgument("delete needs a predicate");
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LatestForWrite(ctx));
  DLAKE_RETURN_IF_ERROR(RefuseIfAppendOnly(snapshot, "delete"));
  WriteTally tally;
  DLAKE_RETURN_IF_ERROR(RewriteWithout(ctx, snapshot, predicate, tally));
  if (tally.removes.empty()) {
    CommitResult nothing;
    nothing.skipped = true;
    return nothing;
  }
  PendingCommit pending;
  pending.operation = "DELETE";
  pending.parameters = {{"predicate", nlohmann::json::array({predicate}).dump()}};
  pending.reads_data = true;
  pending.read_predicates = ParseSkippingPredicates(predicate);
  pending.metrics = {{"numRemovedFiles", std::to_string(tally.removes.size())},
                     {"numAddedFiles", std::to_string(tally.adds.size())},
                     {"numDeletedRows", std::to_string(tally.rows_deleted)},
                     {"numCopiedRows", std::to_string(tally.rows_copied)}};
  return CommitTally(ctx, snapshot, std::move(pending), tally);
}

Result<CommitResult> MergeRows(TableContext& ctx, const WriteSource& source,
                               const MergeOptions& options) {
  if (options.keys.empty()) return InvalidArgument("merge needs at least one key column");
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LatestForWrite(ctx));
  if (AlreadyApplied(snapshot, options.app_id, options.app_version)) {
    CommitResult skipped;
    skipped.skipped = true;
    return skipped;
  }
  DLAKE_ASSIGN_OR_RETURN(Schema incoming, Stage(ctx, source));
  DLAKE_ASSIGN_OR_RETURN(Schema schema, ResolveSchema(snapshot.schema, incoming,
                                                      options.merge_schema, source.description));
  DLAKE_RETURN_IF_ERROR(CheckSortColumns(schema, options.sort_by));
  std::string on;
  for (const auto& key : options.keys) {
    if (!snapshot.schema.Find(key)) {
      return InvalidArgument("merge key '", key, "' is not a column of the table");
    }
    if (!incoming.Find(key)) {
      return InvalidArgument("merge key '", key, "' is not a column of ", source.description);
    }
    on += (on.empty() ? "" : " AND ") +
          ("t." + QuoteIdentifier(key) + " = s." + QuoteIdentifier(key));
  }
  DLAKE_RETURN_IF_ERROR(
      ctx.conn->Execute("CREATE OR REPLACE TEMP TABLE __dlake_merge_source AS SELECT * FROM " +
                            CastRelation(schema, incoming, kSource),
                        "preparing the merge source"));
  const std::string src = "__dlake_merge_source";
  DLAKE_RETURN_IF_ERROR(CheckConstraints(ctx, schema, src));
  std::string keys;
  for (const auto& key : options.keys) keys += (keys.empty() ? "" : ", ") + QuoteIdentifier(key);
  DLAKE_ASSIGN_OR_RETURN(int64_t duplicates,
                         Count(ctx,
                               "SELECT count(*) FROM (SELECT " + keys + " FROM " + src +
                                   " GROUP BY ALL HAVING count(*) > 1)",
                               "checking merge keys"));
  if (duplicates > 0) {
    return InvalidArgument(duplicates, " key(s) appear more than once in ", source.description,
                           "; a merge source must have one row per key (", keys, ")");
  }
  // Files that may hold a source key: skip by each key's [min, max] in the source.
  std::string range;
  for (const auto& key : options.keys) {
    DLAKE_ASSIGN_OR_RETURN(
        auto bounds,
        ctx.conn->Query("SELECT CAST(min(" + QuoteIdentifier(key) + ") AS VARCHAR), CAST(max(" +
                            QuoteIdentifier(key) + ") AS VARCHAR) FROM " + src,
                        "reading key ranges"));
    if (bounds.RowCount() == 0 || bounds.IsNull(0, 0)) continue;
    range += (range.empty() ? "" : " AND ") + QuoteIdentifier(key) +
             " >= " + QuoteLiteral(bounds.GetString(0, 0)) + " AND " + QuoteIdentifier(key) +
             " <= " + QuoteLiteral(bounds.GetString(1, 0));
  }
  auto predicates = ParseSkippingPredicates(range);
  std::vector<const AddFile*> candidates;
  for (const auto& file : snapshot.files) {
    if (MayContainMatches(file, snapshot.schema, snapshot.metadata.partition_columns, predicates)) {
      candidates.push_back(&file);
    }
  }
  DLAKE_ASSIGN_OR_RETURN(
      auto scan, ScanFilesSql(*ctx.conn, snapshot, candidates, {"__dlake_file", "__dlake_row"}));
  DLAKE_RETURN_IF_ERROR(
      ctx.conn->Execute("CREATE OR REPLACE TEMP TABLE __dlake_matched AS SELECT t.* FROM (" + scan +
                            ") AS t SEMI JOIN " + src + " AS s ON " + on,
                        "finding the rows the merge matches"));
  DLAKE_ASSIGN_OR_RETURN(
      int64_t matched, Count(ctx, "SELECT count(*) FROM __dlake_matched", "counting matched rows"));
  WriteTally tally;
  std::string parts;  // the SELECTs whose union is written
  auto add_part = [&](const std::string& sql) {
    parts += (parts.empty() ? "" : " UNION ALL BY NAME ") + sql;
  };
  std::string keep_columns = "* EXCLUDE (__dlake_file, __dlake_row)";
  if (options.update_matched && matched > 0) {
    DLAKE_RETURN_IF_ERROR(RefuseIfAppendOnly(snapshot, "a merge that updates rows"));
    std::set<std::string> touched;
    DLAKE_ASSIGN_OR_RETURN(auto files, ctx.conn->Query("SELECT DISTINCT __dlake_file FROM "
                                                       "__dlake_matched",
                                                       "listing matched files"));
    for (size_t r = 0; r < files.RowCount(); ++r) touched.insert(files.GetString(0, r));
    std::string list;
    const int64_t now = ctx.env->NowMs();
    for (const AddFile* file : candidates) {
      if (!touched.count(file->path)) continue;
      tally.removes.push_back(RemoveFor(*file, now, /*data_change=*/true));
      list += (list.empty() ? "" : ", ") + QuoteLiteral(file->path);
    }
    add_part("SELECT t.* FROM (" + scan + ") AS t WHERE t.__dlake_file IN (" + list +
             ") AND NOT EXISTS (SELECT 1 FROM " + src + " AS s WHERE " + on + ")");
    tally.rows_updated = matched;
    add_part("SELECT s.*, NULL AS __dlake_file, NULL AS __dlake_row FROM " + src +
             " AS s WHERE EXISTS (SELECT 1 FROM __dlake_matched AS t WHERE " + on + ")");
  }
  int64_t inserted = 0;
  if (options.insert_unmatched) {
    std::string unmatched = "SELECT s.*, NULL AS __dlake_file, NULL AS __dlake_row FROM " + src +
                            " AS s WHERE NOT EXISTS (SELECT 1 FROM __dlake_matched AS t WHERE " +
                            on + ")";
    DLAKE_ASSIGN_OR_RETURN(
        inserted, Count(ctx, "SELECT count(*) FROM (" + unmatched + ")", "counting new rows"));
    if (inserted > 0) add_part(unmatched);
  }
  if (parts.empty()) {
    CommitResult nothing;
    nothing.skipped = true;
    return nothing;
  }
  DLAKE_RETURN_IF_ERROR(ctx.conn->Execute(
      "CREATE OR REPLACE TEMP TABLE __dlake_merge_out AS " + parts, "merging rows"));
  std::vector<std::string> order = options.sort_by;
  if (order.empty()) order = {"__dlake_file", "__dlake_row"};
  DLAKE_ASSIGN_OR_RETURN(
      tally.adds, WriteDataFiles(ctx, "__dlake_merge_out", SpecFor(snapshot, schema, order)));
  DLAKE_ASSIGN_OR_RETURN(
      int64_t total, Count(ctx, "SELECT count(*) FROM __dlake_merge_out", "counting merged rows"));
  tally.rows_written = total;
  tally.rows_copied = total - inserted - (options.update_matched ? matched : 0);
  PendingCommit pending;
  pending.operation = "MERGE";
  pending.parameters = {
      {"predicate", nlohmann::json::array({on}).dump()},
      {"matchedPredicates", options.update_matched ? R"([{"actionType":"update"}])" : "[]"},
      {"notMatchedPredicates", options.insert_unmatched ? R"([{"actionType":"insert"}])" : "[]"}};
  DLAKE_ASSIGN_OR_RETURN(int64_t source_rows,
                         Count(ctx, "SELECT count(*) FROM " + src, "counting source rows"));
  pending.metrics = {{"numSourceRows", std::to_string(source_rows)},
                     {"numTargetRowsUpdated", std::to_string(tally.rows_updated)},
                     {"numTargetRowsInserted", std::to_string(inserted)},
                     {"numTargetRowsCopied", std::to_string(tally.rows_copied)},
                     {"numTargetFilesRemoved", std::to_string(tally.removes.size())},
                     {"numTargetFilesAdded", std::to_string(tally.adds.size())}};
  pending.reads_data = true;
  pending.read_predicates = predicates;
  RecordSchemaChange(snapshot, schema, pending);
  if (options.app_id) {
    pending.actions.emplace_back(
        Txn{*options.app_id, options.app_version.value_or(0), ctx.env->NowMs()});
  }
  return CommitTally(ctx, snapshot, std::move(pending), tally);
}

}  // namespace dlake::delta
