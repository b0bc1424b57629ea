#include "storage/dataset_writer.h"

#include <algorithm>
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

// One affected partition, a day or a compacted month: what is stored and what replaces it.
struct DayPlan {
  int64_t day = 0;                 // the first day the new file covers
  int64_t last_day = 0;            // == day for a day file; the month's last day for a month file
  std::vector<FileEntry> old;      // the stored files it replaces (several when compacting)
  std::string select_sql;          // the complete new content; empty = drop the partition
  std::optional<FileStats> stats;  // rows and time range of select_sql when known up front

  bool IsMonth() const { return last_day != day; }
  int64_t RowsBefore() const {
    int64_t n = 0;
    for (const auto& f : old) n += f.rows;
    return n;
  }
  int64_t BytesBefore() const {
    int64_t n = 0;
    for (const auto& f : old) n += f.bytes;
    return n;
  }
};

namespace {

// Rows of the days [first_day, last_day].
std::string DaysFilter(int64_t first_day, int64_t last_day) {
  return "ts >= " + std::to_string(DayStartMs(first_day)) + " AND ts < " +
         std::to_string(DayStartMs(last_day + 1));
}

std::string ReadParquet(const StorageContext& ctx, const FileEntry& file) {
  return "read_parquet(" + duck::QuoteLiteral(ctx.Abs(file.path)) + ")";
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

// One partition's merged content: the staged rows in `table` (quoted) matching `filter` merged
// with `stored_file` (a read_parquet(...) expression; empty = no stored file), deduplicated on
// the dataset's key with the newest input winning, sorted.
std::string MergedSql(const std::string& table, const std::string& filter,
                      const std::string& stored_file, bool has_duplicates,
                      const DatasetKeys& keys) {
  const std::string dedup = JoinIdentifiers(keys.dedup);
  const std::string order = JoinIdentifiers(keys.order);
  const std::string staged = "SELECT * FROM " + table + " WHERE " + filter;
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
         " FROM " + table + " WHERE " + filter + ") n USING (" + dedup + ")) ORDER BY " + order;
}

// The stored files of a range of days: day files by day, compacted month files by the month's
// first day.
struct StoredFiles {
  std::map<int64_t, FileEntry> days;
  std::map<int64_t, FileEntry> months;

  // The month file covering `day`, if its month is compacted.
  const FileEntry* MonthOf(int64_t day) const {
    auto it = months.find(MonthFirstDay(day));
    return it == months.end() ? nullptr : &it->second;
  }
  const FileEntry* DayOf(int64_t day) const {
    auto it = days.find(day);
    return it == days.end() ? nullptr : &it->second;
  }
};

Result<StoredFiles> StoredFilesFor(Manifest& manifest, const DatasetId& dataset, int64_t first_day,
                                   int64_t last_day) {
  DLAKE_ASSIGN_OR_RETURN(auto stored, manifest.FilesForDays(dataset, first_day, last_day));
  StoredFiles out;
  for (auto& f : stored) (f.IsMonthFile() ? out.months : out.days).emplace(f.day, std::move(f));
  return out;
}

// A plan for the compacted month `month` (its file), with no content yet.
DayPlan MonthPlan(const FileEntry& month) {
  DayPlan plan;
  plan.day = month.day;
  plan.last_day = month.LastDay();
  plan.old.push_back(month);
  return plan;
}

// What a dry run reports: the plan, without comparing content.
WriteReport DryRunReport(const std::vector<DayPlan>& plans) {
  WriteReport report;
  for (const auto& plan : plans) {
    DayChange change{plan.day, DayAction::kCreated, 0, 0, 0, 0, "", plan.last_day, 0};
    if (!plan.old.empty()) {
      change.action = plan.select_sql.empty() ? DayAction::kRemoved : DayAction::kReplaced;
      change.rows_before = plan.RowsBefore();
      change.bytes_before = plan.BytesBefore();
      change.files_before = static_cast<int64_t>(plan.old.size());
      change.path = plan.old.front().path;
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
    const bool month = plans[i].IsMonth();
    const std::string partition =
        month ? MonthDir(dataset, plans[i].day) : PartitionDir(dataset, plans[i].day);
    const std::string dir = ctx.Abs(partition);
    DLAKE_RETURN_IF_ERROR(created.CreateDirs(dir, ctx.Abs(kDataDir)));
    job_of_plan[i] = jobs.size();
    jobs.push_back(DayFileJob{plans[i].select_sql, plans[i].stats,
                              dir + "/" + TempFileName(month ? "month.parquet" : "day.parquet"),
                              partition});
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

FileEntry NewFileEntry(const DatasetId& dataset, const DayPlan& plan, const DayFile& file,
                       const std::string& source, int64_t now) {
  FileEntry entry;
  entry.dataset = dataset;
  const int64_t day = plan.day;
  entry.path =
      plan.IsMonth()
          ? MonthDir(dataset, day) + "/" + MonthFileName(dataset, day, file.digest.sha256)
          : PartitionDir(dataset, day) + "/" + DataFileName(dataset, day, file.digest.sha256);
  entry.day = day;
  entry.last_day = plan.last_day;
  entry.time_from = file.stats.time_from;
  entry.time_to = file.stats.time_to;
  entry.rows = file.stats.rows;
  entry.bytes = static_cast<int64_t>(file.digest.bytes);
  entry.sha256 = file.digest.sha256;
  entry.created_at = now;
  entry.source = source;
  if (dataset.IsFeature()) entry.version = dataset.FeatureVersion();
  entry.columns = file.columns;
  return entry;
}

// Decides one day from its plan and its written content (nullptr: none), adds what must be
// committed to `commit` and returns the day's report line; nullopt for a day that neither had
// nor gets rows. Temporary files that are not kept are removed.
std::optional<DayChange> DecideDay(const StorageContext& ctx, const DatasetId& dataset,
                                   const DayPlan& plan, const WrittenDay* written,
                                   const std::string& source, int64_t now, PendingCommit& commit) {
  DayChange change{plan.day, DayAction::kRemoved, plan.RowsBefore(),
                   0,        plan.BytesBefore(),  0,
                   "",       plan.last_day,       static_cast<int64_t>(plan.old.size())};
  if (written == nullptr || written->file.stats.rows == 0) {
    if (written != nullptr) (void)ctx.env->RemoveFile(written->tmp);
    if (plan.old.empty()) return std::nullopt;
    for (const auto& old : plan.old) {
      commit.removes.push_back(old.id);
      commit.obsolete.push_back(old.path);
    }
    return change;
  }
  change.rows_after = written->file.stats.rows;
  if (plan.old.size() == 1 && plan.old.front().sha256 == written->file.digest.sha256) {
    (void)ctx.env->RemoveFile(written->tmp);
    change.action = DayAction::kUnchanged;
    change.path = plan.old.front().path;
    change.bytes_after = plan.old.front().bytes;
    return change;
  }
  FileEntry entry = NewFileEntry(dataset, plan, written->file, source, now);
  change.action = plan.old.empty() ? DayAction::kCreated : DayAction::kReplaced;
  change.path = entry.path;
  change.bytes_after = entry.bytes;
  for (const auto& old : plan.old) {
    commit.removes.push_back(old.id);
    if (old.path != entry.path) commit.obsolete.push_back(old.path);
  }
  commit.renames.push_back({written->tmp, ctx.Abs(entry.path)});
  commit.adds.push_back(std::move(entry));
  return change;
}

std::vector<DayPlan> Values(std::map<int64_t, DayPlan>&& plans) {
  std::vector<DayPlan> out;
  out.reserve(plans.size());
  for (auto& [day, plan] : plans) out.push_back(std::move(plan));
  return out;
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
  DLAKE_ASSIGN_OR_RETURN(auto days, StagedDays(table));
  if (days.empty()) return WriteReport{};
  DLAKE_ASSIGN_OR_RETURN(auto stored, StoredFilesFor(*ctx_.manifest, dataset, days.begin()->first,
                                                     days.rbegin()->first));
  const DatasetKeys keys = KeysFor(dataset);
  std::map<int64_t, DayPlan> plans;  // by first day
  for (const auto& [day, staged] : days) {
    if (const FileEntry* month = stored.MonthOf(day)) {
      // A compacted month: its file takes the staged rows of all its affected days at once.
      auto [it, first] = plans.try_emplace(month->day, MonthPlan(*month));
      DayPlan& plan = it->second;
      if (first) {
        plan.select_sql = MergedSql(table, DaysFilter(plan.day, plan.last_day),
                                    ReadParquet(ctx_, *month), staging.has_duplicates, keys);
        if (options.dry_run) plan.stats = FileStats{0, 0, 0};
      }
      if (options.dry_run) plan.stats->rows += staged.rows;
      continue;
    }
    DayPlan plan;
    plan.day = plan.last_day = day;
    std::string stored_file;
    if (const FileEntry* old = stored.DayOf(day)) {
      plan.old.push_back(*old);
      stored_file = ReadParquet(ctx_, *old);
    }
    plan.select_sql =
        MergedSql(table, DaysFilter(day, day), stored_file, staging.has_duplicates, keys);
    // Unique rows and nothing stored: the staged rows are the content, their stats exact.
    if (plan.old.empty() && !staging.has_duplicates) plan.stats = staged;
    if (options.dry_run && !plan.stats) plan.stats = FileStats{staged.rows, 0, 0};
    plans.emplace(day, std::move(plan));
  }
  return Apply(dataset, Values(std::move(plans)), options);
}

Result<WriteReport> DatasetWriter::Replace(const DatasetId& dataset, const Staging& staging,
                                           const std::vector<int64_t>& days,
                                           const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  if (days.empty()) return WriteReport{};
  const std::set<int64_t> wanted(days.begin(), days.end());
  const std::string table = duck::QuoteIdentifier(staging.table);
  DLAKE_ASSIGN_OR_RETURN(auto staged, StagedDays(table));
  for (const auto& [day, stats] : staged) {
    if (!wanted.contains(day)) {
      return Internal("rows staged for ", FormatDay(day), " of ", dataset.Path(),
                      ", which is not among the days being replaced");
    }
  }
  DLAKE_ASSIGN_OR_RETURN(auto stored,
                         StoredFilesFor(*ctx_.manifest, dataset, MonthFirstDay(*wanted.begin()),
                                        MonthLastDay(*wanted.rbegin())));
  const DatasetKeys keys = KeysFor(dataset);
  std::map<int64_t, DayPlan> plans;                    // by first day
  std::map<int64_t, std::vector<int64_t>> month_days;  // month file -> its replaced days
  for (int64_t day : wanted) {
    if (const FileEntry* month = stored.MonthOf(day)) {
      plans.try_emplace(month->day, MonthPlan(*month));
      month_days[month->day].push_back(day);
      continue;
    }
    if (MonthLastDay(day) < options.month_files_before) {
      // A closed month becomes one month file replacing its day files.
      const int64_t first = MonthFirstDay(day);
      auto [it, created] = plans.try_emplace(first);
      if (created) {
        it->second.day = first;
        it->second.last_day = MonthLastDay(day);
        for (int64_t d = first; d <= it->second.last_day; ++d) {
          if (const FileEntry* old = stored.DayOf(d)) it->second.old.push_back(*old);
        }
      }
      month_days[first].push_back(day);
      continue;
    }
    DayPlan plan;
    plan.day = plan.last_day = day;
    if (const FileEntry* old = stored.DayOf(day)) plan.old.push_back(*old);
    auto rows = staged.find(day);
    if (rows == staged.end()) {
      if (plan.old.empty()) continue;  // nothing stored, nothing new
    } else {
      plan.select_sql = MergedSql(table, DaysFilter(day, day), "", staging.has_duplicates, keys);
      if (!staging.has_duplicates) plan.stats = rows->second;
    }
    plans.emplace(day, std::move(plan));
  }
  for (const auto& [first_day, replaced] : month_days) {
    // The month file keeps its other days; the replaced days get exactly the staged rows.
    DayPlan& plan = plans.at(first_day);
    std::string others;
    for (int64_t day : replaced)
      others += (others.empty() ? "" : " OR ") + ("(" + DaysFilter(day, day) + ")");
    std::string kept;
    for (const FileEntry& old : plan.old) {
      kept += " UNION ALL BY NAME SELECT * FROM " + ReadParquet(ctx_, old) + " WHERE NOT (" +
              others + ")";
    }
    plan.select_sql =
        "SELECT * FROM (SELECT * FROM (" +
        MergedSql(table, DaysFilter(plan.day, plan.last_day), "", staging.has_duplicates, keys) +
        ")" + kept + ") ORDER BY " + JoinIdentifiers(keys.order);
  }
  // A closed month with nothing stored and nothing staged needs no file.
  std::erase_if(plans, [&](const auto& entry) {
    const DayPlan& plan = entry.second;
    if (!plan.IsMonth() || !plan.old.empty()) return false;
    return std::none_of(staged.begin(), staged.end(), [&](const auto& s) {
      return s.first >= plan.day && s.first <= plan.last_day;
    });
  });
  return Apply(dataset, Values(std::move(plans)), options);
}

Result<WriteReport> DatasetWriter::DeleteRange(const DatasetId& dataset, int64_t start, int64_t end,
                                               const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx_.manifest->FilesOverlapping(dataset, start, end));
  const std::string order = JoinIdentifiers(KeysFor(dataset).order);
  std::vector<DayPlan> plans;
  for (auto& f : files) {
    // A compacted month stays one month file with the range cut out.
    DayPlan plan;
    plan.day = f.day;
    plan.last_day = f.LastDay();
    bool whole_file = f.time_from >= start && f.time_to < end;
    if (!whole_file) {
      const std::string kept = "SELECT * FROM " + ReadParquet(ctx_, f) +
                               " WHERE NOT (ts >= " + std::to_string(start) + " AND ts < " +
                               std::to_string(end) + ")";
      plan.select_sql = kept + " ORDER BY " + order;
      if (options.dry_run) {
        DLAKE_ASSIGN_OR_RETURN(auto q, conn_.Query("SELECT count(*) FROM (" + kept + ")",
                                                   "counting rows kept in '" + f.path + "'"));
        plan.stats = FileStats{q.GetInt64(0, 0), 0, 0};
      }
    }
    plan.old.push_back(std::move(f));
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<WriteReport> DatasetWriter::CompactMonths(const DatasetId& dataset,
                                                 const std::vector<int64_t>& months,
                                                 const WriteOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(auto lock, LockDataset(ctx_, dataset, options.dry_run || options.locked));
  const std::string order = JoinIdentifiers(KeysFor(dataset).order);
  std::vector<DayPlan> plans;
  for (int64_t month : std::set<int64_t>(months.begin(), months.end())) {
    DayPlan plan;
    plan.day = MonthFirstDay(month);
    plan.last_day = MonthLastDay(month);
    // Listed again under the lock: a writer may have changed the month since it was chosen.
    DLAKE_ASSIGN_OR_RETURN(plan.old, ctx_.manifest->FilesForDays(dataset, plan.day, plan.last_day));
    if (plan.old.size() < 2) continue;
    std::string list;
    for (const auto& f : plan.old) {
      list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(ctx_.Abs(f.path));
    }
    plan.select_sql =
        "SELECT * FROM read_parquet([" + list + "], union_by_name = true) ORDER BY " + order;
    if (options.dry_run) plan.stats = FileStats{plan.RowsBefore(), 0, 0};
    plans.push_back(std::move(plan));
  }
  return Apply(dataset, plans, options);
}

Result<std::map<int64_t, FileStats>> DatasetWriter::StagedDays(const std::string& table) {
  DLAKE_ASSIGN_OR_RETURN(
      auto q, conn_.Query("SELECT ts // 86400000 AS day, count(*), min(ts), max(ts) FROM " + table +
                              " GROUP BY day ORDER BY day",
                          "grouping staged rows by day"));
  std::map<int64_t, FileStats> out;
  for (size_t i = 0; i < q.RowCount(); ++i) {
    out.emplace(q.GetInt64(0, i), FileStats{q.GetInt64(1, i), q.GetInt64(2, i), q.GetInt64(3, i)});
  }
  return out;
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
