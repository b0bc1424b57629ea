// `dlake aggregate`, `dlake read --timeframe` and `dlake ingest --aggregate` through the real
// binary (doc/aggregate.md): the JSON reports, incremental re-runs that rebuild nothing, stored
// and on-the-fly candles identical byte for byte, dry runs that write nothing, clear errors, and
// `dlake delete --data-type agg` that leaves the raw candles alone.

#include <filesystem>
#include <set>

#include "dlake/common/time.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

nlohmann::json ParseJson(const ProcessResult& r) {
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << Describe(r);
  return json;
}

// `dlake --lake LAKE args...`, asserting exit 0; its stdout parsed as JSON.
nlohmann::json DlakeJson(const std::string& lake, const std::vector<std::string>& args) {
  ProcessResult r = Dlake(lake, args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return ParseJson(r);
}

std::vector<std::string> AggregateArgs(const std::string& to) {
  return {"aggregate", "--exchange", kExchange, "--symbol", kSymbol, "--to", to, "--json"};
}

std::string ReadCsv(const std::string& lake, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"read",  "--exchange", kExchange, "--symbol",
                                   kSymbol, "--format",   "csv"};
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = Dlake(lake, args);
  EXPECT_EQ(r.exit_code, 0) << Describe(r);
  return r.out;
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

TEST(AggregateProcessTest, IngestAggregateReadDryRunAndDeleteOfAggregates) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  const std::string agg_dir = lake + "/data/BINANCE/FUTURES/BTCUSDT/agg";
  InitLake(lake);

  // ---- ingest --aggregate 1h --json: three closed days, three aggregated days.
  std::vector<std::string> ingest =
      IngestArgs(lake, WriteKlines(tmp.Join("d0.csv"), Klines(0, 3, 42000, 7)));
  ingest.insert(ingest.end(), {"--aggregate", "1h", "--json"});
  ProcessResult ingested = RunDlakeWith(ingest);
  ASSERT_EQ(ingested.exit_code, 0) << Describe(ingested);
  nlohmann::json report = ParseJson(ingested);
  ASSERT_EQ(report["aggregated"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["aggregated"][0]["dataset"], "BINANCE/FUTURES/BTCUSDT/agg/1h");
  EXPECT_EQ(report["aggregated"][0]["source"], "BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(report["aggregated"][0]["days_rebuilt"], 3);
  EXPECT_EQ(report["aggregated"][0]["candles"], 72);
  // January 2024 is a closed month: its three days go into one month file.
  EXPECT_EQ(report["aggregated"][0]["files_created"], 1);

  // ---- dlake aggregate --to 15m,1d: both targets built for every day.
  nlohmann::json built = DlakeJson(lake, AggregateArgs("15m,1d"));
  EXPECT_EQ(built["dry_run"], false);
  ASSERT_EQ(built["targets"].size(), 2u) << built.dump(2);
  EXPECT_EQ(built["targets"][0]["dataset"], "BINANCE/FUTURES/BTCUSDT/agg/15m");
  EXPECT_EQ(built["targets"][0]["candles"], 3 * 96);
  EXPECT_EQ(built["targets"][1]["dataset"], "BINANCE/FUTURES/BTCUSDT/agg/1d");
  EXPECT_EQ(built["targets"][1]["candles"], 3);
  for (const auto& t : built["targets"]) {
    EXPECT_EQ(t["days_rebuilt"], 3) << t.dump();
    EXPECT_EQ(t["files_created"], 1) << t.dump();
  }

  // ---- A second run, the ingest's 1h included: nothing to rebuild, nothing written.
  const auto agg_files = Checksums(agg_dir);
  ASSERT_FALSE(agg_files.empty());
  nlohmann::json again = DlakeJson(lake, AggregateArgs("15m,1h,1d"));
  ASSERT_EQ(again["targets"].size(), 3u) << again.dump(2);
  for (const auto& t : again["targets"]) {
    EXPECT_EQ(t["days_rebuilt"], 0) << t.dump();
    EXPECT_EQ(t["days_checked"], 3) << t.dump();
  }
  EXPECT_EQ(Checksums(agg_dir), agg_files);

  // ---- read --timeframe 1h is the stored agg/1h, byte for byte.
  const std::string resampled = ReadCsv(lake, {"--timeframe", "1h"});
  const std::string stored = ReadCsv(lake, {"--type", "agg", "--period", "1h"});
  EXPECT_EQ(Lines(stored), 1u + 72u);  // header and three days of hours
  EXPECT_EQ(resampled, stored);
  EXPECT_THAT(stored.substr(0, stored.find('\n')), HasSubstr("close_time"));

  // ---- An impossible target: a non-zero exit and a message that names the problem.
  ProcessResult bad = Dlake(lake, AggregateArgs("1m"));
  EXPECT_NE(bad.exit_code, 0) << Describe(bad);
  EXPECT_THAT(bad.err, HasSubstr("longer period")) << Describe(bad);
  EXPECT_THAT(bad.err, HasSubstr("1m")) << Describe(bad);
  EXPECT_EQ(Checksums(agg_dir), agg_files);

  // ---- A new day ingested (no aggregate setting: the aggregates are behind), then a dry run:
  // it reports the day to rebuild and writes nothing.
  IngestCsv(lake, WriteKlines(tmp.Join("d3.csv"), Klines(3, 1, 42000, 8)));
  EXPECT_EQ(Checksums(agg_dir), agg_files);
  const auto files_listed = DlakeJson(lake, {"list", "--files", "--type", "agg", "--json"});
  // 15m, 1h, 1d: one month file each.
  ASSERT_EQ(files_listed.size(), 3u) << files_listed.dump(2);
  nlohmann::json dry = DlakeJson(lake, {"aggregate", "--exchange", kExchange, "--symbol", kSymbol,
                                        "--to", "15m", "--dry-run", "--json"});
  EXPECT_EQ(dry["dry_run"], true);
  ASSERT_EQ(dry["targets"].size(), 1u) << dry.dump(2);
  EXPECT_EQ(dry["targets"][0]["dataset"], "BINANCE/FUTURES/BTCUSDT/agg/15m");
  EXPECT_GT(dry["targets"][0]["days_rebuilt"].get<int64_t>(), 0) << dry.dump(2);
  EXPECT_EQ(dry["targets"][0]["days_rebuilt"], 1);  // the new day only
  EXPECT_EQ(Checksums(agg_dir), agg_files);
  EXPECT_EQ(DlakeJson(lake, {"list", "--files", "--type", "agg", "--json"}), files_listed);
  // What the dry run announced is what the real run does.
  nlohmann::json real = DlakeJson(lake, AggregateArgs("15m"));
  EXPECT_EQ(real["targets"][0]["days_rebuilt"], 1);
  EXPECT_EQ(real["targets"][0]["files_replaced"], 1);  // the new day joins January's file
  EXPECT_EQ(real["targets"][0]["files_created"], 0);

  // ---- delete --data-type agg: the aggregates go, the raw candles stay.
  ProcessResult deleted =
      Dlake(lake, {"delete", "--symbol", kSymbol, "--data-type", "agg", "--json"});
  ASSERT_EQ(deleted.exit_code, 0) << Describe(deleted);
  nlohmann::json del = ParseJson(deleted);
  std::set<std::string> deleted_datasets;
  for (const auto& d : del["datasets"]) deleted_datasets.insert(d["dataset"].get<std::string>());
  EXPECT_EQ(deleted_datasets, (std::set<std::string>{"BINANCE/FUTURES/BTCUSDT/agg/15m",
                                                     "BINANCE/FUTURES/BTCUSDT/agg/1d",
                                                     "BINANCE/FUTURES/BTCUSDT/agg/1h"}));
  nlohmann::json listed = DlakeJson(lake, {"list", "--json"});
  bool raw_found = false;
  for (const auto& d : listed) {
    if (d["type"] == "raw") {
      raw_found = true;
      EXPECT_EQ(d["dataset"], "BINANCE/FUTURES/BTCUSDT/raw/1m");
      EXPECT_EQ(d["rows"], 4 * 1440);
      EXPECT_EQ(d["files"], 4);
    } else {
      // An agg dataset may stay listed, but holds nothing.
      EXPECT_EQ(d["type"], "agg") << d.dump();
      EXPECT_EQ(d["files"], 0) << d.dump();
      EXPECT_EQ(d["rows"], 0) << d.dump();
    }
  }
  EXPECT_TRUE(raw_found) << listed.dump(2);
  EXPECT_TRUE(DlakeJson(lake, {"list", "--files", "--type", "agg", "--json"}).empty());
  std::set<std::string> left;
  if (fs::exists(agg_dir)) {
    for (const auto& e : fs::recursive_directory_iterator(agg_dir)) {
      if (e.is_regular_file()) left.insert(e.path().string());
    }
  }
  EXPECT_TRUE(left.empty()) << *left.begin();
  ExpectHolds(ReadSnapshot(lake),
              Merged(CandlesOf(Klines(0, 3, 42000, 7)), CandlesOf(Klines(3, 1, 42000, 8))));

  // Computed on the fly from the raw candles now: the same bytes as the stored aggregate.
  EXPECT_EQ(ReadCsv(lake, {"--timeframe", "1h", "--end", "2024-01-03"}), stored);
}

}  // namespace
}  // namespace dlake::testing
