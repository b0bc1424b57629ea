#include "storage/dataset_writer.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "duck/duck.h"
#include "storage/dataset_keys.h"
#include "storage/day_file_writer.h"
#include "storage/dataset_locks.h"
#include "storage/partition.h"

namespace dlake::storage {
namespace {

std::string DayFilter(int64_t day) {
  return "ts >= " + std::to_string(DayStartMs(day)) + " AND ts < " +
         std::to_string(DayStartMs(day + 1));
}

std::string ParentOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

// Removes the files an unfinished operation created; errors are ignored (leftovers are
// invisible to readers and verify --repair removes them).
void RemoveAll(Env* env, const std::vector<std::string>& paths) {
  for (const auto& p : paths) (void)env->RemoveFile(p);
}

// Appends the folders from `top` (exclusive) down to `dir` that do not exist yet, parents first.
void MissingDirs(const std::string& dir, const std::string& top, std::vector<std::string>& out) {
  std::vector<std::string> missing;
  std::error_code ec;
  for (std::filesystem::path p = dir; p.string().size() > top.size(); p = p.parent_path()) {
    if (std::filesystem::exists(p, ec)) break;
    missing.push_back(p.string());
  }
  out.insert(out.end(), missing.rbegin(), missing.rend());
}

}  // namespace

struct DatasetWriter::DayPlan {
  int64_t day = 0;
  std::optional<FileEntry> old;
  std::string select_sql;          // the day's complete new content; empty = drop the day
  std::optional<FileStats> stats;  // rows and time range of select_sql when known up front
};

namespace {
// The dataset's write lock; a dry run writes nothing, so it takes none.
Result<std::optional<FileLock>> LockDataset(const StorageContext& ctx, const DatasetId& dataset,
                                            bool dry_run) {
  if (dry_run) return std::optional<FileLock>();
  DLAKE_ASSIGN_OR_RETURN(FileLock lock, LockForWriting(ctx, dataset));
  return std::optional<FileLock>(std::move(lock));
}
}  // namespace

Result<WriteReport> DatasetWriter::Merge(const DatasetId& dataset, const Staging& staging,
                                         const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run));
  const std::string table = duck::QuoteIdentifier(staging.table);
  DLAKE_ASSIGN_OR_RETURN(auto days, conn_.Query(
      "SELECT ts // 86400000 AS day, count(*), min(ts), max(ts) FROM " + table +
          " GROUP BY day ORDER BY day",
      "grouping staged rows by day"));
  std::vector<DayPlan> plans;
  if (days.RowCount() == 0) return WriteReport{};
  const int64_t first_day = days.GetInt64(0, 0);
  const int64_t last_day = days.GetInt64(0, days.RowCount() - 1);
  DLAKE_ASSIGN_OR_RETURN(auto stored, ctx_.manifest->FilesForDays(dataset, first_day, last_day));
  std::map<int64_t, FileEntry> stored_by_day;
  for (auto& f : stored) stored_by_day.emplace(f.day, std::move(f));

  const DatasetKeys keys = KeysFor(dataset);
  const std::string dedup = JoinIdentifiers(keys.dedup);
  const std::string order = JoinIdentifiers(keys.order);
  for (size_t i = 0; i < days.RowCount(); ++i) {
    DayPlan plan;
    plan.day = days.GetInt64(0, i);
    const std::string staged = "SELECT * FROM " + table + " WHERE " + DayFilter(plan.day);
    if (auto it = stored_by_day.find(plan.day); it != stored_by_day.end()) {
      plan.old = it->second;
      const std::string stored = "read_parquet(" + duck::QuoteLiteral(ctx_.Abs(plan.old->path)) + ")";
      if (staging.has_duplicates) {
        plan.select_sql = "SELECT * EXCLUDE (_seq) FROM (" + staged +
                          " UNION ALL BY NAME SELECT *, -1::BIGINT AS _seq FROM " + stored +
                          ") QUALIFY row_number() OVER (PARTITION BY " + dedup +
                          " ORDER BY _seq DESC) = 1 ORDER BY " + order;
      } else {
        // Unique input: keep the stored rows whose key the input lacks (an anti join is much
        // cheaper than ranking every row with a window).
        plan.select_sql = "SELECT * FROM (SELECT * EXCLUDE (_seq) FROM (" + staged +
                          ") UNION ALL BY NAME SELECT s.* FROM " + stored + " s ANTI JOIN (SELECT " +
                          dedup + " FROM " + table + " WHERE " + DayFilter(plan.day) + ") n USING (" +
                          dedup + ")) ORDER BY " + order;
      }
    } else if (staging.has_duplicates) {
      plan.select_sql = "SELECT * EXCLUDE (_seq) FROM (" + staged +
                        ") QUALIFY row_number() OVER (PARTITION BY " + dedup +
                        " ORDER BY _seq DESC) = 1 ORDER BY " + order;
    } else {
      plan.select_sql = "SELECT * EXCLUDE (_seq) FROM (" + staged + ") ORDER BY " + order;
      plan.stats = FileStats{days.GetInt64(1, i), days.GetInt64(2, i), days.GetInt64(3, i)};
    }
    if (options.dry_run && !plan.stats) plan.stats = FileStats{days.GetInt64(1, i), 0, 0};
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<WriteReport> DatasetWriter::DeleteRange(const DatasetId& dataset, int64_t start,
                                               int64_t end, const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run));
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx_.manifest->FilesOverlapping(dataset, start, end));
  const std::string order = JoinIdentifiers(KeysFor(dataset).order);
  std::vector<DayPlan> plans;
  for (auto& f : files) {
    DayPlan plan;
    plan.day = f.day;
    bool whole_file = f.time_from >= start && f.time_to < end;
    if (!whole_file) {
      const std::string kept = "SELECT * FROM read_parquet(" +
                               duck::QuoteLiteral(ctx_.Abs(f.path)) + ") WHERE NOT (ts >= " +
                               std::to_string(start) + " AND ts < " + std::to_string(end) + ")";
      plan.select_sql = kept + " ORDER BY " + order;
      if (options.dry_run) {
        DLAKE_ASSIGN_OR_RETURN(auto q, conn_.Query("SELECT count(*) FROM (" + kept + ")",
                                                   "counting rows kept in '" + f.path + "'"));
        plan.stats = FileStats{q.GetInt64(0, 0), 0, 0};
      }
    }
    plan.old = std::move(f);
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<WriteReport> DatasetWriter::Apply(const DatasetId& dataset, std::vector<DayPlan>& plans,
                                         const WriteOptions& options) {
  WriteReport report;
  if (options.dry_run) {
    for (const auto& plan : plans) {
      DayChange change{plan.day, DayAction::kCreated, 0, 0, 0, 0, ""};
      if (plan.old) {
        change.action = plan.select_sql.empty() ? DayAction::kRemoved : DayAction::kReplaced;
        change.rows_before = plan.old->rows;
        change.bytes_before = plan.old->bytes;
        change.path = plan.old->path;
      }
      if (plan.stats) change.rows_after = plan.stats->rows;
      report.days.push_back(change);
    }
    return report;
  }

  std::vector<std::string> created;       // absolute paths to remove if the operation fails
  std::vector<std::string> created_dirs;  // folders this operation made, parents first
  auto fail = [&](Status status) {
    RemoveAll(ctx_.env, created);
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) {
      (void)ctx_.env->RemoveEmptyDir(*it);
    }
    return status;
  };
  struct Pending {
    std::string tmp;    // absolute
    std::string final;  // absolute
  };
  std::vector<Pending> renames;
  std::vector<FileEntry> adds;
  std::vector<int64_t> removes;
  std::vector<std::string> obsolete;  // stored files (relative) no longer listed after the commit
  const int64_t now = ctx_.env->NowMs();

  // Folders and temporary names first (sequential, through Env), then the files themselves.
  std::vector<DayFileJob> jobs;
  std::vector<size_t> job_of_plan(plans.size(), SIZE_MAX);
  for (size_t i = 0; i < plans.size(); ++i) {
    if (plans[i].select_sql.empty()) continue;
    const std::string partition = PartitionDir(dataset, plans[i].day);
    const std::string dir = ctx_.Abs(partition);
    MissingDirs(dir, ctx_.Abs(kDataDir), created_dirs);
    if (Status s = ctx_.env->CreateDirs(dir); !s.ok()) return fail(s);
    job_of_plan[i] = jobs.size();
    jobs.push_back(DayFileJob{plans[i].select_sql, plans[i].stats,
                              dir + "/" + TempFileName("day.parquet"), partition});
    created.push_back(jobs.back().tmp_path);
  }
  auto written = WriteDayFiles(*ctx_.duck, jobs, options.compression, /*threads=*/0);
  if (!written.ok()) return fail(written.status());

  for (size_t i = 0; i < plans.size(); ++i) {
    const DayPlan& plan = plans[i];
    DayChange change{plan.day, DayAction::kRemoved, plan.old ? plan.old->rows : 0, 0,
                     plan.old ? plan.old->bytes : 0, 0, ""};
    const bool has_job = job_of_plan[i] != SIZE_MAX;
    const std::string tmp = has_job ? jobs[job_of_plan[i]].tmp_path : "";
    const DayFile* file = has_job ? &(*written)[job_of_plan[i]] : nullptr;
    if (file == nullptr || file->stats.rows == 0) {
      if (has_job) (void)ctx_.env->RemoveFile(tmp);
      if (!plan.old) continue;
      removes.push_back(plan.old->id);
      obsolete.push_back(plan.old->path);
      report.days.push_back(change);
      continue;
    }
    change.rows_after = file->stats.rows;
    if (plan.old && plan.old->sha256 == file->digest.sha256) {
      (void)ctx_.env->RemoveFile(tmp);
      change.action = DayAction::kUnchanged;
      change.path = plan.old->path;
      change.bytes_after = plan.old->bytes;
      report.days.push_back(change);
      continue;
    }
    FileEntry entry;
    entry.dataset = dataset;
    entry.path = PartitionDir(dataset, plan.day) + "/" +
                 DataFileName(dataset, plan.day, file->digest.sha256);
    entry.day = plan.day;
    entry.time_from = file->stats.time_from;
    entry.time_to = file->stats.time_to;
    entry.rows = file->stats.rows;
    entry.bytes = static_cast<int64_t>(file->digest.bytes);
    entry.sha256 = file->digest.sha256;
    entry.created_at = now;
    entry.source = options.source;
    entry.columns = file->columns;
    change.action = plan.old ? DayAction::kReplaced : DayAction::kCreated;
    change.path = entry.path;
    change.bytes_after = entry.bytes;
    if (plan.old) {
      removes.push_back(plan.old->id);
      if (plan.old->path != entry.path) obsolete.push_back(plan.old->path);
    }
    renames.push_back({tmp, ctx_.Abs(entry.path)});
    adds.push_back(std::move(entry));
    report.days.push_back(change);
  }

  // Durability order: file contents, then the renames (folder entries), then the manifest.
  std::set<std::string> dirs;
  for (const auto& r : renames) {
    if (Status s = ctx_.env->SyncFile(r.tmp); !s.ok()) return fail(s);
  }
  for (const auto& r : renames) {
    if (Status s = ctx_.env->RenameFile(r.tmp, r.final); !s.ok()) return fail(s);
    created.push_back(r.final);
    dirs.insert(ParentOf(r.final));
  }
  for (const auto& d : dirs) {
    if (Status s = ctx_.env->SyncDir(d); !s.ok()) return fail(s);
  }
  if (!adds.empty() || !removes.empty()) {
    Status committed = ctx_.manifest->CommitFiles(dataset, adds, removes, obsolete);
    if (!committed.ok()) return fail(committed);
  }
  // Committed. The replaced files are recorded as pending deletes; they go now unless a reader
  // may still be reading them. Failing here loses nothing, so the status is not reported.
  (void)CollectGarbage(ctx_, dataset);
  return report;
}

}  // namespace dlake::storage
