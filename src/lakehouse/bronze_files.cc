#include "lakehouse/bronze_files.h"

#include <algorithm>
#include <map>

#include "dlake/catalog/lake_file.h"
#include "dlake/common/time.h"

namespace dlake::lakehouse {
namespace {

constexpr std::string_view kParquet = ".parquet";

std::string_view FileName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view Stem(std::string_view name) {
  if (name.size() >= kParquet.size() && name.substr(name.size() - kParquet.size()) == kParquet) {
    name.remove_suffix(kParquet.size());
  }
  return name;
}

// Parses `digits` decimal digits at text[pos]; -1 when any is not a digit.
int Digits(std::string_view text, size_t pos, size_t digits) {
  int value = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "<N>-<suffix>" after the prefix: N, or -1 when the name is not a batch of the prefix.
int BatchNumber(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return -1;
  std::string_view rest = name.substr(prefix.size());
  size_t dash = rest.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 6) return -1;
  return Digits(rest, 0, dash);
}

}  // namespace

std::optional<int64_t> BronzeFileTime(std::string_view path) {
  std::string_view stem = Stem(FileName(path));
  size_t dash = stem.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view text = stem.substr(dash + 1);
  // YYYY-MM-DD_HH-MM-SS
  if (text.size() != 19 || text[4] != '-' || text[7] != '-' || text[10] != '_' || text[13] != '-' ||
      text[16] != '-') {
    return std::nullopt;
  }
  int year = Digits(text, 0, 4), month = Digits(text, 5, 2), day = Digits(text, 8, 2);
  int hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 59) {
    return std::nullopt;
  }
  return DayStartMs(DayFromCivil(year, month, day)) + hour * kMsPerHour + minute * kMsPerMinute +
         second * kMsPerSecond;
}

Result<std::optional<BronzeSnapshot>> LatestBronzeFile(Manifest& manifest, std::string_view folder,
                                                       std::string_view prefix) {
  DLAKE_ASSIGN_OR_RETURN(auto files, manifest.LakeFiles(kLakeFileBronze, folder));
  const std::string wanted = std::string(prefix) + "-";
  const LakeFile* latest = nullptr;
  for (const auto& file : files) {
    std::string_view name = FileName(file.path);
    if (name.substr(0, wanted.size()) != wanted) continue;
    if (latest == nullptr || name > FileName(latest->path)) latest = &file;
  }
  if (latest == nullptr) return std::optional<BronzeSnapshot>();
  return std::optional<BronzeSnapshot>(
      BronzeSnapshot{{latest->path}, latest->path, BronzeFileTime(latest->path), 1});
}

Result<std::optional<BronzeSnapshot>> LatestBronzeBatch(Manifest& manifest, std::string_view folder,
                                                        std::string_view prefix) {
  DLAKE_ASSIGN_OR_RETURN(auto files, manifest.LakeFiles(kLakeFileBronze, folder));
  // suffix -> (batch number -> path)
  std::map<std::string, std::map<int, std::string>> runs;
  for (const auto& file : files) {
    std::string_view name = FileName(file.path);
    int batch = BatchNumber(name, prefix);
    if (batch < 0) continue;
    std::string suffix(name.substr(name.find('-') + 1));
    runs[suffix][batch] = file.path;
  }
  if (runs.empty()) return std::optional<BronzeSnapshot>();
  const auto& newest = runs.rbegin()->second;
  BronzeSnapshot snapshot;
  snapshot.expected_files = 5;
  for (const auto& [batch, path] : newest) snapshot.files.push_back(path);
  snapshot.primary = newest.count(1) ? newest.at(1) : newest.begin()->second;
  snapshot.time_ms = BronzeFileTime(snapshot.primary);
  return std::optional<BronzeSnapshot>(std::move(snapshot));
}

}  // namespace dlake::lakehouse
