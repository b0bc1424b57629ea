// `dlake backup DIR [--data]` and `dlake restore DIR LAKE` (doc/backup.md).

#include <iostream>

#include "cli.h"
#include "dlake/lake_backup.h"

namespace dlake::cli {
namespace {

std::string Seconds(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

void PrintBackup(const BackupReport& r) {
  std::cout << "Backed up " << r.files << " files (" << HumanBytes(r.bytes) << ") into " << r.dir
            << " in " << Seconds(r.elapsed_ms) << "\n"
            << "  manifest.db: online copy of manifest schema " << r.schema_version << "\n";
  if (r.data) {
    std::cout << "  " << r.linked << " hard-linked, " << r.copied << " copied\n";
  } else {
    std::cout << "  manifest only (no --data): restore needs a backup made with --data\n";
  }
  std::cout << "  SHA256SUMS lists every file (check with: cd " << r.dir
            << " && sha256sum -c SHA256SUMS)\n";
}

void PrintRestore(const RestoreReport& r) {
  std::cout << "Restored " << r.files << " files (" << HumanBytes(r.bytes) << ") into " << r.lake
            << " in " << Seconds(r.elapsed_ms) << "\n"
            << "  " << r.linked << " hard-linked, " << r.copied << " copied; manifest schema "
            << r.schema_version << "\n"
            << "  verify: " << r.verify.files_checked << " files checked, "
            << (r.verify.ok() ? "OK" : "PROBLEMS FOUND (run 'dlake verify' on the lake)") << "\n";
}

}  // namespace

void AddBackupCommands(CLI::App& app, GlobalOptions& global) {
  static BackupRequest backup;
  auto* backup_cmd = app.add_subcommand(
      "backup",
      "Write a consistent copy of the lake into DIR: manifest.db (SQLite online backup), "
      "dlake.toml, with --data the data files (hard links where possible), and SHA256SUMS");
  backup_cmd->add_option("DIR", backup.dir, "Backup folder (created; must be new or empty)")
      ->required();
  backup_cmd->add_flag("--data", backup.data,
                       "Also the data files, silver tables and metadata/ records (needed to "
                       "restore)");
  backup_cmd->callback([&global] {
    auto lake = OpenLake(global);
    BackupReport report = Check(lake->Backup(backup));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintBackup(report);
    }
  });

  static RestoreRequest restore;
  auto* restore_cmd = app.add_subcommand(
      "restore",
      "Restore a backup made with --data into a new lake folder, after checking SHA256SUMS; "
      "verifies the result and exits 1 when it finds problems");
  restore_cmd->add_option("DIR", restore.backup_dir, "Backup folder")->required();
  restore_cmd->add_option("LAKE", restore.lake_dir, "New lake folder (must not exist or be empty)")
      ->required();
  restore_cmd->callback([&global] {
    LakeOptions options;
    options.runtime = MakeRuntime(global, "");
    RestoreReport report = Check(Lake::Restore(restore, options));
    if (global.json) {
      PrintJson(ToJson(report));
    } else {
      PrintRestore(report);
    }
    if (!report.verify.ok()) CommandExitCode() = kExitFailure;
  });
}

}  // namespace dlake::cli
