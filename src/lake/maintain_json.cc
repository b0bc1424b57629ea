// The JSON forms of the maintenance reports (doc/json.md "maintain").

#include <nlohmann/json.hpp>

#include "dlake/common/time.h"
#include "dlake/json.h"

namespace dlake {
namespace {

using Json = nlohmann::json;

Json CompactJson(const CompactReport& r) {
  Json datasets = Json::array();
  for (const auto& d : r.datasets) {
    Json months = Json::array();
    for (int64_t day : d.months) months.push_back(FormatDay(day).substr(0, 7));
    datasets.push_back({{"dataset", d.dataset.Path()},
                        {"months", months},
                        {"files_before", d.files_before},
                        {"files_after", d.files_after},
                        {"bytes_before", d.bytes_before},
                        {"bytes_after", d.bytes_after}});
  }
  return {{"dry_run", r.dry_run},
          {"months_compacted", r.Months()},
          {"files_before", r.FilesBefore()},
          {"files_after", r.FilesAfter()},
          {"datasets", datasets}};
}

Json CleanupJson(const CleanupReport& r) {
  return {{"dry_run", r.dry_run},
          {"leftovers", r.leftovers},
          {"pending_deletes", r.pending_deletes},
          {"orphans", r.orphans},
          {"young_orphans", r.young_orphans},
          {"pending_in_use", r.pending_in_use},
          {"bytes_freed", r.bytes_freed}};
}

}  // namespace

std::string ToJson(const CompactReport& report, int indent) {
  return CompactJson(report).dump(indent);
}

std::string ToJson(const CleanupReport& report, int indent) {
  return CleanupJson(report).dump(indent);
}

std::string ToJson(const MaintainReport& report, int indent) {
  return Json{{"ok", report.ok()},
              {"compact", CompactJson(report.compact)},
              {"cleanup", CleanupJson(report.cleanup)},
              {"verify", Json::parse(ToJson(report.verify, -1))},
              {"manifest_backup", report.manifest_backup}}
      .dump(indent);
}

}  // namespace dlake
