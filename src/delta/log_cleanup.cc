// Log cleanup (PROTOCOL.md "Metadata Cleanup"): deletes the log files older than the newest
// checkpoint past the log retention.

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "delta/checkpoint.h"
#include "delta/log_files.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/snapshot.h"
#include "dlake/common/strings.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using maintenance_internal::CheckHoursArgument;
using maintenance_internal::ConfiguredHours;
using maintenance_internal::HoursBefore;
using maintenance_internal::LoadWritable;

constexpr const char* kLogRetentionKey = "delta.logRetentionDuration";
constexpr double kDefaultLogRetentionHours = 30 * 24;

// The version of a file in _delta_log: commits, checkpoints, .crc files and Hadoop's hidden
// ".<name>.crc" checksums all start with the 20-digit version.
std::optional<int64_t> LogFileVersion(std::string name) {
  if (!name.empty() && name[0] == '.') name = name.substr(1);
  constexpr size_t kDigits = 20;
  if (name.size() <= kDigits || name[kDigits] != '.') return std::nullopt;
  int64_t version = 0;
  auto [end, error] = std::from_chars(name.data(), name.data() + kDigits, version);
  if (error != std::errc() || end != name.data() + kDigits) return std::nullopt;
  return version;
}

// The newest checkpoint whose version was committed at or before `cutoff_ms`: its commit file's
// modification time, or the checkpoint's own when the commit is gone.
Result<std::optional<int64_t>> CutoffCheckpoint(const LogListing& listing, int64_t cutoff_ms) {
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (it->second.kind == CheckpointFiles::Kind::kV2) continue;
    auto commit = listing.commits.find(it->first);
    std::string path = commit != listing.commits.end() ? commit->second : it->second.paths.front();
    DLAKE_ASSIGN_OR_RETURN(int64_t time, FileMtimeMs(path));
    if (time <= cutoff_ms) return std::optional<int64_t>(it->first);
  }
  return std::optional<int64_t>();
}

// Points a stale _last_checkpoint at the cutoff checkpoint before older checkpoints go: readers
// that trust the hint would otherwise look for a deleted file.
Status RepointLastCheckpoint(TableContext& ctx, const CheckpointFiles& cutoff) {
  auto last = ReadLastCheckpoint(ctx.root);
  if (!last || last->version >= cutoff.version) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto actions, ReadCheckpoint(*ctx.conn, cutoff));
  LastCheckpoint updated;
  updated.version = cutoff.version;
  updated.size = static_cast<int64_t>(actions.size());
  if (cutoff.kind == CheckpointFiles::Kind::kMultiPart) {
    updated.parts = static_cast<int64_t>(cutoff.paths.size());
  }
  return WriteLastCheckpoint(*ctx.env, ctx.root, updated);
}
}  // namespace

Result<LogCleanupResult> CleanupLog(TableContext& ctx, std::optional<double> retention_hours) {
  DLAKE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadWritable(ctx, "log cleanup"));
  // Spark's switch for its (automatic) log cleanup: the table's owner wants the whole history.
  if (AsciiLower(snapshot.Config("delta.enableExpiredLogCleanup")) == "false") {
    return FailedPrecondition("log cleanup of '", ctx.root,
                              "' is turned off by its table property "
                              "delta.enableExpiredLogCleanup=false");
  }
  double hours = 0;
  if (retention_hours) {
    DLAKE_RETURN_IF_ERROR(CheckHoursArgument(*retention_hours, "log"));
    hours = *retention_hours;
  } else {
    DLAKE_ASSIGN_OR_RETURN(hours,
                           ConfiguredHours(snapshot, kLogRetentionKey, kDefaultLogRetentionHours));
  }
  DLAKE_ASSIGN_OR_RETURN(LogListing listing, ListLog(ctx.root));
  LogCleanupResult result;
  DLAKE_ASSIGN_OR_RETURN(result.cutoff_checkpoint,
                         CutoffCheckpoint(listing, HoursBefore(ctx.env->NowMs(), hours)));
  if (!result.cutoff_checkpoint) return result;
  const int64_t cutoff = *result.cutoff_checkpoint;
  DLAKE_RETURN_IF_ERROR(RepointLastCheckpoint(ctx, listing.checkpoints.at(cutoff))
                            .WithContext("log cleanup of '" + ctx.root + "'"));

  std::vector<std::pair<int64_t, std::string>> expired;
  std::error_code ec;
  for (fs::directory_iterator it(LogDir(ctx.root), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    auto version = LogFileVersion(name);
    if (version && *version < cutoff && it->is_regular_file(ec))
      expired.emplace_back(*version, name);
  }
  if (ec) return IoError("log cleanup cannot list '", LogDir(ctx.root), "': ", ec.message());
  // Oldest first: a cleanup cut short leaves a log whose remaining prefix is still contiguous.
  std::sort(expired.begin(), expired.end());
  for (const auto& [version, name] : expired) {
    DLAKE_RETURN_IF_ERROR(ctx.env->RemoveFile(JoinPath(LogDir(ctx.root), name))
                              .WithContext("log cleanup of '" + ctx.root + "'"));
    result.files.push_back("_delta_log/" + name);
  }
  return result;
}
}  // namespace dlake::delta
