#pragma once
// dlake::delta::Table: a Delta Lake table on the local file system, read and written to the Delta
// protocol (reader version 1, writer version 2; see doc/delta.md for what is supported and
// refused). The lakehouse pipeline, the CLI (`dlake delta …`) and the SDKs all go through it.
//
// Readers never block writers: every read works on a snapshot (one table version). Writers
// commit with put-if-absent on the next version file; a writer that loses the race re-reads the
// log, checks the winner's changes for logical conflicts and retries, or fails with Aborted.
// A Table object is used by one thread at a time; several Tables (or processes) may share a
// table folder. Tables opened on one Runtime share its DuckDB (one connection each).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "dlake/runtime/runtime.h"

namespace dlake::delta {

struct TableOptions {
  // The settings, DuckDB and Env the table works with, shared with every other table and lake
  // of the runtime. nullptr = a runtime of its own from DLAKE_* variables and defaults.
  std::shared_ptr<Runtime> runtime;
  int max_commit_attempts = 10;  // put-if-absent races before giving up with Aborted
};

// Which version a read sees: the latest, a version, or the latest commit at or before a time
// (commit file modification time, or in-commit timestamps when the table has them).
struct VersionSpec {
  std::optional<int64_t> version;
  std::optional<int64_t> timestamp_ms;
};

struct ScanOptions {
  VersionSpec at;
  std::vector<std::string> columns;  // empty = all, in schema order
  // A DuckDB SQL predicate over the table's columns. Files are skipped using partition values
  // and stats for the simple comparisons in it; the whole predicate is applied to the rows.
  std::string where;
  // Row order: column names, each optionally followed by " DESC" or " ASC"; empty = file
  // order as stored, which Delta does not guarantee across files.
  std::vector<std::string> order_by;
  std::optional<int64_t> limit;
  // Only the rows of data files added after this version (live at `at` and not at this one):
  // what changed since a reader last read that version, for incremental consumers. Rows that a
  // later commit rewrote (merge, OPTIMIZE) come again. NotFound/FailedPrecondition when the
  // version cannot be loaded (its log was cleaned up): read everything instead.
  std::optional<int64_t> added_after_version;
  // SQL expressions over the rows (e.g. "CAST(ts AS DATE) AS day") selected instead of the
  // columns, after the filter, order and limit; empty = the columns.
  std::vector<std::string> expressions;
};

enum class OutputFormat { kCsv, kParquet, kJson };

// Rows to write: a DuckDB SELECT (or table function) evaluated in the table's DuckDB.
struct WriteSource {
  std::string sql;          // e.g. SELECT * FROM read_parquet('x.parquet')
  std::string description;  // named in errors: the file or "query"
  static WriteSource Parquet(const std::string& path);
  static WriteSource Csv(const std::string& path);  // header + types auto-detected
  // A .parquet/.csv/.json file chosen by extension; InvalidArgument for anything else.
  static Result<WriteSource> File(const std::string& path);
  static WriteSource Query(std::string sql) { return {std::move(sql), "query"}; }
};

struct CreateOptions {
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;  // delta.appendOnly, delta.checkpointInterval…
  std::optional<std::string> name;
  std::optional<std::string> description;
  // Columns that must not be NULL (nullable=false in the schema; enforced on every write).
  std::vector<std::string> not_null_columns;
  // SQL invariants per column (delta.invariants), e.g. {"price", "price > 0"}.
  std::map<std::string, std::string> invariants;
};

struct WriteOptions {
  bool merge_schema = false;             // allow new nullable columns
  std::string replace_where;             // overwrite only: replace the rows matching this predicate
  std::vector<std::string> sort_by;      // order of rows within each written file
  int64_t target_file_rows = 4'000'000;  // rows per file before starting a new one
  // Idempotent writes: skipped (CommitResult::skipped) if the table already has a txn for
  // app_id at this or a higher version.
  std::optional<std::string> app_id;
  std::optional<int64_t> app_version;
};

struct MergeOptions {
  std::vector<std::string> keys;  // source rows replace target rows with equal keys
  bool insert_unmatched = true;   // WHEN NOT MATCHED THEN INSERT
  bool update_matched = true;     // WHEN MATCHED THEN UPDATE SET * (else keep the target row)
  bool merge_schema = false;
  std::vector<std::string> sort_by;
  // Idempotent merges, as for WriteOptions: skipped (CommitResult::skipped) if the table already
  // has a txn for app_id at this or a higher version; otherwise the commit records the txn. A
  // merge that changes no row commits nothing, not even the txn (repeating it changes nothing).
  std::optional<std::string> app_id;
  std::optional<int64_t> app_version;
};

struct CommitResult {
  int64_t version = -1;  // the committed version; -1 when nothing was committed
  bool skipped = false;  // idempotent write already applied, or nothing to do
  int attempts = 1;
  int64_t files_added = 0, files_removed = 0;
  int64_t rows_written = 0, rows_deleted = 0, rows_updated = 0, rows_copied = 0;
  int64_t bytes_added = 0, bytes_removed = 0;
};

struct OptimizeOptions {
  int64_t target_file_bytes = 256LL << 20;  // bin-pack small files into files of about this size
  std::vector<std::string> sort_by;         // row order within the new files
  std::string partition_where;              // only partitions matching this predicate
  int64_t min_files = 2;                    // a bin with fewer files is left alone
};

struct VacuumOptions {
  std::optional<double> retention_hours;  // default: delta.deletedFileRetentionDuration or 168
  bool dry_run = false;
  bool force = false;  // allow a retention below the default 168 h
};

struct VacuumResult {
  std::vector<std::string> files;  // deleted (or, with dry_run, to delete), table-relative
  int64_t bytes = 0;
  bool dry_run = false;
};

struct LogCleanupResult {
  std::vector<std::string> files;  // log files deleted
  std::optional<int64_t> cutoff_checkpoint;
};

struct HistoryEntry {
  int64_t version = 0;
  int64_t timestamp_ms = 0;        // the version's commit time as time travel sees it
  std::string commit_info = "{}";  // the commitInfo action as JSON text, or {} when absent
};

struct ColumnDescription {
  std::string name;
  std::string type;  // Delta type: "long", "decimal(10,2)", or its JSON for nested types
  bool nullable = true;
  bool partition = false;
};

struct TableDescription {
  std::string path;
  int64_t version = 0;
  int64_t timestamp_ms = 0;
  std::string id;
  std::optional<std::string> name, description;
  std::vector<ColumnDescription> columns;
  std::vector<std::string> partition_columns;
  std::map<std::string, std::string> configuration;
  int min_reader_version = 1, min_writer_version = 2;
  std::vector<std::string> reader_features, writer_features;
  int64_t num_files = 0, size_bytes = 0;
  std::optional<int64_t> num_records;         // when every file has stats
  std::optional<int64_t> checkpoint_version;  // the checkpoint this snapshot was loaded from
};

class Table {
 public:
  // Opens an existing table. NotFound when `path` has no _delta_log.
  static Result<std::unique_ptr<Table>> Open(const std::string& path,
                                             const TableOptions& options = {});
  // Creates a table at `path` (version 0: protocol, metaData, and the source's rows) and opens
  // it. The schema comes from the source. AlreadyExists when `path` already holds a table.
  static Result<std::unique_ptr<Table>> Create(const std::string& path, const WriteSource& source,
                                               const CreateOptions& create,
                                               const TableOptions& options = {});
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& path() const;

  Result<TableDescription> Describe(const VersionSpec& at = {});
  // Newest first; `limit` 0 = all.
  Result<std::vector<HistoryEntry>> History(size_t limit = 0);

  // Rows as columnar batches: integers as int64, float/double as double, booleans, anything else
  // (decimals, dates, timestamps in UTC, nested values) as DuckDB renders it as text.
  Result<RecordBatch> Read(const ScanOptions& scan);
  // Streams the rows to `path` in their own types. Returns the row count.
  Result<int64_t> Export(const ScanOptions& scan, OutputFormat format, const std::string& path);
  // A DuckDB SELECT over the snapshot's rows, runnable on this table's connection via Query().
  Result<std::string> ScanSql(const ScanOptions& scan);
  // Runs any SQL on this table's DuckDB connection (for callers that post-process a ScanSql);
  // the result as one batch with the same type mapping as Read().
  Result<RecordBatch> Query(const std::string& sql);

  Result<CommitResult> Append(const WriteSource& source, const WriteOptions& options = {});
  // Replaces all rows, or with options.replace_where the matching rows (the source rows must
  // all match it).
  Result<CommitResult> Overwrite(const WriteSource& source, const WriteOptions& options = {});
  // Deletes the rows matching `predicate`, rewriting only files that hold some of them.
  Result<CommitResult> Delete(const std::string& predicate);
  // Upsert by key columns, rewriting only files that hold matched keys.
  Result<CommitResult> Merge(const WriteSource& source, const MergeOptions& options);
  // Makes the table's data equal to an earlier version's (a new commit; history is kept).
  Result<CommitResult> Restore(const VersionSpec& at);

  // Compacts small files; CommitResult::skipped when there was nothing to compact.
  Result<CommitResult> Optimize(const OptimizeOptions& options = {});
  Result<VacuumResult> Vacuum(const VacuumOptions& options = {});
  // Writes a checkpoint of the latest version; returns its version.
  Result<int64_t> Checkpoint();
  // Deletes log files older than delta.logRetentionDuration (default 30 days) that precede the
  // newest checkpoint older than that, keeping the table readable from that checkpoint on.
  Result<LogCleanupResult> CleanupLog(std::optional<double> retention_hours = std::nullopt);

  struct Impl;

 private:
  explicit Table(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlake::delta
