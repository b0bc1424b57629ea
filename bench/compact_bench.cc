// compact_bench: reads of a year of candles before and after compaction (doc/maintain.md).
//
// Ingests a year (2023) of 1h klines and a year of 1d klines into one lake (365 day files per
// dataset), copies the lake, compacts the copy (12 month files per dataset, timed), then reads
// each year whole with Lake::Read from both lakes, taking turns read by read so that load from
// elsewhere on the machine hits both alike. Baseline: the read before compaction (the
// uncompacted lake). Both sides must return the same rows (count and sum of ts).
//
// Targets: a year of 1h and of 1d each reads from 12 files or fewer after compaction, and the
// compacted read is not slower than the baseline.
//
// Usage: compact_bench [--quick] [--reps N] [--keep]

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"

namespace dlake::bench {
namespace {

constexpr int64_t kStartMs = 1672531200000;  // 2023-01-01T00:00:00Z
constexpr int64_t kDays = 365;

struct Config {
  int64_t reps = 30;
  bool keep = false;
};

LakeOptions OwnRuntime(const std::string& dir) {
  RuntimeOptions options;
  options.lake = dir;
  LakeOptions lake_options;
  lake_options.runtime = ValueOrDie(Runtime::Make(options), "Runtime::Make");
  return lake_options;
}

DatasetId Dataset(const std::string& period) {
  return ValueOrDie(DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", "raw", period),
                    "DatasetId::Make");
}

void IngestYear(Lake& lake, const ScratchDir& scratch, const std::string& period, int64_t step) {
  const std::string csv = scratch.Sub("BTCUSDT-" + period + ".csv");
  (void)ValueOrDie(WriteKlineCsv(csv, kStartMs, step, kDays * kMsPerDay / step, 0, 7),
                   "writing CSV");
  IngestRequest request;
  request.sources = {csv};
  request.dataset = Dataset(period);
  IngestReport report = ValueOrDie(lake.Ingest(request), "Lake::Ingest");
  if (report.write.Count(DayAction::kCreated) != kDays) {
    throw Failure{"ingest of " + period + " created " +
                  std::to_string(report.write.Count(DayAction::kCreated)) + " day files"};
  }
}

// Reads the year; returns the rows, checks the sum of ts against `ts_sum` (0: sets it).
int64_t ReadYear(Lake& lake, const DatasetId& dataset, int64_t& ts_sum) {
  ReadRequest request;
  request.dataset = dataset;
  RecordBatch rows = ValueOrDie(lake.Read(request), "Lake::Read");
  int64_t sum = 0;
  for (int64_t ts : rows.columns.at(0).ints) sum += ts;
  if (ts_sum == 0) ts_sum = sum;
  if (sum != ts_sum) throw Failure{"the two lakes returned different rows"};
  return static_cast<int64_t>(rows.num_rows);
}

int64_t FileCount(Lake& lake, const DatasetId& dataset) {
  return static_cast<int64_t>(
      ValueOrDie(lake.ListFiles(DatasetFilter::Of(dataset)), "Lake::ListFiles").size());
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-compact-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  const std::string before_dir = scratch.Sub("before");
  const std::string after_dir = scratch.Sub("after");
  double t = NowSeconds();
  {
    auto lake = ValueOrDie(Lake::Init(before_dir, OwnRuntime(before_dir)), "Lake::Init");
    IngestYear(*lake, scratch, "1h", kMsPerHour);
    IngestYear(*lake, scratch, "1d", kMsPerDay);
  }
  std::filesystem::copy(before_dir, after_dir, std::filesystem::copy_options::recursive);
  std::printf(
      "compact_bench: a year (2023) of 1h and of 1d klines, 365 day files each (built in "
      "%.1f s), %lld reads per side\n",
      NowSeconds() - t, static_cast<long long>(config.reps));
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf("  load average %.2f  folder %s\n", load[0], scratch.path().c_str());

  auto before = ValueOrDie(Lake::Open(before_dir, OwnRuntime(before_dir)), "Lake::Open");
  auto after = ValueOrDie(Lake::Open(after_dir, OwnRuntime(after_dir)), "Lake::Open");
  std::vector<double> compact_s;
  for (const char* period : {"1h", "1d"}) {
    CompactRequest request;
    request.filter = DatasetFilter::Of(Dataset(period));
    t = NowSeconds();
    CompactReport report = ValueOrDie(after->Compact(request), "Lake::Compact");
    compact_s.push_back(NowSeconds() - t);
    if (report.Months() != 12)
      throw Failure{"compaction merged " + std::to_string(report.Months()) + " months"};
  }
  std::printf("  compaction: 1h %.3f s, 1d %.3f s (365 day files -> 12 month files each)\n\n",
              compact_s[0], compact_s[1]);
  std::printf("  %-22s %6s %8s %10s %10s %8s\n", "read of a year", "files", "rows", "best ms",
              "median ms", "vs base");
  bool all_pass = true;
  for (const char* period : {"1h", "1d"}) {
    const DatasetId dataset = Dataset(period);
    int64_t ts_sum = 0;
    const int64_t rows = ReadYear(*before, dataset, ts_sum);  // warm both caches
    if (ReadYear(*after, dataset, ts_sum) != rows) throw Failure{"row counts differ"};
    std::vector<double> base_ms, compact_ms;
    for (int64_t rep = 0; rep < config.reps; ++rep) {
      t = NowSeconds();
      ReadYear(*before, dataset, ts_sum);
      base_ms.push_back((NowSeconds() - t) * 1e3);
      t = NowSeconds();
      ReadYear(*after, dataset, ts_sum);
      compact_ms.push_back((NowSeconds() - t) * 1e3);
    }
    const int64_t files_before = FileCount(*before, dataset);
    const int64_t files_after = FileCount(*after, dataset);
    const double ratio = Median(base_ms) / Median(compact_ms);
    std::printf("  %-22s %6lld %8lld %10.2f %10.2f %8s\n",
                (std::string(period) + " before (baseline)").c_str(),
                static_cast<long long>(files_before), static_cast<long long>(rows), Min(base_ms),
                Median(base_ms), "1.00x");
    char speedup[32];
    std::snprintf(speedup, sizeof(speedup), "%.2fx", ratio);
    std::printf("  %-22s %6lld %8lld %10.2f %10.2f %8s\n",
                (std::string(period) + " after compaction").c_str(),
                static_cast<long long>(files_after), static_cast<long long>(rows), Min(compact_ms),
                Median(compact_ms), speedup);
    all_pass &= Target(files_after <= 12, std::string("a year of ") + period + " reads from " +
                                              std::to_string(files_after) + " files (<= 12)");
    all_pass &=
        Target(ratio >= 1.0, std::string("the compacted ") + period +
                                 " read is not slower than the baseline (" + speedup + " faster)");
  }
  std::printf("\n  %s\n", all_pass ? "all targets met" : "some targets missed");
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"}, {"--reps"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: compact_bench [--quick] [--reps N] [--keep]\n"
                 "  default: 30 reads per side; --quick: 3\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    config.reps = flags.Int("--reps", flags.Has("--quick") ? 3 : 30);
    config.keep = flags.Has("--keep");
    if (config.reps < 1) {
      std::fprintf(stderr, "--reps must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "compact_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
