#include "dlake/warehouse/json.h"

#include <nlohmann/json.hpp>

namespace dlake::warehouse {
namespace {

using Json = nlohmann::ordered_json;

Json OrNull(int64_t value) { return value >= 0 ? Json(value) : Json(); }
Json OrNull(const std::string& value) { return value.empty() ? Json() : Json(value); }

Json TableJson(const TableLoad& t) {
  return Json{{"domain", t.domain},
              {"table", t.table},
              {"status", t.status},
              {"notes", t.notes},
              {"error", OrNull(t.error)},
              {"delta_version", OrNull(t.delta_version)},
              {"rows_read", t.rows_read},
              {"rows_inserted", t.rows_inserted},
              {"rows_updated", t.rows_updated},
              {"rows_rejected", t.rows_rejected},
              {"rejects_retried", t.rejects_retried},
              {"rejects_resolved", t.rejects_resolved},
              {"started_at", t.started_at},
              {"ended_at", t.ended_at},
              {"duration_seconds", t.duration_seconds}};
}

}  // namespace

std::string ToJson(const InitReport& r, int indent) {
  return Json{{"target", r.target},
              {"dialect", r.dialect},
              {"from_version", r.from_version},
              {"to_version", r.to_version},
              {"migrations", r.migrations},
              {"roles", r.roles},
              {"passwords_set", r.passwords},
              {"procedures", r.procedures},
              {"views", r.views}}
      .dump(indent);
}

std::string ToJson(const LoadReport& r, int indent) {
  Json tables = Json::array();
  for (const auto& table : r.tables) tables.push_back(TableJson(table));
  Json procedures = Json::array();
  for (const auto& p : r.procedures) {
    procedures.push_back(Json{
        {"name", p.name}, {"rows_updated", OrNull(p.rows_updated)}, {"error", OrNull(p.error)}});
  }
  return Json{{"group", r.group},
              {"target", r.target},
              {"ok", r.ok()},
              {"tables", tables},
              {"procedures", procedures}}
      .dump(indent);
}

std::string ToJson(const DataTestReport& r, int indent) {
  Json tests = Json::array();
  for (const auto& t : r.tests) {
    tests.push_back(Json{{"name", t.name},
                         {"domain", t.domain},
                         {"description", t.description},
                         {"passed", t.passed()},
                         {"rows", t.rows},
                         {"error", OrNull(t.error)}});
  }
  return Json{{"target", r.target},
              {"ok", r.ok()},
              {"failed", r.failed()},
              {"total", r.tests.size()},
              {"tests", tests}}
      .dump(indent);
}

std::string ToJson(const WarehouseStatusReport& r, int indent) {
  Json tables = Json::array();
  for (const auto& t : r.tables) {
    Json last;
    if (t.has_last_load) {
      last = Json{{"status", t.last_status},
                  {"started_at", t.last_started_at},
                  {"record_count", t.last_record_count},
                  {"delta_version", OrNull(t.last_delta_version)},
                  {"notes", t.last_notes}};
    }
    tables.push_back(Json{{"domain", t.domain},
                          {"table", t.table},
                          {"rows", OrNull(t.rows)},
                          {"rejected", t.rejected},
                          {"last_load", last}});
  }
  return Json{{"target", r.target},
              {"dialect", r.dialect},
              {"schema_version", r.schema_version},
              {"latest_schema_version", r.latest_schema_version},
              {"tables", tables}}
      .dump(indent);
}

std::string ToJson(const DumpReport& r, int indent) {
  return Json{{"path", r.path}, {"bytes", r.bytes}, {"removed", r.removed}}.dump(indent);
}

std::string ToJson(const SnapshotReport& r, int indent) {
  Json files = Json::array();
  for (const auto& f : r.files) {
    files.push_back(Json{{"name", f.name}, {"path", f.path}, {"rows", f.rows}});
  }
  return Json{{"files", files}}.dump(indent);
}

}  // namespace dlake::warehouse
