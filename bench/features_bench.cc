// features_bench: the point-in-time join (`dlake read --with-features`, Lake::ReadWithFeatures)
// against one hand-written DuckDB ASOF JOIN over the same Parquet files.
//
// Ingests a year (2023, 525,600 rows) of 1m klines into a fresh lake (365 day files) and
// uploads with Lake::UploadFeature a feature set "alpha" version 1.0.0 for the same symbol: one
// row per 5 minutes (105,120 rows, ts and three DOUBLE columns; the lake stores them as 12 month
// files). Then reads the whole year joined with the feature set, each read materialised into one
// RecordBatch:
//   lake     Lake::ReadWithFeatures, no tolerance;
//   lake+tol the same with a tolerance of 5 minutes (a CASE per feature column; information,
//            no target: every feature row is within it, so the rows are the same);
//   duckdb   the baseline, one query over exactly the manifest's files of both datasets,
//              SELECT c.*, f.* FROM read_parquet([candle files]) c
//              ASOF LEFT JOIN read_parquet([feature files]) f ON c.ts >= f.ts ORDER BY c.ts
//            run on the lake's own DuckDB (the runtime's: same threads, memory limit and
//            buffer pool) and turned into a RecordBatch by the library's conversion
//            (duck::StreamBatches), so both sides pay the same conversion.
// Caches are warm (one untimed read each); the sides take turns read by read. Every read must
// return every candle, and the sum of candle ts plus the joined feature ts must equal the
// point-in-time answer (each candle gets the row of its 5-minute bucket, never a later one).
//
// Target: lake/duckdb <= 1.5 (medians).
//
// Usage: features_bench [--quick] [--days N] [--reps N] [--threads N] [--memory-limit S]
//                       [--keep]

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "duck/batch_stream.h"
#include "duck/duck.h"
#include "runtime/runtime_impl.h"

namespace dlake::bench {
namespace {

constexpr int64_t kStartMs = 1672531200000;  // 2023-01-01T00:00:00Z
constexpr int64_t kFeatureStepMs = 5 * kMsPerMinute;
constexpr int64_t kToleranceMs = 5 * kMsPerMinute;
constexpr double kTargetRatio = 1.5;
constexpr const char* kFeatureSet = "alpha";
constexpr const char* kVersion = "1.0.0";

struct Config {
  int64_t days = 365;
  int64_t reps = 10;
  int threads = 0;
  std::string memory_limit = "256MB";  // the library default
  bool keep = false;
};

DatasetId Source() {
  return ValueOrDie(DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", "raw", "1m"), "DatasetId::Make");
}

// A feature CSV with a header: ts (epoch ms) every 5 minutes and three DOUBLE columns (a
// seeded random walk, its square and a slow sine), as an indicator pipeline would write.
void WriteFeatureCsv(const std::string& path, int64_t rows) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) throw Failure{"cannot create '" + path + "'"};
  std::fputs("ts,momentum,momentum_sq,cycle\n", out);
  uint64_t state = 42;
  double momentum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    momentum += static_cast<double>(state >> 40) / static_cast<double>(1 << 24) - 0.5;
    const long long ts = kStartMs + i * kFeatureStepMs;
    std::fprintf(out, "%lld,%.6f,%.6f,%.6f\n", ts, momentum, momentum * momentum,
                 std::sin(static_cast<double>(i) / 288.0));
  }
  if (std::fclose(out) != 0) throw Failure{"cannot write '" + path + "'"};
}

// read_parquet([...]) over a dataset's files, as the manifest lists them (in day order).
std::string ParquetOf(Lake& lake, const DatasetId& dataset, size_t* count) {
  auto files = ValueOrDie(lake.ListFiles(DatasetFilter::Of(dataset)), "Lake::ListFiles");
  *count = files.size();
  std::string list;
  for (const auto& f : files) {
    list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(lake.root() + "/" + f.path);
  }
  return "read_parquet([" + list + "])";
}

// The rows, and the sum of the candle ts (column 0) and of the joined feature ts (the next
// column named "ts" or "<set>.ts"; NULL counts 0). Sums wrap rather than overflow.
ReadResult Summarise(const RecordBatch& batch) {
  const Column* feature_ts = nullptr;
  for (size_t c = 1; c < batch.columns.size() && feature_ts == nullptr; ++c) {
    const std::string& name = batch.columns[c].name;
    if (name == "ts" || name.ends_with(".ts")) feature_ts = &batch.columns[c];
  }
  if (batch.columns.empty() || batch.columns[0].name != "ts" || feature_ts == nullptr) {
    throw Failure{"the joined batch has no candle ts first or no feature ts"};
  }
  uint64_t sum = 0;
  for (int64_t v : batch.columns[0].ints) sum += static_cast<uint64_t>(v);
  for (size_t r = 0; r < feature_ts->ints.size(); ++r) {
    if (feature_ts->valid[r]) sum += static_cast<uint64_t>(feature_ts->ints[r]);
  }
  return ReadResult{static_cast<int64_t>(batch.num_rows), static_cast<int64_t>(sum)};
}

// What every read must return: each candle, and the feature row of its 5-minute bucket.
ReadResult Expected(int64_t days) {
  uint64_t sum = 0;
  for (int64_t i = 0; i < days * 1440; ++i) {
    const int64_t ts = kStartMs + i * kMsPerMinute;
    sum += static_cast<uint64_t>(ts) + static_cast<uint64_t>(ts - ts % kFeatureStepMs);
  }
  return ReadResult{days * 1440, static_cast<int64_t>(sum)};
}

ReadResult LakeJoin(Lake& lake, int64_t days, int64_t tolerance_ms) {
  PointInTimeRequest request;
  request.candles.dataset = Source();
  request.candles.start = kStartMs;
  request.candles.end = kStartMs + days * kMsPerDay;
  request.features = {FeatureRef{kFeatureSet, kVersion}};
  request.tolerance_ms = tolerance_ms;
  return Summarise(ValueOrDie(lake.ReadWithFeatures(request), "Lake::ReadWithFeatures"));
}

// The baseline on the runtime's DuckDB, converted as the library converts its reads.
ReadResult DuckJoin(duck::Database& db, const std::string& sql) {
  auto conn = ValueOrDie(duck::Connection::Open(db), "duck::Connection::Open");
  auto result = ValueOrDie(conn->Query(sql, "baseline ASOF JOIN"), "baseline ASOF JOIN");
  RecordBatch all;
  CheckOk(duck::StreamBatches(result, /*materialized=*/true, SIZE_MAX,
                              [&](RecordBatch& batch) {
                                all = std::move(batch);
                                return Status::Ok();
                              }),
          "converting the baseline result");
  return Summarise(all);
}

// Ingests the candles and uploads the feature set; returns the feature version's dataset.
DatasetId BuildLake(Lake& lake, const ScratchDir& scratch, const Config& config) {
  const int64_t rows = config.days * 1440;
  const std::string csv = scratch.Sub("BTCUSDT-1m.csv");
  (void)ValueOrDie(WriteKlineCsv(csv, kStartMs, kMsPerMinute, rows, 0, 1), "writing CSV");
  IngestRequest ingest;
  ingest.sources = {csv};
  ingest.dataset = Source();
  IngestReport ingested = ValueOrDie(lake.Ingest(ingest), "Lake::Ingest");
  RemoveTree(csv);
  if (ingested.rows_read != rows) {
    throw Failure{"ingest read " + std::to_string(ingested.rows_read) + " of " +
                  std::to_string(rows) + " rows"};
  }
  const std::string features_csv = scratch.Sub("alpha.csv");
  const int64_t feature_rows = config.days * kMsPerDay / kFeatureStepMs;
  WriteFeatureCsv(features_csv, feature_rows);
  FeatureUploadRequest upload;
  upload.path = features_csv;
  upload.exchange = "BINANCE";
  upload.symbol = "BTCUSDT";
  upload.market = "SPOT";
  upload.feature_set = kFeatureSet;
  upload.version = kVersion;
  upload.code_ref = "bench/features_bench.cc";
  upload.sources = {Source().Path()};
  FeatureUploadReport uploaded = ValueOrDie(lake.UploadFeature(upload), "Lake::UploadFeature");
  RemoveTree(features_csv);
  if (uploaded.version.rows != feature_rows) {
    throw Failure{"the upload stored " + std::to_string(uploaded.version.rows) + " of " +
                  std::to_string(feature_rows) + " feature rows"};
  }
  return uploaded.version.dataset;
}

void PrintRow(const Side& side, const std::string& vs) {
  std::printf("  %-40s %10.3f %10.3f %10s %10zu\n", side.name.c_str(), Min(side.ms) / 1e3,
              Median(side.ms) / 1e3, vs.c_str(), side.ms.size());
}

std::string Ratio(double r) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fx", r);
  return buf;
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-features-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  RuntimeOptions runtime_options;
  runtime_options.lake = scratch.Sub("lake");
  runtime_options.flags = {{"memory_limit", config.memory_limit},
                           {"threads", std::to_string(config.threads)}};
  LakeOptions options;
  options.runtime = ValueOrDie(Runtime::Make(runtime_options), "Runtime::Make");
  auto lake = ValueOrDie(Lake::Init(scratch.Sub("lake"), options), "Lake::Init");
  const double t0 = NowSeconds();
  const DatasetId feature_dataset = BuildLake(*lake, scratch, config);
  size_t candle_files = 0, feature_files = 0;
  const std::string candles = ParquetOf(*lake, Source(), &candle_files);
  const std::string features = ParquetOf(*lake, feature_dataset, &feature_files);
  const std::string baseline = "SELECT c.*, f.* FROM " + candles + " c ASOF LEFT JOIN " + features +
                               " f ON c.ts >= f.ts ORDER BY c.ts";

  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf(
      "features_bench: %s candles (%lld days of 1m from 2023-01-01, %zu files) joined with %s "
      "feature rows (one per 5m, 3 DOUBLE columns, %zu files); built in %.1f s\n",
      Thousands(config.days * 1440).c_str(), static_cast<long long>(config.days), candle_files,
      Thousands(config.days * kMsPerDay / kFeatureStepMs).c_str(), feature_files,
      NowSeconds() - t0);
  std::printf("  threads=%d memory_limit=%s reads<=%lld per side  load average %.2f  folder %s\n",
              config.threads, config.memory_limit.c_str(), static_cast<long long>(config.reps),
              load[0], scratch.path().c_str());
  std::fflush(stdout);

  duck::Database& db = RuntimeDuck(*options.runtime);
  std::vector<Side> sides = {
      {"lake ReadWithFeatures", [&] { return LakeJoin(*lake, config.days, -1); }, {}, {}},
      {"duckdb ASOF LEFT JOIN (baseline)", [&] { return DuckJoin(db, baseline); }, {}, {}},
      {"lake ReadWithFeatures --tolerance 5m",
       [&] { return LakeJoin(*lake, config.days, kToleranceMs); },
       {},
       {}},
  };
  Measure(sides, config.reps, kNoBudget);
  const ReadResult expected = Expected(config.days);
  for (const Side& side : sides) {
    if (!(side.result == expected)) {
      throw Failure{side.name + " returned " + std::to_string(side.result.rows) + " rows (ts sum " +
                    std::to_string(side.result.ts_sum) + "), expected " +
                    std::to_string(expected.rows) + " (ts sum " + std::to_string(expected.ts_sum) +
                    ")"};
    }
  }

  const double ratio = Median(sides[0].ms) / Median(sides[1].ms);
  const double best_ratio = Min(sides[0].ms) / Min(sides[1].ms);
  const double tolerance_ratio = Median(sides[2].ms) / Median(sides[1].ms);
  std::printf("\n  %-40s %10s %10s %10s %10s\n", "point-in-time join, whole range", "best s",
              "median s", "vs duckdb", "reads");
  PrintRow(sides[0], Ratio(ratio));
  PrintRow(sides[1], "1.00x");
  PrintRow(sides[2], Ratio(tolerance_ratio));
  std::printf("  (ratios: lake/duckdb, median/median; best/best %.2f)\n\n", best_ratio);
  char what[160];
  std::snprintf(what, sizeof(what), "point-in-time join: lake/duckdb %.2f <= %.1f", ratio,
                kTargetRatio);
  const bool pass = Target(ratio <= kTargetRatio, what);
  std::printf(
      "  (checked: every read returned all %s candles, each joined with the feature row of its "
      "own 5-minute bucket, never a later one)\n",
      Thousands(expected.rows).c_str());
  std::printf("\n  %s\n", pass ? "all targets met" : "some targets missed");
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"},
              {"--days", "--reps", "--threads", "--memory-limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: features_bench [--quick] [--days N] [--reps N] [--threads N] "
                 "[--memory-limit S] [--keep]\n"
                 "  default: 365 days (525,600 candles, 105,120 feature rows), 10 reads per side;"
                 "\n  --quick: 10 days, 3 reads\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    const bool quick = flags.Has("--quick");
    config.days = flags.Int("--days", quick ? 10 : 365);
    config.reps = flags.Int("--reps", quick ? 3 : 10);
    config.threads =
        static_cast<int>(flags.Int("--threads", std::max(1u, std::thread::hardware_concurrency())));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.keep = flags.Has("--keep");
    if (config.days < 1 || config.reps < 1 || config.threads < 1) {
      std::fprintf(stderr, "--days, --reps and --threads must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "features_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
