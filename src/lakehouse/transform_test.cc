// The silver transforms across runs: facts accumulate, dimension changes arrive, a re-run or an
// unchanged snapshot commits nothing, a crash between a commit and its metadata line is
// repaired without a second commit, a failed table appends no line while the others go on,
// dim_exchange_map and spot volumes follow exchange_info of the same run, a map left behind by a
// stopped run is built by the next, the sentiment history loads once, maintenance runs, and the
// report and status in their JSON form.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dlake/lakehouse/json.h"
#include "lakehouse/silver_tables.h"
#include "lakehouse/silver_test_fixture.h"

namespace dlake::lakehouse {
namespace {

using ::dlake::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kMarket = "data/silver/crypto/fact_crypto_market";
constexpr const char* kSentiment = "data/silver/fear_and_greed/fact_market_sentiment";
constexpr const char* kGlobal = "data/silver/global_metrics/fact_global_market";
constexpr const char* kAssets = "data/silver/exchange/fact_exchange_assets";
constexpr const char* kExchangeMap = "data/silver/exchange/dim_exchange_map";

class TransformTest : public ::testing::Test {
 protected:
  // Writes one extract run of every endpoint on `day` at 08:20 and sets the clock to 08:30.
  void ExtractAll(int day, int variant) {
    ASSERT_THAT(lake_.bronze().WriteAll(SmallScale(), variant, lake_.Stamp(day, 8, 20)), IsOk());
    lake_.SetClock(day, 8, 30);
  }
  void Write(const std::string& folder, const std::string& prefix, const std::string& stamp,
             const std::string& sql) {
    ASSERT_THAT(lake_.bronze().Write(folder, prefix, stamp, sql).status(), IsOk());
  }
  // Every silver table's version, by path (-2 when it cannot be read).
  std::map<std::string, int64_t> Versions() {
    std::map<std::string, int64_t> versions;
    for (const auto& table : SilverTables()) {
      versions[table.RelativePath()] = lake_.Version(table.RelativePath());
    }
    return versions;
  }

  SilverLake lake_;
};

TEST_F(TransformTest, FactsAccumulateAndDimensionChangesArrive) {
  ExtractAll(0, 0);
  ASSERT_TRUE(lake_.Run("all").ok());
  ExtractAll(1, 1);
  TransformReport second = lake_.Run("all");
  ASSERT_TRUE(second.ok());
  for (const auto& entry : second.tables) {
    if (entry.table == "market_sentiment_history") continue;  // once
    EXPECT_EQ(entry.status, "success") << entry.table << " " << entry.notes << entry.error;
  }
  // Facts: both snapshots.
  EXPECT_EQ(lake_.Count(kMarket), 100);
  EXPECT_EQ(lake_.Count(kMarket, "price_usd = crypto_id * 0.5 + 1"), 50);
  EXPECT_EQ(lake_.Count(kAssets), 60);
  EXPECT_EQ(lake_.Count(kGlobal), 2);
  EXPECT_EQ(lake_.Count("data/silver/crypto/fact_crypto_category"), 24);
  EXPECT_EQ(lake_.Count(kExchangeMap), 40);
  EXPECT_EQ(lake_.Count("data/silver/crypto/dim_crypto_map"), 60);
  EXPECT_EQ(lake_.Count(kSentiment), 12);  // 10 history days + 2 live readings
  const TableTransform* market = Entry(second, "fact_crypto_market");
  ASSERT_NE(market, nullptr);
  EXPECT_EQ(market->rows_inserted, 50);
  EXPECT_EQ(market->rows_updated, 0);

  // Dimensions: one row per key, the changed attribute arrived, nothing else was rewritten.
  EXPECT_EQ(lake_.Count("data/silver/exchange/dim_exchange_id"), 20);
  EXPECT_EQ(lake_.Count("data/silver/exchange/dim_exchange_id", "name = 'Exchange 2 renamed'"), 1);
  const TableTransform* ids = Entry(second, "dim_exchange_id");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->rows_updated, 1);
  EXPECT_EQ(ids->rows_inserted, 0);
  EXPECT_EQ(ids->record_count, 20);
  const TableTransform* info = Entry(second, "dim_crypto_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->rows_updated, 1);  // only coin 3's description changed
  EXPECT_EQ(lake_.Count("data/silver/crypto/dim_crypto_info"), 30);
  auto coins = lake_.Rows("data/silver/crypto/dim_crypto_info",
                          "SELECT crypto_id, description, snapshot_date FROM t WHERE crypto_id IN "
                          "(3, 4) ORDER BY 1");
  ASSERT_EQ(coins.rows.size(), 2u);
  EXPECT_EQ(coins.rows[0][1], "About coin 3 v1");
  EXPECT_EQ(coins.rows[0][2], lake_.Stamp(1, 0, 0).substr(0, 10));  // the change's snapshot
  EXPECT_EQ(coins.rows[1][2], lake_.Stamp(0, 0, 0).substr(0, 10));  // unchanged since day 0
  const TableTransform* category = Entry(second, "dim_crypto_category");
  ASSERT_NE(category, nullptr);
  EXPECT_EQ(category->rows_updated, 1);
  EXPECT_EQ(lake_.Count("data/silver/crypto/dim_crypto_category", "title = 'Category 1 v1'"), 1);
}

TEST_F(TransformTest, ARerunOnTheSameBronzeIsSkippedAndCommitsNothing) {
  ExtractAll(0, 0);
  TransformReport first = lake_.Run("all");
  ASSERT_TRUE(first.ok());
  const auto versions = Versions();
  for (const auto& [path, version] : versions) EXPECT_GE(version, 1) << path;

  for (int hour : {9, 23}) {  // later the same day, then the same files the next day
    lake_.SetClock(hour == 9 ? 0 : 1, hour, 0);
    TransformReport again = lake_.Run("all");
    ASSERT_TRUE(again.ok());
    for (const auto& entry : again.tables) {
      EXPECT_EQ(entry.status, "skipped") << entry.table;
      EXPECT_FALSE(entry.committed) << entry.table;
      EXPECT_EQ(entry.ended_at, "-");
      EXPECT_FALSE(entry.notes.empty()) << entry.table;
    }
    EXPECT_EQ(Versions(), versions);
  }
  // Each table's file: the success line, then a skipped line per re-run.
  auto lines = lake_.MetadataLines("crypto", "dim_crypto_id");
  ASSERT_EQ(lines.size(), 3u);
  auto skipped = json::parse(lines[2]);
  EXPECT_EQ(skipped["status"], "skipped");
  EXPECT_EQ(skipped["current_status"], "raw");
  EXPECT_EQ(skipped["record_count"], "-");
  EXPECT_EQ(skipped["ended_at"], "-");
  EXPECT_EQ(skipped["duration_seconds"], "-");
  EXPECT_EQ(skipped["notes"], "No DataFrame returned.");
  EXPECT_THAT(skipped["source_snapshot"].get<std::string>(), HasSubstr("crypto_map-"));
}

// Regression: the original compared a file's time with when the last transform ended, so a
// snapshot whose extract started while that transform ran waited for the next extract.
TEST_F(TransformTest, ASnapshotTakenWhileTheLastTransformRanIsTransformedNext) {
  ExtractAll(0, 0);  // 08:20; the clock stands at 08:30
  TransformReport first = lake_.Run("5x");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.tables.at(0).status, "success");
  ASSERT_THAT(lake_.bronze().WriteAll(SmallScale(), 1, lake_.Stamp(0, 8, 25)), IsOk());
  TransformReport second = lake_.Run("5x");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.tables.at(0).status, "success") << second.tables.at(0).notes;
  EXPECT_TRUE(second.tables.at(0).committed);
  // And that snapshot is not taken twice.
  TransformReport third = lake_.Run("5x");
  EXPECT_EQ(third.tables.at(0).status, "skipped");
}

TEST_F(TransformTest, AnUnchangedDimensionSnapshotCommitsNothing) {
  ExtractAll(0, 0);
  ASSERT_TRUE(lake_.Run("all").ok());
  const auto before = Versions();
  ExtractAll(1, 0);  // new files, same content
  TransformReport report = lake_.Run("all");
  ASSERT_TRUE(report.ok());
  for (const char* name : {"dim_exchange_id", "dim_exchange_info", "dim_crypto_id",
                           "dim_crypto_info", "dim_crypto_category", "crypto_category_link"}) {
    const TableTransform* entry = Entry(report, name);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->status, "success") << name;
    EXPECT_FALSE(entry->committed) << name;
    EXPECT_EQ(entry->delta_version, -1) << name;
    EXPECT_EQ(entry->rows_updated + entry->rows_inserted, 0) << name;
    EXPECT_GT(entry->record_count, 0) << name;
    const SilverTable* table = FindSilverTable(name);
    EXPECT_EQ(lake_.Version(table->RelativePath()), before.at(table->RelativePath())) << name;
  }
  // A new snapshot of a fact is a new key: committed.
  const TableTransform* market = Entry(report, "fact_crypto_market");
  ASSERT_NE(market, nullptr);
  EXPECT_TRUE(market->committed);
  EXPECT_EQ(market->delta_version, before.at(kMarket) + 1);
}

// The process dies after the Delta commit and before the metadata line (here: the append
// fails). The next run transforms again, the txn makes the commit a no-op, and the line is
// written.
TEST_F(TransformTest, ACrashBetweenCommitAndMetadataLineIsRepairedWithoutASecondCommit) {
  ExtractAll(0, 0);
  lake_.env().FailAppendsUnder("fact_global_market.jsonl");
  TransformReport crashed = lake_.Run("10x");
  const TableTransform* global = Entry(crashed, "fact_global_market");
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->status, "failed");
  EXPECT_TRUE(global->committed);
  EXPECT_THAT(global->error, HasSubstr("metadata line"));
  EXPECT_THAT(crashed.FailedTables(), ElementsAre("global_metrics/fact_global_market"));
  EXPECT_FALSE(crashed.ok());
  EXPECT_TRUE(lake_.MetadataLines("global_metrics", "fact_global_market").empty());
  const int64_t version = lake_.Version(kGlobal);
  // The commit carries the txn: this table's app id, the snapshot's time as version.
  char commit[32];
  std::snprintf(commit, sizeof(commit), "%020lld.json", static_cast<long long>(version));
  std::ifstream log(lake_.root() + "/" + kGlobal + "/_delta_log/" + commit);
  json txn;
  for (std::string line; std::getline(log, line);) {
    json action = json::parse(line);
    if (action.contains("txn")) txn = action["txn"];
  }
  EXPECT_EQ(txn["appId"], "dlake-silver:global_metrics/fact_global_market");
  EXPECT_EQ(txn["version"], lake_.At(0, 8, 20));

  lake_.env().FailAppendsUnder("");
  lake_.SetClock(0, 9, 0);
  TransformReport repaired = lake_.Run("10x");
  global = Entry(repaired, "fact_global_market");
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->status, "success");
  EXPECT_FALSE(global->committed);
  EXPECT_EQ(global->record_count, 1);
  EXPECT_EQ(lake_.Version(kGlobal), version);
  EXPECT_EQ(lake_.Count(kGlobal), 1);
  EXPECT_EQ(lake_.MetadataLines("global_metrics", "fact_global_market").size(), 1u);
  EXPECT_EQ(Entry(repaired, "fact_crypto_category")->status, "skipped");
}

TEST_F(TransformTest, AFailedWriteAppendsNoLineAndTheOtherTablesGoOn) {
  ExtractAll(0, 0);
  lake_.env().FailCommitsUnder("fact_crypto_category/_delta_log");
  TransformReport report = lake_.Run("10x");
  ASSERT_EQ(report.tables.size(), 4u);
  EXPECT_EQ(report.tables[0].status, "success");
  EXPECT_EQ(report.tables[1].status, "failed");
  EXPECT_THAT(report.tables[1].error, HasSubstr("fact_crypto_category"));
  EXPECT_EQ(report.tables[2].status, "success");
  EXPECT_EQ(report.tables[3].status, "success");
  EXPECT_THAT(report.FailedTables(), ElementsAre("crypto/fact_crypto_category"));
  EXPECT_FALSE(fs::exists(lake_.MetadataPath("crypto", "fact_crypto_category")));

  // A bronze file that is not Parquet fails its table the same way.
  Write("global_metrics_data", "global_metrics", lake_.Stamp(0, 8, 40), "SELECT 1 AS x");
  std::ofstream(lake_.root() + "/data/bronze/global_metrics_data/global_metrics-" +
                    lake_.Stamp(0, 8, 40) + ".parquet",
                std::ios::trunc)
      << "not parquet";
  lake_.env().FailCommitsUnder("");
  lake_.SetClock(0, 8, 50);
  TransformReport retry = lake_.Run("10x");
  EXPECT_EQ(Entry(retry, "fact_crypto_category")->status, "success");  // retried: no line before
  const TableTransform* global = Entry(retry, "fact_global_market");
  ASSERT_NE(global, nullptr);
  EXPECT_EQ(global->status, "failed");
  EXPECT_THAT(global->error, HasSubstr("global_metrics-"));
  EXPECT_EQ(lake_.MetadataLines("global_metrics", "fact_global_market").size(), 1u);
  EXPECT_EQ(lake_.Count("data/silver/crypto/fact_crypto_category"), 12);
}

// cryptolakehouse items 31-32: dim_exchange_map exists only when exchange_info was built in the
// same run; otherwise fact_exchange_assets has no spot volume.
TEST_F(TransformTest, ExchangeMapAndSpotVolumesFollowExchangeInfoOfTheSameRun) {
  ExtractAll(0, 0);
  TransformReport first = lake_.Run("daily");
  EXPECT_EQ(Entry(first, "dim_exchange_map")->status, "success");
  EXPECT_EQ(Entry(first, "dim_exchange_map")->source_snapshot, "from broadcasted_exchange_info_df");
  EXPECT_EQ(lake_.Count(kAssets, "spot_volume_usd IS NOT NULL"), 20);

  // Day 1: new assets and map, no new exchange_info.
  const SilverLake& l = lake_;
  Write("exchange_assets_data", "exchange_assets", l.Stamp(1, 8, 20),
        fixture::ExchangeAssetsSql(SmallScale(), 1, l.Stamp(1, 8, 20)));
  Write("exchange_map_data", "exchange_map", l.Stamp(1, 8, 20),
        fixture::ExchangeMapSql(SmallScale(), 1, l.Stamp(1, 8, 20)));
  lake_.SetClock(1, 8, 30);
  TransformReport second = lake_.Run("daily");
  EXPECT_EQ(Entry(second, "dim_exchange_info")->status, "skipped");
  const TableTransform* map = Entry(second, "dim_exchange_map");
  EXPECT_EQ(map->status, "skipped");
  EXPECT_EQ(map->source_snapshot, "from broadcasted_exchange_info_df");
  auto skipped = json::parse(lake_.MetadataLines("exchange", "dim_exchange_map").back());
  EXPECT_EQ(skipped["source_snapshot"], "from broadcasted_exchange_info_df");
  EXPECT_EQ(skipped["status"], "skipped");
  EXPECT_EQ(Entry(second, "fact_exchange_assets")->status, "success");
  const std::string day1 = "snapshot_str LIKE '" + l.Stamp(1, 0, 0).substr(0, 10) + "%'";
  EXPECT_EQ(lake_.Count(kAssets, day1), 30);
  EXPECT_EQ(lake_.Count(kAssets, day1 + " AND (spot_volume_usd IS NOT NULL OR wallet_weight IS "
                                        "NOT NULL)"),
            0);
  EXPECT_EQ(lake_.Count(kAssets, day1 + " AND total_usd_value IS NOT NULL"), 28);  // 2 unpriced
  EXPECT_EQ(lake_.Count(kExchangeMap), 20);

  // Day 2: new exchange_info, no new map: dim_exchange_map is built, without is_active.
  Write("exchange_info_data", "exchange_info", l.Stamp(2, 8, 20),
        fixture::ExchangeInfoSql(SmallScale(), 2, l.Stamp(2, 8, 20)));
  lake_.SetClock(2, 8, 30);
  TransformReport third = lake_.Run("daily");
  EXPECT_EQ(Entry(third, "dim_exchange_id")->status, "skipped");
  EXPECT_EQ(Entry(third, "dim_exchange_map")->status, "success");
  const std::string day2 = "snapshot_str LIKE '" + l.Stamp(2, 0, 0).substr(0, 10) + "%'";
  EXPECT_EQ(lake_.Count(kExchangeMap, day2), 20);
  EXPECT_EQ(lake_.Count(kExchangeMap, day2 + " AND is_active IS NULL"), 20);
  EXPECT_EQ(lake_.Count(kExchangeMap, "is_active IS NULL"), 20);
}

// A run that stopped after dim_exchange_info and before dim_exchange_map (a crash, here a failed
// commit) must not leave the map behind until the next extract: the next run builds it from
// the snapshot dim_exchange_info read, with is_active from the dim_exchange_id of that run.
TEST_F(TransformTest, AMapLeftBehindByAStoppedRunIsBuiltByTheNextRun) {
  ExtractAll(0, 0);
  lake_.env().FailCommitsUnder("dim_exchange_map/_delta_log");
  TransformReport stopped = lake_.Run("daily");
  EXPECT_EQ(Entry(stopped, "dim_exchange_info")->status, "success");
  EXPECT_EQ(Entry(stopped, "dim_exchange_map")->status, "failed");
  EXPECT_TRUE(lake_.MetadataLines("exchange", "dim_exchange_map").empty());

  lake_.env().FailCommitsUnder("");
  lake_.SetClock(0, 9, 0);
  TransformReport next = lake_.Run("daily");
  EXPECT_EQ(Entry(next, "dim_exchange_info")->status, "skipped");
  const TableTransform* map = Entry(next, "dim_exchange_map");
  EXPECT_EQ(map->status, "success") << map->notes << map->error;
  EXPECT_THAT(map->notes, HasSubstr("catching up"));
  EXPECT_EQ(lake_.Count(kExchangeMap), 20);
  EXPECT_EQ(lake_.Count(kExchangeMap, "is_active IS NULL"), 0);
  const int64_t version = lake_.Version(kExchangeMap);

  lake_.SetClock(0, 9, 30);
  TransformReport idle = lake_.Run("daily");
  EXPECT_EQ(Entry(idle, "dim_exchange_map")->status, "skipped");
  EXPECT_EQ(lake_.Version(kExchangeMap), version);
}

TEST_F(TransformTest, TheSentimentHistoryLoadsOnceAndLiveReadingsMergeIntoTheSameTable) {
  lake_.SetClock(0, 8, 0);
  TransformReport none = lake_.Run("init");  // no history file yet
  ASSERT_EQ(none.tables.size(), 1u);
  EXPECT_EQ(none.tables[0].status, "skipped");
  EXPECT_THAT(none.tables[0].notes, HasSubstr("fear_and_greed_data"));

  ExtractAll(0, 0);
  TransformReport init = lake_.Run("init");
  EXPECT_EQ(init.tables[0].status, "success");
  EXPECT_EQ(init.tables[0].path, kSentiment);
  EXPECT_EQ(lake_.Count(kSentiment), 10);

  ExtractAll(1, 1);  // a newer history file too: not loaded again
  TransformReport again = lake_.Run("init");
  EXPECT_EQ(again.tables[0].status, "skipped");
  EXPECT_THAT(again.tables[0].notes, HasSubstr("already loaded"));
  TransformReport live = lake_.Run("10x");
  EXPECT_EQ(Entry(live, "fact_market_sentiment")->status, "success");
  EXPECT_EQ(lake_.Count(kSentiment), 11);  // the original overwrote: 1 row
  auto history = lake_.MetadataLines("fear_and_greed", "market_sentiment_history");
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(json::parse(history[0])["status"], "skipped");
  EXPECT_EQ(json::parse(history[1])["status"], "success");
  EXPECT_EQ(json::parse(history[1])["record_count"], 10);
  EXPECT_EQ(json::parse(history[2])["status"], "skipped");
  EXPECT_EQ(lake_.MetadataLines("fear_and_greed", "fact_market_sentiment").size(), 1u);
}

TEST_F(TransformTest, OptimizeCompactsTheFactsAndVacuumRemovesExpiredFiles) {
  int64_t optimized = -1;
  for (int day = 0; day < 8; ++day) {
    ExtractAll(day, day);
    TransformReport report = lake_.Run("10x");
    ASSERT_TRUE(report.ok());
    const TableTransform* global = Entry(report, "fact_global_market");
    ASSERT_NE(global, nullptr);
    EXPECT_EQ(global->maintenance_error, "");
    if (global->optimize_version >= 0) {
      EXPECT_EQ(optimized, -1) << "compacted twice";
      optimized = global->optimize_version;
      EXPECT_EQ(day, 7) << "compacted before 8 files gathered";
    }
  }
  ASSERT_GE(optimized, 0);
  auto global = lake_.Open(kGlobal);
  ASSERT_NE(global, nullptr);
  DLAKE_ASSERT_OK_AND_ASSIGN(auto described, global->Describe());
  EXPECT_EQ(described.num_files, 1);
  EXPECT_EQ(described.num_records, 8);

  // Weeks later (the files' real modification times, not only the test clock, must be older
  // than the retention): the compacted files (168 h) and replaced dimension files (720 h) go.
  ExtractAll(55, 55);
  TransformReport later = lake_.Run("10x");
  ASSERT_TRUE(later.ok());
  EXPECT_GE(Entry(later, "fact_global_market")->files_vacuumed, 8);
  EXPECT_GE(Entry(later, "dim_crypto_category")->files_vacuumed, 1);
  EXPECT_EQ(lake_.Count(kGlobal), 9);
  EXPECT_EQ(lake_.Count("data/silver/crypto/dim_crypto_category"), 12);
}

// The original rendered times in the JVM's zone. Here a host far from UTC changes nothing.
TEST(TransformTimeZoneTest, AHostZoneFarFromUtcChangesNoTimeOrDate) {
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  setenv("TZ", "Pacific/Kiritimati", 1);  // UTC+14: every late-evening UTC time is tomorrow
  tzset();
  {
    SilverLake lake;
    ASSERT_THAT(lake.bronze().WriteAll(SmallScale(), 0, lake.Stamp(0, 20, 0)), IsOk());
    lake.SetClock(0, 20, 30);
    TransformReport report = lake.Run("weekly");
    ASSERT_TRUE(report.ok());
    auto rows = lake.Rows("data/silver/crypto/dim_crypto_info",
                          "SELECT date_launched, snapshot_date, strftime(snapshot_timestamp AT "
                          "TIME ZONE 'UTC', '%H:%M') FROM t WHERE crypto_id = 1");
    ASSERT_EQ(rows.rows.size(), 1u);
    EXPECT_EQ(rows.rows[0][0], "2021-03-15");  // 2021-03-15T23:30Z
    EXPECT_EQ(rows.rows[0][1], lake.Stamp(0, 0, 0).substr(0, 10));
    EXPECT_EQ(rows.rows[0][2], "20:00");
    auto line = json::parse(lake.MetadataLines("crypto", "dim_crypto_info").at(0));
    EXPECT_THAT(line["started_at"].get<std::string>(), ::testing::EndsWith("+00:00"));
    EXPECT_EQ(line["started_at"].get<std::string>().substr(0, 13),
              lake.Stamp(0, 0, 0).substr(0, 10) + "T20");
  }
  if (old_tz) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST_F(TransformTest, TheReportAndTheStatusInJson) {
  ExtractAll(0, 0);
  TransformReport report = lake_.Run("Weekly");
  auto parsed = json::parse(ToJson(report));
  EXPECT_EQ(parsed["group"], "weekly");
  EXPECT_EQ(parsed["ok"], true);
  EXPECT_EQ(parsed["failed"], json::array());
  ASSERT_EQ(parsed["tables"].size(), 1u);
  const json& table = parsed["tables"][0];
  EXPECT_EQ(table["domain"], "crypto");
  EXPECT_EQ(table["table"], "dim_crypto_info");
  EXPECT_EQ(table["path"], "data/silver/crypto/dim_crypto_info");
  EXPECT_EQ(table["status"], "success");
  EXPECT_EQ(table["record_count"], 30);
  EXPECT_EQ(table["rows_inserted"], 30);
  EXPECT_EQ(table["committed"], true);
  EXPECT_EQ(table["version"], 1);
  EXPECT_TRUE(table["error"].is_null());
  EXPECT_TRUE(table["optimize_version"].is_null());
  for (const char* field : {"source_snapshot", "started_at", "ended_at", "duration_seconds",
                            "rows_updated", "files_vacuumed", "notes", "maintenance_error"}) {
    EXPECT_TRUE(table.contains(field)) << field;
  }

  DLAKE_ASSERT_OK_AND_ASSIGN(auto statuses, SilverStatus(lake_.Context()));
  ASSERT_EQ(statuses.size(), 14u);
  auto status = json::parse(ToJson(statuses));
  ASSERT_EQ(status.size(), 14u);
  EXPECT_EQ(status[0]["table"], "dim_crypto_info");
  EXPECT_EQ(status[0]["exists"], true);
  EXPECT_EQ(status[0]["version"], 1);
  EXPECT_EQ(status[0]["rows"], 30);
  EXPECT_EQ(status[0]["last_run"]["status"], "success");
  EXPECT_EQ(status[0]["last_run"]["record_count"], 30);
  EXPECT_EQ(status[1]["table"], "dim_exchange_id");
  EXPECT_EQ(status[1]["exists"], false);
  EXPECT_TRUE(status[1]["version"].is_null());
  EXPECT_TRUE(status[1]["last_run"].is_null());
}

}  // namespace
}  // namespace dlake::lakehouse
