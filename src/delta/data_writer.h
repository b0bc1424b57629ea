#pragma once
// Writes rows into new Parquet data files of a table: split by partition values (Hive-style
// folders), at most target_file_rows per file, sorted, each with stats. The files are new,
// uniquely named and fsynced; they become part of the table only when a commit adds them.

#include <cstdint>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/schema.h"
#include "delta/table_context.h"
#include "dlake/common/status.h"

namespace dlake::delta {

struct DataWriteSpec {
  Schema schema;  // the table schema the files follow
  std::vector<std::string> partition_columns;
  std::vector<std::string> sort_by;  // empty = the rows' order in the relation
  int64_t target_file_rows = 4'000'000;
  int num_indexed_cols = 32;  // delta.dataSkippingNumIndexedCols
  bool data_change = true;
};

// Writes the rows of `relation` (a table name or a parenthesised SELECT whose columns are the
// schema's, by name; partition columns included) and returns one add action per file.
// No files and an empty result for an empty relation.
Result<std::vector<AddFile>> WriteDataFiles(TableContext& ctx, const std::string& relation,
                                            const DataWriteSpec& spec);

}  // namespace dlake::delta
