#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "dlake/common/time.h"
#include "dlake/exchange/markets.h"

namespace dlake::cli {
namespace {

struct MarketFlags {
  std::string exchange = "binance";
  std::string market;
  bool futures = false;
  bool spot = false;

  void Add(CLI::App& cmd) {
    cmd.add_option("--exchange", exchange, "binance or bybit")->default_val("binance");
    auto* f = cmd.add_flag("--futures", futures,
                           "Derivatives: Binance USD-M futures, Bybit linear (the default)");
    auto* s = cmd.add_flag("--spot", spot, "Spot market");
    auto* m =
        cmd.add_option("--market", market, "spot, futures (Binance), linear or inverse (Bybit)");
    f->excludes(s)->excludes(m);
    s->excludes(m);
  }

  // "" when the flags leave it to the symbol (unified form) or the exchange's default.
  std::string Market() const {
    if (spot) return "SPOT";
    if (futures) return DefaultMarket(CheckUsage(NormalizeExchange(exchange)));
    return market;
  }
};

std::string Date(int64_t ms) { return ms > 0 ? FormatDay(DayOf(ms)) : "-"; }

// Progress: a bar redrawn in place on a terminal, a log line every 10% otherwise.
class ProgressPrinter {
 public:
  ProgressPrinter() : tty_(::isatty(2) == 1), started_(std::chrono::steady_clock::now()) {}

  void Update(const DownloadProgress& p) {
    const double span = static_cast<double>(std::max<int64_t>(1, p.range_to - p.range_from));
    const double done = std::clamp((p.position - p.range_from) / span, 0.0, 1.0);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (p.dataset != dataset_) {
      if (tty_ && !dataset_.empty()) std::cerr << "\n";
      dataset_ = p.dataset;
      dataset_start_ = std::chrono::steady_clock::now();
      last_decile_ = -1;
    }
    const double dsecs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - dataset_start_).count();
    const double eta = done > 0.001 ? dsecs * (1 - done) / done : 0;
    char line[256];
    std::snprintf(line, sizeof(line), "%s %5.1f%% at %s  %lld rows  %lld req (%.1f/s)  ETA %.0fs",
                  p.dataset.c_str(), done * 100, FormatTimestamp(p.position).substr(0, 16).c_str(),
                  static_cast<long long>(p.rows), static_cast<long long>(p.requests),
                  secs > 0 ? p.requests / secs : 0.0, eta);
    if (tty_) {
      const int width = 20;
      const int filled = static_cast<int>(done * width);
      std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                << line << "\033[K" << std::flush;
      return;
    }
    const int decile = static_cast<int>(done * 10);
    if (decile != last_decile_) {
      last_decile_ = decile;
      std::cerr << line << "\n";
    }
  }

  void Finish() {
    if (tty_ && !dataset_.empty()) std::cerr << "\n";
  }

 private:
  bool tty_;
  std::chrono::steady_clock::time_point started_, dataset_start_;
  std::string dataset_;
  int last_decile_ = -1;
};

}  // namespace

void AddDownloadCommands(CLI::App& app, GlobalOptions& global) {
  {
    static MarketFlags flags;
    auto* cmd =
        app.add_subcommand("download-symbols",
                           "List an exchange market's tradable symbols and store them in the lake");
    flags.Add(*cmd);
    cmd->callback([&global] {
      auto lake = OpenLake(global);
      auto symbols = Check(lake->DownloadSymbols(flags.exchange, flags.Market()));
      if (global.json) {
        PrintJson(ToJson(symbols));
        return;
      }
      std::printf("%-20s %-8s %-8s %-12s %-18s %s\n", "SYMBOL", "BASE", "QUOTE", "STATUS",
                  "CONTRACT", "LISTED");
      for (const auto& s : symbols) {
        std::printf("%-20s %-8s %-8s %-12s %-18s %s\n", s.symbol.c_str(), s.base.c_str(),
                    s.quote.c_str(), s.status.c_str(), s.contract_type.c_str(),
                    Date(s.listing_time).c_str());
      }
      std::printf("Total: %zu symbols\n", symbols.size());
    });
  }
  {
    static MarketFlags flags;
    static std::vector<std::string> symbols;
    static std::string start, end, timeframe = "1m", aggregate;
    static int days = 0;
    static bool funding = false;
    auto* cmd = app.add_subcommand(
        "download-history",
        "Download candle history (and funding rates) into the lake, incrementally");
    flags.Add(*cmd);
    cmd->add_option("--symbol,SYMBOL", symbols, "BTCUSDT, BTC/USDT:USDT or BTC/USDT; repeatable")
        ->required();
    cmd->add_option("--days", days, "The last N days");
    cmd->add_option("--start", start,
                    "From this time (UTC); default: after what is stored, or "
                    "from the listing");
    cmd->add_option("--end", end, "Up to this time, exclusive (default: now)");
    cmd->add_option("--timeframe", timeframe, "Candle interval: 1m, 5m, 1h, 1d, 1w, 1M ...")
        ->default_val("1m");
    cmd->add_flag("--funding", funding, "Also the funding-rate history (derivatives)");
    cmd->add_option("--aggregate", aggregate,
                    "Then bring these aggregates up to date, e.g. 15m,1h (default: the "
                    "aggregate setting)");
    cmd->callback([&global] {
      DownloadRequest request;
      if (!aggregate.empty()) request.aggregate = ParsePeriodList(aggregate, "--aggregate");
      request.exchange = flags.exchange;
      request.market = flags.Market();
      request.symbols = symbols;
      request.period = CheckUsage(ParsePeriod(timeframe)).name;
      request.days = days;
      if (days > 0 && !start.empty()) throw UsageError("--days and --start exclude each other");
      if (!start.empty()) request.start = CheckUsage(ParseRangeStart(start));
      if (!end.empty()) request.end = CheckUsage(ParseRangeEnd(end));
      if (request.end <= request.start) throw UsageError("--end must be after --start");
      request.funding = funding;
      ProgressPrinter progress;
      if (!global.json) {
        request.progress = [&](const DownloadProgress& p) {
          progress.Update(p);
          return Status::Ok();
        };
      }
      auto lake = OpenLake(global);
      auto result = lake->DownloadHistory(request);
      progress.Finish();
      DownloadReport report = Check(std::move(result));
      if (global.json) {
        PrintJson(ToJson(report));
        return;
      }
      for (const auto& d : report.datasets) {
        std::cout << d.dataset.Path() << ": "
                  << (d.already_complete ? "already complete"
                                         : std::to_string(d.rows_written) + " rows written")
                  << (d.gaps.empty() ? ""
                                     : ", " + std::to_string(d.gaps.size()) +
                                           " spans without data recorded as known gaps")
                  << "\n";
      }
      std::cout << report.requests << " requests, " << report.retries << " retries, "
                << report.rate_limited << " rate-limited (429), " << report.waited_ms / 1000.0
                << " s waiting (rate limits and retry backoff)\n";
      PrintAggregated(report.aggregated);
    });
  }
}

}  // namespace dlake::cli
