#pragma once
// Turns a snapshot and scan options into one DuckDB query over exactly the files that may hold
// matching rows: data columns cast to the table schema (NULL for columns a file predates),
// partition values added as typed literals, deletion vectors applied, the predicate and column
// list applied last.

#include <string>
#include <vector>

#include "delta/snapshot.h"
#include "dlake/common/status.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"

namespace dlake::delta {

struct ScanPlan {
  std::string sql;                    // a SELECT; runnable on the connection it was planned with
  std::vector<const AddFile*> files;  // the files read, in snapshot order
  size_t files_skipped = 0;           // by partition values and stats
};

// `extra_columns` may ask for "__dlake_file" (the add.path of each row's file) and
// "__dlake_row" (the row's position in its file), which writers use to rewrite files.
Result<ScanPlan> PlanScan(duck::Connection& conn, const Snapshot& snapshot,
                          const ScanOptions& options,
                          const std::vector<std::string>& extra_columns = {});

// The same over a chosen subset of the snapshot's files (no skipping).
Result<std::string> ScanFilesSql(duck::Connection& conn, const Snapshot& snapshot,
                                 const std::vector<const AddFile*>& files,
                                 const std::vector<std::string>& extra_columns = {});

}  // namespace dlake::delta
