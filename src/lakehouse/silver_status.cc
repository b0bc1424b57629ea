// SilverStatus: each silver table's last metadata line and its Delta table as it stands.

#include <filesystem>

#include "common/file_util.h"
#include "dlake/delta/table.h"
#include "dlake/lakehouse/transform.h"
#include "lakehouse/silver_tables.h"
#include "lakehouse/transform_metadata.h"

namespace dlake::lakehouse {
namespace {

namespace fs = std::filesystem;

// The table's latest version and row count; leaves `status` as absent when it has no table.
Status DescribeTable(const SilverContext& ctx, const std::string& path, SilverTableStatus& status) {
  std::error_code ec;
  if (!fs::exists(fs::path(path) / "_delta_log", ec)) return Status::Ok();
  delta::TableOptions options;
  options.runtime = ctx.runtime;
  auto table = delta::Table::Open(path, options);
  if (!table.ok() && table.status().code() == StatusCode::kNotFound) return Status::Ok();
  if (!table.ok()) return table.status();
  DLAKE_ASSIGN_OR_RETURN(delta::TableDescription description, (*table)->Describe());
  status.exists = true;
  status.delta_version = description.version;
  if (description.num_records) {
    status.row_count = *description.num_records;
    return Status::Ok();
  }
  DLAKE_ASSIGN_OR_RETURN(std::string scan, (*table)->ScanSql({}));
  DLAKE_ASSIGN_OR_RETURN(RecordBatch count, (*table)->Query("SELECT count(*) FROM (" + scan + ")"));
  status.row_count = count.columns.at(0).ints.at(0);
  return Status::Ok();
}

}  // namespace

Result<std::vector<SilverTableStatus>> SilverStatus(const SilverContext& ctx) {
  if (ctx.lake.empty() || !ctx.runtime) {
    return InvalidArgument("the silver status needs a lake folder and a runtime");
  }
  std::error_code ec;
  const std::string lake = fs::absolute(ctx.lake, ec).lexically_normal().string();
  if (ec) return IoError("cannot resolve the lake folder '", ctx.lake, "': ", ec.message());
  TransformMetadata metadata(lake, ctx.runtime->env());
  std::vector<SilverTableStatus> statuses;
  for (const auto& table : SilverTables()) {
    SilverTableStatus status;
    status.domain = table.domain;
    status.table = table.name;
    status.path = table.RelativePath();
    DLAKE_RETURN_IF_ERROR(DescribeTable(ctx, JoinPath(lake, status.path), status)
                              .WithContext("silver table " + status.path));
    DLAKE_ASSIGN_OR_RETURN(auto last, metadata.LastLine(table.domain, table.name));
    if (last) {
      status.has_last_run = true;
      status.last_status = last->status;
      status.last_record_count = last->record_count.value_or(-1);
      status.last_started_at = last->started_at;
      status.last_ended_at = last->ended_at;
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

}  // namespace dlake::lakehouse
