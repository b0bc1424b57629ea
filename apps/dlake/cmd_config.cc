#include <algorithm>
#include <iostream>

#include "cli.h"

namespace dlake::cli {

void AddConfigCommand(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "config",
      "Show every setting's value and where it came from (flag, DLAKE_* variable, "
      "dlake.toml or default); fails on a bad setting");
  cmd->callback([&global] {
    auto runtime = MakeRuntime(global, OptionalLake(global));
    const Settings& settings = runtime->settings();
    if (global.json) {
      PrintJson(SettingsToJson(settings));
      return;
    }
    size_t name_width = 4, value_width = 5;
    for (const auto& s : settings.resolved()) {
      name_width = std::max(name_width, s.name.size());
      value_width = std::max(value_width, DisplayedSettingValue(s).size());
    }
    auto pad = [](const std::string& text, size_t width) {
      return text + std::string(width - text.size() + 2, ' ');
    };
    std::cout << pad("NAME", name_width) << pad("VALUE", value_width) << "FROM\n";
    for (const auto& s : settings.resolved()) {
      std::cout << pad(s.name, name_width)
                << pad(s.value.empty() ? "-" : DisplayedSettingValue(s), value_width) << s.origin
                << "\n";
    }
    for (const auto& flow : settings.flows()) {
      std::cout << "flow " << flow.name << " (" << flow.origin << ")\n";
    }
    for (const auto& schedule : settings.schedules()) {
      std::cout << "schedule " << schedule.flow << " = \"" << schedule.cron << "\" ("
                << schedule.origin << ")\n";
    }
  });
}

}  // namespace dlake::cli
