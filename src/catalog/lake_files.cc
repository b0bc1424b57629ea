// Manifest: lake files outside the datasets, and API usage counters (doc/manifest.md).

#include "catalog/sqlite.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/time.h"

namespace dlake {
Status Manifest::AddLakeFile(const LakeFile& file) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(auto find, db_->Prepare("SELECT 1 FROM lake_files WHERE path = ?1"));
  find.Bind(1, file.path);
  DLAKE_ASSIGN_OR_RETURN(bool exists, find.Step());
  if (exists) return AlreadyExists("lake file '", file.path, "' is already registered");
  DLAKE_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO lake_files(path, kind, collection, rows, bytes, sha256, "
                   "created_at, source, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  insert.Bind(1, file.path).Bind(2, file.kind).Bind(3, file.collection).Bind(4, file.rows);
  insert.Bind(5, file.bytes).Bind(6, file.sha256);
  insert.Bind(7, file.created_at != 0 ? file.created_at : SystemClockMs());
  insert.Bind(8, file.source).Bind(9, file.metadata.empty() ? "{}" : file.metadata);
  DLAKE_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

Result<std::vector<LakeFile>> Manifest::LakeFiles(std::string_view kind,
                                                  std::string_view collection) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("SELECT id, path, kind, collection, rows, bytes, sha256, created_at, source, "
                   "metadata FROM lake_files WHERE kind = ?1 AND (?2 = '' OR collection = ?2) "
                   "ORDER BY path"));
  stmt.Bind(1, kind).Bind(2, collection);
  std::vector<LakeFile> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    LakeFile f;
    f.id = stmt.ColumnInt64(0);
    f.path = stmt.ColumnText(1);
    f.kind = stmt.ColumnText(2);
    f.collection = stmt.ColumnText(3);
    f.rows = stmt.ColumnInt64(4);
    f.bytes = stmt.ColumnInt64(5);
    f.sha256 = stmt.ColumnText(6);
    f.created_at = stmt.ColumnInt64(7);
    f.source = stmt.ColumnText(8);
    f.metadata = stmt.ColumnText(9);
    out.push_back(std::move(f));
  }
  return out;
}

Status Manifest::RemoveLakeFiles(const std::vector<std::string>& paths) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(auto remove, db_->Prepare("DELETE FROM lake_files WHERE path = ?1"));
  for (const auto& path : paths) {
    remove.Bind(1, path);
    DLAKE_RETURN_IF_ERROR(remove.Run());
    DLAKE_RETURN_IF_ERROR(remove.Reset());
  }
  return txn.Commit();
}

Status Manifest::RecordApiUsage(const ApiUsage& usage) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto upsert,
      db_->Prepare(
          "INSERT INTO api_usage(api, endpoint, day, requests, credits) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (api, endpoint, day) DO UPDATE SET "
          "requests = requests + excluded.requests, credits = credits + excluded.credits"));
  upsert.Bind(1, usage.api).Bind(2, usage.endpoint).Bind(3, usage.day);
  upsert.Bind(4, usage.requests).Bind(5, usage.credits);
  return upsert.Run();
}

Result<std::vector<ApiUsage>> Manifest::ApiUsageBetween(std::string_view api, int64_t first_day,
                                                        int64_t last_day) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt, db_->Prepare("SELECT endpoint, day, requests, credits FROM api_usage WHERE api = "
                              "?1 AND day BETWEEN ?2 AND ?3 ORDER BY day, endpoint"));
  stmt.Bind(1, api).Bind(2, first_day).Bind(3, last_day);
  std::vector<ApiUsage> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ApiUsage{std::string(api), stmt.ColumnText(0), stmt.ColumnInt64(1),
                           stmt.ColumnInt64(2), stmt.ColumnInt64(3)});
  }
  return out;
}

}  // namespace dlake
