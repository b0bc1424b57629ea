// The warehouse on a real PostgreSQL 15 (a private cluster per test): the whole chain bronze →
// silver → warehouse gives the same rows and values as the embedded target; roles, grants and
// passwords; a dump restores into an empty database; a server killed in the middle of a load
// leaves every table as it was or fully loaded, and the next load completes it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "dlake/common/time.h"
#include "dlake/warehouse/json.h"
#include "dlake/warehouse/warehouse.h"
#include "lakehouse/silver_test_fixture.h"
#include "testing/pg_cluster.h"
#include "warehouse/migrate.h"
#include "warehouse/open_target.h"
#include "warehouse/schema.h"

namespace dlake::warehouse {
namespace {

using ::dlake::lakehouse::SilverLake;
using ::dlake::lakehouse::SmallScale;
using ::dlake::testing::IsOk;
using ::dlake::testing::PgCluster;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PgCluster::Start();
    ASSERT_THAT(cluster.status(), IsOk());
    cluster_ = std::move(*cluster);
    ASSERT_THAT(cluster_->CreateDatabase("crypto_dw"), IsOk());
  }

  WarehouseContext Postgres() {
    return {lake_.root(), lake_.Context().runtime, cluster_->conninfo("crypto_dw")};
  }
  WarehouseContext Embedded() { return {lake_.root(), lake_.Context().runtime, ""}; }

  void ExtractAndTransform(int day, int variant) {
    ASSERT_THAT(lake_.bronze().WriteAll(SmallScale(), variant, lake_.Stamp(day, 8, 20)), IsOk());
    lake_.SetClock(day, 8, 30);
    lake_.Run("all");
    lake_.SetClock(day, 9, 0);
  }

  // Every row of `table`, ordered by its key, each cell rendered the same way on both targets.
  std::vector<std::vector<std::string>> Rows(const WarehouseContext& ctx,
                                             const WarehouseTable& table) {
    auto target = OpenTarget(ctx);
    EXPECT_THAT(target.status(), IsOk());
    if (!target.ok()) return {};
    const bool postgres = !ctx.url.empty();
    std::string select;
    for (const auto& column : table.columns) {
      std::string c = column.name;
      switch (column.type) {
        case SqlType::kTextArray:
          c = "array_to_string(" + c + ", '|')";
          break;
        case SqlType::kBoolean:
          c = "CASE WHEN " + c + " THEN 'true' WHEN NOT " + c + " THEN 'false' END";
          break;
        case SqlType::kTimestamp:
          c = postgres ? "to_char(" + c + ", 'YYYY-MM-DD HH24:MI:SS.US')"
                       : "strftime(" + c + ", '%Y-%m-%d %H:%M:%S.%f')";
          break;
        case SqlType::kDouble:
          c = "CAST(" + c + " AS VARCHAR)";
          break;
        default:
          c = "CAST(" + c + " AS VARCHAR)";
      }
      // Aliased, so ORDER BY names the stored columns, not these renderings.
      select += (select.empty() ? "" : ", ") + c + " AS c" + std::to_string(select.size());
    }
    std::string order;
    for (const auto& key : table.primary_key) order += (order.empty() ? "" : ", ") + key;
    auto rows = (*target)->Query("SELECT " + select + " FROM " + table.name + " ORDER BY " + order,
                                 "reading " + table.name);
    EXPECT_THAT(rows.status(), IsOk());
    std::vector<std::vector<std::string>> out;
    if (!rows.ok()) return out;
    for (const auto& row : rows->rows) {
      auto& cells = out.emplace_back();
      for (size_t c = 0; c < row.size(); ++c) {
        std::string cell = row[c].value_or("NULL");
        if (table.columns[c].type == SqlType::kDouble && row[c]) {
          // PostgreSQL and DuckDB spell some doubles apart: compare the values.
          double value = std::stod(*row[c]);
          char buf[64];
          std::snprintf(buf, sizeof(buf), "%.17g", value);
          cell = buf;
        }
        cells.push_back(cell);
      }
    }
    return out;
  }

  int64_t PgCount(const std::string& sql) {
    auto out = cluster_->Psql("crypto_dw", sql);
    EXPECT_THAT(out.status(), IsOk());
    return out.ok() ? std::stoll(*out) : -1;
  }

  SilverLake lake_;
  std::unique_ptr<PgCluster> cluster_;
};

TEST_F(PostgresTest, TheChainGivesTheSameWarehouseOnBothTargetsAndReloadsNothingTwice) {
  ExtractAndTransform(0, 0);
  for (const auto& ctx : {Embedded(), Postgres()}) {
    auto init = InitWarehouse(ctx);
    ASSERT_THAT(init.status(), IsOk());
    EXPECT_EQ(init->views, 50);
    auto load = LoadWarehouse(ctx, {"all", false});
    ASSERT_THAT(load.status(), IsOk());
    EXPECT_TRUE(load->ok()) << ToJson(*load);
  }
  // The load metadata is shared by the lake, so the second target needs --force: check both
  // then agree row for row, value for value.
  ExtractAndTransform(1, 1);
  for (const auto& ctx : {Embedded(), Postgres()}) {
    auto load = LoadWarehouse(ctx, {"all", true});
    ASSERT_THAT(load.status(), IsOk());
    EXPECT_TRUE(load->ok()) << ToJson(*load);
  }
  for (const auto& table : WarehouseTables()) {
    auto embedded = Rows(Embedded(), table);
    auto postgres = Rows(Postgres(), table);
    EXPECT_FALSE(embedded.empty()) << table.name;
    EXPECT_EQ(embedded, postgres) << table.name;
  }
  EXPECT_EQ(PgCount("SELECT count(*) FROM dlake_load_rejects"),
            OpenTarget(Embedded())
                .value()
                ->Query("SELECT count(*) FROM dlake_load_rejects", "count")
                .value()
                .Int(0, 0));

  // Idempotent: a forced re-load writes nothing.
  auto again = LoadWarehouse(Postgres(), {"all", true});
  ASSERT_THAT(again.status(), IsOk());
  for (const auto& t : again->tables) {
    EXPECT_EQ(t.rows_inserted + t.rows_updated, 0) << t.table;
  }
  // The data tests agree too.
  auto embedded_tests = TestWarehouse(Embedded());
  auto postgres_tests = TestWarehouse(Postgres());
  ASSERT_THAT(embedded_tests.status(), IsOk());
  ASSERT_THAT(postgres_tests.status(), IsOk());
  ASSERT_EQ(embedded_tests->tests.size(), 42u);
  ASSERT_EQ(postgres_tests->tests.size(), 42u);
  for (size_t i = 0; i < 42; ++i) {
    EXPECT_EQ(postgres_tests->tests[i].error, "") << postgres_tests->tests[i].name;
    EXPECT_EQ(embedded_tests->tests[i].rows, postgres_tests->tests[i].rows)
        << embedded_tests->tests[i].name;
  }
}

TEST_F(PostgresTest, RolesGrantsAndPasswordsFromTheEnvironmentOnly) {
  ::setenv("DLAKE_DW_BI_USER_PASSWORD", "s3cret-bi", 1);
  ::unsetenv("DLAKE_DW_ANALYST_PASSWORD");
  // An older warehouse (schema version 1) is upgraded in place.
  {
    auto target = OpenTarget(Postgres());
    ASSERT_THAT(target.status(), IsOk());
    ASSERT_THAT(Migrate(**target, 1).status(), IsOk());
  }
  auto init = InitWarehouse(Postgres());
  ::unsetenv("DLAKE_DW_BI_USER_PASSWORD");
  ASSERT_THAT(init.status(), IsOk());
  EXPECT_EQ(init->from_version, 1);
  EXPECT_EQ(init->to_version, 3);
  EXPECT_EQ(init->roles.size(), 6u);
  EXPECT_EQ(init->passwords, std::vector<std::string>{"bi_user"});
  EXPECT_EQ(init->procedures.size(), 2u);
  EXPECT_THAT(ToJson(*init), Not(HasSubstr("s3cret")));

  EXPECT_EQ(PgCount("SELECT count(*) FROM pg_authid WHERE rolname = 'bi_user' AND "
                    "rolpassword LIKE 'SCRAM-SHA-256$%'"),
            1);
  EXPECT_EQ(PgCount("SELECT count(*) FROM pg_authid WHERE rolname = 'analyst' AND "
                    "rolpassword IS NULL"),
            1);
  EXPECT_EQ(PgCount("SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_exchange_name', "
                    "'idx_crypto_name')"),
            2);
  EXPECT_EQ(PgCount("SELECT count(*) FROM pg_proc WHERE proname LIKE 'fill_nulls_%'"), 2);
  EXPECT_EQ(PgCount("SELECT count(*) FROM pg_views WHERE viewname LIKE 'vw_%'"), 50);
  // Readers read, the engineer writes, nobody but admin creates in public.
  EXPECT_EQ(PgCount("SELECT count(*) FROM (VALUES "
                    "(has_table_privilege('bi_user', 'fact_crypto_market', 'SELECT')), "
                    "(NOT has_table_privilege('bi_user', 'fact_crypto_market', 'INSERT')), "
                    "(has_table_privilege('data_engineer', 'fact_crypto_market', 'INSERT')), "
                    "(NOT has_schema_privilege('analyst', 'public', 'CREATE')), "
                    "(has_schema_privilege('analyst', 'sandbox', 'CREATE')), "
                    "(has_schema_privilege('admin', 'public', 'CREATE'))) AS v(ok) WHERE ok"),
            6);
  // The server's log never saw the password.
  std::ifstream log(cluster_->log_path());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, Not(HasSubstr("s3cret")));
  // data_engineer (no CREATE on public) loads: the schema check only reads, the stage is a
  // temporary table (TEMP on the database), the lock needs only its write privileges.
  ExtractAndTransform(0, 0);
  WarehouseContext engineer = Postgres();
  engineer.url = "host=" + cluster_->socket_dir() + " port=" + std::to_string(cluster_->port()) +
                 " user=data_engineer dbname=crypto_dw";
  auto load = LoadWarehouse(engineer, {"all", false});
  ASSERT_THAT(load.status(), IsOk());
  EXPECT_TRUE(load->ok()) << ToJson(*load);
  EXPECT_GT(PgCount("SELECT count(*) FROM fact_crypto_market"), 0);
  auto reader = WarehouseStatus({lake_.root(), lake_.Context().runtime,
                                 "host=" + cluster_->socket_dir() +
                                     " port=" + std::to_string(cluster_->port()) +
                                     " user=bi_user dbname=crypto_dw"});
  ASSERT_THAT(reader.status(), IsOk());
  EXPECT_EQ(reader->schema_version, 3);
  // Init again changes nothing and fails nothing.
  auto again = InitWarehouse(Postgres());
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->migrations.empty());
}

TEST_F(PostgresTest, ADumpRestoresIntoAnEmptyDatabaseWithTheSameRows) {
  ExtractAndTransform(0, 0);
  ASSERT_THAT(InitWarehouse(Postgres()).status(), IsOk());
  ASSERT_TRUE(LoadWarehouse(Postgres(), {"all", false}).value().ok());
  auto dump = DumpGold(Postgres(), {});
  ASSERT_THAT(dump.status(), IsOk());
  EXPECT_THAT(fs::path(dump->path).filename().string(),
              ::testing::MatchesRegex("full_backup_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}-[0-9]{2}-"
                                      "[0-9]{2}\\.sql"));
  EXPECT_GT(dump->bytes, 0);
  ASSERT_THAT(cluster_->CreateDatabase("restored"), IsOk());
  ASSERT_THAT(cluster_->PsqlFile("restored", dump->path), IsOk());
  for (const auto& table : WarehouseTables()) {
    const std::string count = "SELECT count(*) FROM " + table.name;
    EXPECT_EQ(cluster_->Psql("restored", count).value(), cluster_->Psql("crypto_dw", count).value())
        << table.name;
  }
  // Rotation keeps the newest.
  lake_.SetClock(0, 10, 0);
  auto second = DumpGold(Postgres(), {1});
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_EQ(second->removed, std::vector<std::string>{dump->path});
  EXPECT_FALSE(fs::exists(dump->path));
  EXPECT_TRUE(fs::exists(second->path));
  // A pg_dump that fails (a role that may connect but not read) exits with its message and
  // leaves no file behind.
  ASSERT_THAT(cluster_->Psql("crypto_dw", "CREATE ROLE outsider LOGIN").status(), IsOk());
  WarehouseContext outsider = Postgres();
  outsider.url = "host=" + cluster_->socket_dir() + " port=" + std::to_string(cluster_->port()) +
                 " user=outsider dbname=crypto_dw";
  lake_.SetClock(0, 11, 0);
  auto refused = DumpGold(outsider, {});
  EXPECT_THAT(refused.status().message(), HasSubstr("pg_dump"));
  EXPECT_THAT(refused.status().message(), HasSubstr("permission denied"));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(second->path).parent_path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  // CSV snapshots of a table and a view.
  auto snapshot = SnapshotGold(Postgres(), {{"fact_crypto_market", "vw_crypto_price_evolution"}});
  ASSERT_THAT(snapshot.status(), IsOk());
  ASSERT_EQ(snapshot->files.size(), 2u);
  EXPECT_EQ(snapshot->files[0].rows, PgCount("SELECT count(*) FROM fact_crypto_market"));
  std::ifstream csv(snapshot->files[0].path);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("crypto_id,snapshot_timestamp,snapshot_str,", 0), 0u) << header;
}

TEST_F(PostgresTest, AServerKilledMidLoadLeavesEveryTableAsItWasOrLoaded) {
  ExtractAndTransform(0, 0);
  ASSERT_THAT(InitWarehouse(Postgres()).status(), IsOk());
  // A session holds fact_crypto_market, so the load stops there with earlier tables committed.
  auto blocker = ConnectPostgres(cluster_->conninfo("crypto_dw"));
  ASSERT_THAT(blocker.status(), IsOk());
  ASSERT_THAT(
      (*blocker)
          ->Execute("BEGIN; LOCK TABLE fact_crypto_market IN ACCESS EXCLUSIVE MODE", "blocking")
          .status(),
      IsOk());
  Result<LoadReport> report = Status::Ok();
  std::thread load([&] { report = LoadWarehouse(Postgres(), {"all", false}); });
  while (true) {
    auto waiting = (*blocker)->Query("SELECT count(*) FROM pg_locks WHERE NOT granted", "wait");
    ASSERT_THAT(waiting.status(), IsOk());
    if (waiting->Int(0, 0) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_THAT(cluster_->Kill(), IsOk());
  load.join();
  blocker->reset();
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_FALSE(report->ok());
  bool reached = false;
  for (const auto& t : report->tables) {
    if (t.table == "fact_crypto_market") reached = true;
    EXPECT_EQ(t.status, reached ? "failed" : "loaded") << t.table;
  }
  ASSERT_THAT(cluster_->Restart(), IsOk());
  for (const auto& t : report->tables) {
    const int64_t rows = PgCount("SELECT count(*) FROM " + t.table);
    EXPECT_EQ(rows, t.status == "loaded" ? t.rows_inserted : 0) << t.table;
  }
  auto retried = LoadWarehouse(Postgres(), {"all", false});
  ASSERT_THAT(retried.status(), IsOk());
  EXPECT_TRUE(retried->ok()) << ToJson(*retried);
  for (const auto& t : retried->tables) {
    const bool was_loaded = std::any_of(report->tables.begin(), report->tables.end(), [&](auto& r) {
      return r.table == t.table && r.status == "loaded";
    });
    EXPECT_EQ(t.status, was_loaded ? "skipped" : "loaded") << t.table;
  }
  EXPECT_GT(PgCount("SELECT count(*) FROM fact_crypto_market"), 0);
}

}  // namespace
}  // namespace dlake::warehouse
