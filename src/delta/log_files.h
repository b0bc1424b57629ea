#pragma once
// The _delta_log folder: naming, listing and the atomic put-if-absent of commits
// (PROTOCOL.md "Delta Log Entries", "Checkpoints", "Last Checkpoint File Schema").
// Listing ignores what a reader must ignore: .crc files, .tmp folders, temporary files and
// anything that is not a commit, checkpoint or _last_checkpoint.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake::delta {

std::string LogDir(const std::string& table_root);
std::string CommitFileName(int64_t version);  // 00000000000000000007.json
std::string CommitPath(const std::string& table_root, int64_t version);
std::string ClassicCheckpointPath(const std::string& table_root, int64_t version);

struct CheckpointFiles {
  enum class Kind { kClassic, kMultiPart, kV2 };
  int64_t version = 0;
  Kind kind = Kind::kClassic;
  std::vector<std::string> paths;  // absolute; every part, in part order
};

struct LogListing {
  std::map<int64_t, std::string> commits;  // version → absolute path of its JSON
  // Complete checkpoints by version (a multi-part one only with all its parts). With several
  // at one version, the classic single file is preferred.
  std::map<int64_t, CheckpointFiles> checkpoints;
};

// Lists _delta_log. NotFound naming the folder when the table has no log.
Result<LogListing> ListLog(const std::string& table_root);

struct LastCheckpoint {
  int64_t version = 0;
  int64_t size = 0;
  std::optional<int64_t> parts;
  nlohmann::json raw;
};
// _last_checkpoint, or nullopt when it is absent or unreadable (it is only a hint).
std::optional<LastCheckpoint> ReadLastCheckpoint(const std::string& table_root);
Status WriteLastCheckpoint(Env& env, const std::string& table_root, const LastCheckpoint& last);

Result<std::string> ReadTextFile(const std::string& path);
// File modification time in ms.
Result<int64_t> FileMtimeMs(const std::string& path);

// Creates version `version` with `contents` only if it does not exist: the text goes to a
// temporary file in _delta_log/.tmp/, is fsynced, gets modification time `mtime_ms` (timestamp
// time travel reads it), then is link()ed to its final name. Returns Aborted naming the version
// when another writer got there first; the log is unchanged then. Once the version is linked
// the call succeeds: a failing fsync of the folder afterwards is logged, not returned.
Status PutCommitIfAbsent(Env& env, const std::string& table_root, int64_t version,
                         const std::string& contents, int64_t mtime_ms);

}  // namespace dlake::delta
