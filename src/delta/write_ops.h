#pragma once
// The data-changing operations: create, append, overwrite (all or replaceWhere), delete by
// predicate and merge by keys. Each stages its input in DuckDB, checks it against the schema,
// the invariants and delta.appendOnly, writes new files, and commits through transaction.h.
// Files written for a commit that then fails are deleted again.

#include <string>

#include "delta/table_context.h"
#include "dlake/common/status.h"
#include "dlake/delta/table.h"

namespace dlake::delta {

Status CreateTable(TableContext& ctx, const WriteSource& source, const CreateOptions& create);
Result<CommitResult> AppendRows(TableContext& ctx, const WriteSource& source,
                                const WriteOptions& options);
Result<CommitResult> OverwriteRows(TableContext& ctx, const WriteSource& source,
                                   const WriteOptions& options);
Result<CommitResult> DeleteRows(TableContext& ctx, const std::string& predicate);
Result<CommitResult> MergeRows(TableContext& ctx, const WriteSource& source,
                               const MergeOptions& options);

}  // namespace dlake::delta
