#include "dlake/delta/json.h"

#include <nlohmann/json.hpp>

#include "dlake/common/time.h"

namespace dlake::delta {
namespace {

using Json = nlohmann::json;

Json Field(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? Json() : *it;
}

template <typename T>
Json Optional(const std::optional<T>& value) {
  return value ? Json(*value) : Json();
}

}  // namespace

std::string ToJson(const CommitResult& result, const std::string& table,
                   const std::string& operation, int indent) {
  return Json{{"table", table},
              {"operation", operation},
              {"version", result.version >= 0 ? Json(result.version) : Json()},
              {"skipped", result.skipped},
              {"attempts", result.attempts},
              {"files_added", result.files_added},
              {"files_removed", result.files_removed},
              {"rows_written", result.rows_written},
              {"rows_deleted", result.rows_deleted},
              {"rows_updated", result.rows_updated},
              {"rows_copied", result.rows_copied},
              {"bytes_added", result.bytes_added},
              {"bytes_removed", result.bytes_removed}}
      .dump(indent);
}

std::string ToJson(const TableDescription& d, int indent) {
  Json columns = Json::array();
  for (const auto& column : d.columns) {
    columns.push_back({{"name", column.name},
                       {"type", column.type},
                       {"nullable", column.nullable},
                       {"partition", column.partition}});
  }
  return Json{{"path", d.path},
              {"version", d.version},
              {"timestamp", d.timestamp_ms},
              {"time", FormatTimestamp(d.timestamp_ms)},
              {"id", d.id},
              {"name", Optional(d.name)},
              {"description", Optional(d.description)},
              {"columns", columns},
              {"partition_columns", d.partition_columns},
              {"properties", d.configuration},
              {"protocol",
               {{"min_reader_version", d.min_reader_version},
                {"min_writer_version", d.min_writer_version},
                {"reader_features", d.reader_features},
                {"writer_features", d.writer_features}}},
              {"files", d.num_files},
              {"size_bytes", d.size_bytes},
              {"rows", Optional(d.num_records)},
              {"checkpoint_version", Optional(d.checkpoint_version)}}
      .dump(indent);
}

std::string ToJson(const std::vector<HistoryEntry>& history, int indent) {
  Json out = Json::array();
  for (const auto& entry : history) {
    Json info = Json::parse(entry.commit_info, nullptr, /*allow_exceptions=*/false);
    if (info.is_discarded()) info = Json::object();
    out.push_back({{"version", entry.version},
                   {"timestamp", entry.timestamp_ms},
                   {"time", FormatTimestamp(entry.timestamp_ms)},
                   {"operation", Field(info, "operation")},
                   {"parameters", Field(info, "operationParameters")},
                   {"metrics", Field(info, "operationMetrics")},
                   {"commit_info", info}});
  }
  return out.dump(indent);
}

std::string ToJson(const VacuumResult& result, const std::string& table, int indent) {
  return Json{{"table", table},
              {"dry_run", result.dry_run},
              {"files", result.files},
              {"count", result.files.size()},
              {"bytes", result.bytes}}
      .dump(indent);
}

std::string ToJson(const LogCleanupResult& result, const std::string& table, int indent) {
  return Json{{"table", table},
              {"files", result.files},
              {"count", result.files.size()},
              {"cutoff_checkpoint", Optional(result.cutoff_checkpoint)}}
      .dump(indent);
}

std::string CheckpointJson(int64_t version, const std::string& table, int indent) {
  return Json{{"table", table}, {"checkpoint_version", version}}.dump(indent);
}

}  // namespace dlake::delta
