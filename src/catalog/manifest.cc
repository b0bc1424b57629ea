#include "dlake/catalog/manifest.h"

#include <filesystem>

#include "catalog/manifest_backups.h"
#include "catalog/migrations.h"
#include "catalog/sqlite.h"
#include "dlake/common/time.h"

namespace dlake {
namespace {

constexpr const char* kFileColumns =
    "f.id, d.exchange, d.market, d.symbol, d.type, d.period, f.path, f.day, f.time_from, "
    "f.time_to, f.rows, f.bytes, f.sha256, f.version, f.created_at, f.source, f.metadata, "
    "f.columns, coalesce(f.last_day, f.day)";

FileEntry ReadFileEntry(const sqlite::Statement& s) {
  FileEntry e;
  e.id = s.ColumnInt64(0);
  e.dataset = DatasetId{s.ColumnText(1), s.ColumnText(2), s.ColumnText(3), s.ColumnText(4),
                        s.ColumnText(5)};
  e.path = s.ColumnText(6);
  e.day = s.ColumnInt64(7);
  e.time_from = s.ColumnInt64(8);
  e.time_to = s.ColumnInt64(9);
  e.rows = s.ColumnInt64(10);
  e.bytes = s.ColumnInt64(11);
  e.sha256 = s.ColumnText(12);
  e.version = s.ColumnText(13);
  e.created_at = s.ColumnInt64(14);
  e.source = s.ColumnText(15);
  e.metadata = s.ColumnText(16);
  e.columns = s.ColumnText(17);
  e.last_day = s.ColumnInt64(18);
  return e;
}

Result<std::vector<FileEntry>> CollectFiles(sqlite::Statement& stmt) {
  std::vector<FileEntry> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadFileEntry(stmt));
  }
  return out;
}

// "AND d.exchange = ?N ..." for the non-empty filter fields, binding from `first_param`.
struct FilterSql {
  std::string where;
  std::vector<std::string> values;
};
FilterSql BuildFilter(const DatasetFilter& filter) {
  FilterSql out;
  auto add = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    out.values.push_back(value);
    out.where += std::string(" AND d.") + column + " = ?" + std::to_string(out.values.size());
  };
  add("exchange", filter.exchange);
  add("market", filter.market);
  add("symbol", filter.symbol);
  add("type", filter.type);
  add("period", filter.period);
  return out;
}

// How many days a file's first day can lie before its last: a month file spans up to 31 days.
constexpr int64_t kMaxDaysBeforeLast = 30;

}  // namespace

bool DatasetFilter::Matches(const DatasetId& id) const {
  return (exchange.empty() || exchange == id.exchange) && (market.empty() || market == id.market) &&
         (symbol.empty() || symbol == id.symbol) && (type.empty() || type == id.type) &&
         (period.empty() || period == id.period);
}

Manifest::Manifest(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
Manifest::~Manifest() = default;

Result<std::unique_ptr<Manifest>> Manifest::Open(const std::string& path, OpenOptions options) {
  DLAKE_ASSIGN_OR_RETURN(auto db, sqlite::Database::Open(path, options.create));
  auto manifest = std::unique_ptr<Manifest>(new Manifest(std::move(db)));
  DLAKE_RETURN_IF_ERROR(manifest->Migrate(options.target_version, options.backups_keep));
  return manifest;
}

Result<int> Manifest::SchemaVersion() {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("PRAGMA user_version"));
  DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Internal("PRAGMA user_version returned nothing");
  return static_cast<int>(stmt.ColumnInt64(0));
}

Status Manifest::Migrate(int target_version, int backups_keep) {
  const auto& migrations = catalog::Migrations();
  if (target_version > static_cast<int>(migrations.size())) {
    return Internal("no migration to manifest version ", target_version);
  }
  DLAKE_ASSIGN_OR_RETURN(int version, SchemaVersion());
  if (version > static_cast<int>(migrations.size())) {
    return FailedPrecondition("manifest '", db_->path(), "' has schema version ", version,
                              ", newer than this dlake understands (", migrations.size(),
                              "); upgrade dlake");
  }
  if (version > 0 && version < target_version) {
    // A migration rewrites the catalog in place; keep the manifest as it was beside the lake
    // (<lake>/metadata/manifest-backups/) so a failed or unwanted upgrade can be undone.
    const std::string lake_root = std::filesystem::path(db_->path()).parent_path().string();
    DLAKE_RETURN_IF_ERROR(
        catalog::BackupManifestRotating(
            *this, lake_root, "pre-migration-v" + std::to_string(target_version), backups_keep)
            .status()
            .WithContext("backing up before migrating"));
  }
  std::lock_guard lock(mu_);
  while (version < target_version) {
    // Each step in its own IMMEDIATE transaction; re-read the version inside it because
    // another process may have migrated meanwhile.
    DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
    DLAKE_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("PRAGMA user_version"));
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    int current = row ? static_cast<int>(stmt.ColumnInt64(0)) : 0;
    if (current >= target_version) break;
    DLAKE_RETURN_IF_ERROR(
        db_->Execute(migrations[current])
            .WithContext("migrating manifest to version " + std::to_string(current + 1)));
    if (current == 0) {
      DLAKE_RETURN_IF_ERROR(
          db_->Execute("INSERT INTO lake_info(key, value) VALUES ('created_at', '" +
                       std::to_string(SystemClockMs()) + "')"));
    }
    DLAKE_RETURN_IF_ERROR(db_->Execute("PRAGMA user_version = " + std::to_string(current + 1)));
    DLAKE_RETURN_IF_ERROR(txn.Commit());
    version = current + 1;
  }
  return Status::Ok();
}

Result<int64_t> Manifest::DatasetRowId(const DatasetId& d, bool create) {
  DLAKE_ASSIGN_OR_RETURN(
      auto find,
      db_->Prepare(
          "SELECT id FROM datasets WHERE exchange=?1 AND market=?2 AND symbol=?3 AND type=?4 "
          "AND period=?5"));
  find.Bind(1, d.exchange).Bind(2, d.market).Bind(3, d.symbol).Bind(4, d.type).Bind(5, d.period);
  DLAKE_ASSIGN_OR_RETURN(bool row, find.Step());
  if (row) return find.ColumnInt64(0);
  if (!create) return NotFound("dataset ", d.Path(), " is not in the manifest");
  DLAKE_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO datasets(exchange, market, symbol, type, period, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  insert.Bind(1, d.exchange).Bind(2, d.market).Bind(3, d.symbol).Bind(4, d.type).Bind(5, d.period);
  insert.Bind(6, SystemClockMs());
  DLAKE_RETURN_IF_ERROR(insert.Run());
  return db_->LastInsertId();
}

Result<std::vector<FileEntry>> Manifest::FilesForDays(const DatasetId& dataset, int64_t first_day,
                                                      int64_t last_day) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare(
          std::string("SELECT ") + kFileColumns +
          " FROM datasets d JOIN files f ON f.dataset_id = d.id"
          " WHERE d.exchange=?1 AND d.market=?2 AND d.symbol=?3 AND d.type=?4 AND d.period=?5"
          " AND f.day BETWEEN ?6 AND ?7 AND coalesce(f.last_day, f.day) >= ?8 ORDER BY f.day"));
  // A file starts at most a month (31 days) before the last day it covers, so the scan of the
  // (dataset_id, day) index starts 30 days early and the last_day test drops what ends before.
  stmt.Bind(1, dataset.exchange).Bind(2, dataset.market).Bind(3, dataset.symbol);
  stmt.Bind(4, dataset.type).Bind(5, dataset.period).Bind(6, first_day - kMaxDaysBeforeLast);
  stmt.Bind(7, last_day).Bind(8, first_day);
  return CollectFiles(stmt);
}

Result<std::vector<FileEntry>> Manifest::FilesOverlapping(const DatasetId& dataset, int64_t start,
                                                          int64_t end) {
  if (end <= start) return std::vector<FileEntry>{};
  // Files are day or month partitions, so the (dataset_id, day) index bounds the scan to the
  // days asked for: the cost depends on the range, not on the history held.
  DLAKE_ASSIGN_OR_RETURN(auto files, FilesForDays(dataset, DayOf(start), DayOf(end - 1)));
  std::vector<FileEntry> out;
  out.reserve(files.size());
  for (auto& f : files) {
    if (f.time_to >= start && f.time_from < end) out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<FileEntry>> Manifest::Files(const DatasetFilter& filter) {
  std::lock_guard lock(mu_);
  FilterSql where = BuildFilter(filter);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare(std::string("SELECT ") + kFileColumns +
                   " FROM datasets d JOIN files f ON f.dataset_id = d.id WHERE 1=1" + where.where +
                   " ORDER BY d.exchange, d.market, d.symbol, d.type, d.period, f.day"));
  for (size_t i = 0; i < where.values.size(); ++i)
    stmt.Bind(static_cast<int>(i + 1), where.values[i]);
  return CollectFiles(stmt);
}

Result<std::vector<DatasetSummary>> Manifest::Datasets(const DatasetFilter& filter) {
  std::lock_guard lock(mu_);
  FilterSql where = BuildFilter(filter);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare(
          "SELECT d.exchange, d.market, d.symbol, d.type, d.period, count(f.id), "
          "coalesce(sum(f.rows), 0), coalesce(sum(f.bytes), 0), coalesce(min(f.time_from), 0), "
          "coalesce(max(f.time_to), 0), "
          "(SELECT count(*) FROM known_gaps g WHERE g.dataset_id = d.id) "
          "FROM datasets d LEFT JOIN files f ON f.dataset_id = d.id WHERE 1=1" +
          where.where +
          " GROUP BY d.id HAVING count(f.id) > 0 OR (SELECT count(*) FROM known_gaps g "
          "WHERE g.dataset_id = d.id) > 0"
          " ORDER BY d.exchange, d.market, d.symbol, d.type, d.period"));
  for (size_t i = 0; i < where.values.size(); ++i)
    stmt.Bind(static_cast<int>(i + 1), where.values[i]);
  std::vector<DatasetSummary> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    DatasetSummary s;
    s.id = DatasetId{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2), stmt.ColumnText(3),
                     stmt.ColumnText(4)};
    s.files = stmt.ColumnInt64(5);
    s.rows = stmt.ColumnInt64(6);
    s.bytes = stmt.ColumnInt64(7);
    s.time_from = stmt.ColumnInt64(8);
    s.time_to = stmt.ColumnInt64(9);
    s.known_gaps = stmt.ColumnInt64(10);
    out.push_back(std::move(s));
  }
  return out;
}

Status Manifest::CommitFiles(const DatasetId& dataset, const std::vector<FileEntry>& add,
                             const std::vector<int64_t>& remove_ids,
                             const std::vector<std::string>& obsolete_paths) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(int64_t dataset_id, DatasetRowId(dataset, /*create=*/true));
  DLAKE_ASSIGN_OR_RETURN(auto remove, db_->Prepare("DELETE FROM files WHERE id = ?1"));
  for (int64_t id : remove_ids) {
    remove.Bind(1, id);
    DLAKE_RETURN_IF_ERROR(remove.Run());
    DLAKE_RETURN_IF_ERROR(remove.Reset());
  }
  DLAKE_ASSIGN_OR_RETURN(
      auto insert, db_->Prepare("INSERT INTO files(dataset_id, path, day, time_from, time_to, "
                                "rows, bytes, sha256, version, "
                                "created_at, source, metadata, columns, last_day) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                                "?14)"));
  // A content-addressed name can come back (a day rewritten to earlier content): a file that
  // is live again must not stay pending deletion.
  DLAKE_ASSIGN_OR_RETURN(auto revive, db_->Prepare("DELETE FROM pending_deletes WHERE path = ?1"));
  for (const FileEntry& f : add) {
    revive.Bind(1, f.path);
    DLAKE_RETURN_IF_ERROR(revive.Run());
    DLAKE_RETURN_IF_ERROR(revive.Reset());
    insert.Bind(1, dataset_id).Bind(2, f.path).Bind(3, f.day).Bind(4, f.time_from);
    insert.Bind(5, f.time_to).Bind(6, f.rows).Bind(7, f.bytes).Bind(8, f.sha256);
    insert.Bind(9, f.version).Bind(10, f.created_at).Bind(11, f.source).Bind(12, f.metadata);
    insert.Bind(13, f.columns).Bind(14, f.LastDay());
    DLAKE_RETURN_IF_ERROR(insert.Run().WithContext("recording '" + f.path + "'"));
    DLAKE_RETURN_IF_ERROR(insert.Reset());
  }
  DLAKE_ASSIGN_OR_RETURN(
      auto pending,
      db_->Prepare(
          "INSERT OR REPLACE INTO pending_deletes(path, dataset_id, since) VALUES (?1, ?2, ?3)"));
  const int64_t now = SystemClockMs();
  for (const auto& path : obsolete_paths) {
    pending.Bind(1, path).Bind(2, dataset_id).Bind(3, now);
    DLAKE_RETURN_IF_ERROR(pending.Run());
    DLAKE_RETURN_IF_ERROR(pending.Reset());
  }
  return txn.Commit();
}

Result<std::vector<std::string>> Manifest::PendingDeletes(const DatasetFilter& filter) {
  std::lock_guard lock(mu_);
  FilterSql where = BuildFilter(filter);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare(
          "SELECT p.path FROM pending_deletes p JOIN datasets d ON d.id = p.dataset_id WHERE 1=1" +
          where.where + " ORDER BY p.path"));
  for (size_t i = 0; i < where.values.size(); ++i)
    stmt.Bind(static_cast<int>(i + 1), where.values[i]);
  std::vector<std::string> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnText(0));
  }
  return out;
}

Status Manifest::ClearPendingDeletes(const std::vector<std::string>& paths) {
  if (paths.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(auto remove, db_->Prepare("DELETE FROM pending_deletes WHERE path = ?1"));
  for (const auto& path : paths) {
    remove.Bind(1, path);
    DLAKE_RETURN_IF_ERROR(remove.Run());
    DLAKE_RETURN_IF_ERROR(remove.Reset());
  }
  return txn.Commit();
}

Status Manifest::ReplaceSymbols(const std::string& exchange, const std::string& market,
                                const std::vector<SymbolInfo>& symbols) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(auto clear,
                         db_->Prepare("DELETE FROM symbols WHERE exchange = ?1 AND market = ?2"));
  clear.Bind(1, exchange).Bind(2, market);
  DLAKE_RETURN_IF_ERROR(clear.Run());
  DLAKE_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare(
          "INSERT OR REPLACE INTO symbols(exchange, market, symbol, base, quote, status, "
          "contract_type, listing_time, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  const int64_t now = SystemClockMs();
  for (const auto& s : symbols) {
    insert.Bind(1, exchange).Bind(2, market).Bind(3, s.symbol).Bind(4, s.base).Bind(5, s.quote);
    insert.Bind(6, s.status).Bind(7, s.contract_type).Bind(8, s.listing_time).Bind(9, now);
    DLAKE_RETURN_IF_ERROR(insert.Run());
    DLAKE_RETURN_IF_ERROR(insert.Reset());
  }
  return txn.Commit();
}

Result<std::vector<SymbolInfo>> Manifest::Symbols(const std::string& exchange,
                                                  const std::string& market) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare(
          "SELECT exchange, market, symbol, base, quote, status, contract_type, listing_time "
          "FROM symbols WHERE exchange = ?1 AND (?2 = '' OR market = ?2) ORDER BY market, symbol"));
  stmt.Bind(1, exchange).Bind(2, market);
  std::vector<SymbolInfo> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(SymbolInfo{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnText(2),
                             stmt.ColumnText(3), stmt.ColumnText(4), stmt.ColumnText(5),
                             stmt.ColumnText(6), stmt.ColumnInt64(7)});
  }
  return out;
}

Status Manifest::AddKnownGap(const KnownGap& gap) {
  if (gap.time_to <= gap.time_from) {
    return InvalidArgument("known gap of ", gap.dataset.Path(), " is empty or reversed");
  }
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(auto txn, sqlite::Transaction::Begin(*db_));
  DLAKE_ASSIGN_OR_RETURN(int64_t dataset_id, DatasetRowId(gap.dataset, /*create=*/true));
  DLAKE_ASSIGN_OR_RETURN(
      auto insert,
      db_->Prepare("INSERT INTO known_gaps(dataset_id, time_from, time_to, source, created_at) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert.Bind(1, dataset_id).Bind(2, gap.time_from).Bind(3, gap.time_to).Bind(4, gap.source);
  insert.Bind(5, SystemClockMs());
  DLAKE_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

Result<std::vector<KnownGap>> Manifest::KnownGaps(const DatasetId& dataset) {
  std::lock_guard lock(mu_);
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt,
      db_->Prepare("SELECT g.time_from, g.time_to, g.source FROM known_gaps g JOIN datasets d "
                   "ON d.id = g.dataset_id WHERE d.exchange=?1 AND d.market=?2 AND d.symbol=?3 AND "
                   "d.type=?4 "
                   "AND d.period=?5 ORDER BY g.time_from"));
  stmt.Bind(1, dataset.exchange).Bind(2, dataset.market).Bind(3, dataset.symbol);
  stmt.Bind(4, dataset.type).Bind(5, dataset.period);
  std::vector<KnownGap> out;
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(KnownGap{dataset, stmt.ColumnInt64(0), stmt.ColumnInt64(1), stmt.ColumnText(2)});
  }
  return out;
}

}  // namespace dlake
