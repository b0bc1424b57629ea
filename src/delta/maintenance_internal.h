#pragma once
// Helpers shared by the files implementing delta/maintenance.h: optimize.cc, vacuum.cc,
// log_cleanup.cc and restore.cc. Private: not installed, not for other modules.

#include <cstdint>

#include "delta/snapshot.h"
#include "delta/table_context.h"
#include "dlake/common/status.h"

namespace dlake::delta::maintenance_internal {

// The latest snapshot of `ctx.root`, failing when this library cannot write the table's
// protocol; `operation` names the caller in the error.
Result<Snapshot> LoadWritable(TableContext& ctx, const char* operation);

// The table's retention for `key` in hours, or `fallback` when the property is not set. A value
// that is not an interval is an error, not the default: VACUUM deletes files by it.
Result<double> ConfiguredHours(const Snapshot& snapshot, const char* key, double fallback);

// Invalid argument unless `hours` (a retention given by the caller) is finite and not negative;
// `what` names the retention in the error.
Status CheckHoursArgument(double hours, const char* what);

// `now_ms` minus `hours`, or 0 (before every file and commit) when that is before the epoch.
int64_t HoursBefore(int64_t now_ms, double hours);

}  // namespace dlake::delta::maintenance_internal
