// read_bench: slice reads through the lake against DuckDB over the same Parquet files.
//
// Builds a lake of 5 years (2019-2023) of 1-minute klines per symbol through Lake::Ingest (so
// the manifest is real; 4 symbols by default, 20 with --full, whose build alone takes ~4-5
// minutes on 2 cores; --quick: 1 symbol x 2022), then for one symbol reads one day, one month and
// one year with Lake::Read on an open Lake, against an open DuckDB connection doing
//   (a) what the Python original does: read_parquet('<symbol folder>/*/*/*/*.parquet') with the
//       time filter (a glob over the symbol's whole history), and
//   (b) read_parquet([exactly the files of the range]) with the time filter (paths taken from the
//       manifest once, outside the timing), and, for information,
//   (b') the same with union_by_name = true, the query shape the lake's reader runs.
// Every side materialises all rows of the slice; row counts and the sum of ts must agree.
// Caches are warm (one untimed read first); the sides take turns read by read, so load from
// elsewhere on the machine hits them alike; figures are per read, median and p90.
//
// Targets: one day < 5 ms and >= 10x faster than (a); one year <= 1.5x (b).
//
// Usage: read_bench [--quick | --full] [--symbols N] [--threads N] [--memory-limit S]
//                   [--reps N] [--keep]

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "duck/duck.h"

namespace dlake::bench {
namespace {

constexpr const char* kSymbols[] = {"BTCUSDT",  "ETHUSDT",  "BNBUSDT",  "XRPUSDT", "ADAUSDT",
                                    "SOLUSDT",  "DOGEUSDT", "DOTUSDT",  "LTCUSDT", "TRXUSDT",
                                    "LINKUSDT", "AVAXUSDT", "ATOMUSDT", "XLMUSDT", "ETCUSDT",
                                    "BCHUSDT",  "FILUSDT",  "NEARUSDT", "UNIUSDT", "AAVEUSDT"};
constexpr int kMaxSymbols = 20;
// The full 20 symbols take ~4-5 minutes to build on 2 cores; the default keeps the run near 2.
constexpr int kDefaultSymbols = 4;
constexpr double kDayTargetMs = 5.0;
constexpr double kDayTargetSpeedup = 10.0;
constexpr double kYearTargetRatio = 1.5;

struct Config {
  int symbols = kDefaultSymbols;
  int first_year = 2019;
  int years = 5;
  int threads = 0;
  std::string memory_limit = "256MB";
  int64_t reps = 0;      // 0 = per-range defaults
  double budget_s = 15;  // per range (all sides), besides the minimum repetitions
  bool keep = false;
};

struct Slice {
  std::string name;
  int64_t start = 0;
  int64_t end = 0;
  int64_t expected_rows = 0;
  int64_t max_reps = 0;
};

DatasetId Dataset(const std::string& symbol) {
  return ValueOrDie(DatasetId::Make("BINANCE", "SPOT", symbol, "raw", "1m"), "DatasetId::Make");
}

// Generates and ingests symbols on two threads (the lake serialises per dataset; different
// datasets proceed in parallel).
void BuildLake(Lake& lake, const ScratchDir& scratch, const Config& config) {
  const int64_t start = DayStartMs(DayFromCivil(config.first_year, 1, 1));
  const int64_t end = DayStartMs(DayFromCivil(config.first_year + config.years, 1, 1));
  const int64_t rows = (end - start) / kMsPerMinute;
  std::vector<DatasetId> datasets;
  for (int i = 0; i < config.symbols; ++i) datasets.push_back(Dataset(kSymbols[i]));
  std::atomic<int> next{0};
  std::mutex mu;
  std::string error;
  const double t0 = NowSeconds();
  auto worker = [&] {
    for (int i = next++; i < config.symbols; i = next++) {
      const std::string symbol = kSymbols[i];
      const std::string csv = scratch.Sub(symbol + ".csv");
      auto stats = WriteKlineCsv(csv, start, kMsPerMinute, rows, 0, static_cast<uint64_t>(i + 1));
      Status status = stats.status();
      if (status.ok()) {
        IngestRequest request;
        request.sources = {csv};
        request.dataset = datasets[static_cast<size_t>(i)];
        auto report = lake.Ingest(request);
        status = report.status();
        RemoveTree(csv);
        if (status.ok() && report->rows_read != rows) {
          status = Internal(symbol, ": ingested ", report->rows_read, " of ", rows, " rows");
        }
      }
      std::lock_guard lock(mu);
      if (!status.ok()) {
        if (error.empty()) error = symbol + ": " + status.ToString();
        return;
      }
      std::printf("  built %-9s %s rows  (%.0f s)\n", symbol.c_str(), Thousands(rows).c_str(),
                  NowSeconds() - t0);
      std::fflush(stdout);
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  if (!error.empty()) throw Failure{"building the lake: " + error};
}

// Sums the rows and ts of a DuckDB result, materialised (all chunks fetched).
ReadResult Drain(duck::QueryResult& result) {
  size_t ts = 0;
  while (ts < result.ColumnCount() && result.ColumnName(ts) != "ts") ++ts;
  if (ts == result.ColumnCount()) throw Failure{"DuckDB result has no ts column"};
  ReadResult r;
  while (true) {
    duck::DataChunk chunk = ValueOrDie(result.NextChunk(), "fetching a chunk");
    if (!chunk) break;
    const int64_t* data = chunk.Data<int64_t>(ts);
    const size_t n = chunk.size();
    for (size_t i = 0; i < n; ++i) r.ts_sum += data[i];
    r.rows += static_cast<int64_t>(n);
  }
  return r;
}

ReadResult DuckRead(duck::Connection& conn, const std::string& from, const Slice& slice) {
  auto stmt = ValueOrDie(
      conn.Prepare("SELECT * FROM " + from + " WHERE ts >= $1 AND ts < $2", "baseline read"),
      "preparing the baseline read");
  CheckOk(stmt.Bind(1, slice.start), "bind");
  CheckOk(stmt.Bind(2, slice.end), "bind");
  auto result = ValueOrDie(stmt.Execute(), "baseline read");
  return Drain(result);
}

ReadResult LakeRead(Lake& lake, const DatasetId& dataset, const Slice& slice) {
  ReadRequest request;
  request.dataset = dataset;
  request.start = slice.start;
  request.end = slice.end;
  RecordBatch batch = ValueOrDie(lake.Read(request), "Lake::Read");
  const Column* ts = batch.Find("ts");
  if (ts == nullptr) throw Failure{"Lake::Read returned no ts column"};
  ReadResult r;
  r.rows = static_cast<int64_t>(batch.num_rows);
  for (int64_t v : ts->ints) r.ts_sum += v;
  return r;
}

std::string FileList(Lake& lake, const DatasetId& dataset, const Slice& slice, size_t* count) {
  auto manifest = ValueOrDie(Manifest::Open(lake.root() + "/manifest.db", {}), "Manifest::Open");
  auto files = ValueOrDie(manifest->FilesOverlapping(dataset, slice.start, slice.end),
                          "Manifest::FilesOverlapping");
  *count = files.size();
  std::string list = "read_parquet([";
  for (size_t i = 0; i < files.size(); ++i) {
    list += (i ? ", " : "") + duck::QuoteLiteral(lake.root() + "/" + files[i].path);
  }
  return list + "])";
}

void PrintSide(const Side& side) {
  std::printf("    %-36s median %9.3f ms   p90 %9.3f ms   (%zu reads)\n", side.name.c_str(),
              Median(side.ms), Percentile(side.ms, 90), side.ms.size());
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-read-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf("read_bench: building a lake of %d symbol(s) x %d year(s) (%d-%d) of 1m klines%s\n",
              config.symbols, config.years, config.first_year, config.first_year + config.years - 1,
              config.symbols < kMaxSymbols ? " (--full: 20 symbols)" : "");
  std::printf("  threads=%d memory_limit=%s  load average %.2f  folder %s\n", config.threads,
              config.memory_limit.c_str(), load[0], scratch.path().c_str());

  RuntimeOptions runtime_options;
  runtime_options.lake = scratch.Sub("lake");
  runtime_options.flags = {{"memory_limit", config.memory_limit},
                           {"threads", std::to_string(config.threads)}};
  LakeOptions options;
  options.runtime = ValueOrDie(Runtime::Make(runtime_options), "Runtime::Make");
  auto lake = ValueOrDie(Lake::Init(scratch.Sub("lake"), options), "Lake::Init");
  const double t0 = NowSeconds();
  BuildLake(*lake, scratch, config);
  const double build_s = NowSeconds() - t0;
  auto summaries = ValueOrDie(lake->List(DatasetFilter{}), "Lake::List");
  int64_t files = 0, rows = 0, bytes = 0;
  for (const auto& s : summaries) {
    files += s.files;
    rows += s.rows;
    bytes += s.bytes;
  }
  std::printf("  built: %zu datasets, %s rows, %s files, %.1f MB in %.1f s (%s rows/s)\n\n",
              summaries.size(), Thousands(rows).c_str(), Thousands(files).c_str(),
              static_cast<double>(bytes) / 1e6, build_s,
              Thousands(static_cast<int64_t>(static_cast<double>(rows) / build_s)).c_str());

  duck::DatabaseOptions duck_options;
  duck_options.memory_limit = config.memory_limit;
  duck_options.threads = config.threads;
  duck_options.temp_directory = scratch.Sub("duck-tmp");
  auto db = ValueOrDie(duck::Database::Open("", duck_options), "duck::Database::Open");
  auto conn = ValueOrDie(duck::Connection::Open(*db), "duck::Connection::Open");

  const DatasetId dataset = Dataset(kSymbols[0]);
  // A full year that is not the last one held.
  const int year = config.years >= 2 ? config.first_year + config.years - 2 : config.first_year;
  const int64_t jun15 = DayStartMs(DayFromCivil(year, 6, 15));
  const int64_t jun1 = DayStartMs(DayFromCivil(year, 6, 1));
  const int64_t jul1 = DayStartMs(DayFromCivil(year, 7, 1));
  const int64_t jan1 = DayStartMs(DayFromCivil(year, 1, 1));
  const int64_t next_jan1 = DayStartMs(DayFromCivil(year + 1, 1, 1));
  std::vector<Slice> slices = {
      {"one day (" + FormatDay(DayOf(jun15)) + ")", jun15, jun15 + kMsPerDay, 1440, 300},
      {"one month (" + FormatDay(DayOf(jun1)).substr(0, 7) + ")", jun1, jul1,
       (jul1 - jun1) / kMsPerMinute, 100},
      {"one year (" + std::to_string(year) + ")", jan1, next_jan1,
       (next_jan1 - jan1) / kMsPerMinute, 20},
  };
  const std::string glob =
      "read_parquet(" +
      duck::QuoteLiteral(lake->root() + "/data/" + dataset.Path() + "/*/*/*/*.parquet") + ")";

  std::printf(
      "  reads of %s (warm cache; each side on an already-open Lake / DuckDB "
      "connection):\n",
      dataset.Path().c_str());
  std::vector<std::vector<double>> medians;  // per slice: lake, glob, exact
  for (const Slice& slice : slices) {
    const int64_t reps = config.reps > 0 ? config.reps : slice.max_reps;
    size_t needed = 0;
    const std::string exact = FileList(*lake, dataset, slice, &needed);
    const std::string exact_by_name = exact.substr(0, exact.size() - 1) + ", union_by_name = true)";
    std::vector<Side> sides = {
        {"lake Lake::Read", [&] { return LakeRead(*lake, dataset, slice); }, {}, {}},
        {"(a) duckdb glob over the symbol", [&] { return DuckRead(*conn, glob, slice); }, {}, {}},
        {"(b) duckdb exact file list", [&] { return DuckRead(*conn, exact, slice); }, {}, {}},
        {"(b') as (b), union_by_name = true",
         [&] { return DuckRead(*conn, exact_by_name, slice); },
         {},
         {}},
    };
    Measure(sides, reps, config.budget_s);
    std::printf("  %s: %s rows from %zu file(s)\n", slice.name.c_str(),
                Thousands(sides[0].result.rows).c_str(), needed);
    for (const Side& side : sides) PrintSide(side);
    std::printf("    lake vs (a) glob: %.1fx faster;  lake/(b) exact: %.2f;  lake/(b'): %.2f\n",
                Median(sides[1].ms) / Median(sides[0].ms),
                Median(sides[0].ms) / Median(sides[2].ms),
                Median(sides[0].ms) / Median(sides[3].ms));
    for (const Side& side : sides) {
      if (side.result.rows != slice.expected_rows || !(side.result == sides[0].result)) {
        throw Failure{slice.name + ": " + side.name + " returned " +
                      std::to_string(side.result.rows) + " rows (ts sum " +
                      std::to_string(side.result.ts_sum) + "), lake " +
                      std::to_string(sides[0].result.rows) + " (ts sum " +
                      std::to_string(sides[0].result.ts_sum) + "), expected " +
                      std::to_string(slice.expected_rows)};
      }
    }
    medians.push_back({Median(sides[0].ms), Median(sides[1].ms), Median(sides[2].ms)});
  }

  std::printf("\n  targets (medians):\n");
  char what[200];
  const double day_ms = medians[0][0];
  const double day_speedup = medians[0][1] / day_ms;
  const double year_ratio = medians[2][0] / medians[2][2];
  std::snprintf(what, sizeof(what), "one day: lake %.3f ms < %.0f ms", day_ms, kDayTargetMs);
  Target(day_ms < kDayTargetMs, what);
  std::snprintf(what, sizeof(what), "one day: lake %.1fx faster than the glob (>= %.0fx)",
                day_speedup, kDayTargetSpeedup);
  Target(day_speedup >= kDayTargetSpeedup, what);
  std::snprintf(what, sizeof(what), "one year: lake/exact-file DuckDB %.2f <= %.1f", year_ratio,
                kYearTargetRatio);
  Target(year_ratio <= kYearTargetRatio, what);
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--full", "--keep", "--help"},
              {"--symbols", "--threads", "--memory-limit", "--reps"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: read_bench [--quick | --full] [--symbols N] [--threads N] "
                 "[--memory-limit S] [--reps N] [--keep]\n"
                 "  default: 5 years x %d symbols; --full: 5 years x 20 symbols;\n"
                 "  --quick: 1 symbol x 1 year, few repetitions\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n", kDefaultSymbols);
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    const bool quick = flags.Has("--quick");
    config.symbols = flags.Has("--full") ? kMaxSymbols : quick ? 1 : kDefaultSymbols;
    config.symbols = static_cast<int>(flags.Int("--symbols", config.symbols));
    if (quick) {
      config.first_year = 2022;
      config.years = 1;
      config.reps = 20;
      config.budget_s = 1;
    }
    config.reps = flags.Int("--reps", config.reps);
    config.threads =
        static_cast<int>(flags.Int("--threads", std::max(1u, std::thread::hardware_concurrency())));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.keep = flags.Has("--keep");
    if (config.symbols < 1 || config.symbols > kMaxSymbols || config.threads < 1) {
      std::fprintf(stderr, "--symbols must be 1..20 and --threads positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "read_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
