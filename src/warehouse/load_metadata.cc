#include "warehouse/load_metadata.h"

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/jsonl.h"
#include "common/python_json.h"

namespace dlake::warehouse {
namespace {

using Json = nlohmann::ordered_json;

Json ToJson(const LoadLine& line) {
  Json json;
  json["table"] = line.table;
  json["domain"] = line.domain;
  json["status"] = line.status;
  json["record_count"] = line.record_count;
  json["mode"] = "append";
  json["started_at"] = line.started_at;
  json["ended_at"] = line.ended_at;
  json["transformation_ended_at"] = line.transformation_ended_at;
  json["notes"] = line.notes;
  if (line.category_ids) {
    json["categories_count"] = line.category_ids->size();
    json["category_ids"] = *line.category_ids;
  }
  json["delta_version"] = line.delta_version;
  json["rows_inserted"] = line.rows_inserted;
  json["rows_updated"] = line.rows_updated;
  json["rows_rejected"] = line.rows_rejected;
  return json;
}

std::string TextOf(const Json& json, const char* key) {
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t IntOf(const Json& json, const char* key, int64_t fallback) {
  auto it = json.find(key);
  return it != json.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

}  // namespace

std::string FormatLoadLine(const LoadLine& line) { return PythonJsonDumps(ToJson(line)); }

std::string LoadMetadata::PathFor(const std::string& domain, const std::string& table) const {
  return JoinPath(lake_, "metadata/load/" + domain + "/" + table + ".jsonl");
}

Status LoadMetadata::Append(const LoadLine& line) {
  return AppendJsonLine(*env_, PathFor(line.domain, line.table), ToJson(line));
}

Result<std::optional<LoadRecord>> LoadMetadata::Last(const std::string& domain,
                                                     const std::string& table) const {
  DLAKE_ASSIGN_OR_RETURN(auto line, LastJsonLine(PathFor(domain, table)));
  if (!line) return std::optional<LoadRecord>();
  LoadRecord record;
  record.status = TextOf(*line, "status");
  record.started_at = TextOf(*line, "started_at");
  record.notes = TextOf(*line, "notes");
  record.transformation_ended_at = TextOf(*line, "transformation_ended_at");
  record.record_count = IntOf(*line, "record_count", 0);
  record.delta_version = IntOf(*line, "delta_version", -1);
  return std::optional(record);
}

}  // namespace dlake::warehouse
