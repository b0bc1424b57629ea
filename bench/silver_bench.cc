// silver_bench: the silver transforms (dlake::lakehouse::TransformSilver) at production scale,
// per group, against the times the original Spark jobs published (cryptolakehouse §5, README
// §12: transform 10x ≈19–20 s, 5x ≈12–13 s, daily ≈19 s on a local Spark; Spark cannot run here,
// so the baseline is those published figures, not a measurement of this run).
//
// Scale (the default, cryptolakehouse §5): 816 exchanges (47 with assets, 4,000 wallet rows),
// 5,000 crypto_map and crypto_info rows, 5,000 listings in 5 batch files, 280 categories, 23,000
// category links, 500 days of fear & greed. Bronze files are generated with DuckDB and
// registered in the manifest as the extract side does (src/lakehouse/bronze_fixture.h).
//
// 1. First run: every group once in the order of "all" (weekly, daily, 5x, 10x, init) on an
//    empty silver layer (tables are created).
// 2. Steady state: --days new extract runs (each a later UTC day, with changed attributes:
//    dimensions upsert a few rows, facts insert a snapshot), each followed by weekly, daily, 5x
//    and 10x. The median and the worst run per group are reported.
// 3. Nothing new: each group again without new bronze files (every table skipped).
// Target: every group under 1 s in the first run and in the steady state.
//
// Usage: silver_bench [--quick] [--days N] [--threads N] [--memory-limit S] [--keep]
// --quick (the ctest smoke run): a tenth of the scale, 2 days.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/time.h"
#include "dlake/lakehouse/transform.h"
#include "dlake/runtime/runtime.h"
#include "lakehouse/bronze_fixture.h"

namespace dlake::bench {
namespace {

using lakehouse::TransformReport;
using lakehouse::fixture::BronzeScale;

constexpr double kTargetSeconds = 1.0;
const char* const kGroups[] = {"weekly", "daily", "5x", "10x", "init"};

struct Config {
  BronzeScale scale;
  int64_t days = 5;
  int threads = 2;
  std::string memory_limit = "256MB";
  bool keep = false;
};

// The original's published transform time of a group, seconds (0: none published).
double OriginalSeconds(const std::string& group) {
  if (group == "daily") return 19.0;
  if (group == "5x") return 12.0;
  if (group == "10x") return 19.0;
  return 0.0;
}

struct Lake {
  std::unique_ptr<Manifest> manifest;
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<lakehouse::fixture::BronzeWriter> bronze;
  lakehouse::SilverContext context;
};

Lake MakeLake(const Config& config, const std::string& root) {
  Lake lake;
  lake.manifest = ValueOrDie(
      Manifest::Open(root + "/manifest.db", Manifest::OpenOptions{.create = true}), "manifest");
  RuntimeOptions options;
  options.lake = root;
  options.flags = {{"threads", std::to_string(config.threads)},
                   {"memory_limit", config.memory_limit}};
  lake.runtime = ValueOrDie(Runtime::Make(options), "Runtime::Make");
  lake.bronze = ValueOrDie(lakehouse::fixture::BronzeWriter::Make(root, lake.manifest.get()),
                           "bronze writer");
  lake.context = lakehouse::SilverContext{root, lake.runtime, lake.manifest.get()};
  return lake;
}

// Runs one group; returns its wall time. Any failed table ends the benchmark.
double RunGroup(Lake& lake, const std::string& group, int* committed) {
  const double start = NowSeconds();
  TransformReport report = ValueOrDie(
      lakehouse::TransformSilver(lake.context, lakehouse::TransformRequest{group}), group);
  const double seconds = NowSeconds() - start;
  for (const auto& table : report.tables) {
    if (table.status == "failed") {
      throw Failure{group + ": " + table.domain + "/" + table.table + " failed: " + table.error};
    }
    if (committed && table.committed) ++*committed;
  }
  return seconds;
}

int Run(const Config& config) {
  ScratchDir dir = ValueOrDie(ScratchDir::Make("silver_bench"), "scratch folder");
  if (config.keep) dir.Keep();
  Lake lake = MakeLake(config, dir.path());
  std::printf(
      "silver_bench: %s listings, %s exchanges, %s assets, %s links; %lld days; "
      "%d threads, %s\n",
      Thousands(config.scale.listings).c_str(), Thousands(config.scale.exchanges).c_str(),
      Thousands(config.scale.asset_rows).c_str(), Thousands(config.scale.links).c_str(),
      static_cast<long long>(config.days), config.threads, config.memory_limit.c_str());

  std::map<std::string, double> first;
  std::map<std::string, std::vector<double>> steady;
  std::map<std::string, double> idle;
  CheckOk(lake.bronze->WriteAll(config.scale, 0, BronzeStampForDay(1)), "bronze, day 1");
  int committed = 0;
  for (const char* group : kGroups) first[group] = RunGroup(lake, group, &committed);
  for (int64_t day = 2; day <= config.days + 1; ++day) {
    CheckOk(lake.bronze->WriteAll(config.scale, static_cast<int>(day), BronzeStampForDay(day)),
            "bronze");
    for (const char* group : kGroups) {
      if (std::string(group) == "init") continue;  // the history loads once
      steady[group].push_back(RunGroup(lake, group, &committed));
    }
  }
  for (const char* group : kGroups) idle[group] = RunGroup(lake, group, nullptr);

  std::printf("\n%-8s %12s %14s %12s %14s %12s %10s\n", "group", "first run", "steady median",
              "steady max", "nothing new", "original", "speedup");
  bool pass = true;
  for (const char* group : kGroups) {
    const auto& samples = steady[group];
    const double median = samples.empty() ? 0.0 : Median(samples);
    const double worst = samples.empty() ? 0.0 : *std::max_element(samples.begin(), samples.end());
    const double original = OriginalSeconds(group);
    char speedup[32] = "-";
    if (original > 0 && median > 0)
      std::snprintf(speedup, sizeof(speedup), "%.0fx", original / median);
    char original_text[32] = "-";
    if (original > 0) std::snprintf(original_text, sizeof(original_text), "%.0f s", original);
    char steady_text[2][32] = {"-", "-"};
    if (!samples.empty()) {
      std::snprintf(steady_text[0], sizeof(steady_text[0]), "%.3f s", median);
      std::snprintf(steady_text[1], sizeof(steady_text[1]), "%.3f s", worst);
    }
    std::printf("%-8s %10.3f s %14s %12s %12.3f s %12s %10s\n", group, first[group], steady_text[0],
                steady_text[1], idle[group], original_text, speedup);
    pass &= first[group] < kTargetSeconds && worst < kTargetSeconds;
  }
  std::printf("\n%d commits in all.\n", committed);
  Target(pass, "every group under 1 s, first run and steady state (original: 12-20 s)");
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"},
              {"--days", "--threads", "--memory-limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: silver_bench [--quick] [--days N] [--threads N] [--memory-limit S] "
                 "[--keep]\n"
                 "  default: production scale (5,000 listings, 816 exchanges, 23,000 links), "
                 "5 days\n"
                 "  --quick: a tenth of the scale, 2 days\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);  // one info line per table would drown the figures
  try {
    Config config;
    if (flags.Has("--quick")) {
      BronzeScale& s = config.scale;
      s.exchanges = 82;
      s.exchanges_with_assets = 5;
      s.asset_rows = 400;
      s.cryptos = 500;
      s.listings = 500;
      s.categories = 28;
      s.links = 2300;
      s.fear_greed_days = 50;
      config.days = 2;
    }
    config.days = flags.Int("--days", config.days);
    config.threads = static_cast<int>(
        flags.Int("--threads", std::max(1u, std::min(2u, std::thread::hardware_concurrency()))));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.keep = flags.Has("--keep");
    if (config.days < 1 || config.threads < 1) {
      std::fprintf(stderr, "--days and --threads must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "silver_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
