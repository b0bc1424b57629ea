// `dlake maintain` as a real process (doc/maintain.md): --json prints one report of the
// compaction, the cleanup and the verify; the lake holds the same candles afterwards, in one
// month file; dry runs change nothing; a lake with problems exits 1.

#include <unistd.h>

#include <filesystem>

#include "dlake/common/time.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;

nlohmann::json ParseJson(const ProcessResult& r) {
  nlohmann::json json = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << Describe(r);
  return json;
}

TEST(MaintainProcessTest, JsonReportsCompactionCleanupAndVerifyAndTheRowsStay) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions klines = Klines(0, 4, 42000, 7);  // 2024-01-01 .. 04: a closed month
  IngestCsv(lake, WriteKlines(tmp.Join("k.csv"), klines));
  const Candles expected = CandlesOf(klines);
  const std::string day_dir = lake + "/data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/02";
  const std::string leftover = day_dir + "/.tmp-" + std::to_string(ExitedPid()) + "-3-day.parquet";
  const std::string orphan = day_dir + "/lost.parquet";
  WriteFile(leftover, "half a file");
  WriteFile(orphan, "nobody lists me");
  SetFileAge(orphan, 2 * kMsPerDay);

  // Dry runs: reports, no change.
  const auto before = LakeChecksums(lake);
  ProcessResult dry = Dlake(lake, {"--json", "maintain", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 1) << Describe(dry);  // verify sees the leftover and the orphan
  nlohmann::json planned = ParseJson(dry);
  EXPECT_EQ(planned["compact"]["months_compacted"], 1);
  EXPECT_EQ(planned["cleanup"]["orphans"].size(), 1u);
  EXPECT_EQ(planned["manifest_backup"], "");
  EXPECT_EQ(LakeChecksums(lake), before);

  ProcessResult r = Dlake(lake, {"--json", "maintain"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  nlohmann::json report = ParseJson(r);
  EXPECT_TRUE(report["ok"].get<bool>());
  EXPECT_EQ(report["compact"]["months_compacted"], 1);
  ASSERT_EQ(report["compact"]["datasets"].size(), 1u);
  const nlohmann::json& dataset = report["compact"]["datasets"][0];
  EXPECT_EQ(dataset["dataset"], "BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(dataset["months"], nlohmann::json::array({"2024-01"}));
  EXPECT_EQ(dataset["files_before"], 4);
  EXPECT_EQ(dataset["files_after"], 1);
  EXPECT_EQ(report["cleanup"]["leftovers"].size(), 1u);
  EXPECT_EQ(report["cleanup"]["orphans"].size(), 1u);
  EXPECT_TRUE(report["verify"]["ok"].get<bool>());
  EXPECT_EQ(report["verify"]["files_checked"], 1);
  EXPECT_TRUE(fs::exists(report["manifest_backup"].get<std::string>()));
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_FALSE(fs::exists(orphan));

  ExpectHolds(ReadSnapshot(lake), expected);
  nlohmann::json verify = VerifyJson(lake);
  ExpectNoDamage(verify);
  EXPECT_TRUE(verify["ok"].get<bool>());

  // The subcommands, each with its own JSON form.
  ProcessResult compact = Dlake(lake, {"--json", "maintain", "compact", "--symbol", "BTCUSDT"});
  ASSERT_EQ(compact.exit_code, 0) << Describe(compact);
  EXPECT_EQ(ParseJson(compact)["months_compacted"], 0);
  ProcessResult cleanup = Dlake(lake, {"maintain", "cleanup", "--grace", "1h", "--json"});
  ASSERT_EQ(cleanup.exit_code, 0) << Describe(cleanup);
  EXPECT_EQ(ParseJson(cleanup)["bytes_freed"], 0);
}

TEST(MaintainProcessTest, BadUsageExitsTwo) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  EXPECT_EQ(Dlake(lake, {"maintain", "polish"}).exit_code, 2);
  EXPECT_EQ(Dlake(lake, {"maintain", "cleanup", "--grace", "soon"}).exit_code, 2);
}

}  // namespace
}  // namespace dlake::testing
