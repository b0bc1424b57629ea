// RESTORE: a commit that makes the latest version read as an older one.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "delta/actions.h"
#include "delta/maintenance.h"
#include "delta/maintenance_internal.h"
#include "delta/snapshot.h"
#include "delta/transaction.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using maintenance_internal::LoadWritable;
using nlohmann::json;

std::map<std::string, const AddFile*> FilesByKey(const Snapshot& snapshot) {
  std::map<std::string, const AddFile*> files;
  for (const auto& file : snapshot.files) {
    files[FileActionKey(file.path, file.deletion_vector)] = &file;
  }
  return files;
}

Status CheckRestorable(const Snapshot& latest, const Snapshot& target,
                       const std::vector<AddFile>& adds, size_t removes) {
  if (removes > 0 && latest.Config("delta.appendOnly") == "true") {
    return FailedPrecondition("RESTORE of '", latest.root, "' to version ", target.version,
                              " would remove ", removes,
                              " data files, but the table is append-only (delta.appendOnly=true)");
  }
  for (const auto& add : adds) {
    std::error_code ec;
    if (fs::exists(target.FilePath(add.path), ec)) continue;
    return FailedPrecondition("RESTORE of '", latest.root, "' to version ", target.version,
                              " is impossible: its data file '", add.path,
                              "' no longer exists (VACUUM deletes the files of versions older "
                              "than the retention period)");
  }
  return Status::Ok();
}
}  // namespace

Result<CommitResult> Restore(TableContext& ctx, const VersionSpec& at) {
  if (!at.version && !at.timestamp_ms) {
    return InvalidArgument("RESTORE of '", ctx.root, "' needs a version or a timestamp");
  }
  DLAKE_ASSIGN_OR_RETURN(Snapshot latest, LoadWritable(ctx, "RESTORE"));
  auto loaded = LoadSnapshot(*ctx.conn, ctx.root, at);
  if (!loaded.ok()) return loaded.status().WithContext("RESTORE of '" + ctx.root + "'");
  Snapshot target = std::move(loaded).value();
  DLAKE_RETURN_IF_ERROR(CheckWriteSupported(target.protocol, target.metadata)
                            .WithContext("RESTORE of '" + ctx.root + "' to version " +
                                         std::to_string(target.version)));

  const auto latest_files = FilesByKey(latest);
  const auto target_files = FilesByKey(target);
  std::vector<AddFile> adds;
  for (const auto& file : target.files) {
    if (latest_files.count(FileActionKey(file.path, file.deletion_vector))) continue;
    AddFile add = file;
    add.data_change = true;
    adds.push_back(std::move(add));
  }
  const int64_t now = ctx.env->NowMs();
  std::vector<RemoveFile> removes;
  for (const auto& file : latest.files) {
    if (target_files.count(FileActionKey(file.path, file.deletion_vector))) continue;
    removes.push_back(RemoveFor(file, now, true));
  }
  bool metadata_changed = ActionToJson(latest.metadata) != ActionToJson(target.metadata);
  CommitResult result;
  if (adds.empty() && removes.empty() && !metadata_changed) {
    result.skipped = true;
    return result;
  }
  DLAKE_RETURN_IF_ERROR(CheckRestorable(latest, target, adds, removes.size()));

  PendingCommit pending;
  pending.operation = "RESTORE";
  pending.parameters = {
      {"version", std::to_string(target.version)},
      {"timestamp", at.timestamp_ms ? json(std::to_string(*at.timestamp_ms)) : json(nullptr)}};
  int64_t table_bytes = 0;
  for (const auto& file : target.files) table_bytes += file.size;
  if (metadata_changed) pending.actions.emplace_back(target.metadata);
  for (const auto& add : adds) {
    result.bytes_added += add.size;
    pending.actions.emplace_back(add);
  }
  for (const auto& remove : removes) {
    result.bytes_removed += remove.size.value_or(0);
    pending.actions.emplace_back(remove);
  }
  pending.metrics = {{"numRestoredFiles", std::to_string(adds.size())},
                     {"restoredFilesSize", std::to_string(result.bytes_added)},
                     {"numRemovedFiles", std::to_string(removes.size())},
                     {"removedFilesSize", std::to_string(result.bytes_removed)},
                     {"numOfFilesAfterRestore", std::to_string(target.files.size())},
                     {"tableSizeAfterRestore", std::to_string(table_bytes)}};
  pending.reads_data = true;  // the whole table: any concurrent change invalidates the diff
  pending.changes_metadata = metadata_changed;
  DLAKE_ASSIGN_OR_RETURN(auto outcome, Commit(ctx, latest, std::move(pending)));
  result.version = outcome.version;
  result.attempts = outcome.attempts;
  result.files_added = static_cast<int64_t>(adds.size());
  result.files_removed = static_cast<int64_t>(removes.size());
  return result;
}
}  // namespace dlake::delta
