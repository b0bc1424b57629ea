// aggregate_bench: `dlake aggregate` and on-read resampling (doc/aggregate.md) against DuckDB
// over the same Parquet files.
//
// Ingests a year (2023, 525,600 rows) of 1m klines into a fresh lake (365 day files), then:
//   1. full build: Lake::Aggregate to 5m, 15m, 1h, 4h and 1d into empty agg datasets (every
//      aggregated day rebuilt; closed months written as one month file each: 12 per period). Before
//      each later run the agg datasets are deleted with Lake::Delete (untimed), and every run must
//      rebuild and create every day. Baseline: per period one DuckDB query over exactly the
//      manifest's 1m files,
//        COPY (SELECT time_bucket(INTERVAL '<p>', epoch_ms(ts)) AS b, arg_min(open, ts),
//              max(high), min(low), arg_max(close, ts), sum(volume), ..., sum(taker_buy_quote)
//              FROM read_parquet([...]) GROUP BY b) TO '<scratch>/<p>.parquet'
//      summed over the five periods (the results written out, as the lake writes its day files).
//      The two sides take turns run by run. For information, DuckDB also writes the same candles
//      partitioned by day (COPY ... PARTITION_BY (day): at least as many files as the lake writes,
//      without its fsync, hashing and manifest); no target.
//   2. incremental: Lake::Aggregate again with nothing new (every day checked, none rebuilt).
//   3. on-read: Lake::Read of the whole year with timeframe 15m, (a) before any aggregate exists
//      (resampled from the 1m files on the fly) and (b) after step 1 (served from the stored 15m
//      aggregate); baseline: the 15m query of step 1 materialised (no COPY). Sides take turns
//      read by read after one untimed read each. Rows and the sum of bucket starts must agree.
// The lake and the baseline DuckDB get the same thread count and memory limit.
//
// Targets: full build lake/duckdb <= 1.5 (best runs); on-read (a) lake/duckdb <= 1.5 (medians).
//
// Usage: aggregate_bench [--quick] [--days N] [--runs N] [--reps N] [--threads N]
//                        [--memory-limit S] [--keep]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "duck/duck.h"

namespace dlake::bench {
namespace {

constexpr int64_t kStartMs = 1672531200000;  // 2023-01-01T00:00:00Z
constexpr double kTargetRatio = 1.5;

struct Config {
  int64_t days = 365;
  int runs = 3;
  int64_t reps = 10;
  int threads = 0;
  std::string memory_limit = "256MB";  // the library default
  bool keep = false;
};

// A target period: its name for the lake, its DuckDB interval and its length in minutes.
struct AggPeriod {
  const char* name;
  const char* interval;
  int64_t minutes;
};
constexpr AggPeriod kTargets[] = {{"5m", "5 minutes", 5},
                                  {"15m", "15 minutes", 15},
                                  {"1h", "1 hour", 60},
                                  {"4h", "4 hours", 240},
                                  {"1d", "1 day", 1440}};

DatasetId Source() {
  return ValueOrDie(DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", "raw", "1m"), "DatasetId::Make");
}

// The baseline's candle query for one period over `files` (a read_parquet([...]) argument).
std::string BaselineSql(const std::string& interval, const std::string& files) {
  return "SELECT time_bucket(INTERVAL '" + interval +
         "', epoch_ms(ts)) AS b, arg_min(open, ts) AS open, max(high) AS high, min(low) AS low, "
         "arg_max(close, ts) AS close, sum(volume) AS volume, sum(quote_volume) AS quote_volume, "
         "sum(trades) AS trades, sum(taker_buy_base) AS taker_buy_base, sum(taker_buy_quote) AS "
         "taker_buy_quote FROM read_parquet(" +
         files + ") GROUP BY b";
}

ReadResult LakeRead15m(Lake& lake) {
  ReadRequest request;
  request.dataset = Source();
  request.timeframe = "15m";
  RecordBatch batch = ValueOrDie(lake.Read(request), "Lake::Read --timeframe 15m");
  const Column* ts = batch.Find("ts");
  if (ts == nullptr) throw Failure{"the resampled read returned no ts column"};
  ReadResult r;
  r.rows = static_cast<int64_t>(batch.num_rows);
  for (int64_t v : ts->ints) r.ts_sum += v;
  return r;
}

// The baseline 15m query, materialised; the bucket column is a TIMESTAMP (microseconds).
ReadResult DuckRead15m(duck::Connection& conn, const std::string& files) {
  auto result = ValueOrDie(conn.Query(BaselineSql("15 minutes", files), "baseline 15m query"),
                           "baseline 15m query");
  ReadResult r;
  while (true) {
    duck::DataChunk chunk = ValueOrDie(result.NextChunk(), "fetching a chunk");
    if (!chunk) break;
    const int64_t* b = chunk.Data<int64_t>(0);
    const size_t n = chunk.size();
    for (size_t i = 0; i < n; ++i) r.ts_sum += b[i] / 1000;
    r.rows += static_cast<int64_t>(n);
  }
  return r;
}

AggregateRequest FullRequest() {
  AggregateRequest request;
  request.exchange = "BINANCE";
  request.market = "SPOT";
  request.symbol = "BTCUSDT";
  for (const AggPeriod& t : kTargets) request.to.emplace_back(t.name);
  return request;
}

// The calendar months the `days` days from kStartMs touch: closed months are written as one
// month file each (doc/aggregate.md).
int64_t MonthsOf(int64_t days) {
  std::set<std::pair<int, int>> months;
  for (int64_t d = DayOf(kStartMs); d < DayOf(kStartMs) + days; ++d) {
    const CivilDate date = CivilFromDay(d);
    months.emplace(date.year, date.month);
  }
  return static_cast<int64_t>(months.size());
}

// Checks a full build: every period rebuilt every day, all its candles, one file per month.
void CheckFullBuild(const AggregateReport& report, int64_t days) {
  if (report.targets.size() != std::size(kTargets)) throw Failure{"Aggregate skipped a period"};
  for (size_t i = 0; i < report.targets.size(); ++i) {
    const AggregateTarget& t = report.targets[i];
    const int64_t candles = days * 1440 / kTargets[i].minutes;
    if (t.days_rebuilt != days || t.write.Count(DayAction::kCreated) != MonthsOf(days) ||
        t.candles != candles) {
      throw Failure{t.dataset.Path() + ": rebuilt " + std::to_string(t.days_rebuilt) +
                    " days, created " + std::to_string(t.write.Count(DayAction::kCreated)) +
                    " files and " + std::to_string(t.candles) + " candles; expected " +
                    std::to_string(days) + " days, " + std::to_string(MonthsOf(days)) +
                    " month files and " + std::to_string(candles) + " candles"};
    }
  }
}

void CheckCopied(duck::QueryResult& result, int64_t candles, const char* period) {
  if (result.GetInt64(0, 0) != candles) {
    throw Failure{std::string("DuckDB wrote ") + std::to_string(result.GetInt64(0, 0)) + " " +
                  period + " candles, expected " + std::to_string(candles)};
  }
}

void DeleteAggregates(Lake& lake) {
  DeleteRequest request;
  request.filter.exchange = "BINANCE";
  request.filter.market = "SPOT";
  request.filter.symbol = "BTCUSDT";
  request.filter.type = "agg";
  (void)ValueOrDie(lake.Delete(request), "Lake::Delete type agg");
}

void PrintRow(const std::string& name, const std::vector<double>& s, const std::string& vs) {
  std::printf("  %-44s %10.3f %10.3f %10s\n", name.c_str(), Min(s), Median(s), vs.c_str());
}

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", r);
  return buf;
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-aggregate-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  const int64_t rows = config.days * 1440;
  const std::string csv = scratch.Sub("BTCUSDT-1m.csv");
  double t = NowSeconds();
  (void)ValueOrDie(WriteKlineCsv(csv, kStartMs, kMsPerMinute, rows, 0, 1), "writing CSV");

  RuntimeOptions runtime_options;
  runtime_options.lake = scratch.Sub("lake");
  runtime_options.flags = {{"memory_limit", config.memory_limit},
                           {"threads", std::to_string(config.threads)}};
  LakeOptions options;
  options.runtime = ValueOrDie(Runtime::Make(runtime_options), "Runtime::Make");
  auto lake = ValueOrDie(Lake::Init(scratch.Sub("lake"), options), "Lake::Init");
  IngestRequest ingest;
  ingest.sources = {csv};
  ingest.dataset = Source();
  IngestReport ingested = ValueOrDie(lake->Ingest(ingest), "Lake::Ingest");
  if (ingested.rows_read != rows || ingested.write.Count(DayAction::kCreated) != config.days) {
    throw Failure{"ingest read " + std::to_string(ingested.rows_read) + " rows and created " +
                  std::to_string(ingested.write.Count(DayAction::kCreated)) + " day files"};
  }
  RemoveTree(csv);
  auto files = ValueOrDie(lake->ListFiles(DatasetFilter::Of(Source())), "Lake::ListFiles");
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    list += (i ? ", " : "") + duck::QuoteLiteral(lake->root() + "/" + files[i].path);
  }
  list += "]";
  std::printf(
      "aggregate_bench: %s rows = %lld days of 1m klines from 2023-01-01 in %zu day files "
      "(generated and ingested in %.1f s)\n",
      Thousands(rows).c_str(), static_cast<long long>(config.days), files.size(), NowSeconds() - t);
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf(
      "  threads=%d memory_limit=%s runs=%d reads=%lld (both sides)  load average %.2f  folder "
      "%s\n",
      config.threads, config.memory_limit.c_str(), config.runs, static_cast<long long>(config.reps),
      load[0], scratch.path().c_str());
  std::fflush(stdout);

  duck::DatabaseOptions duck_options;
  duck_options.memory_limit = config.memory_limit;
  duck_options.threads = config.threads;
  duck_options.temp_directory = scratch.Sub("duck-tmp");
  auto db = ValueOrDie(duck::Database::Open("", duck_options), "duck::Database::Open");
  auto conn = ValueOrDie(duck::Connection::Open(*db), "duck::Connection::Open");
  const std::string out_dir = scratch.Sub("duck-out");
  std::filesystem::create_directories(out_dir);

  // 3(a): on-read resampling with no stored aggregate.
  auto aggs = ValueOrDie(lake->ListFiles(DatasetFilter{"", "", "", "agg", ""}), "ListFiles agg");
  if (!aggs.empty()) throw Failure{"agg files exist before the first aggregation"};
  std::vector<Side> on_the_fly = {
      {"lake Read 15m, on the fly from 1m", [&] { return LakeRead15m(*lake); }, {}, {}},
      {"duckdb 15m time_bucket query", [&] { return DuckRead15m(*conn, list); }, {}, {}},
  };
  Measure(on_the_fly, config.reps, kNoBudget);

  // 1: full builds, the two sides taking turns.
  std::vector<double> lake_s, duck_s, duck_days_s;
  std::map<std::string, std::vector<double>> duck_period_s;
  for (int run = 0; run < config.runs; ++run) {
    if (run > 0) DeleteAggregates(*lake);
    t = NowSeconds();
    AggregateReport report = ValueOrDie(lake->Aggregate(FullRequest()), "Lake::Aggregate");
    lake_s.push_back(NowSeconds() - t);
    CheckFullBuild(report, config.days);

    double total = 0, total_days = 0;
    int64_t day_files = 0;
    for (const AggPeriod& target : kTargets) {
      // The baseline: one file per period.
      const std::string out = out_dir + "/" + target.name + ".parquet";
      RemoveTree(out);
      t = NowSeconds();
      auto result = ValueOrDie(conn->Query("COPY (" + BaselineSql(target.interval, list) + ") TO " +
                                               duck::QuoteLiteral(out) + " (FORMAT parquet)",
                                           "baseline COPY"),
                               "baseline COPY");
      const double s = NowSeconds() - t;
      total += s;
      duck_period_s[target.name].push_back(s);
      CheckCopied(result, config.days * 1440 / target.minutes, target.name);
      // For information: the same candles in one folder per day (a file per day and thread).
      const std::string out_days = out_dir + "/" + target.name + "-days";
      RemoveTree(out_days);
      t = NowSeconds();
      auto by_day = ValueOrDie(
          conn->Query("COPY (SELECT *, CAST(b AS DATE) AS day FROM (" +
                          BaselineSql(target.interval, list) + ")) TO " +
                          duck::QuoteLiteral(out_days) + " (FORMAT parquet, PARTITION_BY (day))",
                      "baseline COPY PARTITION_BY"),
          "baseline COPY PARTITION_BY");
      total_days += NowSeconds() - t;
      CheckCopied(by_day, config.days * 1440 / target.minutes, target.name);
      const auto folders = std::distance(std::filesystem::directory_iterator(out_days),
                                         std::filesystem::directory_iterator());
      day_files += SizeOfTree(out_days).files;
      if (folders != config.days) {
        throw Failure{std::string("DuckDB wrote ") + std::to_string(folders) + " " + target.name +
                      " day folders"};
      }
    }
    duck_s.push_back(total);
    duck_days_s.push_back(total_days);
    std::printf(
        "  run %d: lake %.3f s (%lld month files), duckdb %.3f s (5 files), by day %.3f s (%lld "
        "files in %lld day folders)\n",
        run + 1, lake_s.back(), static_cast<long long>(report.FilesWritten()), total, total_days,
        static_cast<long long>(day_files),
        static_cast<long long>(config.days * std::ssize(kTargets)));
    std::fflush(stdout);
  }

  // 2: nothing new.
  std::vector<double> again_s;
  for (int run = 0; run < config.runs; ++run) {
    t = NowSeconds();
    AggregateReport report = ValueOrDie(lake->Aggregate(FullRequest()), "Lake::Aggregate (again)");
    again_s.push_back(NowSeconds() - t);
    for (const auto& target : report.targets) {
      if (target.days_rebuilt != 0 || target.days_checked != config.days) {
        throw Failure{"the re-run rebuilt " + std::to_string(target.days_rebuilt) + " of " +
                      std::to_string(target.days_checked) + " days of " + target.dataset.Path()};
      }
    }
  }

  // 3(b): on-read resampling served from the stored 15m aggregate.
  std::vector<Side> stored = {
      {"lake Read 15m, from the stored aggregate", [&] { return LakeRead15m(*lake); }, {}, {}},
      {"duckdb 15m time_bucket query", [&] { return DuckRead15m(*conn, list); }, {}, {}},
  };
  Measure(stored, config.reps, kNoBudget);
  for (const auto* sides : {&on_the_fly, &stored}) {
    for (const Side& side : *sides) {
      if (side.result.rows != config.days * 96 || !(side.result == on_the_fly[0].result)) {
        throw Failure{side.name + " returned " + std::to_string(side.result.rows) +
                      " candles (ts sum " + std::to_string(side.result.ts_sum) + "), expected " +
                      std::to_string(config.days * 96) + " (ts sum " +
                      std::to_string(on_the_fly[0].result.ts_sum) + ")"};
      }
    }
  }

  const double full_ratio = Min(lake_s) / Min(duck_s);
  const double full_ratio_median = Median(lake_s) / Median(duck_s);
  std::printf("\n  %-44s %10s %10s %10s\n", "1. full build to 5m/15m/1h/4h/1d", "best s",
              "median s", "vs duckdb");
  PrintRow("lake Lake::Aggregate", lake_s, Ratio(full_ratio));
  PrintRow("duckdb 5 x COPY (GROUP BY time_bucket)", duck_s, "1.00x");
  for (const AggPeriod& target : kTargets) {
    PrintRow("  duckdb COPY " + std::string(target.name), duck_period_s[target.name], "");
  }
  PrintRow("duckdb 5 x COPY PARTITION_BY (day) (info)", duck_days_s,
           Ratio(Min(duck_days_s) / Min(duck_s)));
  std::printf("  %-44s %10s %10s %10s\n", "2. re-run, nothing new", "best s", "median s",
              "vs full");
  PrintRow("lake Lake::Aggregate (0 days rebuilt)", again_s, Ratio(Min(again_s) / Min(lake_s)));
  std::printf("  %-44s %10s %10s %10s\n", "3. read every day at 15m", "best ms", "median ms",
              "vs duckdb");
  const double fly_ratio = Median(on_the_fly[0].ms) / Median(on_the_fly[1].ms);
  const double stored_ratio = Median(stored[0].ms) / Median(stored[1].ms);
  PrintRow("(a) " + on_the_fly[0].name, on_the_fly[0].ms, Ratio(fly_ratio));
  PrintRow("    " + on_the_fly[1].name, on_the_fly[1].ms, "1.00x");
  PrintRow("(b) " + stored[0].name, stored[0].ms, Ratio(stored_ratio));
  PrintRow("    " + stored[1].name, stored[1].ms, "1.00x");
  std::printf(
      "  (ratios: lake/duckdb; full build best/best, median/median %.2f, lake against the "
      "day-file COPY %.2f; reads median/median, each against the baseline measured alongside)"
      "\n\n",
      full_ratio_median, Min(lake_s) / Min(duck_days_s));

  char what[200];
  std::snprintf(what, sizeof(what), "full build: lake/duckdb %.2f <= %.1f", full_ratio,
                kTargetRatio);
  bool all_pass = Target(full_ratio <= kTargetRatio, what);
  std::snprintf(what, sizeof(what), "on-read 15m on the fly: lake/duckdb %.2f <= %.1f", fly_ratio,
                kTargetRatio);
  all_pass &= Target(fly_ratio <= kTargetRatio, what);
  std::printf(
      "  (checked: every full build rebuilt and created all %lld days of each period with "
      "every candle; the re-runs rebuilt none; all reads returned the same %s candles)\n",
      static_cast<long long>(config.days), Thousands(config.days * 96).c_str());
  std::printf("\n  %s\n", all_pass ? "all targets met" : "some targets missed");
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"},
              {"--days", "--runs", "--reps", "--threads", "--memory-limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: aggregate_bench [--quick] [--days N] [--runs N] [--reps N] "
                 "[--threads N] [--memory-limit S] [--keep]\n"
                 "  default: 365 days (525,600 rows), 3 full builds, 10 reads per side;\n"
                 "  --quick: 31 days, 1 build, 5 reads\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    const bool quick = flags.Has("--quick");
    config.days = flags.Int("--days", quick ? 31 : 365);
    config.runs = static_cast<int>(flags.Int("--runs", quick ? 1 : 3));
    config.reps = flags.Int("--reps", quick ? 5 : 10);
    config.threads =
        static_cast<int>(flags.Int("--threads", std::max(1u, std::thread::hardware_concurrency())));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.keep = flags.Has("--keep");
    if (config.days < 1 || config.runs < 1 || config.reps < 1 || config.threads < 1) {
      std::fprintf(stderr, "--days, --runs, --reps and --threads must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "aggregate_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
