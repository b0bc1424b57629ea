// Manifest: the feature_versions table (doc/manifest.md), one row per finished feature upload.

#include "catalog/sqlite.h"
#include "dlake/catalog/manifest.h"

namespace dlake {

Status Manifest::AddFeatureVersion(const FeatureVersionRow& row) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(int64_t dataset_id, DatasetRowId(row.dataset, /*create=*/true));
  DLAKE_ASSIGN_OR_RETURN(auto find,
                         db_->Prepare("SELECT 1 FROM feature_versions WHERE dataset_id = ?1"));
  find.Bind(1, dataset_id);
  DLAKE_ASSIGN_OR_RETURN(bool exists, find.Step());
  if (exists) return AlreadyExists("feature version ", row.dataset.Path(), " is already recorded");
  DLAKE_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO feature_versions(dataset_id, feature_set, version, exchange, "
                   "symbol, market, description, code_ref, host, created_at, rows, time_from, "
                   "time_to, files, files_digest, columns, lineage) VALUES (?1, ?2, ?3, ?4, ?5, "
                   "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"));
  insert.Bind(1, dataset_id)
      .Bind(2, row.dataset.FeatureSet())
      .Bind(3, row.dataset.FeatureVersion());
  insert.Bind(4, row.dataset.exchange).Bind(5, row.dataset.symbol).Bind(6, row.market);
  insert.Bind(7, row.description).Bind(8, row.code_ref).Bind(9, row.host).Bind(10, row.created_at);
  insert.Bind(11, row.rows).Bind(12, row.time_from).Bind(13, row.time_to).Bind(14, row.files);
  insert.Bind(15, row.files_digest).Bind(16, row.columns).Bind(17, row.lineage);
  DLAKE_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

Result<std::vector<FeatureVersionRow>> Manifest::FeatureVersions(
    const FeatureVersionFilter& filter) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("SELECT feature_set, version, exchange, symbol, market, description, code_ref, "
                   "host, created_at, rows, time_from, time_to, files, files_digest, columns, "
                   "lineage FROM feature_versions WHERE (?1 = '' OR feature_set = ?1) AND "
                   "(?2 = '' OR version = ?2) AND (?3 = '' OR exchange = ?3) AND "
                   "(?4 = '' OR symbol = ?4) ORDER BY feature_set, exchange, symbol, created_at"));
  stmt.Bind(1, filter.feature_set).Bind(2, filter.version).Bind(3, filter.exchange);
  stmt.Bind(4, filter.symbol);
  std::vector<FeatureVersionRow> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool found, stmt.Step());
    if (!found) break;
    FeatureVersionRow row;
    row.dataset.type = std::string(kTypeFeature);
    row.dataset.period = stmt.ColumnText(0) + "@" + stmt.ColumnText(1);
    row.dataset.exchange = stmt.ColumnText(2);
    row.dataset.symbol = stmt.ColumnText(3);
    row.market = stmt.ColumnText(4);
    row.description = stmt.ColumnText(5);
    row.code_ref = stmt.ColumnText(6);
    row.host = stmt.ColumnText(7);
    row.created_at = stmt.ColumnInt64(8);
    row.rows = stmt.ColumnInt64(9);
    row.time_from = stmt.ColumnInt64(10);
    row.time_to = stmt.ColumnInt64(11);
    row.files = stmt.ColumnInt64(12);
    row.files_digest = stmt.ColumnText(13);
    row.columns = stmt.ColumnText(14);
    row.lineage = stmt.ColumnText(15);
    out.push_back(std::move(row));
  }
  return out;
}

Status Manifest::RemoveFeatureVersion(const DatasetId& dataset) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("DELETE FROM feature_versions WHERE feature_set = ?1 AND version = ?2 AND "
                   "exchange = ?3 AND symbol = ?4"));
  stmt.Bind(1, dataset.FeatureSet()).Bind(2, dataset.FeatureVersion()).Bind(3, dataset.exchange);
  stmt.Bind(4, dataset.symbol);
  return stmt.Run();
}

}  // namespace dlake
