#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"

namespace dlake::cli {
namespace {

struct IngestFlags {
  std::vector<std::string> sources;
  DatasetFlags dataset;
  std::string on_bad_rows = "fail";
  std::string compression = "snappy";
  std::string aggregate;
  bool dry_run = false;
};

void PrintReport(const IngestReport& r, const DatasetId& id) {
  std::cout << (r.dry_run ? "Dry run (nothing written): " : "Ingested ") << r.files.size()
            << (r.files.size() == 1 ? " file" : " files") << " into " << id.Path() << "\n";
  std::cout << "  rows read      " << r.rows_read << "\n";
  if (r.rows_bad > 0) {
    std::cout << "  bad rows       " << r.rows_bad << " skipped\n";
    for (const auto& b : r.first_bad_rows) std::cout << "    " << b.ToString() << "\n";
  }
  std::cout << "  duplicates     " << r.duplicates << " (newest kept)\n";
  std::cout << "  out of order   " << r.out_of_order << " (sorted)\n";
  if (r.rows_read > r.rows_bad) {
    std::cout << "  time range     " << TimeText(r.time_from) << " .. " << TimeText(r.time_to)
              << "\n";
    std::cout << "  columns        ";
    for (size_t i = 0; i < r.columns.size(); ++i) std::cout << (i ? "," : "") << r.columns[i];
    std::cout << "\n";
  }
  const char* verb = r.dry_run ? "would be " : "";
  std::cout << "  days           " << r.write.Count(DayAction::kCreated) << " " << verb
            << "created, " << r.write.Count(DayAction::kReplaced) << " " << verb
            << (r.dry_run ? "merged" : "replaced") << ", " << r.write.Count(DayAction::kUnchanged)
            << " unchanged\n";
}

}  // namespace

void AddIngestCommand(CLI::App& app, GlobalOptions& global) {
  static IngestFlags flags;
  auto* cmd = app.add_subcommand(
      "ingest",
      "Load CSV files (Binance klines or trades, ts,open,high,low,close,volume, or any "
      "CSV with a ts column) into the lake");
  cmd->add_option("--source", flags.sources, "CSV file, folder of .csv files, or glob; repeatable")
      ->required();
  cmd->add_option("--exchange", flags.dataset.exchange, "Exchange, e.g. BINANCE")->required();
  cmd->add_option("--market", flags.dataset.market, "Market, e.g. FUTURES or SPOT")
      ->default_val("FUTURES");
  cmd->add_option("--symbol", flags.dataset.symbol, "Symbol: BTCUSDT or BTC/USDT:USDT")->required();
  cmd->add_option("--type", flags.dataset.type, "raw (candles), agg, ticks (trades), alt")
      ->default_val("raw");
  cmd->add_option("--period", flags.dataset.period,
                  "Candle period (default 1m; tick for ticks; needed for alt)");
  cmd->add_option("--on-bad-rows", flags.on_bad_rows,
                  "fail: a bad row fails the ingest, nothing is written; skip: skip and report")
      ->check(CLI::IsMember({"fail", "skip"}))
      ->default_val("fail");
  cmd->add_option("--compression", flags.compression, "Parquet compression")
      ->check(CLI::IsMember({"snappy", "zstd"}))
      ->default_val("snappy");
  cmd->add_flag("--dry-run", flags.dry_run, "Parse, validate and report; write nothing");
  cmd->add_option("--aggregate", flags.aggregate,
                  "Then bring these aggregates up to date, e.g. 15m,1h (default: the aggregate "
                  "setting)");
  cmd->callback([&global] {
    const DatasetFlags& names = flags.dataset;
    IngestRequest request;
    request.sources = flags.sources;
    request.dataset = CheckUsage(
        ParseDatasetId({names.exchange, names.market, names.symbol, names.type, names.period}));
    request.on_bad_rows = flags.on_bad_rows == "skip" ? BadRowPolicy::kSkip : BadRowPolicy::kFail;
    request.compression = flags.compression == "zstd" ? Compression::kZstd : Compression::kSnappy;
    request.dry_run = flags.dry_run;
    if (!flags.aggregate.empty())
      request.aggregate = ParsePeriodList(flags.aggregate, "--aggregate");
    auto lake = OpenLake(global);
    IngestReport report = Check(lake->Ingest(request));
    if (global.json) {
      PrintJson(ToJson(report, request.dataset));
    } else {
      PrintReport(report, request.dataset);
      PrintAggregated(report.aggregated);
    }
  });
}

}  // namespace dlake::cli
