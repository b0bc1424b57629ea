#include <spdlog/spdlog.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {

int& CommandExitCode() {
  static int code = kExitOk;
  return code;
}

void DatasetFlags::Add(CLI::App& cmd, bool symbol_required) {
  cmd.add_option("--exchange", exchange, "Exchange, e.g. BINANCE");
  cmd.add_option("--market", market, "Market, e.g. FUTURES or SPOT");
  auto* sym = cmd.add_option("--symbol", symbol,
                             "Symbol: exchange id (BTCUSDT) or unified (BTC/USDT:USDT)");
  if (symbol_required) sym->required();
  cmd.add_option("--type", type, "Data type: raw, agg, ticks or alt");
  cmd.add_option("--period", period, "Period: 1s, 1m ... 1d, 1w, 1M, tick, funding");
}

DatasetFilter DatasetFlags::Filter() const {
  return CheckUsage(ParseDatasetFilter({exchange, market, symbol, type, period}));
}

std::pair<int64_t, int64_t> ParseRange(const std::string& start, const std::string& end) {
  auto range = ParseTimeRange(start, end);
  if (!range.ok()) throw UsageError("--start/--end: " + range.status().message());
  return {range->start, range->end};
}

void AddSettingFlags(CLI::App& app, GlobalOptions& options) {
  for (const SettingSpec& spec : SettingCatalog()) {
    if (!spec.has_flag) continue;
    const std::string name(spec.name);
    app.add_option(SettingFlag(name), options.settings[name],
                   std::string(spec.help) + " (default: $" + SettingEnvironmentVariable(name) +
                       ", dlake.toml '" + name + "', " +
                       (spec.default_value.empty() ? "unset" : std::string(spec.default_value)) +
                       ")");
  }
}

std::shared_ptr<Runtime> MakeRuntime(const GlobalOptions& options, const std::string& lake) {
  if (options.verbose) spdlog::set_level(spdlog::level::info);
  RuntimeOptions runtime_options;
  runtime_options.lake = lake;
  for (const auto& [name, value] : options.settings) {
    if (!value.empty()) runtime_options.flags[name] = value;
  }
  auto runtime = Runtime::Make(runtime_options);
  if (!runtime.ok() && runtime.status().code() == StatusCode::kInvalidArgument) {
    throw UsageError(runtime.status().message());
  }
  return Check(std::move(runtime));
}

std::unique_ptr<Lake> OpenLake(const GlobalOptions& options) {
  std::string dir = Check(Lake::Locate(options.lake));
  LakeOptions lake_options;
  lake_options.runtime = MakeRuntime(options, dir);
  return Check(Lake::Open(dir, lake_options));
}

std::string OptionalLake(const GlobalOptions& options) {
  const char* from_env = std::getenv("DLAKE_LAKE");
  if (!options.lake.empty() || (from_env && *from_env)) return Check(Lake::Locate(options.lake));
  auto found = Lake::Locate("");
  return found.ok() ? *found : "";
}

void PrintJson(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }
void PrintJson(const std::string& json_text) { std::cout << json_text << "\n"; }

std::string HumanBytes(int64_t bytes) {
  static const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return buf;
}

std::string TimeText(int64_t ms) { return FormatTimestamp(ms); }

}  // namespace dlake::cli
