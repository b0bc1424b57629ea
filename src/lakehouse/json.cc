#include "dlake/lakehouse/json.h"

#include <nlohmann/json.hpp>

namespace dlake::lakehouse {
namespace {

using Json = nlohmann::ordered_json;

Json OrNull(int64_t value) { return value >= 0 ? Json(value) : Json(); }
Json OrNull(const std::string& value) { return value.empty() ? Json() : Json(value); }

Json TableJson(const TableTransform& t) {
  return Json{{"domain", t.domain},
              {"table", t.table},
              {"path", t.path},
              {"status", t.status},
              {"source_snapshot", OrNull(t.source_snapshot)},
              {"record_count", t.record_count},
              {"rows_inserted", t.rows_inserted},
              {"rows_updated", t.rows_updated},
              {"committed", t.committed},
              {"version", OrNull(t.delta_version)},
              {"started_at", t.started_at},
              {"ended_at", t.ended_at == "-" ? Json() : OrNull(t.ended_at)},
              {"duration_seconds", t.duration_seconds},
              {"optimize_version", OrNull(t.optimize_version)},
              {"files_vacuumed", t.files_vacuumed},
              {"notes", t.notes},
              {"error", OrNull(t.error)},
              {"maintenance_error", OrNull(t.maintenance_error)}};
}

}  // namespace

std::string ToJson(const TransformReport& report, int indent) {
  Json tables = Json::array();
  for (const auto& table : report.tables) tables.push_back(TableJson(table));
  return Json{{"group", report.group},
              {"ok", report.ok()},
              {"failed", report.FailedTables()},
              {"tables", tables}}
      .dump(indent);
}

std::string ToJson(const std::vector<SilverTableStatus>& statuses, int indent) {
  Json all = Json::array();
  for (const auto& s : statuses) {
    Json last;
    if (s.has_last_run) {
      last = Json{{"status", s.last_status},
                  {"record_count", OrNull(s.last_record_count)},
                  {"started_at", s.last_started_at},
                  {"ended_at", s.last_ended_at == "-" ? Json() : OrNull(s.last_ended_at)}};
    }
    all.push_back(Json{{"domain", s.domain},
                       {"table", s.table},
                       {"path", s.path},
                       {"exists", s.exists},
                       {"version", OrNull(s.delta_version)},
                       {"rows", OrNull(s.row_count)},
                       {"last_run", last}});
  }
  return all.dump(indent);
}

}  // namespace dlake::lakehouse
