#include "cmc/snapshot_log.h"

#include <fstream>
#include <vector>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "common/python_json.h"

namespace dlake::cmc {

SnapshotLog::SnapshotLog(Env* env, const std::string& lake_root, const std::string& name)
    : env_(env),
      dir_(JoinPath(lake_root, std::string(layout::kMetadataDir) + "/extract/" + name)),
      path_(JoinPath(dir_, "snapshot_info.jsonl")) {}

Result<std::optional<nlohmann::ordered_json>> LastJsonLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<nlohmann::ordered_json>();
    return IoError("cannot read '", path, "': ", std::strerror(errno));
  }
  // Lines are small and the files grow by one line per run; keep only the complete ones.
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline after it: torn by a crash while appending
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(std::move(line));
  }
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    auto parsed = nlohmann::ordered_json::parse(*it, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded() && parsed.is_object()) return std::optional(std::move(parsed));
  }
  return std::optional<nlohmann::ordered_json>();
}

Result<std::optional<nlohmann::ordered_json>> SnapshotLog::Last() const {
  return LastJsonLine(path_);
}

Status SnapshotLog::Append(const std::string& snapshot_date,
                           const nlohmann::ordered_json& fields) const {
  nlohmann::ordered_json line;
  line["snapshot_date"] = snapshot_date;
  for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  DLAKE_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  // A line torn by a crash gets its newline first, so the new line stands on its own.
  std::string text = PythonJsonDumps(line) + "\n";
  std::ifstream existing(path_, std::ios::binary | std::ios::ate);
  if (existing && existing.tellg() > 0) {
    existing.seekg(-1, std::ios::end);
    if (existing.get() != '\n') text.insert(0, "\n");
  }
  return env_->AppendFile(path_, text);
}

}  // namespace dlake::cmc
