// The JSON form of the feature store's results (dlake/json.h; doc/json.md).

#include <nlohmann/json.hpp>

#include "dlake/json.h"

namespace dlake {
namespace {

using Json = nlohmann::json;

Json ColumnsJson(const std::vector<FeatureColumn>& columns) {
  Json out = Json::array();
  for (const auto& c : columns) out.push_back({{"name", c.name}, {"type", c.type}});
  return out;
}

Json VersionJson(const FeatureVersion& v) {
  Json sources = Json::array();
  for (const auto& s : v.sources) {
    sources.push_back({{"dataset", s.dataset},
                       {"files", s.files},
                       {"rows", s.rows},
                       {"time_from", s.time_from},
                       {"time_to", s.time_to},
                       {"digest", s.digest}});
  }
  return {{"dataset", v.dataset.Path()},
          {"feature_set", v.feature_set},
          {"version", v.version},
          {"exchange", v.exchange},
          {"symbol", v.symbol},
          {"market", v.market},
          {"description", v.description},
          {"code_ref", v.code_ref},
          {"host", v.host},
          {"created_at", v.created_at},
          {"rows", v.rows},
          {"time_from", v.time_from},
          {"time_to", v.time_to},
          {"files", v.files},
          {"files_digest", v.files_digest},
          {"columns", ColumnsJson(v.columns)},
          {"input", {{"path", v.input_path}, {"sha256", v.input_sha256}, {"bytes", v.input_bytes}}},
          {"sources", sources}};
}

Json CoverageSide(const std::optional<FeatureVersion>& v) {
  if (!v) return nullptr;
  return {
      {"rows", v->rows}, {"time_from", v->time_from}, {"time_to", v->time_to}, {"files", v->files}};
}

}  // namespace

std::string ToJson(const FeatureVersion& version, int indent) {
  return VersionJson(version).dump(indent);
}

std::string ToJson(const std::vector<FeatureVersion>& versions, int indent) {
  Json out = Json::array();
  for (const auto& v : versions) out.push_back(VersionJson(v));
  return out.dump(indent);
}

std::string ToJson(const FeatureUploadReport& report, int indent) {
  Json out = VersionJson(report.version);
  out["outcome"] = report.outcome;
  out["dry_run"] = report.dry_run;
  out["files_written"] =
      report.write.Count(DayAction::kCreated) + report.write.Count(DayAction::kReplaced);
  return out.dump(indent);
}

std::string ToJson(const FeatureDiff& diff, int indent) {
  Json columns = Json::array();
  for (const auto& c : diff.columns) {
    const char* change = c.type_a.empty() ? "added" : c.type_b.empty() ? "removed" : "retyped";
    columns.push_back({{"name", c.name},
                       {"change", change},
                       {"type_a", c.type_a.empty() ? Json(nullptr) : Json(c.type_a)},
                       {"type_b", c.type_b.empty() ? Json(nullptr) : Json(c.type_b)}});
  }
  Json coverage = Json::array();
  for (const auto& c : diff.coverage) {
    coverage.push_back({{"exchange", c.exchange},
                        {"symbol", c.symbol},
                        {"a", CoverageSide(c.a)},
                        {"b", CoverageSide(c.b)}});
  }
  Json out = {{"a", diff.a.ToString()},
              {"b", diff.b.ToString()},
              {"same_schema", diff.SameSchema()},
              {"columns", columns},
              {"coverage", coverage}};
  return out.dump(indent);
}

std::string ToJson(const FeatureDeleteReport& report, int indent) {
  Json versions = Json::array();
  for (const auto& v : report.versions) {
    versions.push_back({{"dataset", v.dataset.Path()},
                        {"feature_set", v.feature_set},
                        {"version", v.version},
                        {"exchange", v.exchange},
                        {"symbol", v.symbol},
                        {"rows", v.rows}});
  }
  Json out = {{"dry_run", report.dry_run},
              {"versions", versions},
              {"files", report.files},
              {"bytes_freed", report.dry_run ? 0 : report.bytes}};
  return out.dump(indent);
}

}  // namespace dlake
