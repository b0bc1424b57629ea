#pragma once
// Backups of a lake and restores from them: Lake::Backup and Lake::Restore (doc/backup.md).
//
// A backup folder holds manifest.db (a consistent SQLite online backup, a standalone file),
// dlake.toml when the lake has one, with data the data files and metadata/ records, and
// SHA256SUMS: a sha256sum-compatible line for every other file in the folder.

#include <cstdint>
#include <string>

#include "dlake/lake.h"

namespace dlake {

struct BackupRequest {
  // The backup folder: created if missing; an existing one must be empty.
  std::string dir;
  // Also the data: every file the backed-up manifest lists, the silver Delta tables under
  // data/silver/ and the metadata/ records. Without it the backup holds only the manifest and
  // dlake.toml, which Restore refuses.
  bool data = false;
};

struct BackupReport {
  std::string dir;         // absolute
  bool data = false;       // made with data
  int schema_version = 0;  // of the backed-up manifest
  int64_t files = 0;       // files written into the folder, manifest.db included
  int64_t bytes = 0;       // their sizes
  int64_t linked = 0;      // of them, hard links to the lake's files
  int64_t copied = 0;      // of them, copies (manifest.db and SHA256SUMS not counted)
  int64_t elapsed_ms = 0;
};

struct RestoreRequest {
  std::string backup_dir;  // a folder Lake::Backup wrote with data
  std::string lake_dir;    // the new lake: must not exist or be an empty folder
};

struct RestoreReport {
  std::string lake;        // absolute
  int schema_version = 0;  // of the restored manifest, after opening it (migrated if older)
  int64_t files = 0;       // files restored, manifest.db included
  int64_t bytes = 0;
  int64_t linked = 0;   // hard links to the backup's files (immutable data files)
  int64_t copied = 0;   // copies (manifest.db, dlake.toml, metadata/, _last_checkpoint, and
                        // every file when the backup is on another file system)
  VerifyReport verify;  // `dlake verify --no-data-checks` of the restored lake
  int64_t elapsed_ms = 0;
};

// The JSON forms (`dlake backup --json`, `dlake restore --json`); fields in doc/backup.md.
std::string ToJson(const BackupReport& report, int indent = 2);
std::string ToJson(const RestoreReport& report, int indent = 2);

}  // namespace dlake
