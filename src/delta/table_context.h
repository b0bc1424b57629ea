#pragma once
// What every Delta operation needs: the table folder, the Env for file operations and clock, and
// one DuckDB connection on the runtime's database (Parquet I/O and SQL over the rows). Owned by
// a Table.

#include <memory>
#include <string>

#include "dlake/common/env.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"

namespace dlake::delta {

struct TableContext {
  std::string root;  // absolute, no trailing slash
  Env* env = nullptr;
  TableOptions options;  // options.runtime is set
  std::unique_ptr<duck::Connection> conn;

  // Opens a connection on the runtime's DuckDB (making a runtime when options has none).
  static Result<std::unique_ptr<TableContext>> Make(const std::string& root,
                                                    const TableOptions& options);
};

}  // namespace dlake::delta
