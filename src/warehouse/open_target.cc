#include "warehouse/open_target.h"

#include "common/file_util.h"
#include "dlake/common/settings.h"

namespace dlake::warehouse {

std::string EmbeddedWarehousePath(const std::string& lake) {
  return JoinPath(lake, "warehouse/warehouse.duckdb");
}

Status CheckContext(const WarehouseContext& ctx) {
  if (ctx.lake.empty()) return InvalidArgument("the warehouse needs a lake folder");
  if (!ctx.runtime) return InvalidArgument("the warehouse needs a runtime");
  return Status::Ok();
}

Result<std::unique_ptr<SqlTarget>> OpenTarget(const WarehouseContext& ctx) {
  DLAKE_RETURN_IF_ERROR(CheckContext(ctx));
  if (!ctx.url.empty()) return ConnectPostgres(ctx.url);
  const Settings& settings = ctx.runtime->settings();
  DuckTargetOptions options;
  // Half of memory_limit: the runtime's DuckDB reads silver at the same time, and together they
  // stay within about 1.5 times the setting. Our sizes are powers of 1024; DuckDB reads "MB"
  // as 10^6, so hand it KiB.
  options.memory_limit = std::to_string(settings.memory_limit_bytes() / 2048) + "KiB";
  options.threads = settings.threads();
  return OpenDuckTarget(EmbeddedWarehousePath(ctx.lake), options);
}

}  // namespace dlake::warehouse
