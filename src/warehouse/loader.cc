// `dlake warehouse load`: silver Delta tables into the warehouse (doc/warehouse.md "Load").
// Each table: should_load (cryptolakehouse §3.2), stage the silver rows of one version (from the
// newest loaded snapshot on, for snapshot-keyed tables), then in one transaction: COPY into a
// temporary table, move rows whose foreign key has no parent into dlake_load_rejects, and insert
// (facts) or upsert (dimensions) the rest on the primary key; after the commit, the metadata line.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "dlake/common/strings.h"
#include "dlake/delta/table.h"
#include "dlake/warehouse/warehouse.h"
#include "lakehouse/transform_metadata.h"
#include "warehouse/load_metadata.h"
#include "warehouse/migrate.h"
#include "warehouse/open_target.h"
#include "warehouse/procedures.h"
#include "warehouse/schema.h"
#include "warehouse/stage.h"

namespace dlake::warehouse {
namespace {

namespace fs = std::filesystem;

constexpr const char* kValidGroups = "daily, weekly, 5x, 10x, all";
constexpr const char* kStage = "dlake_stage";
constexpr const char* kStageFilePrefix = "warehouse-";    // in .tmp/, then <pid>-<table>.<ext>
constexpr const char* kWarehouseLock = "warehouse.lock";  // in .locks/

// The transform metadata names whose success lines feed a warehouse table.
std::vector<std::string> TransformNames(const WarehouseTable& table) {
  if (table.name == "fact_market_sentiment") return {table.name, "market_sentiment_history"};
  return {table.name};
}

// A file removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Joined(const std::vector<std::string>& items, const std::string& separator,
                   const std::string& prefix = "") {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + prefix + item;
  return text;
}

// The primary key of alias's row as one text: the key columns joined by '|'.
std::string RowKey(const WarehouseTable& table, const std::string& alias) {
  std::string key;
  for (const auto& column : table.primary_key) {
    key += (key.empty() ? "" : " || '|' || ") + std::string("coalesce(CAST(") + alias + "." +
           column + " AS VARCHAR), '')";
  }
  return key;
}

std::vector<std::string> ColumnNames(const WarehouseTable& table) {
  std::vector<std::string> names;
  for (const auto& column : table.columns) names.push_back(column.name);
  return names;
}

std::vector<std::string> NonKeyColumns(const WarehouseTable& table) {
  std::vector<std::string> names;
  for (const auto& column : table.columns) {
    bool key = false;
    for (const auto& k : table.primary_key) key = key || k == column.name;
    if (!key) names.push_back(column.name);
  }
  return names;
}

class TableLoader {
 public:
  TableLoader(const WarehouseContext& ctx, SqlTarget& target, const WarehouseTable& table,
              bool force)
      : ctx_(ctx),
        target_(target),
        table_(table),
        force_(force),
        load_metadata_(ctx.lake, ctx.runtime->env()),
        transform_metadata_(ctx.lake, ctx.runtime->env()) {}

  TableLoad Run() {
    TableLoad load;
    load.domain = table_.domain;
    load.table = table_.name;
    const int64_t start_ms = ctx_.runtime->env()->NowMs();
    load.started_at = lakehouse::IsoUtcMicros(start_ms);
    Status status = Load(load);
    const int64_t end_ms = ctx_.runtime->env()->NowMs();
    load.ended_at = lakehouse::IsoUtcMicros(end_ms);
    load.duration_seconds = static_cast<double>(end_ms - start_ms) / 1000.0;
    if (!status.ok()) {
      load.status = "failed";
      load.error = status.message();
      if (status.message().find("loaded and committed") == std::string::npos) {
        load.rows_inserted = load.rows_updated = load.rows_rejected = 0;
      }
    }
    return load;
  }

 private:
  Status Load(TableLoad& load) {
    // should_load (§3.2): the newest successful transform, against the last load's; a table
    // with rows waiting for their parents loads anyway, to retry them.
    DLAKE_ASSIGN_OR_RETURN(std::string transformed, LastTransformEnd());
    DLAKE_ASSIGN_OR_RETURN(auto last_load, load_metadata_.Last(table_.domain, table_.name));
    DLAKE_ASSIGN_OR_RETURN(int64_t waiting, PendingRejects());
    if (last_load && !force_ && waiting == 0) {
      if (transformed.empty()) return Skip(load, "no successful transform to load");
      if (transformed == last_load->transformation_ended_at) {
        return Skip(load, "silver has not been transformed since the last load");
      }
    }
    const std::string silver_path = JoinPath(
        ctx_.lake, std::string(layout::kSilverDir) + "/" + table_.domain + "/" + table_.name);
    delta::TableOptions options;
    options.runtime = ctx_.runtime;
    auto silver = delta::Table::Open(silver_path, options);
    if (silver.status().code() == StatusCode::kNotFound) {
      return Skip(load, "no silver table yet (run `dlake cmc transform` first)");
    }
    DLAKE_RETURN_IF_ERROR(silver.status());
    DLAKE_ASSIGN_OR_RETURN(delta::TableDescription description, (*silver)->Describe());
    load.delta_version = description.version;

    StageRequest stage;
    stage.table = &table_;
    stage.version = description.version;
    // Incremental: the files silver added since the version the last load read (every row on
    // the first load, with --force, or when that version is gone).
    if (last_load && !force_ && last_load->delta_version >= 0 &&
        last_load->delta_version <= description.version) {
      stage.added_after_version = last_load->delta_version;
    }
    const std::string extension =
        target_.dialect().stage_format() == StageFormat::kCsv ? ".csv" : ".parquet";
    const std::string tmp_dir = JoinPath(ctx_.lake, layout::kTmpDir);
    DLAKE_RETURN_IF_ERROR(ctx_.runtime->env()->CreateDirs(tmp_dir));
    RemoveDeadStageFiles(tmp_dir);
    TempFile file(JoinPath(tmp_dir, std::string(kStageFilePrefix) + std::to_string(getpid()) + "-" +
                                        table_.name + extension));
    stage.path = file.path();
    auto staged = WriteStage(**silver, stage, target_.dialect());
    if (!staged.ok() && stage.added_after_version &&
        (staged.status().code() == StatusCode::kNotFound ||
         staged.status().code() == StatusCode::kFailedPrecondition)) {
      stage.added_after_version.reset();  // the old version's log is gone: read everything
      staged = WriteStage(**silver, stage, target_.dialect());
    }
    DLAKE_RETURN_IF_ERROR(staged.status());
    load.rows_read = *staged;

    DLAKE_RETURN_IF_ERROR(Apply(file.path(), load));

    LoadLine line;
    line.table = table_.name;
    line.domain = table_.domain;
    line.record_count = load.rows_inserted + load.rows_updated;
    line.status = line.record_count > 0 ? "loaded" : "skipped";
    load.status = line.status;
    DLAKE_ASSIGN_OR_RETURN(int64_t still_waiting, PendingRejects());
    if (line.record_count > 0) {
      load.notes = "Load from transformed " + table_.name + " delta table";
    } else if (still_waiting > 0) {
      load.notes = std::to_string(still_waiting) + " rows wait for their parent rows (" +
                   std::string(kRejectsTable) + ")";
    } else {
      load.notes = "Data is up to date";
    }
    line.notes = load.notes;
    line.started_at = load.started_at;
    line.ended_at = lakehouse::IsoUtcMicros(ctx_.runtime->env()->NowMs());
    line.transformation_ended_at = transformed;
    line.delta_version = load.delta_version;
    line.rows_inserted = load.rows_inserted;
    line.rows_updated = load.rows_updated;
    line.rows_rejected = load.rows_rejected;
    if (table_.name == "crypto_category_link") {
      DLAKE_ASSIGN_OR_RETURN(line.category_ids, CategoryIds());
    }
    Status appended = load_metadata_.Append(line);
    if (!appended.ok()) {
      return Status(appended.code(),
                    "loaded and committed, but the metadata line was not written "
                    "(the next load writes nothing twice): " +
                        appended.message());
    }
    return Status::Ok();
  }

  Result<int64_t> PendingRejects() {
    DLAKE_ASSIGN_OR_RETURN(
        SqlRows rows,
        target_.Query("SELECT count(DISTINCT row_key) FROM " + std::string(kRejectsTable) +
                          " WHERE table_name = " + SqlLiteral(table_.name),
                      "counting the rejected rows of " + table_.name));
    return rows.Int(0, 0);
  }

  // Stage files of loads whose process is gone (killed): .tmp/warehouse-<pid>-<table>.<ext>.
  static void RemoveDeadStageFiles(const std::string& tmp_dir) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(tmp_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(kStageFilePrefix, 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + std::strlen(kStageFilePrefix), nullptr, 10);
      if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
        fs::remove(entry.path(), ec);
      }
    }
  }

  Status Skip(TableLoad& load, std::string why) {
    load.status = "skipped";
    load.notes = std::move(why);
    return Status::Ok();
  }

  // ended_at of the newest success line among the table's transform metadata; "" if none.
  Result<std::string> LastTransformEnd() {
    std::string newest;
    int64_t newest_ms = INT64_MIN;
    for (const auto& name : TransformNames(table_)) {
      DLAKE_ASSIGN_OR_RETURN(auto record, transform_metadata_.LastTransform(table_.domain, name));
      if (!record || record->status != "success" || !record->ended_at_ms) continue;
      if (*record->ended_at_ms > newest_ms) {
        newest_ms = *record->ended_at_ms;
        newest = record->ended_at;
      }
    }
    return newest;
  }

  Status Apply(const std::string& stage_file, TableLoad& load) {
    const Dialect& dialect = target_.dialect();
    DLAKE_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(target_));
    DLAKE_RETURN_IF_ERROR(
        target_.Execute(dialect.LockForLoad(table_.name), "locking " + table_.name).status());
    DLAKE_RETURN_IF_ERROR(target_
                              .Execute(dialect.CreateStage(kStage, table_.name),
                                       "creating the stage table for " + table_.name)
                              .status());
    DLAKE_RETURN_IF_ERROR(target_.CopyIn(kStage, ColumnNames(table_), stage_file).status());
    DLAKE_ASSIGN_OR_RETURN(int64_t waiting_before, PendingRejects());
    DLAKE_ASSIGN_OR_RETURN(int64_t retried, RetryRejects());
    DLAKE_RETURN_IF_ERROR(RejectOrphans().status());
    // Orphans not already waiting (a row still without its parent is not counted again).
    DLAKE_ASSIGN_OR_RETURN(int64_t waiting_after, PendingRejects());
    DLAKE_RETURN_IF_ERROR(Write(load));
    // Rows loaded now are no longer rejects.
    DLAKE_ASSIGN_OR_RETURN(
        int64_t resolved,
        target_.Execute("DELETE FROM " + std::string(kRejectsTable) + " WHERE table_name = " +
                            SqlLiteral(table_.name) + " AND row_key IN (SELECT " +
                            RowKey(table_, "s") + " FROM " + kStage + " AS s)",
                        "clearing loaded rows from the rejects of " + table_.name));
    load.rows_rejected = waiting_after - waiting_before;
    load.rejects_retried = retried;
    load.rejects_resolved = resolved;
    DLAKE_RETURN_IF_ERROR(
        target_.Execute(std::string("DROP TABLE ") + kStage, "dropping the stage table").status());
    return txn.Commit();
  }

  // Rows rejected earlier go back into the stage (unless silver brought them again), to be
  // loaded if their parent has arrived since.
  Result<int64_t> RetryRejects() {
    std::string structure;
    for (const auto& column : table_.columns) {
      structure += std::string(structure.empty() ? "" : ", ") + "\"" + column.name + "\": \"" +
                   StageSqlType(column.type) + "\"";
    }
    const std::string waiting =
        "(SELECT DISTINCT row_key, row_data FROM " + std::string(kRejectsTable) +
        " WHERE table_name = " + SqlLiteral(table_.name) + " AND row_key NOT IN (SELECT " +
        RowKey(table_, "s") + " FROM " + kStage + " AS s)) AS r";
    // No column list: PostgreSQL fills the stage's own row type by name, DuckDB's stage has the
    // columns in schema order (the structure's order).
    return target_.Execute(
        std::string("INSERT INTO ") + kStage + " SELECT " +
            target_.dialect().RowFromJson("r.row_data", kStage, "{" + structure + "}") + " FROM " +
            waiting,
        "retrying the rejected rows of " + table_.name);
  }

  // Sets aside (into the rejects table) the stage rows whose foreign key has no parent; returns
  // how many.
  Result<int64_t> RejectOrphans() {
    int64_t rejected = 0;
    const std::string now = "timezone('UTC', now())";
    const std::string snapshot = table_.snapshot_column.empty()
                                     ? std::string("CAST(NULL AS TIMESTAMP)")
                                     : "s." + table_.snapshot_column;
    for (const auto& fk : table_.foreign_keys) {
      const std::string orphan = "s." + fk.column + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " +
                                 fk.parent + " AS p WHERE p." + fk.column + " = s." + fk.column +
                                 ")";
      const std::string reason = "no " + fk.parent + " row for " + fk.column;
      DLAKE_RETURN_IF_ERROR(
          target_
              .Execute("INSERT INTO " + std::string(kRejectsTable) +
                           " (table_name, row_key, reason, row_data, snapshot_timestamp, "
                           "first_rejected_at, last_rejected_at) SELECT " +
                           SqlLiteral(table_.name) + ", " + RowKey(table_, "s") + ", " +
                           SqlLiteral(reason) + ", " + target_.dialect().RowJson("s") + ", " +
                           snapshot + ", " + now + ", " + now + " FROM " + kStage + " AS s WHERE " +
                           orphan +
                           " ON CONFLICT (table_name, row_key, reason) DO UPDATE SET "
                           "row_data = EXCLUDED.row_data, last_rejected_at = "
                           "EXCLUDED.last_rejected_at",
                       "recording the rejected rows of " + table_.name)
              .status());
      DLAKE_ASSIGN_OR_RETURN(
          int64_t deleted,
          target_.Execute(std::string("DELETE FROM ") + kStage + " AS s WHERE " + orphan,
                          "setting aside the rejected rows of " + table_.name));
      rejected += deleted;
    }
    return rejected;
  }

  Status Write(TableLoad& load) {
    const std::string columns = Joined(ColumnNames(table_), ", ");
    const std::string key = Joined(table_.primary_key, ", ");
    const std::vector<std::string> attributes = NonKeyColumns(table_);
    std::string insert = "INSERT INTO " + table_.name + " (" + columns + ") SELECT " + columns +
                         " FROM " + kStage + " ON CONFLICT (" + key + ") DO ";
    if (table_.load == LoadKind::kInsertNew || attributes.empty()) {
      DLAKE_ASSIGN_OR_RETURN(load.rows_inserted,
                             target_.Execute(insert + "NOTHING", "inserting into " + table_.name));
      return Status::Ok();
    }
    std::string match;
    for (const auto& k : table_.primary_key) {
      match += (match.empty() ? "" : " AND ") + ("t." + k + " = s." + k);
    }
    DLAKE_ASSIGN_OR_RETURN(
        SqlRows fresh, target_.Query(std::string("SELECT count(*) FROM ") + kStage +
                                         " AS s WHERE NOT EXISTS (SELECT 1 FROM " + table_.name +
                                         " AS t WHERE " + match + ")",
                                     "counting the new rows of " + table_.name));
    std::string set, changed;
    for (const auto& column : attributes) {
      set += (set.empty() ? "" : ", ") + column + " = EXCLUDED." + column;
      changed += (changed.empty() ? "" : " OR ") + table_.name + "." + column +
                 " IS DISTINCT FROM EXCLUDED." + column;
    }
    DLAKE_ASSIGN_OR_RETURN(int64_t written,
                           target_.Execute(insert + "UPDATE SET " + set + " WHERE " + changed,
                                           "upserting into " + table_.name));
    load.rows_inserted = fresh.Int(0, 0);
    load.rows_updated = written - load.rows_inserted;
    return Status::Ok();
  }

  Result<std::vector<std::string>> CategoryIds() {
    DLAKE_ASSIGN_OR_RETURN(SqlRows rows,
                           target_.Query("SELECT category_id FROM dim_crypto_category ORDER BY 1",
                                         "reading the loaded category ids"));
    std::vector<std::string> ids;
    for (const auto& row : rows.rows) {
      if (row[0]) ids.push_back(*row[0]);
    }
    return ids;
  }

  const WarehouseContext& ctx_;
  SqlTarget& target_;
  const WarehouseTable& table_;
  bool force_;
  LoadMetadata load_metadata_;
  lakehouse::TransformMetadata transform_metadata_;
};

}  // namespace

bool LoadReport::ok() const {
  for (const auto& table : tables) {
    if (table.status == "failed") return false;
  }
  for (const auto& procedure : procedures) {
    if (!procedure.error.empty()) return false;
  }
  return true;
}

Result<std::vector<std::string>> LoadGroupTables(const std::string& group) {
  const std::string name = AsciiLower(TrimWhitespace(group));
  if (name == "daily") {
    // Parents first (the original loaded fact_exchange_assets before dim_crypto_id).
    return std::vector<std::string>{
        "dim_exchange_id",      "dim_exchange_info", "dim_exchange_map",    "dim_crypto_id",
        "fact_exchange_assets", "dim_crypto_map",    "crypto_category_link"};
  }
  if (name == "weekly") return std::vector<std::string>{"dim_crypto_info"};
  if (name == "5x") return std::vector<std::string>{"fact_crypto_market"};
  if (name == "10x") {
    return std::vector<std::string>{"dim_crypto_category", "fact_crypto_category",
                                    "fact_global_market", "fact_market_sentiment"};
  }
  if (name == "all") {
    std::vector<std::string> all;
    for (const auto& table : WarehouseTables()) all.push_back(table.name);
    return all;
  }
  return InvalidArgument("unknown load group '", group, "' (valid: ", kValidGroups, ")");
}

Result<LoadReport> LoadWarehouse(const WarehouseContext& ctx, const LoadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(std::vector<std::string> names, LoadGroupTables(request.group));
  DLAKE_RETURN_IF_ERROR(CheckContext(ctx));
  DLAKE_ASSIGN_OR_RETURN(
      FileLock lock,
      FileLock::Acquire(JoinPath(JoinPath(ctx.lake, layout::kLocksDir), kWarehouseLock)));
  DLAKE_ASSIGN_OR_RETURN(auto target, OpenTarget(ctx));
  DLAKE_ASSIGN_OR_RETURN(int version, SchemaVersion(*target));
  if (version < Migrations().back().version) {
    return FailedPrecondition("the warehouse ", target->Describe(), " is at schema version ",
                              version, " of ", Migrations().back().version,
                              ": run `dlake warehouse init` first");
  }
  LoadReport report;
  report.group = AsciiLower(TrimWhitespace(request.group));
  report.target = target->Describe();
  for (const auto& name : names) {
    TableLoader loader(ctx, *target, *FindWarehouseTable(name), request.force);
    report.tables.push_back(loader.Run());
  }
  if (report.group == "daily" || report.group == "all") {
    for (const auto& procedure : RepairProcedures()) {
      ProcedureRun run;
      run.name = procedure.name;
      auto rows = RunProcedure(*target, procedure);
      if (rows.ok()) {
        run.rows_updated = *rows;
      } else {
        run.error = rows.status().message();
      }
      report.procedures.push_back(std::move(run));
    }
  }
  return report;
}

}  // namespace dlake::warehouse
