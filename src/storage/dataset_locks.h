#pragma once
// The two lock files of a dataset (doc/layout.md "Locks"):
//   .locks/<dataset>.lock       exclusive, held by a writer for its whole operation;
//   .locks/<dataset>.read.lock  shared, held by readers while they read, so that files a
//                               reader may still open are not deleted under it.
// A writer never waits for readers: after committing, it deletes the files it replaced only if
// it can take the read lock exclusively at once; otherwise they stay in the manifest's
// pending_deletes and a later writer (or verify --repair) deletes them.

#include <optional>

#include "common/file_util.h"
#include "dlake/common/dataset.h"
#include "storage/context.h"

namespace dlake::storage {

Result<FileLock> LockForWriting(const StorageContext& ctx, const DatasetId& dataset);

// nullopt when the lake is read-only for this process (no writer of ours can run then either).
Result<std::optional<FileLock>> LockForReading(const StorageContext& ctx, const DatasetId& dataset);

// Deletes the dataset's pending deletes when no reader holds its read lock, and prunes the
// folders that empties. The caller holds the dataset's write lock. Errors deleting a file leave
// it pending; they are not reported.
Status CollectGarbage(const StorageContext& ctx, const DatasetId& dataset);

}  // namespace dlake::storage
