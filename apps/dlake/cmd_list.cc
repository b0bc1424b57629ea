#include <iomanip>
#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {

void AddListCommand(CLI::App& app, GlobalOptions& global) {
  static DatasetFlags flags;
  static bool files = false;
  auto* cmd = app.add_subcommand("list", "List datasets with coverage, rows, files and size");
  flags.Add(*cmd, /*symbol_required=*/false);
  cmd->add_option("--data-type", flags.type,
                  "Alias of --type (as in the original tool); 'feature' lists feature datasets");
  cmd->add_flag("--files", files, "List the manifest's file rows instead");
  cmd->callback([&global] {
    DatasetFilter filter = flags.Filter();
    auto lake = OpenLake(global);
    if (files) {
      auto entries = Check(lake->ListFiles(filter));
      if (global.json) {
        PrintJson(ToJson(entries));
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
      PrintJson(ToJson(datasets));
      return;
    }
    if (datasets.empty()) {
      std::cout << "No datasets.\n";
      return;
    }
    std::cout << std::left << std::setw(40) << "DATASET" << std::setw(26) << "FROM" << std::setw(26)
              << "TO" << std::right << std::setw(12) << "ROWS" << std::setw(7) << "FILES"
              << std::setw(11) << "SIZE"
              << "\n";
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

namespace {

void DeleteFeatureVersion(const GlobalOptions& global, const FeatureDeleteRequest& request) {
  if (request.feature_set.empty() || request.version.empty()) {
    throw UsageError("--feature-set and --version go together");
  }
  CheckUsage(FeatureRef::Parse(request.feature_set + "@" + request.version));
  auto lake = OpenLake(global);
  FeatureDeleteReport report = Check(lake->DeleteFeatures(request));
  if (global.json) {
    PrintJson(ToJson(report));
    return;
  }
  const char* verb = report.dry_run ? "Would delete" : "Deleted";
  for (const auto& v : report.versions) {
    std::cout << verb << " " << v.feature_set << "@" << v.version << " for " << v.exchange << "/"
              << v.symbol << ": " << v.rows << " rows\n";
  }
  std::cout << (report.dry_run ? "Would free " : "Freed ") << HumanBytes(report.bytes) << " in "
            << report.files << " files\n";
}

}  // namespace

void AddDeleteCommand(CLI::App& app, GlobalOptions& global) {
  static DatasetFlags flags;
  static std::string start, end, feature_set, version;
  static bool dry_run = false;
  auto* cmd = app.add_subcommand(
      "delete", "Delete data: files and manifest rows together; partial days are rewritten");
  flags.Add(*cmd, /*symbol_required=*/false);
  cmd->add_option("--data-type", flags.type, "Alias of --type (as in the original tool)");
  cmd->add_option("--start", start, "Delete rows from this time (UTC)");
  cmd->add_option("--end", end, "Up to this time, exclusive; a date-only end includes that day");
  cmd->add_option("--feature-set", feature_set,
                  "Delete a version of this feature set (with --version; --exchange and --symbol "
                  "narrow it)");
  cmd->add_option("--version", version, "The feature set version to delete");
  cmd->add_flag("--dry-run", dry_run, "Show what would be deleted; delete nothing");
  cmd->callback([&global] {
    if (!feature_set.empty() || !version.empty()) {
      DeleteFeatureVersion(global, FeatureDeleteRequest{feature_set, version, flags.exchange,
                                                        flags.symbol, dry_run});
      return;
    }
    if (flags.symbol.empty()) {
      throw UsageError("--symbol is required (or --feature-set with --version)");
    }
    DeleteRequest request;
    request.filter = flags.Filter();
    std::tie(request.start, request.end) = ParseRange(start, end);
    request.dry_run = dry_run;
    auto lake = OpenLake(global);
    DeleteReport report = Check(lake->Delete(request));
    if (global.json) {
      PrintJson(ToJson(report));
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
