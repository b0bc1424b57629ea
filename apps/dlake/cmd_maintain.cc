// `dlake maintain [compact | cleanup]`: keeping the lake compact and tidy (doc/maintain.md).

#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

// "24h", "90m", "3600s", "7d": a duration in ms (ParseDuration). A bare number counts hours.
int64_t ParseGrace(const std::string& text) {
  const bool bare = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  auto ms = ParseDuration(bare ? text + "h" : text);
  if (!ms.ok()) {
    throw UsageError("--grace '" + text + "': expected a duration such as 24h, 90m, 3600s or 7d");
  }
  return *ms;
}

std::string MonthList(const std::vector<int64_t>& months) {
  std::string out;
  for (int64_t day : months) out += (out.empty() ? "" : " ") + FormatDay(day).substr(0, 7);
  return out;
}

void PrintCompact(const CompactReport& r) {
  const char* verb = r.dry_run ? "Would compact" : "Compacted";
  if (r.datasets.empty()) {
    std::cout << "Compaction: no closed month to compact\n";
    return;
  }
  std::cout << verb << " " << r.Months() << " months: " << r.FilesBefore() << " files -> "
            << r.FilesAfter() << "\n";
  for (const auto& d : r.datasets) {
    std::cout << "  " << d.dataset.Path() << ": " << d.files_before << " -> " << d.files_after
              << " files";
    if (!r.dry_run) {
      std::cout << ", " << HumanBytes(d.bytes_before) << " -> " << HumanBytes(d.bytes_after);
    }
    std::cout << " (" << MonthList(d.months) << ")\n";
  }
}

void PrintPaths(const char* title, const std::vector<std::string>& paths) {
  if (paths.empty()) return;
  std::cout << "  " << title << " (" << paths.size() << "):\n";
  for (const auto& p : paths) std::cout << "    " << p << "\n";
}

void PrintCleanup(const CleanupReport& r) {
  const size_t n = r.leftovers.size() + r.pending_deletes.size() + r.orphans.size();
  std::cout << "Cleanup: " << (r.dry_run ? "would remove " : "removed ") << n << " files";
  if (!r.dry_run) std::cout << " (" << HumanBytes(r.bytes_freed) << ")";
  std::cout << "\n";
  PrintPaths("temporary leftovers of dead processes", r.leftovers);
  PrintPaths("replaced files no reader needs", r.pending_deletes);
  PrintPaths("orphans older than the grace period", r.orphans);
  PrintPaths("orphans kept, younger than the grace period", r.young_orphans);
  if (r.pending_in_use) {
    std::cout << "  " << r.pending_in_use << " replaced files kept while readers hold them\n";
  }
}

void PrintVerify(const VerifyReport& r) {
  std::cout << "Verify (no data checks): " << r.files_checked << " files, "
            << HumanBytes(r.bytes_checked);
  if (r.ok()) {
    std::cout << ", OK\n";
    return;
  }
  std::cout << ", PROBLEMS FOUND (run 'dlake verify' for details)\n";
  PrintPaths("checksum mismatches", r.checksum_mismatches);
  PrintPaths("manifest rows whose file is missing", r.missing_files);
  PrintPaths("orphans", r.orphans);
  PrintPaths("temporary leftovers", r.leftovers);
}

void AddCompact(CLI::App& maintain, GlobalOptions& global) {
  static DatasetFlags flags;
  static bool dry_run = false;
  auto* cmd = maintain.add_subcommand(
      "compact",
      "Merge the day files of closed months into one file per month (periods of 1h and coarser, "
      "and small months of any period)");
  flags.Add(*cmd, /*symbol_required=*/false);
  cmd->add_flag("--dry-run", dry_run, "List the months that qualify; write nothing");
  cmd->callback([&global] {
    CompactRequest request;
    request.filter = flags.Filter();
    request.dry_run = dry_run;
    auto lake = OpenLake(global);
    CompactReport report = Check(lake->Compact(request));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintCompact(report);
    }
  });
}

void AddCleanup(CLI::App& maintain, GlobalOptions& global) {
  static bool dry_run = false;
  static std::string grace = "24h";
  auto* cmd = maintain.add_subcommand(
      "cleanup",
      "Remove temporary files of dead processes, replaced files no reader needs and orphans "
      "older than the grace period");
  cmd->add_flag("--dry-run", dry_run, "List what would be removed; remove nothing");
  cmd->add_option("--grace", grace,
                  "Keep orphans younger than this: 24h (default), 90m, 3600s, 7d");
  cmd->callback([&global] {
    CleanupRequest request;
    request.dry_run = dry_run;
    request.grace_ms = ParseGrace(grace);
    auto lake = OpenLake(global);
    CleanupReport report = Check(lake->Cleanup(request));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintCleanup(report);
    }
  });
}

}  // namespace

void AddMaintainCommands(CLI::App& app, GlobalOptions& global) {
  static bool dry_run = false;
  static std::string grace = "24h";
  auto* maintain = app.add_subcommand(
      "maintain",
      "Compact, clean up and verify (no data checks) the lake, then back up its manifest; exits "
      "1 when verify finds problems");
  maintain->require_subcommand(0, 1);
  maintain->add_flag("--dry-run", dry_run, "Report what compaction and cleanup would do");
  maintain->add_option("--grace", grace, "Cleanup keeps orphans younger than this (default 24h)");
  AddCompact(*maintain, global);
  AddCleanup(*maintain, global);
  maintain->callback([&global, maintain] {
    if (!maintain->get_subcommands().empty()) return;  // compact or cleanup ran
    MaintainRequest request;
    request.dry_run = dry_run;
    request.grace_ms = ParseGrace(grace);
    auto lake = OpenLake(global);
    MaintainReport report = Check(lake->Maintain(request));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintCompact(report.compact);
      PrintCleanup(report.cleanup);
      PrintVerify(report.verify);
      if (!report.manifest_backup.empty()) {
        std::cout << "Manifest backed up to " << report.manifest_backup << "\n";
      }
    }
    if (!report.ok()) CommandExitCode() = kExitFailure;
  });
}

}  // namespace dlake::cli
