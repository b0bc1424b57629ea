#pragma once
// What every Delta operation needs: the table folder, the Env for file operations and clock, and
// one DuckDB connection (Parquet I/O and SQL over the rows). Owned by a Table.

#include <memory>
#include <string>

#include "dlake/common/env.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"

namespace dlake::delta {

struct TableContext {
  std::string root;  // absolute, no trailing slash
  Env* env = nullptr;
  TableOptions options;
  std::unique_ptr<duck::Database> db;
  std::unique_ptr<duck::Connection> conn;

  // Opens the DuckDB database (in memory, spilling to options.temp_directory, TimeZone UTC).
  static Result<std::unique_ptr<TableContext>> Make(const std::string& root,
                                                    const TableOptions& options);
};

}  // namespace dlake::delta
