#include "storage/dataset_locks.h"

#include <errno.h>

#include <filesystem>

#include "storage/partition.h"

namespace dlake::storage {
namespace {

std::string ReadLockPath(const StorageContext& ctx, const DatasetId& dataset) {
  std::string path = ctx.Abs(DatasetLockPath(dataset));
  return path.substr(0, path.size() - std::string_view(".lock").size()) + ".read.lock";
}

}  // namespace

Result<FileLock> LockForWriting(const StorageContext& ctx, const DatasetId& dataset) {
  return FileLock::Acquire(ctx.Abs(DatasetLockPath(dataset)), FileLock::Mode::kExclusive);
}

Result<std::optional<FileLock>> LockForReading(const StorageContext& ctx,
                                               const DatasetId& dataset) {
  auto lock = FileLock::Acquire(ReadLockPath(ctx, dataset), FileLock::Mode::kShared);
  if (lock.ok()) return std::optional<FileLock>(std::move(lock).value());
  // A lake this user may read but not write: nothing of ours can delete files concurrently.
  if (lock.status().message().find("Permission denied") != std::string::npos ||
      lock.status().message().find("Read-only file system") != std::string::npos) {
    return std::optional<FileLock>();
  }
  return lock.status();
}

Status CollectGarbage(const StorageContext& ctx, const DatasetId& dataset) {
  DLAKE_ASSIGN_OR_RETURN(auto pending, ctx.manifest->PendingDeletes(DatasetFilter::Of(dataset)));
  if (pending.empty()) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto readers_out, FileLock::TryAcquire(ReadLockPath(ctx, dataset),
                                                                FileLock::Mode::kExclusive));
  if (!readers_out) return Status::Ok();  // a reader is active; try again next time
  std::vector<std::string> deleted;
  for (const auto& rel : pending) {
    const std::string path = ctx.Abs(rel);
    if (!ctx.env->RemoveFile(path).ok()) continue;
    deleted.push_back(rel);
    // Prune the day/month/year folders the removal emptied.
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    for (int level = 0; level < 3; ++level, dir = dir.parent_path()) {
      (void)ctx.env->RemoveEmptyDir(dir.string());
    }
  }
  return ctx.manifest->ClearPendingDeletes(deleted);
}

}  // namespace dlake::storage
