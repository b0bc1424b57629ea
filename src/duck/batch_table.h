#pragma once
// A RecordBatch loaded into a DuckDB table: rows given in memory (the Python SDK's DataFrames)
// become a table SQL can read like a file.

#include <string>

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"

namespace dlake::duck {

class Connection;

// Creates table `name` (unquoted) with the batch's columns in order (BIGINT, DOUBLE, BOOLEAN,
// VARCHAR) and appends its rows, NULLs kept. InvalidArgument for a batch without columns or
// with two columns of one name.
Status CreateTableFromBatch(Connection& conn, const std::string& name, const RecordBatch& batch);

}  // namespace dlake::duck
