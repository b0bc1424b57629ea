// VACUUM: deletes the files in the table folder that no retained version needs.

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "common/file_util.h"
#include "delta/log_files.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/partition_values.h"
#include "delta/snapshot.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using maintenance_internal::CheckHoursArgument;
using maintenance_internal::ConfiguredHours;
using maintenance_internal::HoursBefore;
using maintenance_internal::LoadWritable;

constexpr const char* kFileRetentionKey = "delta.deletedFileRetentionDuration";
constexpr double kDefaultFileRetentionHours = 7 * 24;

struct FoundFile {
  std::string relative;
  int64_t mtime_ms = 0;
  int64_t bytes = 0;
};

// Spark's rule: names starting with '.' or '_' are hidden (the log, temporary and checkpoint
// folders, _SUCCESS…) unless they are the folder of a partition column whose name starts so.
bool IsHidden(const std::string& name, const std::vector<std::string>& partition_columns) {
  if (name.empty() || (name[0] != '.' && name[0] != '_')) return false;
  for (const auto& column : partition_columns) {
    std::string folder = PartitionFolder(column, std::string("v"));  // escaped "col=v"
    std::string prefix = folder.substr(0, folder.size() - 1);
    if (name.rfind(prefix, 0) == 0 || name.rfind(column + "=", 0) == 0) return false;
  }
  return true;
}

// Regular files under the table's visible folders, and those folders, deepest first.
Status WalkTable(const std::string& root, const std::string& relative,
                 const std::vector<std::string>& partition_columns, std::vector<FoundFile>& files,
                 std::vector<FoundFile>& dirs) {
  std::string dir = relative.empty() ? root : JoinPath(root, relative);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (IsHidden(name, partition_columns)) continue;
    std::string child = relative.empty() ? name : relative + "/" + name;
    auto status = it->symlink_status(ec);
    if (ec) break;
    if (!fs::is_directory(status) && !fs::is_regular_file(status)) continue;  // links, sockets
    DLAKE_ASSIGN_OR_RETURN(int64_t mtime, FileMtimeMs(it->path().string()));
    if (fs::is_directory(status)) {
      DLAKE_RETURN_IF_ERROR(WalkTable(root, child, partition_columns, files, dirs));
      dirs.push_back({child, mtime, 0});
    } else {
      int64_t bytes = static_cast<int64_t>(it->file_size(ec));
      if (ec) break;
      files.push_back({child, mtime, bytes});
    }
  }
  if (ec) return IoError("VACUUM cannot list '", dir, "': ", ec.message());
  return Status::Ok();
}

// A file action's path relative to the table root, spelled as the walk spells paths; nullopt
// for files outside the table folder. Absolute paths (another writer's "file:/…" URIs) are
// compared after resolving symbolic links, so that a link in the table's path cannot make a
// live file look unreferenced.
std::optional<std::string> TableRelative(const Snapshot& snapshot, const fs::path& real_root,
                                         const std::string& path) {
  fs::path absolute(snapshot.FilePath(path));
  std::error_code ec;
  fs::path relative = fs::path(path).is_relative() && path.rfind("file:", 0) != 0
                          ? fs::path(path).lexically_normal()
                          : fs::weakly_canonical(absolute, ec).lexically_relative(real_root);
  if (ec || relative.empty() || *relative.begin() == "..") return std::nullopt;
  return relative.generic_string();
}

// Every file the latest version or a version still within the retention may read.
std::set<std::string> FilesToKeep(const Snapshot& snapshot, int64_t cutoff_ms) {
  std::error_code ec;
  fs::path real_root = fs::weakly_canonical(snapshot.root, ec);
  if (ec) real_root = fs::path(snapshot.root).lexically_normal();
  std::set<std::string> keep;
  for (const auto& file : snapshot.files) {
    if (auto relative = TableRelative(snapshot, real_root, file.path)) keep.insert(*relative);
  }
  for (const auto& tombstone : snapshot.tombstones) {
    // Without a deletionTimestamp the removal time is unknown: keep the file.
    if (tombstone.deletion_timestamp && *tombstone.deletion_timestamp <= cutoff_ms) continue;
    if (auto relative = TableRelative(snapshot, real_root, tombstone.path)) {
      keep.insert(*relative);
    }
  }
  return keep;
}

// The retention VACUUM uses, refusing one below the table's without `force` as Spark does
// (spark.databricks.delta.retentionDurationCheck.enabled).
Result<double> VacuumRetentionHours(const Snapshot& snapshot, const VacuumOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(double configured,
                         ConfiguredHours(snapshot, kFileRetentionKey, kDefaultFileRetentionHours));
  if (!options.retention_hours) return configured;
  double hours = *options.retention_hours;
  DLAKE_RETURN_IF_ERROR(CheckHoursArgument(hours, "VACUUM"));
  if (hours < configured && !options.force) {
    return FailedPrecondition(
        "VACUUM of '", snapshot.root, "' with a retention of ", hours,
        " hours is refused: it is below the table's file retention of ", configured, " hours (",
        kFileRetentionKey,
        "), so it could delete files that readers of recent versions or writers still in "
        "progress need; force it (VacuumOptions::force, `dlake delta vacuum --force`) only "
        "when no one reads old versions or writes the table");
  }
  return hours;
}
}  // namespace

// VACUUM writes no commit: Spark's commitInfo-only "VACUUM START"/"VACUUM END" entries are
// optional, and deleting files does not change any version's contents.
Result<VacuumResult> Vacuum(TableContext& ctx, const VacuumOptions& options) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(ctx, "VACUUM"));
  DLAKE_ASSIGN_OR_RETURN(double hours, VacuumRetentionHours(snapshot, options));
  const int64_t cutoff_ms = HoursBefore(ctx.env->NowMs(), hours);
  const std::set<std::string> keep = FilesToKeep(snapshot, cutoff_ms);
  std::vector<FoundFile> files, dirs;
  DLAKE_RETURN_IF_ERROR(WalkTable(ctx.root, "", snapshot.metadata.partition_columns, files, dirs));

  VacuumResult result;
  result.dry_run = options.dry_run;
  std::sort(files.begin(), files.end(),
            [](const FoundFile& a, const FoundFile& b) { return a.relative < b.relative; });
  for (const auto& file : files) {
    // A young unreferenced file may belong to a writer that has not committed yet.
    if (keep.count(file.relative) || file.mtime_ms >= cutoff_ms) continue;
    result.files.push_back(file.relative);
    result.bytes += file.bytes;
  }
  if (options.dry_run) return result;
  for (size_t i = 0; i < result.files.size(); ++i) {
    Status removed = ctx.env->RemoveFile(JoinPath(ctx.root, result.files[i]));
    if (!removed.ok()) {
      return removed.WithContext("VACUUM of '" + ctx.root + "' deleted " + std::to_string(i) +
                                 " of " + std::to_string(result.files.size()) + " files, then");
    }
  }
  for (const auto& dir : dirs) {  // deepest first, so emptied parents go too
    std::string path = JoinPath(ctx.root, dir.relative);
    std::error_code ec;
    if (dir.mtime_ms >= cutoff_ms || !fs::is_empty(path, ec) || ec) continue;
    DLAKE_RETURN_IF_ERROR(
        ctx.env->RemoveEmptyDir(path).WithContext("VACUUM of '" + ctx.root + "'"));
  }
  return result;
}
}  // namespace dlake::delta
