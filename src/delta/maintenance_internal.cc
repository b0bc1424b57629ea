#include "delta/maintenance_internal.h"

#include <cmath>
#include <string>

#include "delta/transaction.h"

namespace dlake::delta::maintenance_internal {
namespace {

constexpr double kMsPerHour = 3600.0 * 1000.0;

}  // namespace

Result<double> ConfiguredHours(const Snapshot& snapshot, const char* key, double fallback) {
  std::string text = snapshot.Config(key);
  if (text.empty()) return fallback;
  auto hours = ParseIntervalHours(text);
  if (!hours || !std::isfinite(*hours) || *hours < 0) {
    return InvalidArgument("'", snapshot.root, "': table property ", key, " = '", text,
                           "' is not an interval such as 'interval 7 days'");
  }
  return *hours;
}

Status CheckHoursArgument(double hours, const char* what) {
  if (!std::isfinite(hours) || hours < 0) {
    return InvalidArgument(what, " retention must be a non-negative number of hours, not ", hours);
  }
  return Status::Ok();
}

int64_t HoursBefore(int64_t now_ms, double hours) {
  double ms = hours * kMsPerHour;
  if (ms >= static_cast<double>(now_ms)) return 0;  // before every file and commit
  return now_ms - static_cast<int64_t>(std::llround(ms));
}

Result<Snapshot> LoadWritable(TableContext& ctx, const char* operation) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(*ctx.conn, ctx.root, VersionSpec{}));
  DLAKE_RETURN_IF_ERROR(CheckWriteSupported(snapshot.protocol, snapshot.metadata)
                            .WithContext(std::string(operation) + " of '" + ctx.root + "'"));
  return snapshot;
}

}  // namespace dlake::delta::maintenance_internal
