// Pieces shared by the extractors.

#include "cmc/extractor.h"
#include "dlake/common/time.h"

namespace dlake::cmc {

Result<std::optional<std::vector<int64_t>>> LastIds(const SnapshotLog& log, const char* field) {
  DLAKE_ASSIGN_OR_RETURN(auto line, log.Last());
  if (!line) return std::optional<std::vector<int64_t>>();
  auto it = line->find(field);
  if (it == line->end() || !it->is_array()) return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> ids;
  ids.reserve(it->size());
  for (const auto& id : *it) {
    if (!id.is_number_integer()) {
      return Corruption("the last line of '", log.path(), "' holds a non-integer in '", field, "'");
    }
    ids.push_back(id.get<int64_t>());
  }
  return std::optional(std::move(ids));
}

std::string JoinIds(const std::vector<int64_t>& ids, size_t from, size_t count) {
  std::string out;
  for (size_t i = from; i < ids.size() && i < from + count; ++i) {
    if (!out.empty()) out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

std::string SnapshotDateOf(const std::optional<nlohmann::ordered_json>& line) {
  if (!line) return "";
  auto it = line->find("snapshot_date");
  return it != line->end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<int64_t> NextFullScanDay(const std::optional<nlohmann::ordered_json>& line) {
  if (!line) return std::nullopt;
  auto it = line->find("date_of_next_full_scan");
  if (it == line->end() || !it->is_string()) return std::nullopt;
  auto point = ParseRangeStart(it->get<std::string>());
  if (!point.ok()) return std::nullopt;
  return DayOf(*point);
}

Result<std::optional<nlohmann::json>> FetchData(ExtractContext& ctx, EndpointReport& report,
                                                const std::string& path, const std::string& query,
                                                bool object) {
  auto response = ctx.client.Get(path, query, /*allow_empty=*/false);
  ++report.requests;
  if (!response.ok()) {
    if (StopsRun(response.status())) return response.status();
    RecordFailure(report, response.status());
    return std::optional<nlohmann::json>();
  }
  if (object ? !response->data.is_object() : !response->data.is_array()) {
    RecordFailure(report, Unavailable(path, " answered data of type ", response->data.type_name(),
                                      object ? ", not an object" : ", not a list"));
    return std::optional<nlohmann::json>();
  }
  return std::optional(std::move(response->data));
}

void RecordFailure(EndpointReport& report, const Status& error) {
  report.status = report.files.empty() ? "failed" : "partial";
  report.message = error.message();
}

Status WriteBronze(ExtractContext& ctx, EndpointReport& report, const BronzeFile& file,
                   const std::vector<BronzeColumn>& columns,
                   const std::vector<nlohmann::json>& rows) {
  DLAKE_ASSIGN_OR_RETURN(LakeFile written, ctx.bronze.Write(file, columns, rows));
  report.files.push_back(written.path);
  report.rows += written.rows;
  if (report.status.empty() || report.status == "skipped") report.status = "extracted";
  return Status::Ok();
}

}  // namespace dlake::cmc
