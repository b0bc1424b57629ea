#pragma once
// The seam between the lake and the operating system for every mutating file operation and the
// clock, so that crash and error paths are testable with a fault-injecting Env. Read-only
// directory walks use std::filesystem directly. Implementations must be thread-safe.

#include <cstdint>
#include <string>

#include "dlake/common/status.h"

namespace dlake {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX implementation. Never deleted.
  static Env* Default();

  // mkdir -p.
  virtual Status CreateDirs(const std::string& path) = 0;
  // rename(2): atomically replaces `to` if it exists.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // unlink(2); a missing file is OK.
  virtual Status RemoveFile(const std::string& path) = 0;
  // rmdir(2) of an empty folder; a missing or non-empty folder is OK.
  virtual Status RemoveEmptyDir(const std::string& path) = 0;
  // fsync(2) of a file's contents.
  virtual Status SyncFile(const std::string& path) = 0;
  // fsync(2) of a folder, making renames and unlinks in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Writes a small file atomically: temporary file, fsync, rename, fsync folder.
  virtual Status WriteFileAtomic(const std::string& path, const std::string& contents) = 0;
  // Appends `contents` to a file (created if missing) and fsyncs it: for append-only logs.
  virtual Status AppendFile(const std::string& path, const std::string& contents) = 0;
  // link(2): `to` becomes a second name of `from`. AlreadyExists when `to` exists: the
  // put-if-absent that Delta commits rely on.
  virtual Status LinkFile(const std::string& from, const std::string& to) = 0;
  // Sets a file's modification time (ms since the epoch).
  virtual Status SetModificationTime(const std::string& path, int64_t ms) = 0;
  // Milliseconds since the epoch, UTC.
  virtual int64_t NowMs() = 0;
};

}  // namespace dlake
