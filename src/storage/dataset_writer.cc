#include "storage/dataset_writer.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "common/file_util.h"
#include "dlake/common/time.h"
#include "duck/duck.h"
#include "storage/dataset_keys.h"
#include "storage/dataset_locks.h"
#include "storage/day_file_writer.h"
#include "storage/partition.h"

namespace dlake::storage {

// One affected day: what is stored and what replaces it.
struct DayPlan {
  int64_t day = 0;
  std::optional<FileEntry> old;
  std::string select_sql;          // the day's complete new content; empty = drop the day
  std::optional<FileStats> stats;  // rows and time range of select_sql when known up front
};

namespace {

std::string DayFilter(int64_t day) {
  return "ts >= " + std::to_string(DayStartMs(day)) + " AND ts < " +
         std::to_string(DayStartMs(day + 1));
}

std::string ParentOf(const std::string& path) {
  return std::filesystem::path(path).parent_path().string();
}

// The files and folders an operation creates. Unless Commit() is called they are removed again
// when it goes, so that every error path leaves the lake as it was. Removal errors are ignored:
// leftovers are invisible to readers and verify --repair removes them.
class UncommittedFiles {
 public:
  explicit UncommittedFiles(Env* env) : env_(env) {}
  ~UncommittedFiles() {
    if (committed_) return;
    for (const auto& f : files_) (void)env_->RemoveFile(f);
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) (void)env_->RemoveEmptyDir(*it);
  }
  UncommittedFiles(const UncommittedFiles&) = delete;
  UncommittedFiles& operator=(const UncommittedFiles&) = delete;

  // mkdir -p `dir`, remembering the folders below `top` that it makes.
  Status CreateDirs(const std::string& dir, const std::string& top) {
    std::vector<std::string> missing;
    std::error_code ec;
    for (std::filesystem::path p = dir; p.string().size() > top.size(); p = p.parent_path()) {
      if (std::filesystem::exists(p, ec)) break;
      missing.push_back(p.string());
    }
    dirs_.insert(dirs_.end(), missing.rbegin(), missing.rend());  // parents first
    return env_->CreateDirs(dir);
  }
  // `path` (absolute) was created by this operation.
  void Add(std::string path) { files_.push_back(std::move(path)); }
  // The operation is committed: everything stays.
  void Commit() { committed_ = true; }

 private:
  Env* env_;
  std::vector<std::string> files_;
  std::vector<std::string> dirs_;  // parents first
  bool committed_ = false;
};

// A day's new content in its temporary file.
struct WrittenDay {
  std::string tmp;  // absolute
  DayFile file;
};

// What an operation commits: new files to rename into place, then one manifest transaction.
struct PendingCommit {
  struct Rename {
    std::string tmp;    // absolute
    std::string final;  // absolute
  };
  std::vector<Rename> renames;
  std::vector<FileEntry> adds;
  std::vector<int64_t> removes;
  std::vector<std::string> obsolete;  // stored files (relative) no longer listed after the commit
};

// The dataset's write lock, unless a dry run (which writes nothing) or a caller holding it.
Result<std::optional<FileLock>> LockDataset(const StorageContext& ctx, const DatasetId& dataset,
                                            bool skip) {
  if (skip) return std::optional<FileLock>();
  DLAKE_ASSIGN_OR_RETURN(FileLock lock, LockForWriting(ctx, dataset));
  return std::optional<FileLock>(std::move(lock));
}

// One day's merged content: the staged rows of `day` in `table` (quoted) merged with
// `stored_file` (a read_parquet(...) expression; empty = no stored file), deduplicated on the
// dataset's key with the newest input winning, sorted.
std::string MergedDaySql(const std::string& table, int64_t day, const std::string& stored_file,
                         bool has_duplicates, const DatasetKeys& keys) {
  const std::string dedup = JoinIdentifiers(keys.dedup);
  const std::string order = JoinIdentifiers(keys.order);
  const std::string staged = "SELECT * FROM " + table + " WHERE " + DayFilter(day);
  if (has_duplicates) {
    // Rank every row by _seq; stored rows rank below all staged ones.
    std::string rows = staged;
    if (!stored_file.empty()) {
      rows += " UNION ALL BY NAME SELECT *, -1::BIGINT AS _seq FROM " + stored_file;
    }
    return "SELECT * EXCLUDE (_seq) FROM (" + rows + ") QUALIFY row_number() OVER (PARTITION BY " +
           dedup + " ORDER BY _seq DESC) = 1 ORDER BY " + order;
  }
  if (stored_file.empty()) return "SELECT * EXCLUDE (_seq) FROM (" + staged + ") ORDER BY " + order;
  // Unique input: keep the stored rows whose key the input lacks (an anti join is much cheaper
  // than ranking every row with a window).
  return "SELECT * FROM (SELECT * EXCLUDE (_seq) FROM (" + staged +
         ") UNION ALL BY NAME SELECT s.* FROM " + stored_file + " s ANTI JOIN (SELECT " + dedup +
         " FROM " + table + " WHERE " + DayFilter(day) + ") n USING (" + dedup + ")) ORDER BY " +
         order;
}

Result<std::map<int64_t, FileEntry>> StoredFilesByDay(Manifest& manifest, const DatasetId& dataset,
                                                      int64_t first_day, int64_t last_day) {
  DLAKE_ASSIGN_OR_RETURN(auto stored, manifest.FilesForDays(dataset, first_day, last_day));
  std::map<int64_t, FileEntry> by_day;
  for (auto& f : stored) by_day.emplace(f.day, std::move(f));
  return by_day;
}

// What a dry run reports: the plan, without comparing content.
WriteReport DryRunReport(const std::vector<DayPlan>& plans) {
  WriteReport report;
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

// Writes every day with content to a temporary file in its folder, creating the folders.
// Returns one entry per plan: the written day, or nullopt for a day dropped entirely.
Result<std::vector<std::optional<WrittenDay>>> WriteNewDays(const StorageContext& ctx,
                                                            const DatasetId& dataset,
                                                            const std::vector<DayPlan>& plans,
                                                            Compression compression,
                                                            UncommittedFiles& created) {
  // Folders and temporary names first (sequential, through Env), then the files themselves.
  std::vector<DayFileJob> jobs;
  std::vector<size_t> job_of_plan(plans.size(), SIZE_MAX);
  for (size_t i = 0; i < plans.size(); ++i) {
    if (plans[i].select_sql.empty()) continue;
    const std::string partition = PartitionDir(dataset, plans[i].day);
    const std::string dir = ctx.Abs(partition);
    DLAKE_RETURN_IF_ERROR(created.CreateDirs(dir, ctx.Abs(kDataDir)));
    job_of_plan[i] = jobs.size();
    jobs.push_back(DayFileJob{plans[i].select_sql, plans[i].stats,
                              dir + "/" + TempFileName("day.parquet"), partition});
    created.Add(jobs.back().tmp_path);
  }
  DLAKE_ASSIGN_OR_RETURN(std::vector<DayFile> files,
                         WriteDayFiles(*ctx.duck, jobs, compression, /*threads=*/0));
  std::vector<std::optional<WrittenDay>> out(plans.size());
  for (size_t i = 0; i < plans.size(); ++i) {
    const size_t job = job_of_plan[i];
    if (job != SIZE_MAX) out[i] = WrittenDay{jobs[job].tmp_path, std::move(files[job])};
  }
  return out;
}

FileEntry NewFileEntry(const DatasetId& dataset, int64_t day, const DayFile& file,
                       const std::string& source, int64_t now) {
  FileEntry entry;
  entry.dataset = dataset;
  entry.path = PartitionDir(dataset, day) + "/" + DataFileName(dataset, day, file.digest.sha256);
  entry.day = day;
  entry.time_from = file.stats.time_from;
  entry.time_to = file.stats.time_to;
  entry.rows = file.stats.rows;
  entry.bytes = static_cast<int64_t>(file.digest.bytes);
  entry.sha256 = file.digest.sha256;
  entry.created_at = now;
  entry.source = source;
  entry.columns = file.columns;
  return entry;
}

// Decides one day from its plan and its written content (nullptr: none), adds what must be
// committed to `commit` and returns the day's report line; nullopt for a day that neither had
// nor gets rows. Temporary files that are not kept are removed.
std::optional<DayChange> DecideDay(const StorageContext& ctx, const DatasetId& dataset,
                                   const DayPlan& plan, const WrittenDay* written,
                                   const std::string& source, int64_t now, PendingCommit& commit) {
  DayChange change{plan.day,
                   DayAction::kRemoved,
                   plan.old ? plan.old->rows : 0,
                   0,
                   plan.old ? plan.old->bytes : 0,
                   0,
                   ""};
  if (written == nullptr || written->file.stats.rows == 0) {
    if (written != nullptr) (void)ctx.env->RemoveFile(written->tmp);
    if (!plan.old) return std::nullopt;
    commit.removes.push_back(plan.old->id);
    commit.obsolete.push_back(plan.old->path);
    return change;
  }
  change.rows_after = written->file.stats.rows;
  if (plan.old && plan.old->sha256 == written->file.digest.sha256) {
    (void)ctx.env->RemoveFile(written->tmp);
    change.action = DayAction::kUnchanged;
    change.path = plan.old->path;
    change.bytes_after = plan.old->bytes;
    return change;
  }
  FileEntry entry = NewFileEntry(dataset, plan.day, written->file, source, now);
  change.action = plan.old ? DayAction::kReplaced : DayAction::kCreated;
  change.path = entry.path;
  change.bytes_after = entry.bytes;
  if (plan.old) {
    commit.removes.push_back(plan.old->id);
    if (plan.old->path != entry.path) commit.obsolete.push_back(plan.old->path);
  }
  commit.renames.push_back({written->tmp, ctx.Abs(entry.path)});
  commit.adds.push_back(std::move(entry));
  return change;
}

// Durability order: file contents, then the renames (folder entries), then the folders.
Status PublishFiles(Env* env, const std::vector<PendingCommit::Rename>& renames,
                    UncommittedFiles& created) {
  for (const auto& r : renames) DLAKE_RETURN_IF_ERROR(env->SyncFile(r.tmp));
  std::set<std::string> dirs;
  for (const auto& r : renames) {
    // A file already under the content-addressed name has this content and is not ours to
    // remove on failure: a replaced file pending deletion (a reader may be reading it) or an
    // orphan of an earlier crash.
    std::error_code ec;
    const bool existed = std::filesystem::exists(r.final, ec);
    DLAKE_RETURN_IF_ERROR(env->RenameFile(r.tmp, r.final));
    if (!existed) created.Add(r.final);
    dirs.insert(ParentOf(r.final));
  }
  for (const auto& d : dirs) DLAKE_RETURN_IF_ERROR(env->SyncDir(d));
  return Status::Ok();
}

}  // namespace

Result<WriteReport> DatasetWriter::Merge(const DatasetId& dataset, const Staging& staging,
                                         const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  const std::string table = duck::QuoteIdentifier(staging.table);
  DLAKE_ASSIGN_OR_RETURN(
      auto days, conn_.Query("SELECT ts // 86400000 AS day, count(*), min(ts), max(ts) FROM " +
                                 table + " GROUP BY day ORDER BY day",
                             "grouping staged rows by day"));
  if (days.RowCount() == 0) return WriteReport{};
  DLAKE_ASSIGN_OR_RETURN(auto stored, StoredFilesByDay(*ctx_.manifest, dataset, days.GetInt64(0, 0),
                                                       days.GetInt64(0, days.RowCount() - 1)));
  const DatasetKeys keys = KeysFor(dataset);
  std::vector<DayPlan> plans;
  for (size_t i = 0; i < days.RowCount(); ++i) {
    DayPlan plan;
    plan.day = days.GetInt64(0, i);
    const FileStats staged{days.GetInt64(1, i), days.GetInt64(2, i), days.GetInt64(3, i)};
    std::string stored_file;
    if (auto it = stored.find(plan.day); it != stored.end()) {
      plan.old = it->second;
      stored_file = "read_parquet(" + duck::QuoteLiteral(ctx_.Abs(plan.old->path)) + ")";
    }
    plan.select_sql = MergedDaySql(table, plan.day, stored_file, staging.has_duplicates, keys);
    // Unique rows and nothing stored: the staged rows are the content, their stats exact.
    if (!plan.old && !staging.has_duplicates) plan.stats = staged;
    if (options.dry_run && !plan.stats) plan.stats = FileStats{staged.rows, 0, 0};
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<WriteReport> DatasetWriter::Replace(const DatasetId& dataset, const Staging& staging,
                                           const std::vector<int64_t>& days,
                                           const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  if (days.empty()) return WriteReport{};
  const std::set<int64_t> wanted(days.begin(), days.end());
  const std::string table = duck::QuoteIdentifier(staging.table);
  DLAKE_ASSIGN_OR_RETURN(
      auto staged_days,
      conn_.Query("SELECT ts // 86400000 AS day, count(*), min(ts), max(ts) FROM " + table +
                      " GROUP BY day ORDER BY day",
                  "grouping staged rows by day"));
  std::map<int64_t, FileStats> staged;
  for (size_t i = 0; i < staged_days.RowCount(); ++i) {
    const int64_t day = staged_days.GetInt64(0, i);
    if (!wanted.contains(day)) {
      return Internal("rows staged for ", FormatDay(day), " of ", dataset.Path(),
                      ", which is not among the days being replaced");
    }
    staged.emplace(day, FileStats{staged_days.GetInt64(1, i), staged_days.GetInt64(2, i),
                                  staged_days.GetInt64(3, i)});
  }
  DLAKE_ASSIGN_OR_RETURN(
      auto stored, StoredFilesByDay(*ctx_.manifest, dataset, *wanted.begin(), *wanted.rbegin()));
  const DatasetKeys keys = KeysFor(dataset);
  std::vector<DayPlan> plans;
  for (int64_t day : wanted) {
    DayPlan plan;
    plan.day = day;
    if (auto it = stored.find(day); it != stored.end()) plan.old = it->second;
    auto rows = staged.find(day);
    if (rows == staged.end()) {
      if (!plan.old) continue;  // nothing stored, nothing new
    } else {
      plan.select_sql = MergedDaySql(table, day, "", staging.has_duplicates, keys);
      if (!staging.has_duplicates) plan.stats = rows->second;
    }
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<WriteReport> DatasetWriter::DeleteRange(const DatasetId& dataset, int64_t start, int64_t end,
                                               const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx_.manifest->FilesOverlapping(dataset, start, end));
  const std::string order = JoinIdentifiers(KeysFor(dataset).order);
  std::vector<DayPlan> plans;
  for (auto& f : files) {
    DayPlan plan;
    plan.day = f.day;
    bool whole_file = f.time_from >= start && f.time_to < end;
    if (!whole_file) {
      const std::string kept =
          "SELECT * FROM read_parquet(" + duck::QuoteLiteral(ctx_.Abs(f.path)) +
          ") WHERE NOT (ts >= " + std::to_string(start) + " AND ts < " + std::to_string(end) + ")";
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

Result<WriteReport> DatasetWriter::Apply(const DatasetId& dataset,
                                         const std::vector<DayPlan>& plans,
                                         const WriteOptions& options) {
  if (options.dry_run) return DryRunReport(plans);
  UncommittedFiles created(ctx_.env);  // removed again on every early return
  const int64_t now = ctx_.env->NowMs();
  DLAKE_ASSIGN_OR_RETURN(auto written,
                         WriteNewDays(ctx_, dataset, plans, options.compression, created));
  WriteReport report;
  PendingCommit commit;
  for (size_t i = 0; i < plans.size(); ++i) {
    const WrittenDay* day = written[i] ? &*written[i] : nullptr;
    auto change = DecideDay(ctx_, dataset, plans[i], day, options.source, now, commit);
    if (change) report.days.push_back(*change);
  }
  DLAKE_RETURN_IF_ERROR(PublishFiles(ctx_.env, commit.renames, created));
  if (!commit.adds.empty() || !commit.removes.empty()) {
    DLAKE_RETURN_IF_ERROR(
        ctx_.manifest->CommitFiles(dataset, commit.adds, commit.removes, commit.obsolete));
  }
  created.Commit();
  // The replaced files are recorded as pending deletes; they go now unless a reader may still
  // be reading them. Failing here loses nothing, so the status is not reported.
  (void)CollectGarbage(ctx_, dataset);
  return report;
}

}  // namespace dlake::storage
