#pragma once
// Stages a silver Delta table's rows for the bulk load: the rows (of one version, optionally from
// a snapshot time on) in the warehouse table's columns, order and types, written by the silver
// side's DuckDB to a file in the target dialect's stage format.

#include <cstdint>
#include <optional>
#include <string>

#include "dlake/common/status.h"
#include "dlake/delta/table.h"
#include "warehouse/dialect.h"
#include "warehouse/schema.h"

namespace dlake::warehouse {

struct StageRequest {
  const WarehouseTable* table = nullptr;
  int64_t version = 0;  // the silver version to read
  // Only the rows of files added after this version (what changed since the last load);
  // nullopt = every row.
  std::optional<int64_t> added_after_version;
  std::string path;  // the stage file to write
};

// The DuckDB type a warehouse column is staged (and read back from JSON) as.
std::string StageSqlType(SqlType type);

// Writes the stage file and returns its row count. Silver columns the warehouse has no use for
// are dropped; warehouse columns silver lacks are NULL.
Result<int64_t> WriteStage(delta::Table& silver, const StageRequest& request,
                           const Dialect& dialect);

}  // namespace dlake::warehouse
