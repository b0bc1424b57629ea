// The warehouse schema on the embedded target: migrations from empty and from an older version,
// the keys, foreign keys and length checks they create, and a warehouse newer than the program.

#include "warehouse/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_util.h"
#include "warehouse/migrate.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto target = OpenDuckTarget(dir_.path() + "/warehouse/warehouse.duckdb", {});
    ASSERT_THAT(target.status(), IsOk());
    target_ = std::move(*target);
  }
  int64_t Count(const std::string& sql) {
    auto rows = target_->Query(sql, "test query");
    EXPECT_THAT(rows.status(), IsOk());
    return rows.ok() ? rows->Int(0, 0) : -1;
  }

  ::dlake::testing::TempDir dir_;
  std::unique_ptr<SqlTarget> target_;
};

TEST_F(SchemaTest, MigratesAnEmptyWarehouseToTheLatestVersionOnce) {
  auto report = Migrate(*target_);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->from_version, 0);
  EXPECT_EQ(report->to_version, Migrations().back().version);
  EXPECT_THAT(report->applied, ElementsAre("1 star schema: the 13 tables with their keys",
                                           "2 name indexes", "3 load rejects table"));
  for (const auto& table : WarehouseTables()) {
    EXPECT_EQ(Count("SELECT count(*) FROM information_schema.tables WHERE table_name = '" +
                    table.name + "'"),
              1)
        << table.name;
  }
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                  "'fact_global_market'"),
            58);
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                  "'fact_crypto_market'"),
            27);
  // No secondary index on DuckDB: it would turn dimension upserts into delete + insert, which
  // its foreign-key check refuses (dialect.h).
  EXPECT_EQ(Count("SELECT count(*) FROM duckdb_indexes()"), 0);

  auto again = Migrate(*target_);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(Count("SELECT count(*) FROM dlake_schema_migrations"), 3);
}

TEST_F(SchemaTest, UpgradesAnOlderWarehouseInPlaceKeepingItsRows) {
  ASSERT_THAT(Migrate(*target_, 1).status(), IsOk());
  ASSERT_THAT(
      target_->Execute("INSERT INTO dim_exchange_id VALUES (270, 'Binance')", "seed").status(),
      IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM information_schema.tables WHERE table_name = "
                  "'dlake_load_rejects'"),
            0);

  auto report = Migrate(*target_);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_EQ(report->from_version, 1);
  EXPECT_THAT(report->applied, ElementsAre("2 name indexes", "3 load rejects table"));
  EXPECT_EQ(Count("SELECT count(*) FROM dim_exchange_id WHERE name = 'Binance'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM dlake_load_rejects"), 0);
}

TEST_F(SchemaTest, EnforcesKeysForeignKeysNotNullAndLengths) {
  ASSERT_THAT(Migrate(*target_).status(), IsOk());
  ASSERT_THAT(target_
                  ->Execute("INSERT INTO dim_crypto_id (crypto_id, name, symbol) "
                            "VALUES (1, 'Bitcoin', 'BTC')",
                            "seed")
                  .status(),
              IsOk());
  Status duplicate =
      target_->Execute("INSERT INTO dim_crypto_id (crypto_id, name) VALUES (1, 'x')", "dup")
          .status();
  EXPECT_THAT(duplicate.message(), HasSubstr("primary key"));
  EXPECT_FALSE(target_
                   ->Execute("INSERT INTO dim_crypto_map VALUES (2, TIMESTAMP '2025-01-01', "
                             "'2025-01-01 00:00:00', 1, 1, NULL)",
                             "orphan")
                   .ok());
  EXPECT_FALSE(target_
                   ->Execute("INSERT INTO dim_crypto_map VALUES (1, TIMESTAMP '2025-01-01', "
                             "NULL, 1, 1, NULL)",
                             "null snapshot_str")
                   .ok());
  EXPECT_FALSE(target_
                   ->Execute("INSERT INTO dim_crypto_id (crypto_id, symbol) VALUES "
                             "(3, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')",
                             "symbol longer than 20")
                   .ok());
  EXPECT_THAT(target_
                  ->Execute("INSERT INTO dim_crypto_map VALUES (1, TIMESTAMP '2025-01-01', "
                            "'2025-01-01 00:00:00', 1, 1, NULL)",
                            "child")
                  .status(),
              IsOk());
}

TEST_F(SchemaTest, RefusesAWarehouseNewerThanTheProgram) {
  ASSERT_THAT(Migrate(*target_).status(), IsOk());
  ASSERT_THAT(target_
                  ->Execute("INSERT INTO dlake_schema_migrations VALUES (99, 'future', "
                            "TIMESTAMP '2030-01-01')",
                            "seed")
                  .status(),
              IsOk());
  EXPECT_THAT(Migrate(*target_).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

}  // namespace
}  // namespace dlake::warehouse
