#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "lake/lake_impl.h"
#include "lake/strays.h"
#include "storage/dataset_keys.h"
#include "storage/dataset_locks.h"
#include "storage/partition.h"

namespace dlake {
namespace fs = std::filesystem;

namespace {

// Missing files and checksum mismatches of manifest rows (FileEntry or LakeFile).
template <typename Entry>
void CheckFiles(const StorageContext& ctx, const std::vector<Entry>& files, VerifyReport& report) {
  for (const auto& f : files) {
    std::string path = ctx.Abs(f.path);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      report.missing_files.push_back(f.path);
      continue;
    }
    auto digest = Sha256File(path);
    ++report.files_checked;
    if (!digest.ok()) {
      report.checksum_mismatches.push_back(f.path + ": " + digest.status().message());
      continue;
    }
    report.bytes_checked += static_cast<int64_t>(digest->bytes);
    if (digest->sha256 != f.sha256) {
      report.checksum_mismatches.push_back(f.path + ": expected sha256 " + f.sha256 + ", found " +
                                           digest->sha256);
    }
  }
}

// Bronze snapshots: each registered file is present with its checksum; files under data/bronze
// that the manifest does not list are orphans (temporary files of dead writers: leftovers).
Status CheckBronze(const StorageContext& ctx, VerifyReport& report) {
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->LakeFiles(kLakeFileBronze, ""));
  CheckFiles(ctx, files, report);
  Strays strays;
  FindBronzeStrays(ctx, files, strays);
  report.leftovers.insert(report.leftovers.end(), strays.leftovers.begin(), strays.leftovers.end());
  report.orphans.insert(report.orphans.end(), strays.orphans.begin(), strays.orphans.end());
  return Status::Ok();
}

std::string FileList(const StorageContext& ctx, const std::vector<FileEntry>& files) {
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    list += (i ? ", " : "") + duck::QuoteLiteral(ctx.Abs(files[i].path));
  }
  return list + "]";
}

// Subtracts known gaps (the source had no data) from a detected gap.
std::vector<Gap> SubtractKnown(const Gap& gap, const std::vector<KnownGap>& known, int64_t period) {
  std::vector<Gap> out{gap};
  for (const auto& k : known) {
    std::vector<Gap> next;
    for (const auto& g : out) {
      if (k.time_to <= g.from || k.time_from >= g.to) {
        next.push_back(g);
        continue;
      }
      if (k.time_from > g.from) next.push_back({g.from, k.time_from, 0});
      if (k.time_to < g.to) next.push_back({k.time_to, g.to, 0});
    }
    out = std::move(next);
  }
  for (auto& g : out) g.missing = (g.to - g.from + period - 1) / period;
  return out;
}

Status CheckDataset(const StorageContext& ctx, duck::Connection& conn, const DatasetId& dataset,
                    const std::vector<FileEntry>& files, DatasetCheck& check) {
  const std::string list = FileList(ctx, files);
  const auto keys = storage::KeysFor(dataset);
  const std::string purpose = "verifying " + dataset.Path();
  // Per file: rows and time range as stored, and rows out of order within the file.
  DLAKE_ASSIGN_OR_RETURN(
      auto per_file,
      conn.Query(
          "SELECT filename, count(*), min(ts), max(ts), count(*) FILTER (WHERE ts < prev) FROM ("
          "SELECT filename, ts, lag(ts) OVER (PARTITION BY filename ORDER BY file_row_number) AS "
          "prev "
          "FROM read_parquet(" +
              list +
              ", union_by_name = true, filename = true, "
              "file_row_number = true)) GROUP BY filename",
          purpose));
  std::map<std::string, const FileEntry*> by_path;
  for (const auto& f : files) by_path[ctx.Abs(f.path)] = &f;
  for (size_t r = 0; r < per_file.RowCount(); ++r) {
    const FileEntry* f = by_path[per_file.GetString(0, r)];
    if (f == nullptr) continue;
    int64_t rows = per_file.GetInt64(1, r), from = per_file.GetInt64(2, r),
            to = per_file.GetInt64(3, r);
    check.out_of_order += per_file.GetInt64(4, r);
    if (rows != f->rows || from != f->time_from || to != f->time_to) {
      check.mismatches.push_back(f->path + ": manifest says " + std::to_string(f->rows) +
                                 " rows in [" + std::to_string(f->time_from) + ", " +
                                 std::to_string(f->time_to) + "], file holds " +
                                 std::to_string(rows) + " rows in [" + std::to_string(from) + ", " +
                                 std::to_string(to) + "]");
    }
    if (DayOf(from) < f->day || DayOf(to) > f->LastDay()) {
      check.mismatches.push_back(f->path + ": rows outside the partition " +
                                 (f->IsMonthFile() ? "month " + FormatDay(f->day).substr(0, 7)
                                                   : "day " + FormatDay(f->day)));
    }
  }
  DLAKE_ASSIGN_OR_RETURN(
      auto dups,
      conn.Query("SELECT count(*) - count(DISTINCT (" + storage::JoinIdentifiers(keys.dedup) +
                     ")) FROM read_parquet(" + list + ", union_by_name = true)",
                 purpose));
  check.duplicates = dups.GetInt64(0, 0);

  if (dataset.IsFeature()) return Status::Ok();  // rows at any times: no period, no gaps
  DLAKE_ASSIGN_OR_RETURN(Period period, ParsePeriod(dataset.period));
  // Aggregates hold complete buckets only, so their gaps are their source's, reported there.
  if (period.ms == 0 || dataset.type == kTypeTicks || dataset.type == kTypeAgg) {
    return Status::Ok();
  }
  const std::string p = std::to_string(period.ms);
  DLAKE_ASSIGN_OR_RETURN(
      auto gaps,
      conn.Query("SELECT ts + " + p +
                     " AS gap_from, next_ts AS gap_to FROM (SELECT ts, lead(ts) OVER "
                     "(ORDER BY ts) AS next_ts FROM (SELECT DISTINCT ts FROM read_parquet(" +
                     list + ", union_by_name = true))) WHERE next_ts - ts > " + p + " ORDER BY ts",
                 purpose));
  DLAKE_ASSIGN_OR_RETURN(auto known, ctx.manifest->KnownGaps(dataset));
  check.known_gaps = static_cast<int64_t>(known.size());
  for (size_t r = 0; r < gaps.RowCount(); ++r) {
    Gap gap{gaps.GetInt64(0, r), gaps.GetInt64(1, r), 0};
    for (const Gap& g : SubtractKnown(gap, known, period.ms)) {
      check.gaps.push_back(g);
      check.missing_periods += g.missing;
    }
  }
  return Status::Ok();
}

}  // namespace

bool VerifyReport::ok() const {
  if (!checksum_mismatches.empty() || !missing_files.empty()) return false;
  if (removed < static_cast<int64_t>(orphans.size() + leftovers.size())) return false;
  for (const auto& d : datasets) {
    if (!d.gaps.empty() || d.duplicates || d.out_of_order || !d.mismatches.empty()) return false;
  }
  return true;
}

Result<VerifyReport> VerifyLake(Lake::Impl& impl, const VerifyRequest& request) {
  const StorageContext& ctx = impl.ctx;
  VerifyReport report;
  DLAKE_ASSIGN_OR_RETURN(auto datasets, ctx.manifest->Datasets(request.filter));
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*impl.ctx.duck));
  for (const auto& summary : datasets) {
    // Under the read lock, the files listed now stay on disk until the checks are done.
    DLAKE_ASSIGN_OR_RETURN(auto read_lock, storage::LockForReading(ctx, summary.id));
    const DatasetId& id = summary.id;
    DLAKE_ASSIGN_OR_RETURN(auto files, ctx.manifest->Files(DatasetFilter::Of(id)));
    if (files.empty()) continue;
    const size_t missing_before = report.missing_files.size();
    const size_t bad_before = report.checksum_mismatches.size();
    CheckFiles(ctx, files, report);
    DatasetCheck check;
    check.dataset = id;
    std::set<std::string> unreadable(
        report.missing_files.begin() + static_cast<std::ptrdiff_t>(missing_before),
        report.missing_files.end());
    for (size_t i = bad_before; i < report.checksum_mismatches.size(); ++i) {
      const std::string& m = report.checksum_mismatches[i];
      unreadable.insert(m.substr(0, m.find(':')));
    }
    std::vector<FileEntry> readable;
    for (const auto& f : files) {
      ++check.files;
      check.rows += f.rows;
      if (!unreadable.count(f.path)) readable.push_back(f);
    }
    if (request.check_data && !readable.empty()) {
      DLAKE_RETURN_IF_ERROR(CheckDataset(ctx, *conn, id, readable, check));
    }
    report.datasets.push_back(std::move(check));
  }
  DLAKE_ASSIGN_OR_RETURN(auto listed, ListedPaths(ctx, DatasetFilter{}));
  Strays strays;
  FindDatasetStrays(ctx, request.filter, listed, strays);
  report.orphans = std::move(strays.orphans);
  report.leftovers = std::move(strays.leftovers);
  const bool whole_lake = request.filter.exchange.empty() && request.filter.market.empty() &&
                          request.filter.symbol.empty() && request.filter.type.empty() &&
                          request.filter.period.empty();
  std::optional<FileLock> bronze_lock;
  if (whole_lake) {
    // Bronze writers rename a file into place and then register it, both under this lock, so
    // an orphan seen while holding it is not about to be registered.
    if (request.repair) {
      DLAKE_ASSIGN_OR_RETURN(FileLock lock,
                             FileLock::Acquire(ctx.Abs(std::string(layout::kBronzeLockFile))));
      bronze_lock.emplace(std::move(lock));
    }
    DLAKE_RETURN_IF_ERROR(CheckBronze(ctx, report));
  }
  DLAKE_ASSIGN_OR_RETURN(report.pending_deletes, ctx.manifest->PendingDeletes(request.filter));
  if (request.repair) {
    // Everything found is removed, whatever its age: the user asked for it.
    std::vector<std::string> removed;
    int64_t bytes = 0;
    DLAKE_RETURN_IF_ERROR(RemoveStrays(ctx, request.filter,
                                       Strays{report.leftovers, report.orphans}, removed, bytes));
    report.removed = static_cast<int64_t>(removed.size());
    DLAKE_ASSIGN_OR_RETURN(report.pending_deletes, ctx.manifest->PendingDeletes(request.filter));
  }
  return report;
}

}  // namespace dlake
