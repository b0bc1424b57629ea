#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "dlake/common/batch_writer.h"

namespace dlake::cli {
namespace {

struct ReadFlags {
  DatasetFlags dataset;
  std::string start, end, columns, output, timeframe;
  std::string format = "table";
  int64_t limit = -1;
};

std::vector<std::string> SplitColumns(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

void AddReadCommand(CLI::App& app, GlobalOptions& global) {
  static ReadFlags flags;
  auto* cmd = app.add_subcommand("read", "Read a slice of a dataset");
  cmd->add_option("--exchange", flags.dataset.exchange, "Exchange, e.g. BINANCE")->required();
  cmd->add_option("--symbol", flags.dataset.symbol, "Symbol: BTCUSDT or BTC/USDT:USDT")->required();
  cmd->add_option("--market", flags.dataset.market, "Market (needed when several hold the symbol)");
  cmd->add_option("--type", flags.dataset.type, "raw, agg, ticks or alt")->default_val("raw");
  cmd->add_option("--period", flags.dataset.period, "Period (default 1m; tick for ticks)");
  cmd->add_option("--start", flags.start,
                  "First time, UTC: 2024-01-05, 2024-01-05T12:30[:00[.000]][Z] or epoch ms");
  cmd->add_option("--end", flags.end, "End time, exclusive; a date-only end includes that day");
  cmd->add_option("--timeframe", flags.timeframe,
                  "Candles resampled to this period (15m, 1h, 1d, 1w, 1M ...): from the stored "
                  "aggregate when up to date, else computed from the finest stored candles");
  cmd->add_option("--columns", flags.columns, "Comma-separated columns (default: all)");
  cmd->add_option("--format", flags.format, "Output format")
      ->check(CLI::IsMember({"table", "csv", "json", "parquet"}))
      ->default_val("table");
  cmd->add_option("--output", flags.output, "Write to FILE instead of stdout (needed for parquet)");
  cmd->add_option("--limit", flags.limit, "At most N rows");
  static FeatureReadFlags features;
  features.Add(*cmd);
  cmd->callback([&global] {
    const DatasetFlags& names = flags.dataset;
    ReadQuery query;
    query.dataset = {names.exchange, names.market, names.symbol, names.type, names.period};
    query.timeframe = flags.timeframe;
    query.start = flags.start;
    query.end = flags.end;
    query.columns = SplitColumns(flags.columns);
    query.limit = flags.limit;
    // Bad words are bad usage (exit 2), checked before the lake is opened.
    if (features.feature_set.empty()) CheckUsage(ReadFilter(query));
    ParseRange(flags.start, flags.end);
    if (flags.format == "parquet" && flags.output.empty()) {
      throw UsageError("--format parquet needs --output FILE");
    }
    auto lake = OpenLake(global);
    ReadSource source =
        features.Any() ? FeatureReadSource(*lake, features, query) : PlainReadSource(*lake, query);
    if (flags.format == "parquet" || (flags.format == "csv" && !flags.output.empty())) {
      ExportFormat format = flags.format == "parquet" ? ExportFormat::kParquet : ExportFormat::kCsv;
      int64_t rows = Check(source.export_to(format, flags.output));
      std::cerr << "Wrote " << rows << " rows to " << flags.output << "\n";
      return;
    }
    std::ofstream file;
    if (!flags.output.empty()) {
      file.open(flags.output);
      if (!file) throw StatusError(IoError("cannot create '", flags.output, "'"));
    }
    std::ostream& out = flags.output.empty() ? std::cout : file;
    auto writer = MakeBatchWriter(flags.format, out);
    int64_t rows = 0;
    Check(source.scan(8192, [&](const RecordBatch& batch) {
      writer->Write(batch);
      rows += static_cast<int64_t>(batch.num_rows);
      if (!out) return IoError("cannot write output");
      return Status::Ok();
    }));
    writer->Finish(rows);
  });
}

ReadSource PlainReadSource(Lake& lake, const ReadQuery& query) {
  const ReadRequest request = Check(MakeReadRequest(lake, query));
  return ReadSource{
      [&lake, request](ExportFormat format, const std::string& path) {
        return lake.Export(request, format, path);
      },
      [&lake, request](size_t batch_rows, const std::function<Status(const RecordBatch&)>& sink) {
        return lake.Scan(request, batch_rows, sink);
      }};
}

}  // namespace dlake::cli
