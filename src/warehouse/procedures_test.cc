// The two repair procedures (cryptolakehouse §6 items 48 and 49) on the embedded warehouse,
// where the library runs their statements, and their PostgreSQL form. Creating and CALLing them
// on a real PostgreSQL is in views_test.cc (PostgresWarehouseTest).

#include "warehouse/procedures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_util.h"
#include "warehouse/migrate.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {
namespace {

using ::dlake::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const ProcedureDefinition& Procedure(const std::string& name) {
  for (const auto& procedure : RepairProcedures()) {
    if (procedure.name == name) return procedure;
  }
  ADD_FAILURE() << "no procedure " << name;
  return RepairProcedures().front();
}

class ProceduresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DLAKE_ASSERT_OK_AND_ASSIGN(target_, OpenDuckTarget(dir_.Join("warehouse.duckdb"), {}));
    ASSERT_THAT(Migrate(*target_).status(), IsOk());
    Exec("INSERT INTO dim_exchange_id VALUES (1, 'A'), (2, 'B'), (3, 'C'), (4, 'D')");
    Exec(
        "INSERT INTO dim_crypto_id (crypto_id, name, symbol) VALUES (1, 'Bitcoin', 'BTC'), "
        "(1027, 'Ethereum', 'ETH')");
  }

  void Exec(const std::string& sql) { ASSERT_THAT(target_->Execute(sql, "test").status(), IsOk()); }

  std::vector<std::string> Rows(const std::string& sql) {
    auto rows = target_->Query(sql, "test query");
    EXPECT_THAT(rows.status(), IsOk());
    std::vector<std::string> lines;
    if (!rows.ok()) return lines;
    for (const auto& row : rows->rows) {
      std::string line;
      for (size_t c = 0; c < row.size(); ++c) line += (c ? "|" : "") + row[c].value_or("NULL");
      lines.push_back(line);
    }
    return lines;
  }

  int64_t Run(const std::string& name) {
    auto updated = RunProcedure(*target_, Procedure(name));
    EXPECT_THAT(updated.status(), IsOk());
    return updated.ok() ? *updated : -2;
  }

  ::dlake::testing::TempDir dir_;
  std::unique_ptr<SqlTarget> target_;
};

// (exchange, day of June 2025, maker_fee, taker_fee, weekly_visits)
std::string MapRow(int exchange, int day, const char* maker, const char* taker,
                   const char* visits) {
  const std::string ts = "2025-06-0" + std::to_string(day) + " 08:00:00";
  return "(" + std::to_string(exchange) + ", TIMESTAMP '" + ts + "', '" + ts + "', TRUE, " + maker +
         ", " + taker + ", " + visits + ")";
}

TEST_F(ProceduresTest, ExchangeMapFillsOnlyTheNewestAllNullRowFromTheLatestCompleteOne) {
  Exec("INSERT INTO dim_exchange_map VALUES " +
       // 1: an older gap, two complete rows, a partial row (not a source) and the newest gap.
       MapRow(1, 1, "NULL", "NULL", "NULL") + ", " + MapRow(1, 2, "0.001", "0.002", "100") + ", " +
       MapRow(1, 3, "0.003", "0.004", "200") + ", " + MapRow(1, 4, "0.005", "NULL", "NULL") + ", " +
       MapRow(1, 5, "NULL", "NULL", "NULL") + ", " +
       // 2: the newest all-NULL row is older than its newest complete row (spec: still filled).
       MapRow(2, 1, "0.01", "0.02", "10") + ", " + MapRow(2, 2, "NULL", "NULL", "NULL") + ", " +
       MapRow(2, 3, "0.05", "0.06", "30") + ", " +
       // 3: complete rows only.
       MapRow(3, 1, "0.1", "0.1", "1") + ", " + MapRow(3, 2, "0.2", "0.2", "2") + ", " +
       // 4: gaps with no complete row before them.
       MapRow(4, 1, "NULL", "NULL", "NULL") + ", " + MapRow(4, 2, "NULL", "NULL", "NULL"));
  const std::string dump =
      "SELECT exchange_id, day(snapshot_timestamp), maker_fee, taker_fee, weekly_visits "
      "FROM dim_exchange_map ORDER BY exchange_id, snapshot_timestamp";

  EXPECT_EQ(Run("fill_nulls_exchange_map_info"), 2);
  EXPECT_THAT(Rows(dump), ElementsAre("1|1|NULL|NULL|NULL", "1|2|0.001|0.002|100",
                                      "1|3|0.003|0.004|200", "1|4|0.005|NULL|NULL",
                                      "1|5|0.003|0.004|200",  // filled from day 3
                                      "2|1|0.01|0.02|10",
                                      "2|2|0.01|0.02|10",  // filled from day 1
                                      "2|3|0.05|0.06|30", "3|1|0.1|0.1|1", "3|2|0.2|0.2|2",
                                      "4|1|NULL|NULL|NULL", "4|2|NULL|NULL|NULL"));

  // The gaps left have no complete row before them.
  EXPECT_EQ(Run("fill_nulls_exchange_map_info"), 0);
}

// (exchange, day, wallet, crypto, spot_volume_usd, total_usd_value, wallet_weight)
std::string AssetRow(int exchange, int day, const char* wallet, int crypto, const char* spot,
                     const char* total, const char* weight) {
  const std::string ts = "2025-06-0" + std::to_string(day) + " 08:00:00";
  return "(" + std::to_string(exchange) + ", TIMESTAMP '" + ts + "', '" + ts + "', " + spot +
         ", 'BTC', 'Bitcoin', '" + wallet + "', " + std::to_string(crypto) + ", 1, 1, " + total +
         ", " + weight + ")";
}

TEST_F(ProceduresTest, SpotVolumeFillsTheNewestNullSnapshotAndRecomputesWalletWeight) {
  Exec("INSERT INTO fact_exchange_assets VALUES " +
       // 1: day 2 is an older gap; day 4 the newest, with a row that already has its volume.
       AssetRow(1, 1, "w1", 1, "1000", "100", "0.1") + ", " +
       AssetRow(1, 2, "w1", 1, "NULL", "150", "NULL") + ", " +
       AssetRow(1, 3, "w1", 1, "2000", "200", "0.1") + ", " +
       AssetRow(1, 3, "w2", 1027, "2000", "400", "0.2") + ", " +
       AssetRow(1, 4, "w1", 1, "NULL", "500", "NULL") + ", " +
       AssetRow(1, 4, "w2", 1027, "NULL", "100", "NULL") + ", " +
       AssetRow(1, 4, "w3", 1, "1500", "300", "0.2") + ", " +
       // 2: the latest known volume is 0, so the weight stays NULL.
       AssetRow(2, 1, "w1", 1, "0", "10", "NULL") + ", " +
       AssetRow(2, 2, "w1", 1, "NULL", "20", "NULL") + ", " +
       // 3: a gap with no volume before it.
       AssetRow(3, 1, "w1", 1, "NULL", "5", "NULL") + ", " +
       AssetRow(3, 2, "w1", 1, "3000", "30", "0.01") + ", " +
       // 4: the newest gap is older than the newest complete snapshot (spec: still filled).
       AssetRow(4, 1, "w1", 1, "4000", "40", "0.01") + ", " +
       AssetRow(4, 2, "w1", 1, "NULL", "80", "NULL") + ", " +
       AssetRow(4, 3, "w1", 1, "5000", "50", "0.01"));
  const std::string dump =
      "SELECT exchange_id, day(snapshot_timestamp), wallet_address, spot_volume_usd, "
      "wallet_weight FROM fact_exchange_assets ORDER BY exchange_id, snapshot_timestamp, "
      "wallet_address";

  EXPECT_EQ(Run("fill_nulls_spot_volume_and_wallet_weight"), 4);
  EXPECT_THAT(Rows(dump),
              ElementsAre("1|1|w1|1000.0|0.1", "1|2|w1|NULL|NULL",  // not the newest gap
                          "1|3|w1|2000.0|0.1", "1|3|w2|2000.0|0.2", "1|4|w1|2000.0|0.25",
                          "1|4|w2|2000.0|0.05",                      // filled from day 3
                          "1|4|w3|1500.0|0.2",                       // had its volume
                          "2|1|w1|0.0|NULL", "2|2|w1|0.0|NULL",      // 0: no weight
                          "3|1|w1|NULL|NULL", "3|2|w1|3000.0|0.01",  // nothing before
                          "4|1|w1|4000.0|0.01", "4|2|w1|4000.0|0.02", "4|3|w1|5000.0|0.01"));

  // One snapshot per exchange per call: the next call reaches exchange 1's older gap.
  EXPECT_EQ(Run("fill_nulls_spot_volume_and_wallet_weight"), 1);
  EXPECT_THAT(Rows("SELECT spot_volume_usd, wallet_weight FROM fact_exchange_assets "
                   "WHERE exchange_id = 1 AND day(snapshot_timestamp) = 2"),
              ElementsAre("1000.0|0.15"));
  EXPECT_EQ(Run("fill_nulls_spot_volume_and_wallet_weight"), 0);
}

TEST_F(ProceduresTest, RunOnAnEmptyWarehouseUpdatesNothing) {
  for (const auto& procedure : RepairProcedures()) {
    EXPECT_EQ(Run(procedure.name), 0) << procedure.name;
  }
}

TEST(ProcedureSqlTest, PostgresProcedureWrapsTheStatementsInPlpgsql) {
  ASSERT_EQ(RepairProcedures().size(), 2u);
  EXPECT_EQ(RepairProcedures()[0].name, "fill_nulls_exchange_map_info");
  EXPECT_EQ(RepairProcedures()[1].name, "fill_nulls_spot_volume_and_wallet_weight");
  for (const auto& procedure : RepairProcedures()) {
    const std::string sql = CreateProcedureSql(procedure);
    EXPECT_THAT(sql, StartsWith("CREATE OR REPLACE PROCEDURE " + procedure.name +
                                "() LANGUAGE plpgsql AS $$\nBEGIN\n"));
    EXPECT_THAT(sql, EndsWith("END\n$$"));
    for (const auto& statement : procedure.statements) {
      EXPECT_THAT(sql, HasSubstr(statement + ";\n"));
      EXPECT_THAT(statement, ::testing::Not(EndsWith(";")));
    }
  }
}

}  // namespace
}  // namespace dlake::warehouse
