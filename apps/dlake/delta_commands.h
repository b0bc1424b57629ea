#pragma once
// Pieces shared by the `dlake delta …` commands (cmd_delta*.cc): opening a table with the global
// options, the --version/--timestamp pair, and the summary a write prints. Delta commands work on
// any folder and never open a lake.

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "dlake/common/strings.h"
#include "dlake/delta/json.h"
#include "dlake/delta/table.h"

namespace dlake::cli {

// --memory-limit/--threads (else $DLAKE_MEMORY_LIMIT/$DLAKE_THREADS) and --verbose applied.
delta::TableOptions MakeTableOptions(const GlobalOptions& global);
// Opens the table at `dir` or throws StatusError (exit 1) naming `dir`.
std::unique_ptr<delta::Table> OpenTable(const std::string& dir, const GlobalOptions& global);

// Epoch ms from --timestamp text (ISO-8601 or epoch ms; a date alone is its 00:00 UTC), or
// throws UsageError.
int64_t ParseTimeFlag(const std::string& text);

// --version N / --timestamp TIME, mutually exclusive: the snapshot a command sees.
struct SnapshotFlags {
  int64_t version = 0;
  std::string timestamp;
  CLI::Option* version_option = nullptr;
  CLI::Option* timestamp_option = nullptr;

  // `what` completes "Table version to …" in the help text.
  void Add(CLI::App& cmd, const std::string& what);
  bool given() const { return version_option->count() > 0 || timestamp_option->count() > 0; }
  // Empty spec (the latest version) when neither flag was given.
  delta::VersionSpec Spec() const;
};

// Text lines aligned in columns (left-aligned, two spaces apart) under `header`.
void PrintTextTable(const std::vector<std::string>& header,
                    const std::vector<std::vector<std::string>>& rows);

// One line for a write ("<table>: version 3 (append): …"), or a JSON object with --json.
// `skipped_text` explains a CommitResult::skipped result ("nothing to compact").
void PrintCommit(const GlobalOptions& global, const std::string& table,
                 const std::string& operation, const delta::CommitResult& result,
                 const std::string& skipped_text);

void AddDeltaWriteCommands(CLI::App& delta, GlobalOptions& global);        // cmd_delta.cc
void AddDeltaInspectCommands(CLI::App& delta, GlobalOptions& global);      // cmd_delta_inspect.cc
void AddDeltaMaintenanceCommands(CLI::App& delta, GlobalOptions& global);  // cmd_delta_maintain.cc

}  // namespace dlake::cli
