#include <filesystem>
#include <iostream>

#include "cli.h"

namespace dlake::cli {

void AddInitCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init", "Create a lake (manifest.db, data/, metadata/) or "
                                         "recreate a deleted manifest");
  static std::string dir = ".";
  cmd->add_option("DIR", dir, "Lake folder (created if missing; default: the working directory)");
  cmd->callback([&global] {
    const bool existed = std::filesystem::exists(std::filesystem::path(dir) / "manifest.db");
    auto lake = Check(Lake::Init(dir, MakeLakeOptions(global)));
    int version = Check(lake->manifest().SchemaVersion());
    if (global.json) {
      PrintJson({{"root", lake->root()}, {"created", !existed}, {"schema_version", version}});
      return;
    }
    std::cout << (existed ? "Lake already at " : "Created lake at ") << lake->root()
              << " (manifest schema " << version << ")\n";
  });
}

}  // namespace dlake::cli
