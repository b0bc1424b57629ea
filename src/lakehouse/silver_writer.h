#pragma once
// Writes one snapshot into a silver Delta table and maintains the table (doc/silver.md "How
// tables are written"). Snapshot-keyed tables get the rows whose key is new; dimensions get the
// rows that are new or differ from the table's (so an unchanged snapshot commits nothing).
// Every commit carries the Delta txn (app_id, app_version): a snapshot already committed under
// that id and version commits nothing again.

#include <cstdint>
#include <memory>
#include <string>

#include "dlake/common/status.h"
#include "dlake/delta/table.h"
#include "dlake/runtime/runtime.h"
#include "duck/duck.h"
#include "lakehouse/silver_tables.h"

namespace dlake::lakehouse {

struct SilverWriteResult {
  int64_t record_count = 0;  // rows of the snapshot
  int64_t rows_inserted = 0;
  int64_t rows_updated = 0;
  int64_t version = -1;  // committed version, -1 when nothing was committed
};

struct MaintenanceResult {
  int64_t optimize_version = -1;
  int64_t files_vacuumed = 0;
};

// One silver table, open for writing. Used by one thread at a time.
class SilverTableWriter {
 public:
  // Opens the table at `path` (absolute), creating it empty with the schema of `snapshot_sql`
  // and NOT NULL keys when it does not exist yet.
  static Result<std::unique_ptr<SilverTableWriter>> Open(const std::shared_ptr<Runtime>& runtime,
                                                         const std::string& path,
                                                         const SilverTable& table,
                                                         const std::string& snapshot_sql);

  // Merges the rows of `snapshot_sql` as the table's WriteMode says.
  Result<SilverWriteResult> Write(const std::string& snapshot_sql, const std::string& app_id,
                                  int64_t app_version);

  // OPTIMIZE and/or VACUUM as `maintenance` says, each only when there is something to do:
  // OPTIMIZE once kOptimizeMinFiles files have accumulated, VACUUM when the folder holds a data
  // file older than the retention beyond the live ones. `now_ms`: the runtime's clock.
  Result<MaintenanceResult> Maintain(Maintenance maintenance, int64_t now_ms);

  delta::Table& table() { return *table_; }

 private:
  SilverTableWriter(std::unique_ptr<delta::Table> table, std::unique_ptr<duck::Connection> conn,
                    const SilverTable& definition);
  Result<std::string> ChangedRowsSql(const std::string& staged);
  Result<int64_t> Vacuum(double retention_hours, int64_t now_ms);

  std::unique_ptr<delta::Table> table_;
  // Our connection to the runtime's DuckDB: it stages the snapshot in a table of the shared
  // database, which the Delta table's own connection reads.
  std::unique_ptr<duck::Connection> conn_;
  const SilverTable& definition_;
};

// Files a fact table may gather before OPTIMIZE compacts them into one.
inline constexpr int64_t kOptimizeMinFiles = 8;

}  // namespace dlake::lakehouse
