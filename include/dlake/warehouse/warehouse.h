#pragma once
// The warehouse and gold layers of the CoinMarketCap pipeline (doc/warehouse.md): the silver
// Delta tables loaded into a star schema on PostgreSQL (through libpq) or, when no server is
// configured, into the embedded DuckDB file <lake>/warehouse/warehouse.duckdb; the schema, views,
// procedures and data tests; and the gold exports (database dumps and CSV snapshots).
//
// Every call opens its own connection. Loads of one lake serialise on <lake>/.locks/warehouse.lock;
// on PostgreSQL each table's load also locks that table against concurrent writers.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "dlake/runtime/runtime.h"

namespace dlake::warehouse {

struct WarehouseContext {
  std::string lake;                  // the lake root folder
  std::shared_ptr<Runtime> runtime;  // required: DuckDB (silver reads), Env, settings
  // A libpq connection string or URI (warehouse.url / $DLAKE_WAREHOUSE_URL); empty = embedded.
  // Never logged or reported: reports name the server by user, host, port and database.
  std::string url;
};

// <lake>/warehouse/warehouse.duckdb
std::string EmbeddedWarehousePath(const std::string& lake);

// ---- init ----

struct InitReport {
  std::string target;   // where: postgresql://user@host:port/db or the DuckDB file
  std::string dialect;  // postgresql | duckdb
  int from_version = 0, to_version = 0;
  std::vector<std::string> migrations;  // applied now: "<version> <name>"
  std::vector<std::string> roles;       // PostgreSQL: roles created or updated
  std::vector<std::string> passwords;   // roles whose password was set (from DLAKE_DW_*)
  std::vector<std::string> procedures;  // PostgreSQL: procedures created or replaced
  int views = 0;                        // views created or replaced
};

// Applies the migrations (up to `up_to_version`, -1 = all), then on PostgreSQL the roles,
// schemas and grants, and the procedures, and on both targets the views. Idempotent.
Result<InitReport> InitWarehouse(const WarehouseContext& ctx, int up_to_version = -1);

// ---- load ----

struct LoadRequest {
  std::string group;   // daily | weekly | 5x | 10x | all (any case)
  bool force = false;  // load even when should_load says the silver table has not changed
};

struct TableLoad {
  std::string domain, table;
  std::string status;  // loaded | skipped | failed
  std::string notes;   // why it was skipped, or what was loaded
  // failed: what and why. The table is as it was, unless the message says it was loaded and
  // committed (then only its metadata line failed).
  std::string error;
  int64_t delta_version = -1;  // the silver version read; -1 when none was read
  int64_t rows_read = 0;       // silver rows staged
  int64_t rows_inserted = 0, rows_updated = 0;
  // Rows newly set aside because a foreign key has no parent (kept in dlake_load_rejects).
  int64_t rows_rejected = 0;
  int64_t rejects_retried = 0;       // rows rejected earlier, tried again
  int64_t rejects_resolved = 0;      // rows rejected earlier, loaded now
  std::string started_at, ended_at;  // ISO-8601 UTC with microseconds
  double duration_seconds = 0.0;
};

struct ProcedureRun {
  std::string name;
  int64_t rows_updated = -1;  // -1 on PostgreSQL, where CALL reports no count
  std::string error;
};

struct LoadReport {
  std::string group;  // lower case
  std::string target;
  std::vector<TableLoad> tables;
  std::vector<ProcedureRun> procedures;  // daily and all: the two repair procedures
  bool ok() const;                       // no table and no procedure failed
};

// The tables a group loads, in order. InvalidArgument naming the valid groups.
Result<std::vector<std::string>> LoadGroupTables(const std::string& group);

// Loads the group's tables (each in one transaction; a failed table is reported and the others
// go on), then for daily and all runs the repair procedures. An error only when the run cannot
// start: bad group, unreachable warehouse, schema not initialised (FailedPrecondition).
Result<LoadReport> LoadWarehouse(const WarehouseContext& ctx, const LoadRequest& request);

// ---- data tests ----

struct DataTestResult {
  std::string name, domain, description;
  int64_t rows = 0;   // offending rows; 0 = passed
  std::string error;  // the query itself failed
  bool passed() const { return rows == 0 && error.empty(); }
};

struct DataTestReport {
  std::string target;
  std::vector<DataTestResult> tests;
  int failed() const;
  bool ok() const { return failed() == 0; }
};

Result<DataTestReport> TestWarehouse(const WarehouseContext& ctx);

// ---- status ----

struct WarehouseTableStatus {
  std::string domain, table;
  int64_t rows = -1;     // -1 when the table does not exist yet
  int64_t rejected = 0;  // rows currently in dlake_load_rejects for it
  bool has_last_load = false;
  std::string last_status, last_started_at, last_notes;
  int64_t last_record_count = 0;
  int64_t last_delta_version = -1;
};

struct WarehouseStatusReport {
  std::string target, dialect;
  int schema_version = 0;
  int latest_schema_version = 0;
  std::vector<WarehouseTableStatus> tables;
};

Result<WarehouseStatusReport> WarehouseStatus(const WarehouseContext& ctx);

// ---- gold ----

struct DumpRequest {
  int keep = 0;  // keep the newest N dumps (including this one) and delete older ones; 0 = all
};

struct DumpReport {
  std::string path;  // data/gold/dumps/full_backup_YYYY-MM-DD_HH-MM-SS.sql (or a folder)
  int64_t bytes = 0;
  std::vector<std::string> removed;  // rotated away
};

// PostgreSQL: pg_dump --format=plain --no-owner --no-privileges; embedded: DuckDB EXPORT
// DATABASE into a folder. Written under a temporary name and renamed.
Result<DumpReport> DumpGold(const WarehouseContext& ctx, const DumpRequest& request);

struct SnapshotRequest {
  std::vector<std::string> names;  // tables or views; empty = every table
};

struct SnapshotFile {
  std::string name, path;
  int64_t rows = 0;
};

struct SnapshotReport {
  std::vector<SnapshotFile> files;
};

// InvalidArgument naming a name that is neither a warehouse table nor a vw_ view.
Status CheckSnapshotRequest(const SnapshotRequest& request);

// CSV with a header per table or view: data/gold/snapshots/<name>-<YYYY-MM-DD_HH-MM-SS>.csv,
// written to a temporary name and renamed. InvalidArgument for an unknown name.
Result<SnapshotReport> SnapshotGold(const WarehouseContext& ctx, const SnapshotRequest& request);

}  // namespace dlake::warehouse
