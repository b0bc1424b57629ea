#include "lakehouse/silver_writer.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>

#include "dlake/common/time.h"
#include "runtime/runtime_impl.h"

namespace dlake::lakehouse {
namespace {

namespace fs = std::filesystem;
using duck::QuoteIdentifier;

constexpr double kWeekHours = 168;
constexpr double kMonthHours = 720;

// A table of the runtime's shared DuckDB holding one snapshot while it is merged, dropped again
// on every path. Its name is unique in the process, as several lakes may share the runtime.
class StagedSnapshot {
 public:
  StagedSnapshot(duck::Connection& conn, const std::string& table) : conn_(conn) {
    static std::atomic<int64_t> counter{0};
    name_ = QuoteIdentifier("__silver_" + table + "_" + std::to_string(counter++));
  }
  ~StagedSnapshot() {
    if (created_)
      (void)conn_.Execute("DROP TABLE IF EXISTS " + name_, "dropping a staged snapshot");
  }
  StagedSnapshot(const StagedSnapshot&) = delete;
  StagedSnapshot& operator=(const StagedSnapshot&) = delete;

  Status Create(const std::string& sql, const std::string& what) {
    created_ = true;
    return conn_.Execute("CREATE TABLE " + name_ + " AS " + sql, "reading the snapshot of " + what);
  }
  Result<int64_t> Count() {
    DLAKE_ASSIGN_OR_RETURN(auto result,
                           conn_.Query("SELECT count(*) FROM " + name_, "counting the snapshot"));
    return result.GetInt64(0, 0);
  }
  const std::string& name() const { return name_; }

 private:
  duck::Connection& conn_;
  std::string name_;
  bool created_ = false;
};

// Data files in the table folder (not the log or other hidden entries): how many, and whether
// one is older than `cutoff_ms`.
struct FolderFiles {
  int64_t count = 0;
  bool any_older = false;
};

FolderFiles ListDataFiles(const std::string& root, int64_t cutoff_ms) {
  FolderFiles found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && (name[0] == '_' || name[0] == '.')) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    ++found.count;
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) continue;
    int64_t ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (ms < cutoff_ms) found.any_older = true;
  }
  return found;
}

}  // namespace

SilverTableWriter::SilverTableWriter(std::unique_ptr<delta::Table> table,
                                     std::unique_ptr<duck::Connection> conn,
                                     const SilverTable& definition)
    : table_(std::move(table)), conn_(std::move(conn)), definition_(definition) {}

Result<std::unique_ptr<SilverTableWriter>> SilverTableWriter::Open(
    const std::shared_ptr<Runtime>& runtime, const std::string& path, const SilverTable& table,
    const std::string& snapshot_sql) {
  delta::TableOptions options;
  options.runtime = runtime;
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(RuntimeDuck(*runtime)));
  std::error_code ec;
  if (fs::exists(fs::path(path) / "_delta_log", ec)) {
    auto opened = delta::Table::Open(path, options);
    if (opened.ok()) {
      return std::unique_ptr<SilverTableWriter>(
          new SilverTableWriter(std::move(opened).value(), std::move(conn), table));
    }
    if (opened.status().code() != StatusCode::kNotFound) return opened.status();
  }
  // Created empty: the first rows arrive through Write, with the txn like every later write.
  delta::CreateOptions create;
  create.not_null_columns = table.keys;
  create.name = table.delta_table;
  create.description =
      "dlake silver " + table.domain + "/" + table.delta_table + " (doc/silver.md)";
  DLAKE_ASSIGN_OR_RETURN(
      auto created,
      delta::Table::Create(
          path,
          delta::WriteSource::Query("SELECT * FROM (" + snapshot_sql + ") AS __schema LIMIT 0"),
          create, options));
  return std::unique_ptr<SilverTableWriter>(
      new SilverTableWriter(std::move(created), std::move(conn), table));
}

// The snapshot rows that are new or differ from the table's row of the same key in a compared
// column. NULLs compare equal, as the stored row and the new one are the same then.
Result<std::string> SilverTableWriter::ChangedRowsSql(const std::string& staged) {
  DLAKE_ASSIGN_OR_RETURN(std::string scan, table_->ScanSql({}));
  DLAKE_ASSIGN_OR_RETURN(auto columns, conn_->Query("SELECT * FROM " + staged + " LIMIT 0",
                                                    "reading the snapshot's columns"));
  const std::set<std::string> keys(definition_.keys.begin(), definition_.keys.end());
  const std::set<std::string> skip(definition_.uncompared.begin(), definition_.uncompared.end());
  std::string same;
  for (size_t c = 0; c < columns.ColumnCount(); ++c) {
    const std::string column = columns.ColumnName(c);
    if (skip.count(column)) continue;
    std::string name = QuoteIdentifier(column);
    same += (same.empty() ? "" : " AND ") + ("t." + name) +
            (keys.count(column) ? " = s." : " IS NOT DISTINCT FROM s.") + name;
  }
  return "SELECT s.* FROM " + staged + " AS s WHERE NOT EXISTS (SELECT 1 FROM (" + scan +
         ") AS t WHERE " + same + ")";
}

Result<SilverWriteResult> SilverTableWriter::Write(const std::string& snapshot_sql,
                                                   const std::string& app_id, int64_t app_version) {
  StagedSnapshot staged(*conn_, definition_.name);
  DLAKE_RETURN_IF_ERROR(staged.Create(snapshot_sql, definition_.domain + "/" + definition_.name));
  SilverWriteResult result;
  DLAKE_ASSIGN_OR_RETURN(result.record_count, staged.Count());
  const bool upsert = definition_.mode == WriteMode::kUpsert;
  std::string source = "SELECT * FROM " + staged.name();
  if (upsert) {
    DLAKE_ASSIGN_OR_RETURN(source, ChangedRowsSql(staged.name()));
  }
  delta::MergeOptions options;
  options.keys = definition_.keys;
  options.insert_unmatched = true;
  options.update_matched = upsert;
  options.sort_by = definition_.keys;
  if (!app_id.empty()) {
    options.app_id = app_id;
    options.app_version = app_version;
  }
  DLAKE_ASSIGN_OR_RETURN(delta::CommitResult commit,
                         table_->Merge(delta::WriteSource::Query(source), options));
  result.version = commit.version;
  result.rows_updated = commit.rows_updated;
  result.rows_inserted = commit.rows_written - commit.rows_updated - commit.rows_copied;
  return result;
}

Result<int64_t> SilverTableWriter::Vacuum(double retention_hours, int64_t now_ms) {
  // VACUUM reads the log and walks the folder; skip it when the folder holds nothing but live
  // files or nothing old enough to go.
  const int64_t cutoff = now_ms - static_cast<int64_t>(retention_hours * kMsPerHour);
  FolderFiles files = ListDataFiles(table_->path(), cutoff);
  if (!files.any_older) return 0;
  DLAKE_ASSIGN_OR_RETURN(delta::TableDescription description, table_->Describe());
  if (files.count <= description.num_files) return 0;
  delta::VacuumOptions options;
  options.retention_hours = retention_hours;
  DLAKE_ASSIGN_OR_RETURN(delta::VacuumResult vacuumed, table_->Vacuum(options));
  return static_cast<int64_t>(vacuumed.files.size());
}

Result<MaintenanceResult> SilverTableWriter::Maintain(Maintenance maintenance, int64_t now) {
  MaintenanceResult result;
  if (maintenance == Maintenance::kNone) return result;
  if (maintenance == Maintenance::kVacuumMonth) {
    DLAKE_ASSIGN_OR_RETURN(result.files_vacuumed, Vacuum(kMonthHours, now));
    return result;
  }
  delta::OptimizeOptions optimize;
  optimize.min_files = kOptimizeMinFiles;
  DLAKE_ASSIGN_OR_RETURN(delta::CommitResult compacted, table_->Optimize(optimize));
  if (!compacted.skipped) result.optimize_version = compacted.version;
  DLAKE_ASSIGN_OR_RETURN(result.files_vacuumed, Vacuum(kWeekHours, now));
  return result;
}

}  // namespace dlake::lakehouse
