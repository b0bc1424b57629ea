// The loader on the embedded warehouse: silver from the bronze fixture, loaded by group; rows
// and values equal silver's; a re-run loads nothing twice; dimension changes arrive as updates;
// rows whose parent is missing are rejected, reported and kept, and load once the parent comes;
// a table whose load fails is left as it was and gets no metadata line; the metadata lines.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "dlake/warehouse/json.h"
#include "dlake/warehouse/warehouse.h"
#include "lakehouse/silver_test_fixture.h"
#include "warehouse/open_target.h"
#include "warehouse/schema.h"

namespace dlake::warehouse {
namespace {

using ::dlake::lakehouse::SilverLake;
using ::dlake::lakehouse::SmallScale;
using ::dlake::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

class LoadTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(InitWarehouse(Context()).status(), IsOk()); }

  WarehouseContext Context() { return {lake_.root(), lake_.Context().runtime, ""}; }

  void ExtractAndTransform(int day, int variant) {
    ASSERT_THAT(lake_.bronze().WriteAll(SmallScale(), variant, lake_.Stamp(day, 8, 20)), IsOk());
    lake_.SetClock(day, 8, 30);
    lake_.Run("all");
    lake_.SetClock(day, 9, 0);
  }

  LoadReport Load(const std::string& group, bool force = false) {
    auto report = LoadWarehouse(Context(), {group, force});
    EXPECT_THAT(report.status(), IsOk());
    return report.ok() ? std::move(report).value() : LoadReport{};
  }

  static const TableLoad& Find(const LoadReport& report, const std::string& table) {
    for (const auto& t : report.tables) {
      if (t.table == table) return t;
    }
    static const TableLoad missing;
    ADD_FAILURE() << "no table " << table << " in the report";
    return missing;
  }

  // A query on the warehouse, every cell as text.
  SqlRows Query(const std::string& sql) {
    auto target = OpenTarget(Context());
    EXPECT_THAT(target.status(), IsOk());
    if (!target.ok()) return {};
    auto rows = (*target)->Query(sql, "test query");
    EXPECT_THAT(rows.status(), IsOk()) << sql;
    return rows.ok() ? std::move(rows).value() : SqlRows{};
  }
  int64_t Count(const std::string& sql) { return Query(sql).Int(0, 0); }
  void Execute(const std::string& sql) {
    auto target = OpenTarget(Context());
    ASSERT_THAT(target.status(), IsOk());
    ASSERT_THAT((*target)->Execute(sql, "test statement").status(), IsOk()) << sql;
  }

  int64_t SilverCount(const WarehouseTable& table) {
    auto rows =
        lake_.Rows("data/silver/" + table.domain + "/" + table.name, "SELECT count(*) AS n FROM t");
    return rows.rows.empty() || !rows.rows[0][0] ? -1 : std::stoll(*rows.rows[0][0]);
  }

  std::vector<Json> MetadataLines(const std::string& domain, const std::string& table) {
    std::ifstream in(lake_.root() + "/metadata/load/" + domain + "/" + table + ".jsonl");
    std::vector<Json> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(Json::parse(line));
    return lines;
  }

  SilverLake lake_;
};

TEST_F(LoadTest, LoadsEverySilverRowOnceWithItsValues) {
  ExtractAndTransform(0, 0);
  LoadReport report = Load("all");
  ASSERT_TRUE(report.ok()) << ToJson(report);
  ASSERT_EQ(report.tables.size(), 13u);
  for (const auto& table : WarehouseTables()) {
    const TableLoad& load = Find(report, table.name);
    EXPECT_EQ(load.status, "loaded") << table.name << ": " << load.notes << load.error;
    EXPECT_EQ(load.rows_read, SilverCount(table)) << table.name;
    EXPECT_EQ(load.rows_inserted + load.rows_rejected, load.rows_read) << table.name;
    EXPECT_EQ(Count("SELECT count(*) FROM " + table.name), load.rows_inserted) << table.name;
    EXPECT_EQ(
        Count("SELECT count(*) FROM dlake_load_rejects WHERE table_name = '" + table.name + "'"),
        load.rows_rejected)
        << table.name;
  }
  // Values and types survive: each loaded row equals its silver row, rendered the same way.
  auto silver = lake_.Rows("data/silver/crypto/fact_crypto_market",
                           "SELECT crypto_id, strftime(timezone('UTC', snapshot_timestamp), "
                           "'%Y-%m-%d %H:%M:%S') AS ts, price_usd, infinite_supply, cmc_rank "
                           "FROM t ORDER BY crypto_id");
  std::map<std::string, ::dlake::testing::TextRow> silver_by_id;
  for (const auto& row : silver.rows) silver_by_id[*row[0]] = row;
  SqlRows warehouse = Query(
      "SELECT crypto_id, strftime(snapshot_timestamp, '%Y-%m-%d %H:%M:%S'), price_usd, "
      "infinite_supply, cmc_rank FROM fact_crypto_market ORDER BY crypto_id");
  ASSERT_EQ(
      static_cast<int64_t>(warehouse.rows.size()),
      static_cast<int64_t>(silver.rows.size()) - Find(report, "fact_crypto_market").rows_rejected);
  for (const auto& row : warehouse.rows) {
    const auto& expected = silver_by_id[*row[0]];
    ASSERT_EQ(row.size(), expected.size());
    for (size_t c = 0; c < row.size(); ++c) {
      EXPECT_EQ(row[c], expected[c]) << "crypto " << *row[0] << " column " << c;
    }
  }
  auto tags = Query(
      "SELECT count(*) FROM dim_crypto_info WHERE tags IS NOT NULL AND "
      "len(tags) > 1");
  EXPECT_GT(tags.Int(0, 0), 0);
  // The daily group's procedures ran.
  ASSERT_EQ(report.procedures.size(), 2u);
  EXPECT_EQ(report.procedures[0].error, "");
  EXPECT_EQ(report.procedures[1].error, "");
}

TEST_F(LoadTest, ARerunLoadsNothingTwiceAndDimensionChangesArriveAsUpdates) {
  ExtractAndTransform(0, 0);
  ASSERT_TRUE(Load("all").ok());
  const int64_t facts = Count("SELECT count(*) FROM fact_crypto_market");

  // Unchanged silver: skipped, except that tables with rejected rows try them again (and do
  // not count them as new rejects).
  LoadReport again = Load("all");
  for (const auto& t : again.tables) {
    EXPECT_EQ(t.status, "skipped") << t.table;
    EXPECT_EQ(t.rows_rejected, 0) << t.table;
    if (t.rejects_retried > 0) {
      EXPECT_THAT(t.notes, HasSubstr("rows wait for their parent rows")) << t.table;
      EXPECT_EQ(t.rows_read, 0) << t.table;  // nothing new in silver since the last load
    } else {
      EXPECT_THAT(t.notes, HasSubstr("not been transformed since the last load")) << t.table;
    }
  }
  EXPECT_GT(Find(again, "fact_crypto_market").rejects_retried, 0);
  LoadReport forced = Load("all", /*force=*/true);
  for (const auto& t : forced.tables) {
    EXPECT_EQ(t.rows_inserted + t.rows_updated, 0) << t.table;
    EXPECT_EQ(t.rows_rejected, 0) << t.table;
    EXPECT_EQ(t.status, "skipped") << t.table;
    if (Count("SELECT count(*) FROM dlake_load_rejects WHERE table_name = '" + t.table + "'") ==
        0) {
      EXPECT_EQ(t.notes, "Data is up to date") << t.table;
    }
  }
  EXPECT_EQ(Count("SELECT count(*) FROM fact_crypto_market"), facts);

  ExtractAndTransform(1, 1);
  LoadReport next = Load("all");
  ASSERT_TRUE(next.ok()) << ToJson(next);
  const TableLoad& market = Find(next, "fact_crypto_market");
  EXPECT_GT(market.rows_inserted, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM fact_crypto_market"), facts + market.rows_inserted);
  EXPECT_EQ(Count("SELECT count(DISTINCT snapshot_timestamp) FROM fact_crypto_market"), 2);
  // Variant 1 renames exchange 2 (referenced by other tables) and rewrites every description.
  EXPECT_EQ(Find(next, "dim_exchange_id").rows_updated, 1);
  EXPECT_EQ(Find(next, "dim_exchange_id").rows_inserted, 0);
  EXPECT_EQ(Query("SELECT name FROM dim_exchange_id WHERE exchange_id = 2").rows[0][0],
            "Exchange 2 renamed");
  EXPECT_EQ(Find(next, "dim_exchange_info").rows_updated, 20);
  EXPECT_EQ(Count("SELECT count(*) FROM dim_exchange_info WHERE description LIKE '% v1'"), 20);
}

TEST_F(LoadTest, RejectedRowsAreReportedKeptAndLoadedOnceTheirParentArrives) {
  ExtractAndTransform(0, 0);
  // Only the crypto group's dims for now: fact_exchange_assets and the links meet no parents.
  LoadReport daily = Load("daily");
  const TableLoad& links = Find(daily, "crypto_category_link");
  EXPECT_EQ(links.status, "skipped");  // nothing inserted: every link waits for its category
  EXPECT_GT(links.rows_rejected, 0);
  EXPECT_EQ(links.rows_rejected, links.rows_read);
  SqlRows reasons = Query(
      "SELECT DISTINCT reason FROM dlake_load_rejects WHERE table_name = 'crypto_category_link'");
  ASSERT_EQ(reasons.rows.size(), 1u);
  EXPECT_EQ(*reasons.rows[0][0], "no dim_crypto_category row for category_id");
  EXPECT_THAT(*Query("SELECT row_data FROM dlake_load_rejects LIMIT 1").rows[0][0],
              HasSubstr("category_id"));

  // The parents arrive; the next daily load retries the waiting rows although the links' silver
  // has not changed.
  ASSERT_TRUE(Load("10x").ok());
  LoadReport retry = Load("daily");
  const TableLoad& loaded = Find(retry, "crypto_category_link");
  EXPECT_EQ(loaded.status, "loaded");
  EXPECT_EQ(loaded.rows_read, 0);
  EXPECT_EQ(loaded.rejects_retried, links.rows_rejected);
  EXPECT_EQ(loaded.rejects_resolved, links.rows_rejected);
  EXPECT_EQ(loaded.rows_inserted, links.rows_rejected);
  EXPECT_EQ(loaded.rows_rejected, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM dlake_load_rejects WHERE table_name = "
                  "'crypto_category_link'"),
            0);
}

TEST_F(LoadTest, AFailedTableIsLeftAsItWasAndTheOthersLoad) {
  ExtractAndTransform(0, 0);
  ASSERT_TRUE(Load("all").ok());
  const int64_t facts = Count("SELECT count(*) FROM fact_crypto_market");
  const size_t lines = MetadataLines("crypto", "fact_crypto_market").size();
  // fact_crypto_market now refuses any later snapshot: its load fails at the insert, after its
  // rows were staged and its orphans recorded in the same transaction.
  const std::string ddl = *Query(
                               "SELECT sql FROM duckdb_tables() WHERE table_name = "
                               "'fact_crypto_market'")
                               .rows[0][0];
  const std::string latest =
      *Query("SELECT CAST(max(snapshot_timestamp) AS VARCHAR) FROM fact_crypto_market").rows[0][0];
  const std::string refusing = ddl.substr(0, ddl.rfind(')')) +
                               ", CHECK (snapshot_timestamp <= TIMESTAMP '" + latest + "'));";
  Execute(
      "CREATE TABLE market_copy AS SELECT * FROM fact_crypto_market; "
      "DROP TABLE fact_crypto_market; " +
      refusing + " INSERT INTO fact_crypto_market SELECT * FROM market_copy");
  const int64_t rejects = Count("SELECT count(*) FROM dlake_load_rejects");

  ExtractAndTransform(1, 1);
  auto report = LoadWarehouse(Context(), {"all", false});
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_FALSE(report->ok());
  const TableLoad& market = Find(*report, "fact_crypto_market");
  EXPECT_EQ(market.status, "failed");
  EXPECT_THAT(market.error, HasSubstr("inserting into fact_crypto_market"));
  EXPECT_EQ(market.rows_inserted, 0);
  EXPECT_EQ(market.rows_rejected, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM fact_crypto_market"), facts);
  EXPECT_EQ(Count("SELECT count(*) FROM dlake_load_rejects WHERE table_name = "
                  "'fact_crypto_market' AND last_rejected_at > first_rejected_at"),
            0);
  EXPECT_EQ(MetadataLines("crypto", "fact_crypto_market").size(), lines);
  EXPECT_EQ(Find(*report, "fact_global_market").status, "loaded");
  EXPECT_GE(Count("SELECT count(*) FROM dlake_load_rejects"), rejects);

  // Once the table accepts the rows, the next load takes them (the failed load left no line).
  Execute(
      "CREATE TABLE market_rows AS SELECT * FROM fact_crypto_market; "
      "DROP TABLE fact_crypto_market; " +
      ddl + "; INSERT INTO fact_crypto_market SELECT * FROM market_rows");
  LoadReport retried = Load("5x");
  EXPECT_TRUE(retried.ok()) << ToJson(retried);
  EXPECT_GT(Find(retried, "fact_crypto_market").rows_inserted, 0);
  EXPECT_EQ(MetadataLines("crypto", "fact_crypto_market").size(), lines + 1);
}

TEST_F(LoadTest, MetadataLinesFollowTheOriginalWithoutLeakingBetweenTables) {
  ExtractAndTransform(0, 0);
  ASSERT_TRUE(Load("10x").ok());
  ASSERT_TRUE(Load("daily").ok());
  auto link = MetadataLines("crypto", "crypto_category_link");
  ASSERT_EQ(link.size(), 1u);
  std::vector<std::string> keys;
  for (auto it = link[0].begin(); it != link[0].end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAre("table", "domain", "status", "record_count", "mode", "started_at",
                                "ended_at", "transformation_ended_at", "notes", "categories_count",
                                "category_ids", "delta_version", "rows_inserted", "rows_updated",
                                "rows_rejected"));
  EXPECT_EQ(link[0]["mode"], "append");
  EXPECT_EQ(link[0]["categories_count"], Count("SELECT count(*) FROM dim_crypto_category"));
  EXPECT_EQ(link[0]["category_ids"].size(), link[0]["categories_count"].get<size_t>());
  // The transform line it followed.
  std::ifstream transform(lake_.root() + "/metadata/transform/crypto/crypto_category_link.jsonl");
  std::string last, line;
  while (std::getline(transform, line)) last = line;
  EXPECT_EQ(link[0]["transformation_ended_at"], Json::parse(last)["ended_at"]);

  auto map = MetadataLines("crypto", "dim_crypto_map");
  ASSERT_EQ(map.size(), 1u);
  EXPECT_FALSE(map[0].contains("category_ids"));
  EXPECT_EQ(map[0]["status"], "loaded");
  EXPECT_EQ(map[0]["notes"], "Load from transformed dim_crypto_map delta table");
}

TEST_F(LoadTest, AnEmbeddedDumpImportsIntoAnEmptyDatabaseWithTheSameRows) {
  ExtractAndTransform(0, 0);
  ASSERT_TRUE(Load("all").ok());
  auto dump = DumpGold(Context(), {});
  ASSERT_THAT(dump.status(), IsOk());
  EXPECT_THAT(dump->path, HasSubstr("/data/gold/dumps/full_backup_"));
  EXPECT_GT(dump->bytes, 0);
  auto restored = OpenDuckTarget(lake_.root() + "/restored.duckdb", {});
  ASSERT_THAT(restored.status(), IsOk());
  ASSERT_THAT((*restored)->Execute("IMPORT DATABASE '" + dump->path + "'", "import").status(),
              IsOk());
  for (const auto& table : WarehouseTables()) {
    const std::string count = "SELECT count(*) FROM " + table.name;
    EXPECT_EQ((*restored)->Query(count, "count").value().Int(0, 0), Count(count)) << table.name;
  }
  // Rotation touches only the dumps it wrote, never a file of the user's nor the new dump.
  const std::string dumps = lake_.root() + "/data/gold/dumps";
  std::ofstream(dumps + "/full_backup_manual.sql") << "kept";
  std::filesystem::create_directories(dumps + "/full_backup_2020-01-01_restore-test");
  lake_.SetClock(0, 11, 0);
  auto rotated = DumpGold(Context(), {1});
  ASSERT_THAT(rotated.status(), IsOk());
  EXPECT_EQ(rotated->removed, std::vector<std::string>{dump->path});
  EXPECT_TRUE(std::filesystem::exists(dumps + "/full_backup_manual.sql"));
  EXPECT_TRUE(std::filesystem::exists(dumps + "/full_backup_2020-01-01_restore-test"));
  EXPECT_TRUE(std::filesystem::exists(rotated->path));
  // A folder in the way of the dumps is an error naming it, and nothing is half-written.
  const std::string blocked = lake_.root() + "/data/gold/dumps";
  std::filesystem::remove_all(blocked);
  std::ofstream(blocked) << "not a folder";
  auto failed = DumpGold(Context(), {});
  EXPECT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("dumps"));
}

TEST_F(LoadTest, RowsOlderThanTheLoadedSnapshotsStillArrive) {
  // The live fear-and-greed reading is loaded first; the history (older days) reaches silver
  // later and must follow, though every one of its rows is older than the loaded one.
  ASSERT_THAT(lake_.bronze().WriteAll(SmallScale(), 0, lake_.Stamp(0, 8, 20)), IsOk());
  lake_.SetClock(0, 8, 30);
  lake_.Run("10x");
  ASSERT_TRUE(Load("10x").ok());
  EXPECT_EQ(Count("SELECT count(*) FROM fact_market_sentiment"), 1);
  lake_.SetClock(0, 9, 0);
  lake_.Run("init");
  LoadReport report = Load("10x");
  const TableLoad& sentiment = Find(report, "fact_market_sentiment");
  EXPECT_EQ(sentiment.status, "loaded");
  EXPECT_EQ(sentiment.rows_inserted, SmallScale().fear_greed_days);
  EXPECT_EQ(Count("SELECT count(*) FROM fact_market_sentiment"), 1 + SmallScale().fear_greed_days);
  // Only what silver added since the last load was read.
  EXPECT_EQ(sentiment.rows_read, SmallScale().fear_greed_days);
}

TEST_F(LoadTest, RefusesABadGroupAndAWarehouseNotInitialised) {
  EXPECT_THAT(LoadWarehouse(Context(), {"hourly", false}).status().message(),
              HasSubstr("valid: daily, weekly, 5x, 10x, all"));
  Execute("DELETE FROM dlake_schema_migrations WHERE version = 3");
  EXPECT_THAT(LoadWarehouse(Context(), {"daily", false}).status().message(),
              HasSubstr("dlake warehouse init"));
}

}  // namespace
}  // namespace dlake::warehouse
