// `dlake delta …`: Delta Lake tables in any folder, through dlake::delta::Table. This file holds
// the shared pieces and the commands that write (create, append, overwrite, delete, merge,
// restore); cmd_delta_inspect.cc reads, cmd_delta_maintain.cc maintains.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "delta_commands.h"
#include "dlake/common/time.h"

namespace dlake::cli {

std::unique_ptr<delta::Table> OpenTable(const std::string& dir, const GlobalOptions& global) {
  return Check(delta::Table::Open(dir, MakeTableOptions(global)));
}

delta::TableOptions MakeTableOptions(const GlobalOptions& global) {
  delta::TableOptions options;
  options.runtime = MakeRuntime(global, OptionalLake(global));
  return options;
}

int64_t ParseTimeFlag(const std::string& text) {
  auto point = ParseTimePoint(text);
  if (!point.ok()) {
    throw UsageError("bad --timestamp '" + text + "': " + point.status().message() +
                     " (expected 2024-01-02T03:04:05Z, '2024-01-02 03:04:05', 2024-01-02 or "
                     "epoch ms)");
  }
  return point->ms;
}

void SnapshotFlags::Add(CLI::App& cmd, const std::string& what) {
  version_option = cmd.add_option("--version", version, "Table version to " + what)
                       ->check(CLI::NonNegativeNumber);
  timestamp_option =
      cmd.add_option("--timestamp", timestamp,
                     "The newest version committed at or before TIME: 2024-01-02T03:04:05Z, "
                     "'2024-01-02 03:04:05' (UTC), 2024-01-02 (its 00:00 UTC) or epoch ms");
  version_option->excludes(timestamp_option);
  timestamp_option->excludes(version_option);
}

delta::VersionSpec SnapshotFlags::Spec() const {
  delta::VersionSpec spec;
  if (version_option->count() > 0) spec.version = version;
  if (timestamp_option->count() > 0) spec.timestamp_ms = ParseTimeFlag(timestamp);
  return spec;
}

void PrintTextTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c + 1 < cells.size()) line += std::string(widths[c] - cells[c].size() + 2, ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    std::cout << line << "\n";
  };
  print(header);
  for (const auto& row : rows) print(row);
}

void PrintCommit(const GlobalOptions& global, const std::string& table,
                 const std::string& operation, const delta::CommitResult& result,
                 const std::string& skipped_text) {
  if (global.json) {
    PrintJson(delta::ToJson(result, table, operation));
    return;
  }
  if (result.skipped || result.version < 0) {
    std::cout << table << ": " << operation << " committed nothing (" << skipped_text << ")\n";
    return;
  }
  std::ostringstream line;
  line << table << ": version " << result.version << " (" << operation
       << "): " << result.files_added << (result.files_added == 1 ? " file" : " files")
       << " added (" << HumanBytes(result.bytes_added) << "), " << result.files_removed
       << " removed (" << HumanBytes(result.bytes_removed) << "); " << result.rows_written
       << " rows written";
  if (result.rows_deleted > 0) line << ", " << result.rows_deleted << " deleted";
  if (result.rows_updated > 0) line << ", " << result.rows_updated << " updated";
  if (result.rows_copied > 0) line << ", " << result.rows_copied << " copied";
  std::cout << line.str() << "\n";
}

namespace {

constexpr const char* kFromHelp =
    "Rows to write: a .parquet, .csv (header, types detected) or .json file";

// A file of an unknown kind is a bad flag (exit 2); a missing or unreadable one a failure (1).
delta::WriteSource SourceFile(const std::string& path) {
  auto source = delta::WriteSource::File(path);
  if (!source.ok() && source.status().code() == StatusCode::kInvalidArgument) {
    throw UsageError(source.status().message());
  }
  return Check(std::move(source));
}

// "KEY=VALUE" / "COL:EXPR" split at the first `separator`; both sides non-empty.
std::pair<std::string, std::string> SplitPair(const std::string& text, char separator,
                                              const std::string& flag, const std::string& form) {
  size_t at = text.find(separator);
  if (at == std::string::npos || at == 0 || at + 1 == text.size()) {
    throw UsageError(flag + " wants " + form + ", got '" + text + "'");
  }
  return {text.substr(0, at), text.substr(at + 1)};
}

CLI::App* AddTableCommand(CLI::App& delta, const std::string& name, const std::string& about,
                          std::string& table) {
  auto* cmd = delta.add_subcommand(name, about);
  cmd->add_option("TABLE_DIR", table, "The table's folder (the one holding _delta_log)")
      ->required();
  return cmd;
}

void AddCreate(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, from, name, description;
    std::vector<std::string> partition_by, properties, not_null, invariants;
  } flags;
  auto* cmd = AddTableCommand(
      delta, "create", "Create a Delta table in TABLE_DIR from a file (version 0)", flags.table);
  cmd->add_option("--from", flags.from, kFromHelp)->required();
  cmd->add_option("--partition-by", flags.partition_by, "Partition columns: COL[,COL]")
      ->delimiter(',');
  cmd->add_option("--property", flags.properties,
                  "Table property KEY=VALUE, e.g. delta.appendOnly=true (repeatable)");
  auto* name = cmd->add_option("--name", flags.name, "Table name (metaData.name)");
  auto* description = cmd->add_option("--description", flags.description, "Table description");
  cmd->add_option("--not-null", flags.not_null, "Columns that must never be NULL: COL[,COL]")
      ->delimiter(',');
  cmd->add_option("--invariant", flags.invariants,
                  "A SQL check every row must pass, 'COL:EXPR', e.g. 'price:price > 0' "
                  "(repeatable)");
  cmd->callback([&global, name, description] {
    delta::CreateOptions create;
    create.partition_columns = flags.partition_by;
    for (const auto& property : flags.properties) {
      auto [key, value] = SplitPair(property, '=', "--property", "KEY=VALUE");
      create.configuration[key] = value;
    }
    if (name->count() > 0) create.name = flags.name;
    if (description->count() > 0) create.description = flags.description;
    create.not_null_columns = flags.not_null;
    for (const auto& invariant : flags.invariants) {
      auto [column, expression] = SplitPair(invariant, ':', "--invariant", "'COL:EXPR'");
      if (!create.invariants.emplace(column, expression).second) {
        throw UsageError("--invariant given twice for column '" + column + "'");
      }
    }
    auto table = Check(delta::Table::Create(flags.table, SourceFile(flags.from), create,
                                            MakeTableOptions(global)));
    // Create returns the table, not its commit: the summary comes from version 0's description.
    delta::TableDescription created = Check(table->Describe());
    delta::CommitResult result;
    result.version = created.version;
    result.files_added = created.num_files;
    result.bytes_added = created.size_bytes;
    result.rows_written = created.num_records.value_or(0);
    PrintCommit(global, flags.table, "create", result, "");
  });
}

void AddAppend(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, from, app_id;
    int64_t app_version = 0;
    bool merge_schema = false;
    std::vector<std::string> sort_by;
  } flags;
  auto* cmd = AddTableCommand(delta, "append", "Append a file's rows to the table", flags.table);
  cmd->add_option("--from", flags.from, kFromHelp)->required();
  cmd->add_flag("--merge-schema", flags.merge_schema,
                "Add the file's new columns to the table (nullable; old rows read NULL)");
  cmd->add_option("--sort-by", flags.sort_by, "Row order within each written file: COL[,COL]")
      ->delimiter(',');
  auto* app_id = cmd->add_option("--app-id", flags.app_id,
                                 "Idempotent write: skipped when the table already holds a write "
                                 "of this ID at --app-version or later");
  auto* app_version = cmd->add_option("--app-version", flags.app_version,
                                      "The write's version for --app-id (increasing)");
  app_id->needs(app_version);
  app_version->needs(app_id);
  cmd->callback([&global, app_id] {
    delta::WriteOptions options;
    options.merge_schema = flags.merge_schema;
    options.sort_by = flags.sort_by;
    if (app_id->count() > 0) {
      options.app_id = flags.app_id;
      options.app_version = flags.app_version;
    }
    auto table = OpenTable(flags.table, global);
    auto result = Check(table->Append(SourceFile(flags.from), options));
    PrintCommit(
        global, flags.table, "append", result,
        "app '" + flags.app_id + "' already wrote version " + std::to_string(flags.app_version));
  });
}

void AddOverwrite(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, from, replace_where;
    bool merge_schema = false;
  } flags;
  auto* cmd = AddTableCommand(
      delta, "overwrite",
      "Replace the table's rows (or those matching --replace-where) with a file's", flags.table);
  cmd->add_option("--from", flags.from, kFromHelp)->required();
  cmd->add_option("--replace-where", flags.replace_where,
                  "Replace only the rows matching this SQL predicate, e.g. \"day = '2024-01-02'\"; "
                  "every new row must match it");
  cmd->add_flag("--merge-schema", flags.merge_schema, "Add the file's new columns to the table");
  cmd->callback([&global] {
    delta::WriteOptions options;
    options.merge_schema = flags.merge_schema;
    options.replace_where = flags.replace_where;
    auto table = OpenTable(flags.table, global);
    PrintCommit(global, flags.table, "overwrite",
                Check(table->Overwrite(SourceFile(flags.from), options)), "nothing to do");
  });
}

void AddDelete(CLI::App& delta, GlobalOptions& global) {
  static struct { std::string table, where; } flags;
  auto* cmd = AddTableCommand(delta, "delete", "Delete the rows matching a predicate", flags.table);
  cmd->add_option("--where", flags.where, "SQL predicate over the table's columns, e.g. 'id < 10'")
      ->required();
  cmd->callback([&global] {
    auto table = OpenTable(flags.table, global);
    PrintCommit(global, flags.table, "delete", Check(table->Delete(flags.where)), "no row matched");
  });
}

void AddMerge(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table, from;
    std::vector<std::string> keys, sort_by;
    bool no_insert = false, no_update = false, merge_schema = false;
  } flags;
  auto* cmd = AddTableCommand(
      delta, "merge", "Upsert a file's rows by key: matched rows are updated, new keys inserted",
      flags.table);
  cmd->add_option("--from", flags.from, kFromHelp)->required();
  cmd->add_option("--key", flags.keys, "Key columns: COL[,COL]")->required()->delimiter(',');
  cmd->add_flag("--no-insert", flags.no_insert, "Do not insert rows whose key is not in the table");
  cmd->add_flag("--no-update", flags.no_update, "Keep the table's row when a key matches");
  cmd->add_flag("--merge-schema", flags.merge_schema, "Add the file's new columns to the table");
  cmd->add_option("--sort-by", flags.sort_by, "Row order within each written file: COL[,COL]")
      ->delimiter(',');
  cmd->callback([&global] {
    delta::MergeOptions options;
    options.keys = flags.keys;
    options.insert_unmatched = !flags.no_insert;
    options.update_matched = !flags.no_update;
    options.merge_schema = flags.merge_schema;
    options.sort_by = flags.sort_by;
    auto table = OpenTable(flags.table, global);
    PrintCommit(global, flags.table, "merge", Check(table->Merge(SourceFile(flags.from), options)),
                "nothing to change");
  });
}

void AddRestore(CLI::App& delta, GlobalOptions& global) {
  static struct {
    std::string table;
    SnapshotFlags at;
  } flags;
  auto* cmd = AddTableCommand(
      delta, "restore",
      "Make the table's data equal to an earlier version's (a new commit; history is kept)",
      flags.table);
  flags.at.Add(*cmd, "restore");
  cmd->callback([&global] {
    if (!flags.at.given()) throw UsageError("restore needs --version N or --timestamp TIME");
    auto table = OpenTable(flags.table, global);
    PrintCommit(global, flags.table, "restore", Check(table->Restore(flags.at.Spec())),
                "the table already equals that version");
  });
}

// Help shows "--from FILE" and "--key COLS" rather than CLI11's "TEXT".
void NameOptionValues(CLI::App& delta) {
  static const std::map<std::string, std::string> kValueNames = {
      {"--from", "FILE"},          {"--output", "FILE"},       {"--partition-by", "COLS"},
      {"--not-null", "COLS"},      {"--key", "COLS"},          {"--sort-by", "COLS"},
      {"--columns", "COLS"},       {"--order-by", "COLS"},     {"--property", "KEY=VALUE"},
      {"--invariant", "COL:EXPR"}, {"--where", "PREDICATE"},   {"--replace-where", "PREDICATE"},
      {"--version", "N"},          {"--timestamp", "TIME"},    {"--limit", "N"},
      {"--app-id", "ID"},          {"--app-version", "N"},     {"--target-size", "SIZE"},
      {"--min-files", "N"},        {"--retention-hours", "H"}, {"--name", "NAME"},
      {"--description", "TEXT"},   {"--format", "FORMAT"},     {"TABLE_DIR", ""}};
  for (CLI::App* command : delta.get_subcommands({})) {
    for (CLI::Option* option : command->get_options({})) {
      auto it = kValueNames.find(option->get_name());
      if (it != kValueNames.end()) option->type_name(it->second);
    }
  }
}

}  // namespace

void AddDeltaWriteCommands(CLI::App& delta, GlobalOptions& global) {
  AddCreate(delta, global);
  AddAppend(delta, global);
  AddOverwrite(delta, global);
  AddDelete(delta, global);
  AddMerge(delta, global);
  AddRestore(delta, global);
}

void AddDeltaCommands(CLI::App& app, GlobalOptions& global) {
  auto* delta = app.add_subcommand(
      "delta",
      "Delta Lake tables in any folder: create, write, read, time travel and maintain "
      "(no lake needed)");
  delta->require_subcommand(1);
  AddDeltaWriteCommands(*delta, global);
  AddDeltaInspectCommands(*delta, global);
  AddDeltaMaintenanceCommands(*delta, global);
  NameOptionValues(*delta);
}

}  // namespace dlake::cli
