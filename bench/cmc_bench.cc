// cmc_bench: the CoinMarketCap pipeline at full scale against the fake CoinMarketCap
// (testing/fake_cmc.h, real HTTP on 127.0.0.1): `extract --group init` into a fresh lake, then
// each transform group (weekly, daily, 5x, 10x, init: the order of `--group all`), then a second
// snapshot (a new revision an hour later: the 5x and 10x extracts again) and its transforms,
// which merge into tables that already hold the first.
//
// Scale (defaults of FakeCmcOptions): 5,200 cryptocurrencies, 816 exchanges (50 with wallets),
// 280 categories (~23,000 links), 500 days of fear and greed.
//
// Reported: the extract's wall time and requests, against its baseline measured in the same
// run: the same request targets fetched once more with cpp-httplib and only parsed with
// nlohmann::json (best of 3); then each transform group's wall time and rows, beside the
// original's Spark job times (cryptolakehouse.md §5: 12-20 s per group).
//
// Target: every transform group under 1 s. Exit 0 unless something fails outright.
//
// Usage: cmc_bench [--quick] [--keep]

#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dlake/lake.h"
#include "testing/fake_cmc.h"

namespace dlake::bench {
namespace {

using ::dlake::testing::FakeCmc;
using ::dlake::testing::FakeCmcOptions;

constexpr double kTargetSeconds = 1.0;

// The targets fetched again and only parsed: what any client must at least spend.
double FetchOnlySeconds(const FakeCmc& fake, const std::vector<std::string>& targets) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    httplib::Client client("127.0.0.1", fake.port());
    client.set_keep_alive(true);
    httplib::Headers headers = {{"X-CMC_PRO_API_KEY", fake.options().api_key}};
    const double start = NowSeconds();
    for (const auto& target : targets) {
      auto response = client.Get(target, headers);
      if (!response || response->status != 200) continue;
      auto json = nlohmann::json::parse(response->body, nullptr, false);
      if (json.is_discarded()) return -1;
    }
    best = std::min(best, NowSeconds() - start);
  }
  return best;
}

struct GroupTime {
  std::string group;
  double seconds = 0;
  int64_t tables = 0, rows = 0, committed = 0;
  bool ok = false;
};

Result<GroupTime> TimeTransform(Lake& lake, const std::string& group) {
  GroupTime t;
  t.group = group;
  const double start = NowSeconds();
  DLAKE_ASSIGN_OR_RETURN(auto report, lake.TransformCmc({group}));
  t.seconds = NowSeconds() - start;
  t.ok = report.ok();
  for (const auto& table : report.tables) {
    ++t.tables;
    t.rows += table.record_count;
    t.committed += table.committed ? 1 : 0;
    if (table.status == "failed") {
      std::fprintf(stderr, "  %s/%s failed: %s\n", table.domain.c_str(), table.table.c_str(),
                   table.error.c_str());
    }
  }
  return t;
}

int Run(int argc, char** argv) {
  Flags flags(argc, argv, {"--quick", "--keep"}, {});
  if (!flags.ok()) {
    std::fprintf(stderr, "cmc_bench: %s\n", flags.error().c_str());
    return 2;
  }
  FakeCmcOptions options;
  if (flags.Has("--quick")) {
    options.cryptos = 600;
    options.exchanges = 80;
    options.exchanges_with_assets = 8;
    options.categories = 20;
    options.fear_greed_days = 60;
  }
  auto fake = FakeCmc::Start(options);
  if (!fake.ok()) {
    std::fprintf(stderr, "cmc_bench: %s\n", fake.status().ToString().c_str());
    return 1;
  }
  auto scratch = ScratchDir::Make("cmc_bench");
  if (!scratch.ok()) return 1;
  if (flags.Has("--keep")) scratch->Keep();
  ::setenv("CMC_API_KEY", (*fake)->options().api_key.c_str(), 1);
  RuntimeOptions runtime_options;
  runtime_options.lake = scratch->Sub("lake");
  runtime_options.flags = {{"cmc.url", (*fake)->base_url()},
                           {"cmc.requests_per_minute", "1000000"},
                           {"retry_base_ms", "10"}};
  auto runtime = Runtime::Make(runtime_options);
  if (!runtime.ok()) {
    std::fprintf(stderr, "cmc_bench: %s\n", runtime.status().ToString().c_str());
    return 1;
  }
  auto opened = Lake::Init(runtime_options.lake, {.runtime = *runtime});
  if (!opened.ok()) {
    std::fprintf(stderr, "cmc_bench: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  Lake& l = **opened;

  std::printf(
      "cmc_bench: fake CoinMarketCap with %d cryptocurrencies, %d exchanges, %d "
      "categories, %d days of fear and greed\n",
      options.cryptos, options.exchanges, options.categories, options.fear_greed_days);
  const double start = NowSeconds();
  auto extract = l.ExtractCmc({"init", {}});
  const double extract_s = NowSeconds() - start;
  if (!extract.ok() || !extract->ok()) {
    std::fprintf(
        stderr, "cmc_bench: extract failed: %s\n",
        extract.ok() ? cmc::ToJson(*extract).c_str() : extract.status().ToString().c_str());
    return 1;
  }
  const double fetch_s = FetchOnlySeconds(**fake, (*fake)->Stats().targets);
  std::printf("\nextract --group init: %.2f s, %lld requests, %lld credits\n", extract_s,
              static_cast<long long>(extract->requests), static_cast<long long>(extract->credits));
  std::printf(
      "  baseline (the same requests fetched and parsed only, best of 3): %.2f s; "
      "extract / baseline = %.2fx\n",
      fetch_s, extract_s / fetch_s);

  std::printf("\n%-28s %9s %7s %9s %10s %12s %s\n", "transform", "seconds", "tables", "rows",
              "committed", "original", "target < 1 s");
  bool all_ok = true;
  auto report = [&](const std::string& label, const GroupTime& t) {
    std::printf("%-28s %9.3f %7lld %9lld %10lld %12s %s\n", label.c_str(), t.seconds,
                static_cast<long long>(t.tables), static_cast<long long>(t.rows),
                static_cast<long long>(t.committed), "12-20 s",
                t.seconds < kTargetSeconds ? "PASS" : "MISS");
    all_ok = all_ok && t.ok;
  };
  for (const std::string group : {"weekly", "daily", "5x", "10x", "init"}) {
    auto t = TimeTransform(l, group);
    if (!t.ok()) {
      std::fprintf(stderr, "cmc_bench: transform %s: %s\n", group.c_str(),
                   t.status().ToString().c_str());
      return 1;
    }
    report(group + " (first snapshot)", *t);
  }
  // A second snapshot an hour later, merged into tables that hold the first.
  (*fake)->SetNow((*fake)->Now() + 3'600'000);
  if (!(*fake)->SetRevision(1).ok()) return 1;
  auto again = l.ExtractCmc({"",
                             {"crypto_listings_latest", "crypto_categories",
                              "global_metrics_quotes_latest", "fear_and_greed_latest"}});
  if (!again.ok() || !again->ok()) return 1;
  for (const std::string group : {"5x", "10x"}) {
    auto t = TimeTransform(l, group);
    if (!t.ok()) return 1;
    report(group + " (second snapshot)", *t);
  }
  // Nothing new: every table is skipped.
  auto t = TimeTransform(l, "all");
  if (!t.ok()) return 1;
  report("all (nothing new)", *t);
  if (!all_ok) {
    std::fprintf(stderr, "cmc_bench: a transform group reported failed tables\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) { return dlake::bench::Run(argc, argv); }
