#include "common/jsonl.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/python_json.h"

namespace dlake {

Result<std::optional<nlohmann::ordered_json>> LastJsonLine(
    const std::string& path, const std::function<bool(const nlohmann::ordered_json&)>& accept) {
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
    if (parsed.is_discarded() || !parsed.is_object()) continue;
    if (accept && !accept(parsed)) continue;
    return std::optional(std::move(parsed));
  }
  return std::optional<nlohmann::ordered_json>();
}

Status AppendJsonLine(Env& env, const std::string& path, const nlohmann::ordered_json& line) {
  DLAKE_RETURN_IF_ERROR(env.CreateDirs(std::filesystem::path(path).parent_path().string()));
  std::string text = PythonJsonDumps(line) + "\n";
  std::ifstream existing(path, std::ios::binary | std::ios::ate);
  if (existing && existing.tellg() > 0) {
    existing.seekg(-1, std::ios::end);
    if (existing.get() != '\n') text.insert(0, "\n");
  }
  return env.AppendFile(path, text);
}

}  // namespace dlake
