#pragma once
// The file work of backups and restores (lake_backup.cc): placing files by hard link or copy,
// counting what was written, and the SHA256SUMS list (doc/backup.md).

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake::backup {

inline constexpr const char* kChecksumsFile = "SHA256SUMS";

// Writes files into one target folder and remembers each one's checksum, for SHA256SUMS.
// Not thread-safe.
class FileSink {
 public:
  FileSink(Env* env, std::string root) : env_(env), root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  // Hard-links `from` as <root>/<relative> (creating folders), or copies it when the file
  // system refuses the link (another device, no permission). NotFound if `from` is gone.
  Status LinkOrCopy(const std::string& from, const std::string& relative);
  // Copies `from` as <root>/<relative>, fsynced: for files the lake changes in place.
  Status Copy(const std::string& from, const std::string& relative);
  // Records a file something else wrote at <root>/<relative> (the manifest backup).
  Status Add(const std::string& relative);

  // The checksum recorded for <root>/<relative>, computed from the file written.
  const std::string& Checksum(const std::string& relative) const;
  // fsyncs every folder files went into.
  Status SyncDirs();
  // SyncDirs, then writes <root>/SHA256SUMS (not counted in files()) atomically.
  Status Finish();

  int64_t files() const { return static_cast<int64_t>(checksums_.size()); }
  int64_t bytes() const { return bytes_; }
  int64_t linked() const { return linked_; }
  int64_t copied() const { return copied_; }

 private:
  Status Record(const std::string& relative, bool linked, bool copied);
  Status MakeParent(const std::string& relative);

  Env* env_;
  std::string root_;
  std::map<std::string, std::string> checksums_;  // relative path -> sha256
  std::set<std::string> dirs_;                    // absolute folders written into
  int64_t bytes_ = 0;
  int64_t linked_ = 0;
  int64_t copied_ = 0;
};

// One line of SHA256SUMS.
struct ChecksumLine {
  std::string sha256;
  std::string path;  // relative to the backup folder
};

// Reads <dir>/SHA256SUMS. NotFound if it is missing (not a backup); Corruption for a line that
// is not "<64 hex>  <relative path>" or a path leaving the folder.
Result<std::vector<ChecksumLine>> ReadChecksums(const std::string& dir);
// Checks every listed file against its checksum; the error names the first file that is
// missing or differs.
Status VerifyChecksums(const std::string& dir, const std::vector<ChecksumLine>& lines);

// Creates `dir` if missing. FailedPrecondition naming it (as `what`) if it holds anything.
// Sets `created` when the folder was made here.
Status RequireEmptyDir(Env* env, const std::string& dir, const char* what, bool* created);
// Removes everything below `dir`, and `dir` itself when `remove_dir`. Best effort.
void RemoveContents(const std::string& dir, bool remove_dir);

// Regular files under `dir`, relative to it and sorted, skipping hidden names (temporary files
// of unfinished writes) and the folder `skip` (relative; "" = none).
std::vector<std::string> ListTree(const std::string& dir, const std::string& skip = "");

}  // namespace dlake::backup
