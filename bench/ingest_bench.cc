// ingest_bench: CSV ingest speed of the lake against DuckDB alone.
//
// One year of 1-minute Binance klines (525,600 rows, 12 columns, no header) is ingested into a
// fresh lake with Lake::Init + Lake::Ingest, and, as the baseline, written by DuckDB alone into
// a day-partitioned Parquet folder with one COPY ... PARTITION_BY (year, month, day): the same
// parse, partition and Parquet work without validation, manifest, checksums or fsync. Both get
// the same thread count and memory limit. Then the same file is ingested again into the
// existing lake (every day unchanged: idempotent re-ingest).
//
// For attribution it also times a dry run (parse, validate, stage and plan; nothing written).
//
// Target: lake time <= 1.5 x DuckDB time (best of the runs).
//
// Usage: ingest_bench [--quick] [--runs N] [--days N] [--threads N] [--memory-limit S] [--keep]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "dlake/lake.h"
#include "duck/duck.h"

namespace dlake::bench {
namespace {

constexpr int64_t kStartMs = 1672531200000;  // 2023-01-01T00:00:00Z
constexpr int64_t kStepMs = 60'000;
constexpr double kTargetRatio = 1.5;

struct Config {
  int64_t days = 365;
  int runs = 3;
  int threads = 0;
  std::string memory_limit = "256MB";  // the library default (LakeOptions{})
  bool keep = false;
};

struct RunTimes {
  std::vector<double> total;  // open + work
  std::vector<double> work;   // the ingest / COPY alone
};

std::string BaselineSql(const std::string& csv, const std::string& out_dir) {
  const std::string ts = "to_timestamp(open_time / 1000)";
  return "COPY (SELECT open_time, open, high, low, close, volume, close_time, quote_volume, "
         "trades, taker_buy_base, taker_buy_quote, ignore, year(" +
         ts + ") AS year, month(" + ts + ") AS month, day(" + ts + ") AS day FROM read_csv(" +
         duck::QuoteLiteral(csv) +
         ", header = false, columns = {'open_time': 'BIGINT', 'open': 'DOUBLE', "
         "'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'DOUBLE', "
         "'close_time': 'BIGINT', 'quote_volume': 'DOUBLE', 'trades': 'BIGINT', "
         "'taker_buy_base': 'DOUBLE', 'taker_buy_quote': 'DOUBLE', 'ignore': 'BIGINT'})) TO " +
         duck::QuoteLiteral(out_dir) + " (FORMAT parquet, PARTITION_BY (year, month, day))";
}

IngestRequest MakeRequest(const std::string& csv, bool dry_run) {
  IngestRequest request;
  request.sources = {csv};
  request.dataset =
      ValueOrDie(DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", "raw", "1m"), "DatasetId::Make");
  request.dry_run = dry_run;
  return request;
}

using Settings = std::map<std::string, std::string>;

// The options of a lake at `dir` on a runtime of its own (as the CLI opens one).
LakeOptions LakeOptionsFor(const std::string& dir, const Settings& settings) {
  RuntimeOptions runtime_options;
  runtime_options.lake = dir;
  runtime_options.flags = settings;
  LakeOptions options;
  options.runtime = ValueOrDie(Runtime::Make(runtime_options), "Runtime::Make");
  return options;
}

// One lake ingest into a fresh lake at `dir`. Returns the report.
IngestReport RunLake(const std::string& dir, const std::string& csv, const Settings& settings,
                     RunTimes& times) {
  const double t0 = NowSeconds();
  auto lake = ValueOrDie(Lake::Init(dir, LakeOptionsFor(dir, settings)), "Lake::Init");
  const double t1 = NowSeconds();
  IngestReport report = ValueOrDie(lake->Ingest(MakeRequest(csv, false)), "Lake::Ingest");
  const double t2 = NowSeconds();
  times.total.push_back(t2 - t0);
  times.work.push_back(t2 - t1);
  return report;
}

// One DuckDB-only COPY into `out_dir`. Returns the rows written.
int64_t RunDuck(const std::string& out_dir, const std::string& csv, const Config& config,
                const std::string& temp_dir, RunTimes& times) {
  const double t0 = NowSeconds();
  duck::DatabaseOptions options;
  options.memory_limit = config.memory_limit;
  options.threads = config.threads;
  options.temp_directory = temp_dir;
  auto db = ValueOrDie(duck::Database::Open("", options), "duck::Database::Open");
  auto conn = ValueOrDie(duck::Connection::Open(*db), "duck::Connection::Open");
  // year()/month()/day() of a TIMESTAMPTZ follow the session time zone; partitions are UTC.
  CheckOk(conn->Execute("SET TimeZone = 'UTC'", "setting the time zone"), "SET TimeZone");
  const double t1 = NowSeconds();
  auto result = ValueOrDie(conn->Query(BaselineSql(csv, out_dir), "baseline COPY"), "DuckDB COPY");
  const double t2 = NowSeconds();
  times.total.push_back(t2 - t0);
  times.work.push_back(t2 - t1);
  return result.GetInt64(0, 0);
}

void PrintRow(const char* name, const RunTimes& t, int64_t rows, const TreeSize& out) {
  std::printf("  %-26s %9.3f %9.3f %9.3f %12s %7lld %9.1f\n", name, Min(t.total), Median(t.total),
              Min(t.work),
              Thousands(static_cast<int64_t>(static_cast<double>(rows) / Min(t.total))).c_str(),
              static_cast<long long>(out.files), static_cast<double>(out.bytes) / 1e6);
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-ingest-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  const int64_t rows = config.days * 1440;
  const std::string csv = scratch.Sub("BTCUSDT-1m.csv");
  double t = NowSeconds();
  CsvStats stats = ValueOrDie(WriteKlineCsv(csv, kStartMs, kStepMs, rows, 0, 1), "writing CSV");
  std::printf(
      "ingest_bench: %s rows = %lld days of 1m klines from 2023-01-01, CSV %.1f MB "
      "(generated in %.1f s)\n",
      Thousands(stats.rows).c_str(), static_cast<long long>(config.days),
      static_cast<double>(stats.bytes) / 1e6, NowSeconds() - t);
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf("  threads=%d memory_limit=%s runs=%d (both sides)  load average %.2f  folder %s\n",
              config.threads, config.memory_limit.c_str(), config.runs, load[0],
              scratch.path().c_str());

  const Settings lake_options = {{"memory_limit", config.memory_limit},
                                 {"threads", std::to_string(config.threads)}};

  RunTimes lake_times, duck_times;
  TreeSize lake_size, duck_size;
  std::string last_lake;
  // Alternate the two sides so that neither profits from a warmer machine.
  for (int run = 0; run < config.runs; ++run) {
    const std::string lake_dir = scratch.Sub("lake-" + std::to_string(run));
    IngestReport report = RunLake(lake_dir, csv, lake_options, lake_times);
    if (report.rows_read != rows || report.write.Count(DayAction::kCreated) != config.days) {
      throw Failure{"lake ingest read " + std::to_string(report.rows_read) + " rows and created " +
                    std::to_string(report.write.Count(DayAction::kCreated)) + " days"};
    }
    lake_size = SizeOfTree(lake_dir + "/data");
    if (!last_lake.empty()) RemoveTree(last_lake);
    last_lake = lake_dir;

    const std::string duck_dir = scratch.Sub("duck-" + std::to_string(run));
    int64_t written = RunDuck(duck_dir, csv, config, scratch.Sub("duck-tmp"), duck_times);
    if (written != rows) {
      throw Failure{"DuckDB COPY wrote " + std::to_string(written) + " rows"};
    }
    duck_size = SizeOfTree(duck_dir);
    RemoveTree(duck_dir);
    std::printf("  run %d: lake %.3f s, duckdb %.3f s\n", run + 1, lake_times.total.back(),
                duck_times.total.back());
  }

  // Re-ingest the same file into the last lake: every day's merged content equals the stored
  // file, so nothing may be written.
  RunTimes again;
  for (int run = 0; run < config.runs; ++run) {
    const double t0 = NowSeconds();
    auto lake =
        ValueOrDie(Lake::Open(last_lake, LakeOptionsFor(last_lake, lake_options)), "Lake::Open");
    const double t1 = NowSeconds();
    IngestReport report = ValueOrDie(lake->Ingest(MakeRequest(csv, false)), "Lake::Ingest (again)");
    const double t2 = NowSeconds();
    again.total.push_back(t2 - t0);
    again.work.push_back(t2 - t1);
    if (report.write.Count(DayAction::kUnchanged) != config.days) {
      throw Failure{"re-ingest left only " +
                    std::to_string(report.write.Count(DayAction::kUnchanged)) + " of " +
                    std::to_string(config.days) + " days unchanged"};
    }
  }

  // The part before any file is written.
  RunTimes dry;
  for (int run = 0; run < config.runs; ++run) {
    const std::string lake_dir = scratch.Sub("dry-" + std::to_string(run));
    const double t0 = NowSeconds();
    auto lake =
        ValueOrDie(Lake::Init(lake_dir, LakeOptionsFor(lake_dir, lake_options)), "Lake::Init");
    const double t1 = NowSeconds();
    (void)ValueOrDie(lake->Ingest(MakeRequest(csv, true)), "Lake::Ingest (dry run)");
    const double t2 = NowSeconds();
    dry.total.push_back(t2 - t0);
    dry.work.push_back(t2 - t1);
    lake.reset();
    RemoveTree(lake_dir);
  }

  std::printf("\n  %-26s %9s %9s %9s %12s %7s %9s\n", "", "best s", "median s", "work s", "rows/s",
              "files", "MB");
  PrintRow("lake Init+Ingest", lake_times, rows, lake_size);
  PrintRow("duckdb COPY PARTITION_BY", duck_times, rows, duck_size);
  PrintRow("lake re-ingest (unchanged)", again, rows, lake_size);
  PrintRow("lake dry run (no writes)", dry, rows, TreeSize{});
  std::printf("  (best/median: open + work; work: Ingest or COPY alone, best)\n\n");

  const double ratio = Min(lake_times.total) / Min(duck_times.total);
  const double ratio_median = Median(lake_times.total) / Median(duck_times.total);
  const double ratio_again = Min(again.total) / Min(lake_times.total);
  std::printf("  ratio lake/duckdb: best %.2f, median %.2f\n", ratio, ratio_median);
  std::printf("  ratio re-ingest/first ingest (best): %.2f; re-ingest/duckdb: %.2f\n", ratio_again,
              Min(again.total) / Min(duck_times.total));
  char what[160];
  std::snprintf(what, sizeof(what), "ingest: lake/duckdb %.2f <= %.1f", ratio, kTargetRatio);
  Target(ratio <= kTargetRatio, what);
  std::printf("  (checked: the re-ingest left all %lld days unchanged)\n",
              static_cast<long long>(config.days));
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"},
              {"--runs", "--days", "--threads", "--memory-limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: ingest_bench [--quick] [--runs N] [--days N] [--threads N] "
                 "[--memory-limit S] [--keep]\n"
                 "  default: 365 days (525,600 rows), 3 runs; --quick: 30 days, 2 runs\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    const bool quick = flags.Has("--quick");
    config.days = flags.Int("--days", quick ? 30 : 365);
    config.runs = static_cast<int>(flags.Int("--runs", quick ? 2 : 3));
    config.threads =
        static_cast<int>(flags.Int("--threads", std::max(1u, std::thread::hardware_concurrency())));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.keep = flags.Has("--keep");
    if (config.days < 1 || config.runs < 1 || config.threads < 1) {
      std::fprintf(stderr, "--days, --runs and --threads must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "ingest_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
