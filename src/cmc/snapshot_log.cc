#include "cmc/snapshot_log.h"

#include "common/file_util.h"
#include "common/jsonl.h"
#include "common/lake_layout.h"

namespace dlake::cmc {

SnapshotLog::SnapshotLog(Env* env, const std::string& lake_root, const std::string& name)
    : env_(env),
      dir_(JoinPath(lake_root, std::string(layout::kMetadataDir) + "/extract/" + name)),
      path_(JoinPath(dir_, "snapshot_info.jsonl")) {}

Result<std::optional<nlohmann::ordered_json>> SnapshotLog::Last() const {
  return LastJsonLine(path_);
}

Status SnapshotLog::Append(const std::string& snapshot_date,
                           const nlohmann::ordered_json& fields) const {
  nlohmann::ordered_json line;
  line["snapshot_date"] = snapshot_date;
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  return AppendJsonLine(*env_, path_, line);
}

}  // namespace dlake::cmc
