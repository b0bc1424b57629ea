// download_bench: one year of 1-minute candles (525,600) for one symbol downloaded from the fake
// Binance USD-M server (testing/fake_exchange.h, real HTTP on 127.0.0.1) into a fresh lake with
// Lake::DownloadHistory, under the real request-weight limit scaled to a short window.
//
// Scaling: the real USD-M budget is 2400 weight per minute, i.e. 40 per second. The default
// keeps that rate but in 1 s windows (limit 40 per 1000 ms): a page of 499 candles costs 2, so
// the client (planning 95% of the budget) fetches 19 pages per window and the year's 1,054 pages
// need about 56 windows (~1 minute). The lake is much faster than 40 weight a second, so the
// limiter genuinely binds. --window-ms and --limit change the scaling.
//
// Reported: requests made, total weight, the share of the allowed weight used (total weight /
// (limit x windows the download spanned), and the peak window's weight / limit), the 429
// count, wall time, time spent waiting for the limiter (DownloadReport::waited_ms), and the
// lake's own overhead per 1,000 candles = (wall - waiting) / candles, against the baseline:
// the same pages (the exact targets the lake requested) fetched once from an unlimited fake
// with cpp-httplib, then only parsed with nlohmann::json into candle structs (best of 3).
// The stored candles are checked against FakeExchange::ExpectedCandles.
//
// Targets: weight share >= 90% (overall and peak window), 429s = 0. Exit 0 unless something
// fails outright (a download error, wrong data).
//
// Usage: download_bench [--quick] [--days N] [--window-ms N] [--limit N] [--keep]

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "testing/fake_exchange.h"

namespace dlake::bench {
namespace {

using ::dlake::testing::FakeExchange;
using ::dlake::testing::FakeExchangeOptions;
using ::dlake::testing::FakeMarket;

constexpr double kTargetShare = 0.90;
constexpr const char* kSymbol = "BTCUSDT";
constexpr const char* kDataset = "BINANCE/FUTURES/BTCUSDT/raw/1m";

struct Config {
  int64_t days = 365;
  int64_t window_ms = 1000;
  int64_t limit = 40;
  bool keep = false;
};

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// What the baseline parses a kline into: the fields the lake stores.
struct ParsedCandle {
  int64_t ts = 0, close_time = 0, trades = 0;
  double open = 0, high = 0, low = 0, close = 0, volume = 0, quote_volume = 0;
  double taker_buy_base = 0, taker_buy_quote = 0;
};

double Decimal(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string& s = v.get_ref<const std::string&>();
  double out = 0;
  std::from_chars(s.data(), s.data() + s.size(), out);
  return out;
}

// Parses one /fapi/v1/klines body; returns the candle count (the structs are kept in `out`).
size_t ParsePage(const std::string& body, std::vector<ParsedCandle>& out) {
  const nlohmann::json json = nlohmann::json::parse(body);
  out.clear();
  out.reserve(json.size());
  for (const auto& k : json) {
    ParsedCandle c;
    c.ts = k[0].get<int64_t>();
    c.open = Decimal(k[1]);
    c.high = Decimal(k[2]);
    c.low = Decimal(k[3]);
    c.close = Decimal(k[4]);
    c.volume = Decimal(k[5]);
    c.close_time = k[6].get<int64_t>();
    c.quote_volume = Decimal(k[7]);
    c.trades = k[8].get<int64_t>();
    c.taker_buy_base = Decimal(k[9]);
    c.taker_buy_quote = Decimal(k[10]);
    out.push_back(c);
  }
  return out.size();
}

// The stored candles equal the fake's closed candles of [start, end): checked by ts and
// close, 30 days at a time (bounded memory).
void CheckStored(Lake& lake, const FakeExchange& fake, int64_t start, int64_t end) {
  ReadRequest request;
  request.dataset = ValueOrDie(DatasetId::Make("BINANCE", "FUTURES", kSymbol, "raw", "1m"), "id");
  request.columns = {"ts", "close"};
  int64_t checked = 0;
  for (int64_t from = start; from < end; from += 30 * kMsPerDay) {
    const int64_t to = std::min(end, from + 30 * kMsPerDay);
    request.start = from;
    request.end = to;
    RecordBatch batch = ValueOrDie(lake.Read(request), "Lake::Read");
    auto want =
        ValueOrDie(fake.ExpectedCandles(FakeMarket::kBinanceUsdm, kSymbol, "1m", from, to - 1),
                   "ExpectedCandles");
    std::erase_if(want, [](const testing::FakeCandle& c) { return !c.closed; });
    if (batch.num_rows != want.size()) {
      throw Failure{"the lake holds " + std::to_string(batch.num_rows) + " candles in [" +
                    FormatTimestamp(from) + ", " + FormatTimestamp(to) + "), the exchange " +
                    std::to_string(want.size())};
    }
    for (size_t i = 0; i < want.size(); ++i) {
      if (batch.columns[0].ints[i] != want[i].open_time_ms ||
          batch.columns[1].doubles[i] != want[i].close) {
        throw Failure{"stored candle " + FormatTimestamp(batch.columns[0].ints[i]) +
                      " differs from the exchange's " + FormatTimestamp(want[i].open_time_ms)};
      }
    }
    checked += static_cast<int64_t>(want.size());
  }
  std::printf("  (checked: all %s stored candles equal the exchange's, in order, each once)\n",
              Thousands(checked).c_str());
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-download-bench"), "scratch folder");
  if (config.keep) scratch.Keep();

  FakeExchangeOptions options;
  options.binance_window_ms = config.window_ms;
  options.binance_usdm_weight_limit = config.limit;
  auto fake = ValueOrDie(FakeExchange::Start(options), "FakeExchange::Start");
  for (const char* var :
       {"DLAKE_BINANCE_SPOT_URL", "DLAKE_BINANCE_FUTURES_URL", "DLAKE_BYBIT_URL"}) {
    ::setenv(var, fake->base_url().c_str(), 1);
  }
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);

  // A closed past span ending at today's midnight (UTC).
  const int64_t end = DayStartMs(DayOf(WallMs()));
  const int64_t start = end - config.days * kMsPerDay;
  const int64_t candles = config.days * 1440;
  std::printf(
      "download_bench: %s 1m candles (%lld days) of %s from the fake Binance USD-M server\n"
      "  scaling: REQUEST_WEIGHT %lld per %lld ms window (real: 2400 per 60,000 ms = %.0f/s; "
      "here %.0f/s)\n",
      Thousands(candles).c_str(), static_cast<long long>(config.days), kSymbol,
      static_cast<long long>(config.limit), static_cast<long long>(config.window_ms), 2400.0 / 60,
      1000.0 * static_cast<double>(config.limit) / static_cast<double>(config.window_ms));

  auto lake = ValueOrDie(Lake::Init(scratch.Sub("lake"), LakeOptions{}), "Lake::Init");
  DownloadRequest request;
  request.exchange = "binance";
  request.symbols = {kSymbol};
  request.start = start;
  request.end = end;

  const int64_t wall_start = WallMs();
  const double t0 = NowSeconds();
  DownloadReport report = ValueOrDie(lake->DownloadHistory(request), "Lake::DownloadHistory");
  const double wall = NowSeconds() - t0;
  const int64_t wall_end = WallMs();

  const testing::FakeExchangeStats stats = fake->Stats();
  auto by_path = [&](const std::string& path) {
    auto it = stats.requests_by_path.find(path);
    return it == stats.requests_by_path.end() ? int64_t{0} : it->second;
  };
  if (report.datasets.size() != 1 || report.datasets[0].dataset.Path() != kDataset ||
      report.datasets[0].rows_written != candles) {
    throw Failure{"the download wrote " +
                  std::to_string(report.datasets.empty() ? 0 : report.datasets[0].rows_written) +
                  " candles, not " + std::to_string(candles)};
  }
  const int64_t windows = wall_end / config.window_ms - wall_start / config.window_ms + 1;
  const double allowed = static_cast<double>(config.limit) * static_cast<double>(windows);
  const double share = static_cast<double>(stats.binance_usdm_weight) / allowed;
  const double peak_share = static_cast<double>(stats.binance_usdm_peak_window_weight) /
                            static_cast<double>(config.limit);
  const double waited = static_cast<double>(report.waited_ms) / 1000.0;
  const double own = wall - waited;
  const double per_k = 1000.0 / static_cast<double>(candles);

  // Baseline: the same pages, fetched once from an unlimited fake, then parsed alone.
  std::vector<std::string> targets;
  for (const auto& t : stats.targets) {
    if (t.starts_with("/fapi/v1/klines")) targets.push_back(t);
  }
  FakeExchangeOptions unlimited;
  unlimited.binance_usdm_weight_limit = 1'000'000'000;
  auto plain = ValueOrDie(FakeExchange::Start(unlimited), "FakeExchange::Start (baseline)");
  httplib::Client client("127.0.0.1", plain->port());
  client.set_keep_alive(true);
  std::vector<std::string> bodies;
  bodies.reserve(targets.size());
  int64_t body_bytes = 0;
  std::vector<double> latencies;
  const double f0 = NowSeconds();
  for (const auto& target : targets) {
    const double r0 = NowSeconds();
    auto res = client.Get(target);
    latencies.push_back(NowSeconds() - r0);
    if (!res || res->status != 200) {
      throw Failure{"baseline GET " + target + " failed: " +
                    (res ? std::to_string(res->status) : httplib::to_string(res.error()))};
    }
    body_bytes += static_cast<int64_t>(res->body.size());
    bodies.push_back(std::move(res->body));
  }
  const double fetch = NowSeconds() - f0;
  std::vector<double> parse_runs;
  int64_t parsed = 0;
  std::vector<ParsedCandle> page;
  for (int run = 0; run < 3; ++run) {
    parsed = 0;
    const double p0 = NowSeconds();
    for (const auto& body : bodies) parsed += static_cast<int64_t>(ParsePage(body, page));
    parse_runs.push_back(NowSeconds() - p0);
  }
  const double parse = Min(parse_runs);
  if (parsed != candles) {
    throw Failure{"the baseline parsed " + std::to_string(parsed) + " candles, not " +
                  std::to_string(candles)};
  }

  std::printf(
      "\n  requests            %s at the server (%s klines, %s exchangeInfo); the "
      "download's client counted %s, %s retries\n",
      Thousands(stats.requests).c_str(), Thousands(by_path("/fapi/v1/klines")).c_str(),
      Thousands(by_path("/fapi/v1/exchangeInfo")).c_str(), Thousands(report.requests).c_str(),
      Thousands(report.retries).c_str());
  std::printf("  total weight        %s over %lld windows of %lld ms (allowed %s)\n",
              Thousands(stats.binance_usdm_weight).c_str(), static_cast<long long>(windows),
              static_cast<long long>(config.window_ms),
              Thousands(static_cast<int64_t>(allowed)).c_str());
  std::printf(
      "  weight share used   %.1f%% overall; peak window %lld / %lld = %.1f%% (client "
      "plans 95%%; its own peak %lld)\n",
      100 * share, static_cast<long long>(stats.binance_usdm_peak_window_weight),
      static_cast<long long>(config.limit), 100 * peak_share,
      static_cast<long long>(report.max_window_cost));
  std::printf("  429s                %lld (418s %lld); client rate_limited %lld\n",
              static_cast<long long>(stats.sent_429), static_cast<long long>(stats.sent_418),
              static_cast<long long>(report.rate_limited));
  std::printf("  wall time           %.2f s (%.0f candles/s)\n", wall,
              static_cast<double>(candles) / wall);
  std::printf("  waiting (limiter)   %.2f s (%.1f%% of wall)\n", waited, 100 * waited / wall);
  std::printf("  lake's own time     %.2f s = %.3f ms per 1,000 candles (fetch + parse + write)\n",
              own, 1000 * own * per_k);
  std::printf(
      "  baseline            %s pages, %.1f MB of JSON: fetch %.3f ms + parse %.3f ms per "
      "1,000 candles (parse best of 3)\n",
      Thousands(static_cast<int64_t>(bodies.size())).c_str(), static_cast<double>(body_bytes) / 1e6,
      1000 * fetch * per_k, 1000 * parse * per_k);
  std::printf(
      "  baseline GET        median %.2f ms, p90 %.2f ms, max %.2f ms per page (the fake's "
      "server-side Nagle + delayed ACK stalls show as ~40 ms)\n",
      1000 * Median(latencies), 1000 * Percentile(latencies, 90),
      1000 * Percentile(latencies, 100));
  std::printf(
      "  ratio               lake own / parse %.1f x; lake own / (fetch + parse) %.2f x; "
      "lake own - (fetch + parse) = %.3f ms per 1,000 candles (writes, bookkeeping)\n",
      own / parse, own / (fetch + parse), 1000 * (own - fetch - parse) * per_k);

  CheckStored(*lake, *fake, start, end);
  char what[200];
  std::snprintf(what, sizeof(what), "weight share used %.1f%% >= %.0f%%", 100 * share,
                100 * kTargetShare);
  Target(share >= kTargetShare, what);
  std::snprintf(what, sizeof(what),
                "peak window weight %.1f%% of the limit >= %.0f%% (and <= 100%%)", 100 * peak_share,
                100 * kTargetShare);
  Target(peak_share >= kTargetShare && peak_share <= 1.0, what);
  std::snprintf(what, sizeof(what), "429 responses %lld == 0",
                static_cast<long long>(stats.sent_429));
  Target(stats.sent_429 == 0 && stats.sent_418 == 0, what);
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"}, {"--days", "--window-ms", "--limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: download_bench [--quick] [--days N] [--window-ms N] [--limit N] "
                 "[--keep]\n"
                 "  default: 365 days (525,600 candles), weight limit 40 per 1000 ms window "
                 "(the real 2400/min rate); --quick: 30 days\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    config.days = flags.Int("--days", flags.Has("--quick") ? 30 : 365);
    config.window_ms = flags.Int("--window-ms", config.window_ms);
    config.limit = flags.Int("--limit", config.limit);
    config.keep = flags.Has("--keep");
    if (config.days < 1 || config.window_ms < 1000 || config.window_ms % 1000 != 0 ||
        config.limit < 2) {
      std::fprintf(stderr,
                   "--days must be positive, --window-ms a multiple of 1000 (exchangeInfo "
                   "states windows in whole seconds), --limit at least 2\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "download_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
