#include "delta/maintenance.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/file_util.h"
#include "delta/checkpoint.h"
#include "delta/data_writer.h"
#include "delta/log_files.h"
#include "delta/partition_values.h"
#include "delta/snapshot.h"
#include "delta/stats.h"
#include "delta/transaction.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using duck::QuoteIdentifier;
using nlohmann::json;

constexpr double kMsPerHour = 3600.0 * 1000.0;
constexpr const char* kFileRetentionKey = "delta.deletedFileRetentionDuration";
constexpr double kDefaultFileRetentionHours = 7 * 24;
constexpr const char* kLogRetentionKey = "delta.logRetentionDuration";
constexpr double kDefaultLogRetentionHours = 30 * 24;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// ---- Retention ----

// The table's retention for `key` in hours, or `fallback` when the property is not set. A value
// that is not an interval is an error, not the default: VACUUM deletes files by it.
Result<double> ConfiguredHours(const Snapshot& snapshot, const char* key, double fallback) {
  std::string text = snapshot.Config(key);
  if (text.empty()) return fallback;
  auto hours = ParseIntervalHours(text);
  if (!hours || !std::isfinite(*hours) || *hours < 0) {
    return InvalidArgument("'", snapshot.root, "': table property ", key, " = '", text,
                           "' is not an interval such as 'interval 7 days'");
  }
  return *hours;
}

Status CheckHoursArgument(double hours, const char* what) {
  if (!std::isfinite(hours) || hours < 0) {
    return InvalidArgument(what, " retention must be a non-negative number of hours, not ", hours);
  }
  return Status::Ok();
}

int64_t HoursBefore(int64_t now_ms, double hours) {
  double ms = hours * kMsPerHour;
  if (ms >= static_cast<double>(now_ms)) return 0;  // before every file and commit
  return now_ms - static_cast<int64_t>(std::llround(ms));
}

Result<Snapshot> LoadWritable(TableContext& ctx, const char* operation) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, VersionSpec{}));
  DLAKE_RETURN_IF_ERROR(CheckWriteSupported(snapshot.protocol, snapshot.metadata)
                            .WithContext(std::string(operation) + " of '" + ctx.root + "'"));
  return snapshot;
}


// ---- OPTIMIZE ----

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
                           columns.empty() ? "none" : Joined(columns), ")");
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
                           "' must be a predicate over the partition columns (", Joined(columns),
                           "): ", result.status().message());
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
    physical[Lower(name)] = name;
  }
  std::string select;
  for (const auto& field : snapshot.schema.fields) {
    std::string expr;
    if (snapshot.IsPartitionColumn(field.name)) {
      DLAKE_ASSIGN_OR_RETURN(expr, PartitionLiteral(snapshot, *bin.front(), field.name));
    } else if (auto it = physical.find(Lower(field.name)); it != physical.end()) {
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
                             "' (columns: ", Joined(snapshot.schema.Names()), ")");
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

// ---- VACUUM ----

struct FoundFile {
  std::string relative;
  int64_t mtime_ms = 0;
  int64_t bytes = 0;
};

// Spark's rule: names starting with '.' or '_' are hidden (the log, temporary and checkpoint
// folders, _SUCCESS…) unless they are the folder of a partition column whose name starts so.
bool IsHidden(const std::string& name, const std::vector<std::string>& partition_columns) {
  if (name.empty() || (name[0] != '.' && name[0] != '_')) return false;
  for (const auto& column : partition_columns) {
    std::string folder = PartitionFolder(column, std::string("v"));  // escaped "col=v"
    std::string prefix = folder.substr(0, folder.size() - 1);
    if (name.rfind(prefix, 0) == 0 || name.rfind(column + "=", 0) == 0) return false;
  }
  return true;
}

// Regular files under the table's visible folders, and those folders, deepest first.
Status WalkTable(const std::string& root, const std::string& relative,
                 const std::vector<std::string>& partition_columns, std::vector<FoundFile>& files,
                 std::vector<FoundFile>& dirs) {
  std::string dir = relative.empty() ? root : JoinPath(root, relative);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (IsHidden(name, partition_columns)) continue;
    std::string child = relative.empty() ? name : relative + "/" + name;
    auto status = it->symlink_status(ec);
    if (ec) break;
    if (!fs::is_directory(status) && !fs::is_regular_file(status)) continue;  // links, sockets
    DLAKE_ASSIGN_OR_RETURN(int64_t mtime, FileMtimeMs(it->path().string()));
    if (fs::is_directory(status)) {
      DLAKE_RETURN_IF_ERROR(WalkTable(root, child, partition_columns, files, dirs));
      dirs.push_back({child, mtime, 0});
    } else {
      int64_t bytes = static_cast<int64_t>(it->file_size(ec));
      if (ec) break;
      files.push_back({child, mtime, bytes});
    }
  }
  if (ec) return IoError("VACUUM cannot list '", dir, "': ", ec.message());
  return Status::Ok();
}

// A file action's path relative to the table root, spelled as the walk spells paths; nullopt
// for files outside the table folder. Absolute paths (another writer's "file:/…" URIs) are
// compared after resolving symbolic links, so that a link in the table's path cannot make a
// live file look unreferenced.
std::optional<std::string> TableRelative(const Snapshot& snapshot, const fs::path& real_root,
                                         const std::string& path) {
  fs::path absolute(snapshot.FilePath(path));
  std::error_code ec;
  fs::path relative = fs::path(path).is_relative() && path.rfind("file:", 0) != 0
                          ? fs::path(path).lexically_normal()
                          : fs::weakly_canonical(absolute, ec).lexically_relative(real_root);
  if (ec || relative.empty() || *relative.begin() == "..") return std::nullopt;
  return relative.generic_string();
}

// Every file the latest version or a version still within the retention may read.
std::set<std::string> FilesToKeep(const Snapshot& snapshot, int64_t cutoff_ms) {
  std::error_code ec;
  fs::path real_root = fs::weakly_canonical(snapshot.root, ec);
  if (ec) real_root = fs::path(snapshot.root).lexically_normal();
  std::set<std::string> keep;
  for (const auto& file : snapshot.files) {
    if (auto relative = TableRelative(snapshot, real_root, file.path)) keep.insert(*relative);
  }
  for (const auto& tombstone : snapshot.tombstones) {
    // Without a deletionTimestamp the removal time is unknown: keep the file.
    if (tombstone.deletion_timestamp && *tombstone.deletion_timestamp <= cutoff_ms) continue;
    if (auto relative = TableRelative(snapshot, real_root, tombstone.path)) {
      keep.insert(*relative);
    }
  }
  return keep;
}

// The retention VACUUM uses, refusing one below the table's without `force` as Spark does
// (spark.databricks.delta.retentionDurationCheck.enabled).
Result<double> VacuumRetentionHours(const Snapshot& snapshot, const VacuumOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(double configured,
                         ConfiguredHours(snapshot, kFileRetentionKey, kDefaultFileRetentionHours));
  if (!options.retention_hours) return configured;
  double hours = *options.retention_hours;
  DLAKE_RETURN_IF_ERROR(CheckHoursArgument(hours, "VACUUM"));
  if (hours < configured && !options.force) {
    return FailedPrecondition(
        "VACUUM of '", snapshot.root, "' with a retention of ", hours,
        " hours is refused: it is below the table's file retention of ", configured, " hours (",
        kFileRetentionKey,
        "), so it could delete files that readers of recent versions or writers still in "
        "progress need; force it (VacuumOptions::force, `dlake delta vacuum --force`) only "
        "when no one reads old versions or writes the table");
  }
  return hours;
}

// ---- Log cleanup ----

// The version of a file in _delta_log: commits, checkpoints, .crc files and Hadoop's hidden
// ".<name>.crc" checksums all start with the 20-digit version.
std::optional<int64_t> LogFileVersion(std::string name) {
  if (!name.empty() && name[0] == '.') name = name.substr(1);
  constexpr size_t kDigits = 20;
  if (name.size() <= kDigits || name[kDigits] != '.') return std::nullopt;
  int64_t version = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + kDigits, version);
  if (error != std::errc() || end != name.data() + kDigits) return std::nullopt;
  return version;
}

// The newest checkpoint whose version was committed at or before `cutoff_ms`: its commit file's
// modification time, or the checkpoint's own when the commit is gone.
Result<std::optional<int64_t>> CutoffCheckpoint(const LogListing& listing, int64_t cutoff_ms) {
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->second.kind == CheckpointFiles::Kind::kV2) continue;
    auto commit = listing.commits.find(it->first);
    std::string path = commit != listing.commits.end() ? commit->second : it->second.paths.front();
    DLAKE_ASSIGN_OR_RETURN(int64_t time, FileMtimeMs(path));
    if (time <= cutoff_ms) return std::optional<int64_t>(it->first);
  }
  return std::optional<int64_t>();
}

// Points a stale _last_checkpoint at the cutoff checkpoint before older checkpoints go: readers
// that trust the hint would otherwise look for a deleted file.
Status RepointLastCheckpoint(TableContext& ctx, const CheckpointFiles& cutoff) {
  auto last = ReadLastCheckpoint(ctx.root);
  if (!last || last->version >= cutoff.version) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto actions, ReadCheckpoint(*ctx.conn, cutoff));
  LastCheckpoint updated;
  updated.version = cutoff.version;
  updated.size = static_cast<int64_t>(actions.size());
  if (cutoff.kind == CheckpointFiles::Kind::kMultiPart) {
    updated.parts = static_cast<int64_t>(cutoff.paths.size());
  }
  return WriteLastCheckpoint(*ctx.env, ctx.root, updated);
}

// ---- RESTORE ----

std::map<std::string, const AddFile*> FilesByKey(const Snapshot& snapshot) {
  std::map<std::string, const AddFile*> files;
  for (const auto& file : snapshot.files) {
    files[FileActionKey(file.path, file.deletion_vector)] = &file;
  }
  return files;
}

Status CheckRestorable(const Snapshot& latest, const Snapshot& target,
                       const std::vector<AddFile>& adds, size_t removes) {
  if (removes > 0 && latest.Config("delta.appendOnly") == "true") {
    return FailedPrecondition("RESTORE of '", latest.root, "' to version ", target.version,
                              " would remove ", removes,
                              " data files, but the table is append-only (delta.appendOnly=true)");
  }
  for (const auto& add : adds) {
    std::error_code ec;
    if (fs::exists(target.FilePath(add.path), ec)) continue;
    return FailedPrecondition("RESTORE of '", latest.root, "' to version ", target.version,
                              " is impossible: its data file '", add.path,
                              "' no longer exists (VACUUM deletes the files of versions older "
                              "than the retention period)");
  }
  return Status::Ok();
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

// VACUUM writes no commit: Spark's commitInfo-only "VACUUM START"/"VACUUM END" entries are
// optional, and deleting files does not change any version's contents.
Result<VacuumResult> Vacuum(TableContext& ctx, const VacuumOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(ctx, "VACUUM"));
  DLAKE_ASSIGN_OR_RETURN(double hours, VacuumRetentionHours(snapshot, options));
  const int64_t cutoff_ms = HoursBefore(ctx.env->NowMs(), hours);
  const std::set<std::string> keep = FilesToKeep(snapshot, cutoff_ms);
  std::vector<FoundFile> files, dirs;
  DLAKE_RETURN_IF_ERROR(WalkTable(ctx.root, "", snapshot.metadata.partition_columns, files, dirs));

  VacuumResult result;
  result.dry_run = options.dry_run;
  std::sort(files.begin(), files.end(),
            [](const FoundFile& a, const FoundFile& b) { return a.relative < b.relative; });
  for (const auto& file : files) {
    // A young unreferenced file may belong to a writer that has not committed yet.
    if (keep.count(file.relative) || file.mtime_ms >= cutoff_ms) continue;
    result.files.push_back(file.relative);
    result.bytes += file.bytes;
  }
  if (options.dry_run) return result;
  for (size_t i = 0; i < result.files.size(); ++i) {
    Status removed = ctx.env->RemoveFile(JoinPath(ctx.root, result.files[i]));
    if (!removed.ok()) {
      return removed.WithContext("VACUUM of '" + ctx.root + "' deleted " + std::to_string(i) +
                                 " of " + std::to_string(result.files.size()) + " files, then");
    }
  }
  for (const auto& dir : dirs) {  // deepest first, so emptied parents go too
    std::string path = JoinPath(ctx.root, dir.relative);
    std::error_code ec;
    if (dir.mtime_ms >= cutoff_ms || !fs::is_empty(path, ec) || ec) continue;
    DLAKE_RETURN_IF_ERROR(
        ctx.env->RemoveEmptyDir(path).WithContext("VACUUM of '" + ctx.root + "'"));
  }
  return result;
}

Result<LogCleanupResult> CleanupLog(TableContext& ctx, std::optional<double> retention_hours) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(ctx, "log cleanup"));
  // Spark's switch for its (automatic) log cleanup: the table's owner wants the whole history.
  if (Lower(snapshot.Config("delta.enableExpiredLogCleanup")) == "false") {
    return FailedPrecondition("log cleanup of '", ctx.root,
                              "' is turned off by its table property "
                              "delta.enableExpiredLogCleanup=false");
  }
  double hours = 0;
  if (retention_hours) {
    DLAKE_RETURN_IF_ERROR(CheckHoursArgument(*retention_hours, "log"));
    hours = *retention_hours;
  } else {
    DLAKE_ASSIGN_OR_RETURN(hours,
                           ConfiguredHours(snapshot, kLogRetentionKey, kDefaultLogRetentionHours));
  }
  DLAKE_ASSIGN_OR_RETURN(LogListing listing, ListLog(ctx.root));
  LogCleanupResult result;
  DLAKE_ASSIGN_OR_RETURN(result.cutoff_checkpoint,
                         CutoffCheckpoint(listing, HoursBefore(ctx.env->NowMs(), hours)));
  if (!result.cutoff_checkpoint) return result;
  const int64_t cutoff = *result.cutoff_checkpoint;
  DLAKE_RETURN_IF_ERROR(RepointLastCheckpoint(ctx, listing.checkpoints.at(cutoff))
                            .WithContext("log cleanup of '" + ctx.root + "'"));

  std::vector<std::pair<int64_t, std::string>> expired;
  std::error_code ec;
  for (fs::directory_iterator it(LogDir(ctx.root), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    auto version = LogFileVersion(name);
    if (version && *version < cutoff && it->is_regular_file(ec))
      expired.emplace_back(*version, name);
  }
  if (ec) return IoError("log cleanup cannot list '", LogDir(ctx.root), "': ", ec.message());
  // Oldest first: a cleanup cut short leaves a log whose remaining prefix is still contiguous.
  std::sort(expired.begin(), expired.end());
  for (const auto& [version, name] : expired) {
    DLAKE_RETURN_IF_ERROR(ctx.env->RemoveFile(JoinPath(LogDir(ctx.root), name))
                              .WithContext("log cleanup of '" + ctx.root + "'"));
    result.files.push_back("_delta_log/" + name);
  }
  return result;
}

Result<CommitResult> Restore(TableContext& ctx, const VersionSpec& at) {
  if (!at.version && !at.timestamp_ms) {
    return InvalidArgument("RESTORE of '", ctx.root, "' needs a version or a timestamp");
  }
  DLAKE_ASSIGN_OR_RETURN(Snapshot latest, LoadWritable(ctx, "RESTORE"));
  auto loaded = LoadSnapshot(*ctx.conn, ctx.root, at);
  if (!loaded.ok()) return loaded.status().WithContext("RESTORE of '" + ctx.root + "'");
  Snapshot target = std::move(loaded).value();
  DLAKE_RETURN_IF_ERROR(CheckWriteSupported(target.protocol, target.metadata)
                            .WithContext("RESTORE of '" + ctx.root + "' to version " +
                                         std::to_string(target.version)));

  const auto latest_files = FilesByKey(latest);
  const auto target_files = FilesByKey(target);
  std::vector<AddFile> adds;
  for (const auto& file : target.files) {
    if (latest_files.count(FileActionKey(file.path, file.deletion_vector))) continue;
    AddFile add = file;
    add.data_change = true;
    adds.push_back(std::move(add));
  }
  const int64_t now = ctx.env->NowMs();
  std::vector<RemoveFile> removes;
  for (const auto& file : latest.files) {
    if (target_files.count(FileActionKey(file.path, file.deletion_vector))) continue;
    removes.push_back(RemoveFor(file, now, true));
  }
  bool metadata_changed = ActionToJson(latest.metadata) != ActionToJson(target.metadata);
  CommitResult result;
  if (adds.empty() && removes.empty() && !metadata_changed) {
    result.skipped = true;
    return result;
  }
  DLAKE_RETURN_IF_ERROR(CheckRestorable(latest, target, adds, removes.size()));

  PendingCommit pending;
  pending.operation = "RESTORE";
  pending.parameters = {
      {"version", std::to_string(target.version)},
      {"timestamp", at.timestamp_ms ? json(std::to_string(*at.timestamp_ms)) : json(nullptr)}};
  int64_t table_bytes = 0;
  for (const auto& file : target.files) table_bytes += file.size;
  if (metadata_changed) pending.actions.emplace_back(target.metadata);
  for (const auto& add : adds) {
    result.bytes_added += add.size;
    pending.actions.emplace_back(add);
  }
  for (const auto& remove : removes) {
    result.bytes_removed += remove.size.value_or(0);
    pending.actions.emplace_back(remove);
  }
  pending.metrics = {{"numRestoredFiles", std::to_string(adds.size())},
                     {"restoredFilesSize", std::to_string(result.bytes_added)},
                     {"numRemovedFiles", std::to_string(removes.size())},
                     {"removedFilesSize", std::to_string(result.bytes_removed)},
                     {"numOfFilesAfterRestore", std::to_string(target.files.size())},
                     {"tableSizeAfterRestore", std::to_string(table_bytes)}};
  pending.reads_data = true;  // the whole table: any concurrent change invalidates the diff
  pending.changes_metadata = metadata_changed;
  DLAKE_ASSIGN_OR_RETURN(auto outcome, Commit(ctx, latest, std::move(pending)));
  result.version = outcome.version;
  result.attempts = outcome.attempts;
  result.files_added = static_cast<int64_t>(adds.size());
  result.files_removed = static_cast<int64_t>(removes.size());
  return result;
}

}  // namespace dlake::delta
