// dlake: the command line of dl-datalake. Thin: every command calls dlake::Lake.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>

#include "cli.h"

namespace dlake::cli {
namespace {

bool IsCommand(CLI::App& app, const std::string& name) {
  try {
    app.get_subcommand(name);
    return true;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

// "create, append, …": the names of `app`'s subcommands.
std::string CommandNames(CLI::App& app) {
  std::string names;
  for (const CLI::App* command : app.get_subcommands({})) {
    names += (names.empty() ? "" : ", ") + command->get_name();
  }
  return names;
}

int Run(int argc, char** argv) {
  CLI::App app{"dlake: a local crypto market-data lakehouse", "dlake"};
  app.require_subcommand(1);
  // Global options work after the subcommand too: `dlake verify --json`.
  app.fallthrough();
  app.set_version_flag("--version", "dlake 0.1.0");
  GlobalOptions global;
  app.add_option("--lake", global.lake,
                 "Lake folder (default: $DLAKE_LAKE, else the nearest folder above the working "
                 "directory holding manifest.db)");
  app.add_flag("--json", global.json, "Machine-readable JSON output");
  app.add_flag("-v,--verbose", global.verbose, "Log progress to stderr");
  AddSettingFlags(app, global);

  AddInitCommand(app, global);
  AddIngestCommand(app, global);
  AddReadCommand(app, global);
  AddListCommand(app, global);
  AddDeleteCommand(app, global);
  AddVerifyCommand(app, global);
  AddBackupCommands(app, global);
  AddMaintainCommands(app, global);
  AddAggregateCommand(app, global);
  AddFeatureCommands(app, global);
  AddDownloadCommands(app, global);
  AddDeltaCommands(app, global);
  AddCmcCommands(app, global);
  AddWarehouseAndGoldCommands(app, global);
  AddConfigCommand(app, global);

  auto logger = spdlog::stderr_color_mt("dlake");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$: %v");
  spdlog::set_level(spdlog::level::warn);
  try {
    if (argc > 1 && argv[1][0] != '-' && !IsCommand(app, argv[1])) {
      throw UsageError(std::string("unknown command '") + argv[1] +
                       "' (commands: " + CommandNames(app) + "; see --help)");
    }
    // CLI11 reports an unknown word after a command group as "A subcommand is required". The
    // group is the first word naming a command (global options such as --lake DIR come first).
    for (int i = 1; i + 1 < argc; ++i) {
      const std::string word = argv[i];
      if (word[0] == '-' || !IsCommand(app, word)) continue;
      CLI::App* group = app.get_subcommand(word);
      const bool is_group = word == "delta" || word == "cmc" || word == "warehouse" ||
                            word == "gold" || word == "maintain";
      if (is_group && argv[i + 1][0] != '-' && !IsCommand(*group, argv[i + 1])) {
        throw UsageError("unknown command '" + word + " " + argv[i + 1] + "' (" + word +
                         " commands: " + CommandNames(*group) + "; see dlake " + word + " --help)");
      }
      break;
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "dlake: " << e.what() << "\n";
    return kExitUsage;
  } catch (const StatusError& e) {
    std::cerr << "dlake: " << e.status.message() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << "dlake: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return CommandExitCode();
}

}  // namespace
}  // namespace dlake::cli

int main(int argc, char** argv) {
  // A broken pipe (dlake read | head) ends the process quietly instead of killing it mid-write.
  std::signal(SIGPIPE, SIG_IGN);
  return dlake::cli::Run(argc, argv);
}
