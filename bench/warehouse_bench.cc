// warehouse_bench: `dlake warehouse load` at production scale into both targets, beside a plain
// COPY of the same rows measured in the same run, and the original's Spark JDBC load times
// (cryptolakehouse §5: 10x ≈19–20 s, 5x ≈12–13 s, daily ≈19–21 s per group; Spark cannot run
// here, so those are the published figures).
//
// Scale (cryptolakehouse §5, as silver_bench): 5,000 listings, 816 exchanges (47 with assets,
// 4,000 wallet rows), 5,000 crypto_map/crypto_info rows, 280 categories, 23,000 category links,
// 500 days of fear & greed. Bronze comes from the lakehouse tests' generator, silver from
// TransformSilver.
//
// Per target (the embedded DuckDB file, then PostgreSQL 15 on a private cluster in a temporary
// folder, unix socket, fsync off as in the tests):
// 1. First load of an empty warehouse, group by group in the order of `all` (10x, daily,
//    weekly, 5x), then the two repair procedures (part of daily).
// 2. Steady state: --days new snapshots (transformed), each loaded group by group; median.
// 3. Baseline: the first snapshot's rows of every table, staged once, then COPY'd into tables
//    without keys (no upsert, no foreign-key check, no rejects, no metadata): the least any
//    bulk load pays. Reported per group beside the load, with the ratio.
// Target: every group under 2 s, first load and steady state.
//
// Usage: warehouse_bench [--quick] [--days N] [--no-postgres] [--keep]

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
#include "dlake/delta/table.h"
#include "dlake/lakehouse/transform.h"
#include "dlake/runtime/runtime.h"
#include "dlake/warehouse/json.h"
#include "dlake/warehouse/warehouse.h"
#include "lakehouse/bronze_fixture.h"
#include "testing/pg_cluster.h"
#include "warehouse/open_target.h"
#include "warehouse/schema.h"
#include "warehouse/stage.h"

namespace dlake::bench {
namespace {

using lakehouse::fixture::BronzeScale;
using warehouse::LoadReport;
using warehouse::WarehouseContext;

constexpr double kTargetSeconds = 2.0;
const char* const kGroups[] = {"10x", "daily", "weekly", "5x"};

struct Config {
  BronzeScale scale;
  int64_t days = 3;
  bool postgres = true;
  bool keep = false;
};

double OriginalSeconds(const std::string& group) {
  if (group == "daily") return 19.0;
  if (group == "5x") return 12.0;
  if (group == "10x") return 19.0;
  return 0.0;
}

struct Lake {
  std::string root;
  std::unique_ptr<Manifest> manifest;
  std::shared_ptr<Runtime> runtime;
  std::unique_ptr<lakehouse::fixture::BronzeWriter> bronze;
};

Lake MakeLake(const std::string& root) {
  std::filesystem::create_directories(root);
  Lake lake;
  lake.root = root;
  lake.manifest = ValueOrDie(
      Manifest::Open(root + "/manifest.db", Manifest::OpenOptions{.create = true}), "manifest");
  RuntimeOptions options;
  options.lake = root;
  options.flags = {{"threads", "2"}, {"memory_limit", "256MB"}};
  lake.runtime = ValueOrDie(Runtime::Make(options), "Runtime::Make");
  lake.bronze = ValueOrDie(lakehouse::fixture::BronzeWriter::Make(root, lake.manifest.get()),
                           "bronze writer");
  return lake;
}

void Snapshot(Lake& lake, const Config& config, int64_t day) {
  CheckOk(lake.bronze->WriteAll(config.scale, static_cast<int>(day), BronzeStampForDay(day)),
          "bronze");
  lakehouse::SilverContext ctx{lake.root, lake.runtime, lake.manifest.get()};
  auto report = ValueOrDie(lakehouse::TransformSilver(ctx, {"all"}), "transform");
  if (!report.ok()) throw Failure{"a silver transform failed"};
}

double LoadGroup(const WarehouseContext& ctx, const std::string& group, int64_t* rows) {
  const double start = NowSeconds();
  LoadReport report = ValueOrDie(warehouse::LoadWarehouse(ctx, {group, false}), group);
  const double seconds = NowSeconds() - start;
  if (!report.ok()) throw Failure{group + ": " + warehouse::ToJson(report, -1)};
  for (const auto& t : report.tables) *rows += t.rows_inserted + t.rows_updated;
  return seconds;
}

// The first snapshot's rows of each table COPY'd into key-less copies of the tables.
std::map<std::string, double> CopyBaseline(const Lake& lake, const WarehouseContext& ctx) {
  auto target = ValueOrDie(warehouse::OpenTarget(ctx), "baseline target");
  std::map<std::string, double> seconds;
  for (const auto& table : warehouse::WarehouseTables()) {
    const std::string copy = "baseline_" + table.name;
    const bool postgres = !ctx.url.empty();
    CheckOk(target
                ->Execute("DROP TABLE IF EXISTS " + copy + "; " +
                              (postgres ? "CREATE TABLE " + copy + " (LIKE " + table.name + ")"
                                        : "CREATE TABLE " + copy + " AS SELECT * FROM " +
                                              table.name + " LIMIT 0"),
                          "baseline table")
                .status(),
            "baseline table");
    delta::TableOptions options;
    options.runtime = lake.runtime;
    auto silver = ValueOrDie(
        delta::Table::Open(lake.root + "/data/silver/" + table.domain + "/" + table.name, options),
        table.name);
    warehouse::StageRequest stage;
    stage.table = &table;
    stage.version = ValueOrDie(silver->Describe(), "describe").version;
    stage.path = lake.root + "/baseline-" + table.name + (postgres ? ".csv" : ".parquet");
    ValueOrDie(warehouse::WriteStage(*silver, stage, target->dialect()), "stage");
    const double start = NowSeconds();
    std::vector<std::string> columns;
    for (const auto& column : table.columns) columns.push_back(column.name);
    ValueOrDie(target->CopyIn(copy, columns, stage.path), "COPY");
    seconds[table.name] = NowSeconds() - start;
  }
  return seconds;
}

int Run(const Config& config) {
  ScratchDir dir = ValueOrDie(ScratchDir::Make("warehouse_bench"), "scratch folder");
  if (config.keep) dir.Keep();
  std::printf("warehouse_bench: %s listings, %s exchanges, %s assets, %s links; %lld days\n",
              Thousands(config.scale.listings).c_str(), Thousands(config.scale.exchanges).c_str(),
              Thousands(config.scale.asset_rows).c_str(), Thousands(config.scale.links).c_str(),
              static_cast<long long>(config.days));
  std::unique_ptr<testing::PgCluster> cluster;
  if (config.postgres) {
    cluster = ValueOrDie(testing::PgCluster::Start(), "PostgreSQL cluster");
    CheckOk(cluster->CreateDatabase("crypto_dw"), "createdb");
  }
  bool pass = true;
  for (const bool postgres : {false, true}) {
    if (postgres && !cluster) continue;
    Lake lake = MakeLake(dir.Sub(postgres ? "postgres" : "embedded"));
    WarehouseContext ctx{lake.root, lake.runtime, postgres ? cluster->conninfo("crypto_dw") : ""};
    Snapshot(lake, config, 1);
    ValueOrDie(warehouse::InitWarehouse(ctx), "init");
    std::map<std::string, double> first;
    std::map<std::string, int64_t> first_rows;
    for (const char* group : kGroups) first[group] = LoadGroup(ctx, group, &first_rows[group]);
    std::map<std::string, double> baseline_by_table = CopyBaseline(lake, ctx);
    std::map<std::string, std::vector<double>> steady;
    for (int64_t day = 2; day <= config.days + 1; ++day) {
      Snapshot(lake, config, day);
      int64_t rows = 0;
      for (const char* group : kGroups) steady[group].push_back(LoadGroup(ctx, group, &rows));
    }
    std::printf("\n%s\n%-8s %10s %12s %14s %12s %10s %12s\n",
                postgres ? "PostgreSQL 15 (private cluster)" : "embedded DuckDB", "group", "rows",
                "first load", "plain COPY", "ratio", "steady med", "original");
    for (const char* group : kGroups) {
      double copy = 0;
      const std::vector<std::string> tables = warehouse::LoadGroupTables(group).value();
      for (const auto& name : tables) {
        copy += baseline_by_table[name];
      }
      const double median = Median(steady[group]);
      const double worst = *std::max_element(steady[group].begin(), steady[group].end());
      char original[32] = "-";
      if (OriginalSeconds(group) > 0) {
        std::snprintf(original, sizeof(original), "%.0f s", OriginalSeconds(group));
      }
      std::printf("%-8s %10s %10.3f s %12.3f s %11.1fx %8.3f s %12s\n", group,
                  Thousands(first_rows[group]).c_str(), first[group], copy,
                  copy > 0 ? first[group] / copy : 0.0, median, original);
      pass &= first[group] < kTargetSeconds && worst < kTargetSeconds;
    }
  }
  Target(pass,
         "every load group under 2 s on both targets, first load and steady state "
         "(original: 12-21 s)");
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--no-postgres", "--help"}, {"--days"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: warehouse_bench [--quick] [--days N] [--no-postgres] [--keep]\n"
                 "  default: production scale (5,000 listings, 816 exchanges, 23,000 links), "
                 "3 days\n"
                 "  --quick: a tenth of the scale, 1 day\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  spdlog::set_level(spdlog::level::warn);
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
      config.days = 1;
    }
    config.days = flags.Int("--days", config.days);
    config.postgres = !flags.Has("--no-postgres");
    config.keep = flags.Has("--keep");
    if (config.days < 1) {
      std::fprintf(stderr, "--days must be positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "warehouse_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
