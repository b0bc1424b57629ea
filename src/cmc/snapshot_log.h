#pragma once
// metadata/extract/<name>/snapshot_info.jsonl: one line per successful extract run, appended
// (and fsynced) only after the run's bronze files are in place. The state of an extractor is the
// last line that parses; a torn last line, left by a crash while appending, is ignored.
// Lines are written as Python's json.dump writes them (the format of the system we replace),
// first key `snapshot_date` ("YYYY-MM-DD HH:MM:SS", UTC).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/jsonl.h"
#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake::cmc {

class SnapshotLog {
 public:
  SnapshotLog(Env* env, const std::string& lake_root, const std::string& name);

  const std::string& path() const { return path_; }
  // The last complete line, or nullopt when there is none (first run).
  Result<std::optional<nlohmann::ordered_json>> Last() const;
  // Appends {"snapshot_date": snapshot_date, ...fields} as one line.
  Status Append(const std::string& snapshot_date, const nlohmann::ordered_json& fields) const;

 private:
  Env* env_;
  std::string dir_;
  std::string path_;
};

using ::dlake::LastJsonLine;

}  // namespace dlake::cmc
