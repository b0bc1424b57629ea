// `dlake delta optimize | vacuum | checkpoint | cleanup-log`: keeping a Delta table compact and
// its folder and log small.

#include <iostream>

#include "delta_commands.h"

namespace dlake::cli {
namespace {

constexpr const char* kTableDirHelp = "The table's folder (the one holding _delta_log)";

void AddOptimize(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, target_size, where;
    std::vector<std::string> sort_by;
    int64_t min_files = 2;
  } flags;
  auto* cmd = delta.add_subcommand(
      "optimize",
      "Compact small files into files of about --target-size (a new version; the "
      "old files stay until vacuum)");
  cmd->add_option("TABLE_DIR", flags.table, kTableDirHelp)->required();
  auto* target = cmd->add_option("--target-size", flags.target_size,
                                 "Size of the new files, e.g. 128MB or 1GB (default: 256MB)");
  cmd->add_option("--sort-by", flags.sort_by, "Row order within the new files: COL[,COL]")
      ->delimiter(',');
  cmd->add_option("--where", flags.where,
                  "Only the partitions matching this predicate over partition columns");
  cmd->add_option("--min-files", flags.min_files,
                  "Leave a group of fewer than N small files alone (default: 2)")
      ->check(CLI::PositiveNumber);
  cmd->callback([&global, target] {
    delta::OptimizeOptions options;
    if (target->count() > 0)
      options.target_file_bytes = CheckUsage(ParseByteSize(flags.target_size));
    options.sort_by = flags.sort_by;
    options.partition_where = flags.where;
    options.min_files = flags.min_files;
    auto table = OpenTable(flags.table, global);
    PrintCommit(global, flags.table, "optimize", Check(table->Optimize(options)),
                "nothing to compact");
  });
}

void PrintFiles(const std::vector<std::string>& files) {
  for (const auto& file : files) std::cout << "  " << file << "\n";
}

void AddVacuum(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table;
    double retention_hours = 0;
    bool dry_run = false, force = false;
  } flags;
  auto* cmd = delta.add_subcommand(
      "vacuum",
      "Delete data files no version within the retention period uses (time travel to "
      "older versions stops working)");
  cmd->add_option("TABLE_DIR", flags.table, kTableDirHelp)->required();
  auto* retention = cmd->add_option("--retention-hours", flags.retention_hours,
                                    "Keep files removed less than H hours ago (default: "
                                    "delta.deletedFileRetentionDuration, "
                                    "else 168)")
                        ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--dry-run", flags.dry_run, "List the files without deleting them");
  cmd->add_flag("--force", flags.force,
                "Allow a retention below the table's (168 hours by default)");
  cmd->callback([&global, retention] {
    delta::VacuumOptions options;
    if (retention->count() > 0) options.retention_hours = flags.retention_hours;
    options.dry_run = flags.dry_run;
    options.force = flags.force;
    auto table = OpenTable(flags.table, global);
    auto result = Check(table->Vacuum(options));
    if (global.json) {
      PrintJson(delta::ToJson(result, flags.table));
      return;
    }
    PrintFiles(result.files);
    std::cout << flags.table << ": " << (result.dry_run ? "would delete " : "deleted ")
              << result.files.size() << (result.files.size() == 1 ? " file" : " files") << " ("
              << HumanBytes(result.bytes) << ")\n";
  });
}

void AddCheckpoint(CLI::App& delta, GlobalOptions& global) {
  static std::string table_dir;
  auto* cmd = delta.add_subcommand(
      "checkpoint", "Write a checkpoint of the latest version, so readers need not replay the log");
  cmd->add_option("TABLE_DIR", table_dir, kTableDirHelp)->required();
  cmd->callback([&global] {
    auto table = OpenTable(table_dir, global);
    int64_t version = Check(table->Checkpoint());
    if (global.json) {
      PrintJson(delta::CheckpointJson(version, table_dir));
    } else {
      std::cout << table_dir << ": checkpoint written at version " << version << "\n";
    }
  });
}

void AddCleanupLog(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table;
    double retention_hours = 0;
  } flags;
  auto* cmd = delta.add_subcommand(
      "cleanup-log",
      "Delete log files older than the log retention that precede a checkpoint "
      "(time travel before that checkpoint stops working)");
  cmd->add_option("TABLE_DIR", flags.table, kTableDirHelp)->required();
  auto* retention = cmd->add_option("--retention-hours", flags.retention_hours,
                                    "Keep log files younger than H hours (default: "
                                    "delta.logRetentionDuration, else 30 days)")
                        ->check(CLI::NonNegativeNumber);
  cmd->callback([&global, retention] {
    std::optional<double> retention_hours;
    if (retention->count() > 0) retention_hours = flags.retention_hours;
    auto table = OpenTable(flags.table, global);
    auto result = Check(table->CleanupLog(retention_hours));
    if (global.json) {
      PrintJson(delta::ToJson(result, flags.table));
      return;
    }
    PrintFiles(result.files);
    std::cout << flags.table << ": deleted " << result.files.size()
              << (result.files.size() == 1 ? " log file" : " log files");
    if (result.cutoff_checkpoint) {
      std::cout << "; the log now starts at the checkpoint of version "
                << *result.cutoff_checkpoint;
    }
    std::cout << "\n";
  });
}

}  // namespace

void AddDeltaMaintenanceCommands(CLI::App& delta, GlobalOptions& global) {
  AddOptimize(delta, global);
  AddVacuum(delta, global);
  AddCheckpoint(delta, global);
  AddCleanupLog(delta, global);
}

}  // namespace dlake::cli
