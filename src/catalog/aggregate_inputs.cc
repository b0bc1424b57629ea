// Manifest: the aggregate_inputs table (doc/manifest.md), what each aggregated day was built from.

#include "catalog/sqlite.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/time.h"

namespace dlake {
Result<std::vector<AggregateInputs>> Manifest::AggregateInputsForDays(const DatasetId& aggregate,
                                                                      int64_t first_day,
                                                                      int64_t last_day) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("SELECT a.day, a.inputs FROM aggregate_inputs a JOIN datasets d ON d.id = "
                   "a.dataset_id WHERE d.exchange=?1 AND d.market=?2 AND d.symbol=?3 AND "
                   "d.type=?4 AND d.period=?5 AND a.day BETWEEN ?6 AND ?7 ORDER BY a.day"));
  stmt.Bind(1, aggregate.exchange).Bind(2, aggregate.market).Bind(3, aggregate.symbol);
  stmt.Bind(4, aggregate.type).Bind(5, aggregate.period).Bind(6, first_day).Bind(7, last_day);
  std::vector<AggregateInputs> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(AggregateInputs{stmt.ColumnInt64(0), stmt.ColumnText(1)});
  }
  return out;
}

Status Manifest::RecordAggregateInputs(const DatasetId& aggregate, const DatasetId& source,
                                       const std::vector<AggregateInputs>& days) {
  if (days.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(int64_t aggregate_id, DatasetRowId(aggregate, /*create=*/true));
  DLAKE_ASSIGN_OR_RETURN(int64_t source_id, DatasetRowId(source, /*create=*/true));
  DLAKE_ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare("INSERT OR REPLACE INTO aggregate_inputs(dataset_id, day, source_dataset_id, "
                   "inputs, built_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  const int64_t now = SystemClockMs();
  for (const auto& d : days) {
    upsert.Bind(1, aggregate_id).Bind(2, d.day).Bind(3, source_id).Bind(4, d.inputs).Bind(5, now);
    DLAKE_RETURN_IF_ERROR(upsert.Run());
    DLAKE_RETURN_IF_ERROR(upsert.Reset());
  }
  return txn.Commit();
}

Status Manifest::ClearAggregateInputs(const DatasetId& aggregate, int64_t first_day,
                                      int64_t last_day) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("DELETE FROM aggregate_inputs WHERE day BETWEEN ?6 AND ?7 AND dataset_id = "
                   "(SELECT id FROM datasets WHERE exchange=?1 AND market=?2 AND symbol=?3 AND "
                   "type=?4 AND period=?5)"));
  stmt.Bind(1, aggregate.exchange).Bind(2, aggregate.market).Bind(3, aggregate.symbol);
  stmt.Bind(4, aggregate.type).Bind(5, aggregate.period).Bind(6, first_day).Bind(7, last_day);
  return stmt.Run();
}

}  // namespace dlake
