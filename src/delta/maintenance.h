#pragma once
// Table maintenance: OPTIMIZE (bin-packing compaction), VACUUM (deleting files no retained
// version needs), log cleanup (PROTOCOL.md "Metadata Cleanup") and RESTORE.

#include <optional>

#include "delta/table_context.h"
#include "dlake/common/status.h"
#include "dlake/delta/table.h"

namespace dlake::delta {

Result<CommitResult> Optimize(TableContext& ctx, const OptimizeOptions& options);
Result<VacuumResult> Vacuum(TableContext& ctx, const VacuumOptions& options);
Result<LogCleanupResult> CleanupLog(TableContext& ctx, std::optional<double> retention_hours);
Result<CommitResult> Restore(TableContext& ctx, const VersionSpec& at);

}  // namespace dlake::delta
