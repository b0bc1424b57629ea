// Lake::Compact, Lake::Cleanup and Lake::Maintain (doc/maintain.md).

#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <set>

#include "catalog/manifest_backups.h"
#include "common/file_util.h"
#include "common/lake_layout.h"
#include "dlake/common/settings.h"
#include "lake/lake_impl.h"
#include "lake/strays.h"
#include "storage/compactor.h"

namespace dlake {
namespace {

// A file's modification time in ms since the epoch; nullopt when it cannot be read (gone).
std::optional<int64_t> ModifiedMs(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

// Everything stray in the lake: dataset folders, .tmp/ and data/bronze.
Result<Strays> FindAllStrays(const StorageContext& ctx) {
  Strays strays;
  DLAKE_ASSIGN_OR_RETURN(auto listed, ListedPaths(ctx, DatasetFilter{}));
  FindDatasetStrays(ctx, DatasetFilter{}, listed, strays);
  DLAKE_ASSIGN_OR_RETURN(auto bronze, ctx.manifest->LakeFiles(kLakeFileBronze, ""));
  FindBronzeStrays(ctx, bronze, strays);
  return strays;
}

// Orphans whose file is older than the grace period go; younger ones may be a writer's new
// file about to be committed, or a user's copy in progress, so they stay.
void SplitByAge(const StorageContext& ctx, int64_t grace_ms, std::vector<std::string>& orphans,
                std::vector<std::string>& young) {
  const int64_t cutoff = ctx.env->NowMs() - grace_ms;
  std::vector<std::string> old;
  for (auto& rel : orphans) {
    std::optional<int64_t> mtime = ModifiedMs(ctx.Abs(rel));
    if (!mtime) continue;
    (*mtime < cutoff ? old : young).push_back(std::move(rel));
  }
  orphans = std::move(old);
}

}  // namespace

Result<CompactReport> Lake::Compact(const CompactRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*impl_->ctx.duck));
  return storage::Compactor(impl_->ctx, *conn).Run(request);
}

Result<CleanupReport> Lake::Cleanup(const CleanupRequest& request) {
  if (request.grace_ms < 0) return InvalidArgument("cleanup grace period is negative");
  const StorageContext& ctx = impl_->ctx;
  CleanupReport report;
  report.dry_run = request.dry_run;
  // Bronze writers rename a file into place and then register it, both under this lock, so a
  // bronze orphan seen while holding it is not about to be registered.
  std::optional<FileLock> bronze_lock;
  if (!request.dry_run) {
    DLAKE_ASSIGN_OR_RETURN(FileLock lock,
                           FileLock::Acquire(ctx.Abs(std::string(layout::kBronzeLockFile))));
    bronze_lock.emplace(std::move(lock));
  }
  DLAKE_ASSIGN_OR_RETURN(Strays strays, FindAllStrays(ctx));
  SplitByAge(ctx, request.grace_ms, strays.orphans, report.young_orphans);
  DLAKE_ASSIGN_OR_RETURN(auto pending_before, ctx.manifest->PendingDeletes(DatasetFilter{}));
  if (request.dry_run) {
    report.leftovers = std::move(strays.leftovers);
    report.orphans = std::move(strays.orphans);
    report.pending_deletes = std::move(pending_before);
    return report;
  }
  std::vector<std::string> removed;
  DLAKE_RETURN_IF_ERROR(RemoveStrays(ctx, DatasetFilter{}, strays, removed, report.bytes_freed));
  const std::set<std::string> gone(removed.begin(), removed.end());
  for (auto& rel : strays.leftovers) {
    if (gone.count(rel)) report.leftovers.push_back(std::move(rel));
  }
  for (auto& rel : strays.orphans) {
    if (gone.count(rel)) report.orphans.push_back(std::move(rel));
  }
  DLAKE_ASSIGN_OR_RETURN(auto pending_after, ctx.manifest->PendingDeletes(DatasetFilter{}));
  const std::set<std::string> still(pending_after.begin(), pending_after.end());
  for (auto& rel : pending_before) {
    if (!still.count(rel)) report.pending_deletes.push_back(std::move(rel));
  }
  report.pending_in_use = static_cast<int64_t>(pending_after.size());
  return report;
}

Result<MaintainReport> Lake::Maintain(const MaintainRequest& request) {
  MaintainReport report;
  CompactRequest compact;
  compact.dry_run = request.dry_run;
  DLAKE_ASSIGN_OR_RETURN(report.compact, Compact(compact));
  CleanupRequest cleanup;
  cleanup.dry_run = request.dry_run;
  cleanup.grace_ms = request.grace_ms;
  DLAKE_ASSIGN_OR_RETURN(report.cleanup, Cleanup(cleanup));
  VerifyRequest verify;
  verify.check_data = false;
  DLAKE_ASSIGN_OR_RETURN(report.verify, Verify(verify));
  if (request.dry_run) return report;
  const int keep = static_cast<int>(impl_->ctx.settings->Integer(setting::kManifestBackupsKeep));
  DLAKE_ASSIGN_OR_RETURN(
      report.manifest_backup,
      catalog::BackupManifestRotating(*impl_->manifest, impl_->ctx.root, "maintain", keep));
  return report;
}

}  // namespace dlake
