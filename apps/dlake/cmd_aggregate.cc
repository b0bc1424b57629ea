// dlake aggregate: agg datasets of longer periods from stored candles (doc/aggregate.md).

#include <iostream>

#include "cli.h"

namespace dlake::cli {

std::vector<std::string> ParsePeriodList(const std::string& text, const char* flag) {
  std::vector<std::string> periods;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t comma = text.find(',', begin);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(begin, comma - begin);
    if (!item.empty()) {
      auto period = ParsePeriod(item);
      if (!period.ok()) throw UsageError(std::string(flag) + ": " + period.status().message());
      periods.push_back(period->name);
    }
    begin = comma + 1;
  }
  if (periods.empty()) throw UsageError(std::string(flag) + ": name at least one period");
  return periods;
}

void PrintAggregated(const AggregateReport& report) {
  for (const auto& t : report.targets) {
    std::cout << t.dataset.Path() << " (from " << t.source.period << "): ";
    if (t.days_rebuilt == 0) {
      std::cout << "up to date (" << t.days_checked << " days checked)\n";
      continue;
    }
    const char* verb = report.dry_run ? " would be rebuilt" : " rebuilt";
    std::cout << t.days_rebuilt << " of " << t.days_checked << " days" << verb;
    if (!report.dry_run) {
      std::cout << ", " << t.candles << " candles; files: " << t.write.Count(DayAction::kCreated)
                << " created, " << t.write.Count(DayAction::kReplaced) << " replaced, "
                << t.write.Count(DayAction::kUnchanged) << " unchanged, "
                << t.write.Count(DayAction::kRemoved) << " removed";
    }
    std::cout << "\n";
  }
}

void AddAggregateCommand(CLI::App& app, GlobalOptions& global) {
  static AggregateRequest request;
  static std::string to, start, end;
  auto* cmd = app.add_subcommand(
      "aggregate",
      "Build agg datasets of longer periods (5m 15m 1h 4h 1d 1w 1M ...) from stored candles; "
      "incremental: only days whose source files changed are rebuilt");
  cmd->add_option("--exchange", request.exchange, "Exchange, e.g. BINANCE")->required();
  cmd->add_option("--symbol", request.symbol, "Symbol: BTCUSDT or BTC/USDT:USDT")->required();
  cmd->add_option("--market", request.market, "Market (needed when several hold the symbol)");
  cmd->add_option("--to", to, "Target periods, comma-separated: 5m,15m,1h,4h,1d,1w,1M")->required();
  cmd->add_option("--from-period", request.from_period,
                  "Raw candle period to build from (default: the finest stored one)");
  cmd->add_option("--start", start, "Buckets from this time (UTC)");
  cmd->add_option("--end", end, "Buckets up to this time, exclusive");
  cmd->add_flag("--dry-run", request.dry_run, "Report which days would be rebuilt; write nothing");
  cmd->callback([&global] {
    request.to = ParsePeriodList(to, "--to");
    std::tie(request.start, request.end) = ParseRange(start, end);
    auto lake = OpenLake(global);
    AggregateReport report = Check(lake->Aggregate(request));
    if (global.json) {
      PrintJson(ToJson(report));
      return;
    }
    PrintAggregated(report);
  });
}

}  // namespace dlake::cli
