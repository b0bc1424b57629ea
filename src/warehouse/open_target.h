#pragma once
// Which warehouse a context means: PostgreSQL when it has a URL, else the embedded DuckDB file.

#include <memory>

#include "dlake/warehouse/warehouse.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {

// InvalidArgument for a context without lake or runtime; Unavailable when PostgreSQL cannot be
// reached.
Result<std::unique_ptr<SqlTarget>> OpenTarget(const WarehouseContext& ctx);

Status CheckContext(const WarehouseContext& ctx);

}  // namespace dlake::warehouse
