#include "lakehouse/transform_metadata.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/file_util.h"
#include "common/lake_layout.h"
#include "common/python_json.h"
#include "dlake/common/time.h"
#include "lakehouse/bronze_files.h"

namespace dlake::lakehouse {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kDash = "-";

// The record of one line, or nullopt when it is not a JSON object (a torn or foreign line).
std::optional<TransformRecord> ParseLine(std::string_view text) {
  Json line = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (line.is_discarded() || !line.is_object()) return std::nullopt;
  TransformRecord record;
  auto text_of = [&](const char* key) {
    auto it = line.find(key);
    return it != line.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  record.status = text_of("status");
  record.started_at = text_of("started_at");
  record.ended_at = text_of("ended_at");
  if (auto it = line.find("record_count"); it != line.end() && it->is_number_integer()) {
    record.record_count = it->get<int64_t>();
  }
  if (auto parsed = ParseTimePoint(record.ended_at); parsed.ok() && !parsed->date_only) {
    record.ended_at_ms = parsed->ms;
  }
  record.source_time_ms = BronzeFileTime(text_of("source_snapshot"));
  return record;
}

// The complete lines of `text`, last first. `from_start`: the first line is complete too.
std::vector<std::string_view> LinesLastFirst(std::string_view text, bool from_start) {
  std::vector<std::string_view> lines;
  size_t end = text.size();
  while (end > 0) {
    size_t newline = end == 0 ? std::string_view::npos : text.rfind('\n', end - 1);
    size_t begin = newline == std::string_view::npos ? 0 : newline + 1;
    if (newline == std::string_view::npos && !from_start) break;
    if (begin < end) lines.push_back(text.substr(begin, end - begin));
    if (newline == std::string_view::npos) break;
    end = newline;
  }
  return lines;
}

}  // namespace

TransformLine SuccessLine(std::string table, std::string domain, std::string source_snapshot,
                          int64_t record_count, std::string started_at, std::string ended_at,
                          double duration_seconds) {
  return TransformLine{std::move(table),    std::move(domain), std::move(source_snapshot),
                       "success",           record_count,      std::move(started_at),
                       std::move(ended_at), duration_seconds,  "ready to load step"};
}

TransformLine SkippedLine(std::string table, std::string domain,
                          std::optional<std::string> source_snapshot, std::string started_at) {
  return TransformLine{std::move(table), std::move(domain), std::move(source_snapshot),
                       "skipped",        std::nullopt,      std::move(started_at),
                       std::nullopt,     std::nullopt,      "No DataFrame returned."};
}

std::string FormatTransformLine(const TransformLine& line) {
  const bool success = line.status == "success";
  Json json;
  json["table"] = line.table;
  json["domain"] = line.domain;
  json["last_status"] = "raw";
  json["source_snapshot"] = line.source_snapshot ? Json(*line.source_snapshot) : Json();
  json["current_status"] = success ? "transformed" : "raw";
  json["status"] = line.status;
  json["record_count"] = line.record_count ? Json(*line.record_count) : Json(kDash);
  json["started_at"] = line.started_at;
  json["ended_at"] = line.ended_at ? Json(*line.ended_at) : Json(kDash);
  json["duration_seconds"] = line.duration_seconds ? Json(*line.duration_seconds) : Json(kDash);
  json["notes"] = line.notes;
  return PythonJsonDumps(json);
}

std::string TransformMetadata::PathFor(std::string_view domain, std::string_view table) const {
  return JoinPath(JoinPath(JoinPath(JoinPath(lake_, layout::kMetadataDir), "transform"), domain),
                  std::string(table) + ".jsonl");
}

Status TransformMetadata::Append(const TransformLine& line) {
  const std::string path = PathFor(line.domain, line.table);
  DLAKE_RETURN_IF_ERROR(env_->CreateDirs(fs::path(path).parent_path().string()));
  std::string text = FormatTransformLine(line) + "\n";
  // A crash mid-append can leave a torn last line; start ours on a line of its own.
  std::error_code ec;
  if (auto size = fs::file_size(path, ec); !ec && size > 0) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(size) - 1);
    if (in.get() != '\n') text.insert(text.begin(), '\n');
  }
  return env_->AppendFile(path, text);
}

Result<std::optional<TransformRecord>> TransformMetadata::LastLine(std::string_view domain,
                                                                   std::string_view table) const {
  return FindLast(domain, table, /*needs_time=*/false);
}

Result<std::optional<TransformRecord>> TransformMetadata::LastTransform(
    std::string_view domain, std::string_view table) const {
  return FindLast(domain, table, /*needs_time=*/true);
}

// Reads the file backwards in growing windows: a metadata file gains a line per run for ever,
// and only its last lines matter.
Result<std::optional<TransformRecord>> TransformMetadata::FindLast(std::string_view domain,
                                                                   std::string_view table,
                                                                   bool needs_time) const {
  const std::string path = PathFor(domain, table);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<TransformRecord>();
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) return IoError("cannot read the size of '", path, "': ", ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoErrorFromErrno("cannot open", path, errno);
  for (uintmax_t window = 64 << 10;; window *= 4) {
    const uintmax_t start = size > window ? size - window : 0;
    std::string text(size - start, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(start));
    if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
      return IoError("cannot read '", path, "'");
    }
    for (std::string_view line : LinesLastFirst(text, start == 0)) {
      auto record = ParseLine(line);
      if (record && (!needs_time || record->ended_at_ms)) {
        return std::optional<TransformRecord>(std::move(record));
      }
    }
    if (start == 0) return std::optional<TransformRecord>();
  }
}

std::string IsoUtcMicros(int64_t ms) {
  int64_t day = DayOf(ms);
  int64_t in_day = ms - DayStartMs(day);
  CivilDate c = CivilFromDay(day);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d000+00:00", c.year, c.month,
                c.day, static_cast<int>(in_day / kMsPerHour),
                static_cast<int>(in_day / kMsPerMinute % 60),
                static_cast<int>(in_day / kMsPerSecond % 60), static_cast<int>(in_day % 1000));
  return buf;
}

}  // namespace dlake::lakehouse
