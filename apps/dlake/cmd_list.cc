#include <iomanip>
#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

nlohmann::json FileJson(const FileEntry& f) {
  return {{"id", f.id},
          {"dataset", f.dataset.Path()},
          {"exchange", f.dataset.exchange},
          {"market", f.dataset.market},
          {"symbol", f.dataset.symbol},
          {"type", f.dataset.type},
          {"period", f.dataset.period},
          {"path", f.path},
          {"day", FormatDay(f.day)},
          {"time_from", f.time_from},
          {"time_to", f.time_to},
          {"rows", f.rows},
          {"bytes", f.bytes},
          {"sha256", f.sha256},
          {"version", f.version},
          {"created_at", f.created_at},
          {"source", f.source},
          {"metadata", nlohmann::json::parse(f.metadata, nullptr, false)}};
}

nlohmann::json DatasetJson(const DatasetSummary& d) {
  return {{"dataset", d.id.Path()}, {"exchange", d.id.exchange}, {"market", d.id.market},
          {"symbol", d.id.symbol},  {"type", d.id.type},         {"period", d.id.period},
          {"files", d.files},       {"rows", d.rows},            {"bytes", d.bytes},
          {"time_from", d.time_from}, {"time_to", d.time_to},    {"known_gaps", d.known_gaps}};
}

}  // namespace

void AddListCommand(CLI::App& app, GlobalOptions& global) {
  static DatasetFlags flags;
  static bool files = false;
  auto* cmd = app.add_subcommand("list", "List datasets with coverage, rows, files and size");
  flags.Add(*cmd, /*symbol_required=*/false);
  cmd->add_flag("--files", files, "List the manifest's file rows instead");
  cmd->callback([&global] {
    DatasetFilter filter = flags.Filter();
    auto lake = OpenLake(global);
    if (files) {
      auto entries = Check(lake->ListFiles(filter));
      if (global.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& f : entries) out.push_back(FileJson(f));
        PrintJson(out);
        return;
      }
      for (const auto& f : entries) {
        std::cout << f.path << "  " << f.rows << " rows  " << HumanBytes(f.bytes) << "  "
                  << f.sha256.substr(0, 16) << "\n";
      }
      std::cout << "(" << entries.size() << " files)\n";
      return;
    }
    auto datasets = Check(lake->List(filter));
    if (global.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : datasets) out.push_back(DatasetJson(d));
      PrintJson(out);
      return;
    }
    if (datasets.empty()) {
      std::cout << "No datasets.\n";
      return;
    }
    std::cout << std::left << std::setw(40) << "DATASET" << std::setw(26) << "FROM"
              << std::setw(26) << "TO" << std::right << std::setw(12) << "ROWS" << std::setw(7)
              << "FILES" << std::setw(11) << "SIZE" << "\n";
    for (const auto& d : datasets) {
      std::cout << std::left << std::setw(40) << d.id.Path() << std::setw(26)
                << (d.files ? TimeText(d.time_from) : "-") << std::setw(26)
                << (d.files ? TimeText(d.time_to) : "-") << std::right << std::setw(12) << d.rows
                << std::setw(7) << d.files << std::setw(11) << HumanBytes(d.bytes);
      if (d.known_gaps) std::cout << "  (" << d.known_gaps << " known gaps)";
      std::cout << "\n";
    }
  });
}

void AddDeleteCommand(CLI::App& app, GlobalOptions& global) {
  static DatasetFlags flags;
  static std::string start, end;
  static bool dry_run = false;
  auto* cmd = app.add_subcommand(
      "delete", "Delete data: files and manifest rows together; partial days are rewritten");
  flags.Add(*cmd, /*symbol_required=*/true);
  cmd->add_option("--data-type", flags.type, "Alias of --type (as in the original tool)");
  cmd->add_option("--start", start, "Delete rows from this time (UTC)");
  cmd->add_option("--end", end, "Up to this time, exclusive; a date-only end includes that day");
  cmd->add_flag("--dry-run", dry_run, "Show what would be deleted; delete nothing");
  cmd->callback([&global] {
    DeleteRequest request;
    request.filter = flags.Filter();
    std::tie(request.start, request.end) = ParseRange(start, end);
    request.dry_run = dry_run;
    auto lake = OpenLake(global);
    DeleteReport report = Check(lake->Delete(request));
    if (global.json) {
      nlohmann::json datasets = nlohmann::json::array();
      for (const auto& d : report.datasets) {
        datasets.push_back({{"dataset", d.dataset.Path()},
                            {"files_removed", d.write.Count(DayAction::kRemoved)},
                            {"files_rewritten", d.write.Count(DayAction::kReplaced)},
                            {"rows_removed", d.write.RowsBefore() - d.write.RowsAfter()}});
      }
      PrintJson({{"dry_run", report.dry_run}, {"datasets", datasets},
                 {"rows_removed", report.RowsRemoved()}, {"bytes_freed", report.BytesFreed()}});
      return;
    }
    if (report.datasets.empty()) {
      std::cout << "Nothing matches; nothing deleted.\n";
      return;
    }
    const char* verb = report.dry_run ? "Would delete" : "Deleted";
    for (const auto& d : report.datasets) {
      std::cout << verb << " from " << d.dataset.Path() << ": "
                << d.write.Count(DayAction::kRemoved) << " files removed, "
                << d.write.Count(DayAction::kReplaced) << " rewritten, "
                << d.write.RowsBefore() - d.write.RowsAfter() << " rows\n";
    }
    std::cout << (report.dry_run ? "Would free " : "Freed ") << HumanBytes(report.BytesFreed())
              << "\n";
  });
}

}  // namespace dlake::cli
