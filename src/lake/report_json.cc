#include <nlohmann/json.hpp>

#include "dlake/common/time.h"
#include "dlake/json.h"
#include "dlake/lakehouse/json.h"

namespace dlake {
namespace {

// Insertion order: keys come in the order doc/json.md lists them.
using Json = nlohmann::ordered_json;

std::string Dump(const Json& value, int indent) { return value.dump(indent); }

Json DatasetJson(const DatasetSummary& d) {
  return {{"dataset", d.id.Path()}, {"exchange", d.id.exchange},
          {"market", d.id.market},  {"symbol", d.id.symbol},
          {"type", d.id.type},      {"period", d.id.period},
          {"files", d.files},       {"rows", d.rows},
          {"bytes", d.bytes},       {"time_from", d.time_from},
          {"time_to", d.time_to},   {"known_gaps", d.known_gaps}};
}

Json FileJson(const FileEntry& f) {
  return {{"id", f.id},
          {"dataset", f.dataset.Path()},
          {"exchange", f.dataset.exchange},
          {"market", f.dataset.market},
          {"symbol", f.dataset.symbol},
          {"type", f.dataset.type},
          {"period", f.dataset.period},
          {"path", f.path},
          {"day", FormatDay(f.day)},
          {"last_day", FormatDay(f.LastDay())},
          {"time_from", f.time_from},
          {"time_to", f.time_to},
          {"rows", f.rows},
          {"bytes", f.bytes},
          {"sha256", f.sha256},
          {"version", f.version},
          {"created_at", f.created_at},
          {"source", f.source},
          {"metadata", Json::parse(f.metadata, nullptr, false)}};
}

Json DatasetCheckJson(const DatasetCheck& d) {
  Json gaps = Json::array();
  for (const auto& g : d.gaps)
    gaps.push_back({{"from", g.from}, {"to", g.to}, {"missing", g.missing}});
  return {{"dataset", d.dataset.Path()},
          {"files", d.files},
          {"rows", d.rows},
          {"gaps", gaps},
          {"missing_periods", d.missing_periods},
          {"known_gaps", d.known_gaps},
          {"duplicates", d.duplicates},
          {"out_of_order", d.out_of_order},
          {"mismatches", d.mismatches}};
}

Json AggregateJson(const AggregateReport& r) {
  Json targets = Json::array();
  for (const auto& t : r.targets) {
    targets.push_back({{"dataset", t.dataset.Path()},
                       {"source", t.source.Path()},
                       {"days_checked", t.days_checked},
                       {"days_rebuilt", t.days_rebuilt},
                       {"candles", t.candles},
                       {"files_created", t.write.Count(DayAction::kCreated)},
                       {"files_replaced", t.write.Count(DayAction::kReplaced)},
                       {"files_unchanged", t.write.Count(DayAction::kUnchanged)},
                       {"files_removed", t.write.Count(DayAction::kRemoved)}});
  }
  return {{"dry_run", r.dry_run}, {"targets", targets}};
}

}  // namespace

std::string ToJson(const AggregateReport& r, int indent) { return Dump(AggregateJson(r), indent); }

std::string ToJson(const InitResult& r, int indent) {
  return Dump({{"root", r.root}, {"created", r.created}, {"schema_version", r.schema_version}},
              indent);
}

std::string ToJson(const IngestReport& r, const DatasetId& id, int indent) {
  Json days = Json::array();
  for (const auto& d : r.write.days) {
    days.push_back({{"day", FormatDay(d.day)},
                    {"action", DayActionName(d.action)},
                    {"rows_before", d.rows_before},
                    {"rows_after", d.rows_after},
                    {"path", d.path}});
  }
  Json bad = Json::array();
  for (const auto& b : r.first_bad_rows) {
    bad.push_back({{"file", b.file}, {"line", b.line}, {"reason", b.reason}});
  }
  return Dump({{"dataset", id.Path()},
               {"dry_run", r.dry_run},
               {"files", r.files},
               {"rows_read", r.rows_read},
               {"rows_bad", r.rows_bad},
               {"first_bad_rows", bad},
               {"duplicates", r.duplicates},
               {"out_of_order", r.out_of_order},
               {"time_from", r.time_from},
               {"time_to", r.time_to},
               {"columns", r.columns},
               {"days_created", r.write.Count(DayAction::kCreated)},
               {"days_replaced", r.write.Count(DayAction::kReplaced)},
               {"days_unchanged", r.write.Count(DayAction::kUnchanged)},
               {"days", days},
               {"aggregated", AggregateJson(r.aggregated)["targets"]}},
              indent);
}

std::string ToJson(const DownloadReport& r, int indent) {
  Json datasets = Json::array();
  for (const auto& d : r.datasets) {
    Json gaps = Json::array();
    for (const auto& g : d.gaps) gaps.push_back({{"from", g.time_from}, {"to", g.time_to}});
    datasets.push_back({{"dataset", d.dataset.Path()},
                        {"rows_written", d.rows_written},
                        {"ranges_fetched", d.ranges_fetched},
                        {"gaps", gaps},
                        {"already_complete", d.already_complete}});
  }
  return Dump({{"datasets", datasets},
               {"requests", r.requests},
               {"retries", r.retries},
               {"rate_limited", r.rate_limited},
               {"waited_ms", r.waited_ms},
               {"max_window_cost", r.max_window_cost},
               {"window_limit", r.window_limit},
               {"aggregated", AggregateJson(r.aggregated)["targets"]}},
              indent);
}

std::string ToJson(const std::vector<SymbolInfo>& symbols, int indent) {
  Json out = Json::array();
  for (const auto& s : symbols) {
    out.push_back({{"symbol", s.symbol},
                   {"base", s.base},
                   {"quote", s.quote},
                   {"status", s.status},
                   {"contract_type", s.contract_type},
                   {"listing_time", s.listing_time},
                   {"market", s.market}});
  }
  return Dump(out, indent);
}

std::string ToJson(const std::vector<DatasetSummary>& datasets, int indent) {
  Json out = Json::array();
  for (const auto& d : datasets) out.push_back(DatasetJson(d));
  return Dump(out, indent);
}

std::string ToJson(const std::vector<FileEntry>& files, int indent) {
  Json out = Json::array();
  for (const auto& f : files) out.push_back(FileJson(f));
  return Dump(out, indent);
}

std::string ToJson(const DeleteReport& report, int indent) {
  Json datasets = Json::array();
  for (const auto& d : report.datasets) {
    datasets.push_back({{"dataset", d.dataset.Path()},
                        {"files_removed", d.write.Count(DayAction::kRemoved)},
                        {"files_rewritten", d.write.Count(DayAction::kReplaced)},
                        {"rows_removed", d.write.RowsBefore() - d.write.RowsAfter()}});
  }
  return Dump({{"dry_run", report.dry_run},
               {"datasets", datasets},
               {"rows_removed", report.RowsRemoved()},
               {"bytes_freed", report.BytesFreed()}},
              indent);
}

std::string ToJson(const VerifyReport& r, int indent) {
  Json datasets = Json::array();
  for (const auto& d : r.datasets) datasets.push_back(DatasetCheckJson(d));
  return Dump({{"ok", r.ok()},
               {"files_checked", r.files_checked},
               {"bytes_checked", r.bytes_checked},
               {"checksum_mismatches", r.checksum_mismatches},
               {"missing_files", r.missing_files},
               {"orphans", r.orphans},
               {"leftovers", r.leftovers},
               {"pending_deletes", r.pending_deletes},
               {"removed", r.removed},
               {"datasets", datasets}},
              indent);
}

std::string ToJson(const PipelineStatus& status, int indent) {
  return Dump({{"endpoints", Json::parse(cmc::ToJson(status.endpoints))},
               {"tables", Json::parse(lakehouse::ToJson(status.tables, -1))}},
              indent);
}

}  // namespace dlake
