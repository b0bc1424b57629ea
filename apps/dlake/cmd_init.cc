#include <filesystem>
#include <iostream>

#include "cli.h"

namespace dlake::cli {

void AddInitCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init",
                                 "Create a lake (manifest.db, data/, metadata/) or "
                                 "recreate a deleted manifest");
  static std::string dir = ".";
  cmd->add_option("DIR", dir, "Lake folder (created if missing; default: the working directory)");
  cmd->callback([&global] {
    const bool existed = std::filesystem::exists(std::filesystem::path(dir) / "manifest.db");
    LakeOptions options;
    options.runtime = MakeRuntime(global, dir);
    auto lake = Check(Lake::Init(dir, options));
    int version = Check(lake->SchemaVersion());
    if (global.json) {
      PrintJson(ToJson(InitResult{lake->root(), !existed, version}));
      return;
    }
    std::cout << (existed ? "Lake already at " : "Created lake at ") << lake->root()
              << " (manifest schema " << version << ")\n";
  });
}

}  // namespace dlake::cli
