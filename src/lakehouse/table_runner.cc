#include "lakehouse/table_runner.h"

#include <spdlog/spdlog.h>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "lakehouse/should_transform.h"
#include "lakehouse/silver_writer.h"

namespace dlake::lakehouse {
namespace {

double Seconds(int64_t from_ms, int64_t to_ms) {
  return static_cast<double>(to_ms - from_ms) / 1000.0;
}

std::string AppId(const SilverTable& table) {
  return "dlake-silver:" + table.domain + "/" + table.name;
}

void Fail(TableTransform& out, const Status& status) {
  out.status = "failed";
  out.error = status.ToString();
  spdlog::warn("silver {}/{} failed: {}", out.domain, out.table, out.error);
}

}  // namespace

TableRunner::TableRunner(const SilverContext& ctx, std::string lake)
    : ctx_(ctx), lake_(std::move(lake)), metadata_(lake_, ctx.runtime->env()) {}

std::string TableRunner::Absolute(const std::string& relative) const {
  return JoinPath(lake_, relative);
}

TableTransform TableRunner::Run(const SilverTable& table) {
  TableTransform out;
  out.domain = table.domain;
  out.table = table.name;
  out.path = table.RelativePath();
  const int64_t started = ctx_.runtime->env()->NowMs();
  out.started_at = IsoUtcMicros(started);
  auto plan = PlanBuild(table);
  if (!plan.ok()) {
    Fail(out, plan.status());
    return out;
  }
  out.source_snapshot = plan->source_snapshot.value_or("");
  out.notes = plan->note;
  if (plan->skip_reason) {
    Skip(table, *plan, out);
  } else {
    Build(table, *plan, started, out);
  }
  return out;
}

Result<TableRunner::Plan> TableRunner::PlanBuild(const SilverTable& table) {
  if (table.rule == BuildRule::kWithExchangeInfo) {
    if (state_.exchange_info.empty()) return PlanExchangeMapCatchUp(table);
    Plan plan;
    plan.source_snapshot = kExchangeInfoBroadcast;
    plan.inputs.exchange_info = state_.exchange_info;
    plan.inputs.exchange_map = state_.exchange_map;
    plan.snapshot_time = state_.exchange_info_time;
    return plan;
  }
  if (table.rule == BuildRule::kOnce) {
    DLAKE_ASSIGN_OR_RETURN(auto done, metadata_.LastTransform(table.domain, table.name));
    if (done) {
      Plan plan;
      plan.skip_reason = "already loaded (ended_at " + done->ended_at + ")";
      return plan;
    }
  }
  return PlanFromBronze(table);
}

// A run killed after dim_exchange_info and before dim_exchange_map leaves the map behind, and
// every later run skips dim_exchange_info until the next extract. So when dim_exchange_info's
// last build is newer than the map's, the map is built from the snapshot dim_exchange_info read,
// joined with dim_exchange_id's snapshot when that was built since the map. Its txn makes this a
// no-op when only the map's metadata line was lost.
Result<TableRunner::Plan> TableRunner::PlanExchangeMapCatchUp(const SilverTable& table) {
  Plan plan;
  plan.source_snapshot = kExchangeInfoBroadcast;
  plan.skip_reason = "dim_exchange_info was not built in this run";
  const SilverTable& info_table = *FindSilverTable("dim_exchange_info");
  DLAKE_ASSIGN_OR_RETURN(auto info, metadata_.LastTransform(info_table.domain, info_table.name));
  DLAKE_ASSIGN_OR_RETURN(auto map, metadata_.LastTransform(table.domain, table.name));
  if (!info || (map && map->ended_at_ms >= info->ended_at_ms)) return plan;
  DLAKE_ASSIGN_OR_RETURN(auto info_file, SnapshotBuiltFrom(info_table, *info));
  if (!info_file) {
    plan.skip_reason = "the bronze file dim_exchange_info was last built from (ended_at " +
                       info->ended_at + ") is no longer the latest";
    return plan;
  }
  plan.skip_reason.reset();
  plan.inputs.exchange_info = Absolute(info_file->primary);
  plan.snapshot_time = info_file->time_ms;
  plan.note = "catching up with dim_exchange_info built at " + info->ended_at;
  const SilverTable& id_table = *FindSilverTable("dim_exchange_id");
  DLAKE_ASSIGN_OR_RETURN(auto id, metadata_.LastTransform(id_table.domain, id_table.name));
  if (!id || (map && map->ended_at_ms >= id->ended_at_ms)) return plan;
  DLAKE_ASSIGN_OR_RETURN(auto id_file, SnapshotBuiltFrom(id_table, *id));
  if (id_file) plan.inputs.exchange_map = Absolute(id_file->primary);
  return plan;
}

Result<std::optional<BronzeSnapshot>> TableRunner::SnapshotBuiltFrom(const SilverTable& table,
                                                                     const TransformRecord& built) {
  DLAKE_ASSIGN_OR_RETURN(
      auto latest, LatestBronzeFile(*ctx_.manifest, table.bronze_folder, table.bronze_prefix));
  if (!latest || !latest->time_ms || latest->time_ms != built.source_time_ms) {
    return std::optional<BronzeSnapshot>();
  }
  return latest;
}

Result<TableRunner::Plan> TableRunner::PlanFromBronze(const SilverTable& table) {
  Plan plan;
  std::optional<BronzeSnapshot> snapshot;
  if (table.bronze == BronzeKind::kListingsBatch) {
    DLAKE_ASSIGN_OR_RETURN(
        snapshot, LatestBronzeBatch(*ctx_.manifest, table.bronze_folder, table.bronze_prefix));
  } else {
    DLAKE_ASSIGN_OR_RETURN(
        snapshot, LatestBronzeFile(*ctx_.manifest, table.bronze_folder, table.bronze_prefix));
  }
  if (!snapshot) {
    plan.skip_reason = "the manifest lists no bronze file " + table.bronze_folder + "/" +
                       table.bronze_prefix + "-*.parquet";
    return plan;
  }
  plan.source_snapshot = Absolute(snapshot->primary);
  plan.snapshot_time = snapshot->time_ms;
  for (const auto& file : snapshot->files) plan.inputs.files.push_back(Absolute(file));
  if (static_cast<int>(snapshot->files.size()) < snapshot->expected_files) {
    plan.note = "incomplete batch: " + std::to_string(snapshot->files.size()) + " of " +
                std::to_string(snapshot->expected_files) + " files";
  }
  if (table.name == "fact_exchange_assets") plan.inputs.exchange_info = state_.exchange_info;
  if (table.rule != BuildRule::kWhenNewer) return plan;
  DLAKE_ASSIGN_OR_RETURN(auto last, metadata_.LastTransform(table.domain, table.name));
  // Compared with the time of the snapshot the last transform read, not with when that
  // transform ended (the original's rule): an extract that started while a transform ran has an
  // older file name than the transform's end and would wait for the next extract.
  std::optional<int64_t> last_time =
      last ? (last->source_time_ms ? last->source_time_ms : last->ended_at_ms) : std::nullopt;
  if (!ShouldTransform(snapshot->time_ms, last_time, table.check)) {
    plan.skip_reason = snapshot->primary + " is not newer than the snapshot of the last " +
                       "transform (ended_at " + last->ended_at +
                       (table.check == TransformCheck::kDate ? ", compared by date)" : ")");
  }
  return plan;
}

void TableRunner::Skip(const SilverTable& table, const Plan& plan, TableTransform& out) {
  out.status = "skipped";
  out.ended_at = "-";
  out.notes = *plan.skip_reason + (plan.note.empty() ? "" : "; " + plan.note);
  Status written =
      metadata_.Append(SkippedLine(table.name, table.domain, plan.source_snapshot, out.started_at));
  if (!written.ok()) Fail(out, written.WithContext("cannot write the skipped metadata line"));
}

void TableRunner::Build(const SilverTable& table, const Plan& plan, int64_t started_ms,
                        TableTransform& out) {
  auto sql = SnapshotSql(table, plan.inputs);
  if (!sql.ok()) return Fail(out, sql.status());
  auto writer = SilverTableWriter::Open(ctx_.runtime, Absolute(table.RelativePath()), table, *sql);
  if (!writer.ok()) return Fail(out, writer.status());
  // An undated snapshot is written without a txn; its merge is still idempotent by key.
  std::string app_id = plan.snapshot_time ? AppId(table) : "";
  auto written = (*writer)->Write(*sql, app_id, plan.snapshot_time.value_or(0));
  if (!written.ok()) return Fail(out, written.status());
  out.record_count = written->record_count;
  out.rows_inserted = written->rows_inserted;
  out.rows_updated = written->rows_updated;
  out.delta_version = written->version;
  out.committed = written->version >= 0;
  const int64_t ended = ctx_.runtime->env()->NowMs();
  out.ended_at = IsoUtcMicros(ended);
  out.duration_seconds = Seconds(started_ms, ended);
  Status line = metadata_.Append(SuccessLine(table.name, table.domain, *plan.source_snapshot,
                                             written->record_count, out.started_at, out.ended_at,
                                             out.duration_seconds));
  if (!line.ok()) {
    // The commit stands; without its line the next run retries, and the txn makes that a no-op.
    return Fail(out, line.WithContext("the Delta commit succeeded but its metadata line failed"));
  }
  out.status = "success";
  RememberBuilt(table, plan);
  spdlog::info("silver {}/{}: {} rows, version {}", table.domain, table.name, written->record_count,
               written->version);
  auto maintained = (*writer)->Maintain(table.maintenance, ctx_.runtime->env()->NowMs());
  if (!maintained.ok()) {
    out.maintenance_error = maintained.status().ToString();
    return;
  }
  out.optimize_version = maintained->optimize_version;
  out.files_vacuumed = maintained->files_vacuumed;
}

void TableRunner::RememberBuilt(const SilverTable& table, const Plan& plan) {
  if (table.name == "dim_exchange_info") {
    state_.exchange_info = plan.inputs.files.at(0);
    state_.exchange_info_time = plan.snapshot_time;
  } else if (table.name == "dim_exchange_id") {
    state_.exchange_map = plan.inputs.files.at(0);
  }
}

}  // namespace dlake::lakehouse
