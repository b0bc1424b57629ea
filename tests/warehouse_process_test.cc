// `dlake warehouse …` and `dlake gold …` through the real binary on the embedded warehouse, after
// `dlake cmc extract` (against the fake CoinMarketCap served from this process) and `transform`:
// exit codes, the library's JSON, a URL password never shown, and loads killed at random moments.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "testing/fake_cmc.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

class WarehouseProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeCmcOptions small;
    small.cryptos = 1200;
    small.exchanges = 200;
    small.exchanges_with_assets = 12;
    small.wallets = 800;
    small.categories = 40;
    small.category_links = 3000;
    small.fear_greed_days = 60;
    auto fake = FakeCmc::Start(small);
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(*fake);
    InitLake(lake_.path());
    ProcessResult extract = Dlake(lake_.path(), {"cmc", "extract", "--group", "init"}, Options());
    ASSERT_EQ(extract.exit_code, 0) << Describe(extract);
    ProcessResult transform =
        Dlake(lake_.path(), {"cmc", "transform", "--group", "all"}, Options());
    ASSERT_EQ(transform.exit_code, 0) << Describe(transform);
  }

  SpawnOptions Options() const {
    SpawnOptions options;
    options.env = {{"DLAKE_CMC_URL", fake_->base_url()},
                   {"CMC_API_KEY", fake_->options().api_key},
                   {"DLAKE_CMC_REQUESTS_PER_MINUTE", "1000000"},
                   {"DLAKE_RETRY_BASE_MS", "1"}};
    options.unset_env = {"DLAKE_WAREHOUSE_URL"};
    return options;
  }

  nlohmann::json Json(const std::vector<std::string>& args, int expected_exit = 0) {
    std::vector<std::string> all = {"--json"};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult result = Dlake(lake_.path(), all, Options());
    EXPECT_EQ(result.exit_code, expected_exit) << Describe(result);
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_FALSE(json.is_discarded()) << Describe(result);
    return json;
  }

  std::map<std::string, int64_t> Rows() {
    std::map<std::string, int64_t> rows;
    auto status = Json({"warehouse", "status"});
    for (const auto& t : status["tables"]) rows[t["table"]] = t["rows"].get<int64_t>();
    return rows;
  }

  TempDir lake_;
  std::unique_ptr<FakeCmc> fake_;
};

TEST_F(WarehouseProcessTest, TheWholeChainThroughTheCommandLine) {
  ProcessResult early = Dlake(lake_.path(), {"warehouse", "load", "--group", "all"}, Options());
  EXPECT_EQ(early.exit_code, 1) << Describe(early);
  EXPECT_THAT(early.err, HasSubstr("dlake warehouse init"));

  auto init = Json({"warehouse", "init"});
  EXPECT_EQ(init["dialect"], "duckdb");
  EXPECT_EQ(init["to_version"], 3);
  EXPECT_EQ(init["views"], 50);
  EXPECT_TRUE(fs::exists(lake_.path() + "/warehouse/warehouse.duckdb"));

  auto load = Json({"warehouse", "load", "--group", "all"});
  EXPECT_EQ(load["ok"], true);
  ASSERT_EQ(load["tables"].size(), 13u);
  for (const auto& t : load["tables"]) {
    EXPECT_EQ(t["status"], "loaded") << t.dump();
    EXPECT_GT(t["rows_inserted"].get<int64_t>(), 0) << t.dump();
    // The crypto map is paged past 5,000 ids, so every listing finds its crypto.
    if (t["table"] == "fact_crypto_market") {
      EXPECT_EQ(t["rows_rejected"], 0) << t.dump();
    }
  }
  EXPECT_EQ(load["procedures"].size(), 2u);
  auto rows = Rows();
  EXPECT_EQ(rows["fact_crypto_market"], 1200);

  ProcessResult tests = Dlake(lake_.path(), {"warehouse", "test"}, Options());
  auto tests_json = Json({"warehouse", "test"}, tests.exit_code);
  EXPECT_EQ(tests_json["total"], 42);
  EXPECT_EQ(tests.exit_code, tests_json["failed"].get<int>() == 0 ? 0 : 1) << Describe(tests);
  EXPECT_THAT(tests.out, HasSubstr("tests failed"));

  auto again = Json({"warehouse", "load", "--group", "daily"});
  for (const auto& t : again["tables"]) EXPECT_EQ(t["status"], "skipped") << t.dump();
  EXPECT_EQ(Rows(), rows);

  auto snapshot =
      Json({"gold", "snapshot", "--view", "vw_crypto_price_evolution", "--table", "dim_crypto_id"});
  ASSERT_EQ(snapshot["files"].size(), 2u);
  for (const auto& f : snapshot["files"]) {
    std::ifstream csv(f["path"].get<std::string>());
    std::string header;
    std::getline(csv, header);
    EXPECT_FALSE(header.empty());
    EXPECT_THAT(f["path"].get<std::string>(), HasSubstr("/data/gold/snapshots/"));
  }
  EXPECT_EQ(snapshot["files"][1]["rows"], rows["dim_crypto_id"]);
  ProcessResult unknown =
      Dlake(lake_.path(), {"gold", "snapshot", "--table", "fact_nope"}, Options());
  EXPECT_EQ(unknown.exit_code, 2) << Describe(unknown);
  EXPECT_THAT(unknown.err, HasSubstr("'fact_nope'"));

  auto first = Json({"gold", "dump"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto second = Json({"gold", "dump", "--keep", "1"});
  EXPECT_EQ(second["removed"].size(), 1u);
  EXPECT_FALSE(fs::exists(first["path"].get<std::string>()));
  EXPECT_TRUE(fs::exists(second["path"].get<std::string>() + "/schema.sql"));

  ProcessResult bad_group = Dlake(lake_.path(), {"warehouse", "load", "--group", "hourly"});
  EXPECT_EQ(bad_group.exit_code, 2) << Describe(bad_group);
  EXPECT_THAT(bad_group.err, HasSubstr("unknown load group 'hourly'"));
}

TEST_F(WarehouseProcessTest, AnUnreachableServerIsAClearErrorThatNeverShowsThePassword) {
  SpawnOptions options = Options();
  options.unset_env.clear();
  options.env["DLAKE_WAREHOUSE_URL"] =
      "host=" + lake_.path() + " port=1 user=dw password=hunter2-secret dbname=crypto_dw";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"warehouse", "init"}, {"warehouse", "load", "--group", "daily"}, {"gold", "dump"}}) {
    ProcessResult result = Dlake(lake_.path(), args, options);
    EXPECT_EQ(result.exit_code, 1) << Describe(result);
    EXPECT_THAT(result.err, HasSubstr("cannot connect to the PostgreSQL warehouse"));
    EXPECT_THAT(result.out + result.err, Not(HasSubstr("hunter2")));
  }
  // A malformed URI: libpq would quote the part it stumbled on, the password.
  options.env["DLAKE_WAREHOUSE_URL"] = "postgresql://dw:hunter2%zz@localhost/crypto_dw";
  ProcessResult malformed = Dlake(lake_.path(), {"warehouse", "status"}, options);
  EXPECT_EQ(malformed.exit_code, 1) << Describe(malformed);
  EXPECT_THAT(malformed.err, HasSubstr("not a valid libpq connection string"));
  EXPECT_THAT(malformed.out + malformed.err, Not(HasSubstr("hunter2")));
  ProcessResult config = Dlake(lake_.path(), {"--json", "config"}, options);
  EXPECT_THAT(config.out + config.err, Not(HasSubstr("hunter2")));
}

TEST_F(WarehouseProcessTest, ALoadKilledAnywhereLeavesWholeTablesAndAReRunCompletes) {
  // The reference: the same silver loaded without interruption into a copy of the lake.
  TempDir copy;
  fs::copy(lake_.path(), copy.path(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  ASSERT_EQ(Dlake(copy.path(), {"warehouse", "init"}, Options()).exit_code, 0);
  ASSERT_EQ(Dlake(copy.path(), {"warehouse", "load", "--group", "all"}, Options()).exit_code, 0);
  std::map<std::string, int64_t> expected;
  {
    ProcessResult status = Dlake(copy.path(), {"--json", "warehouse", "status"}, Options());
    auto json = nlohmann::json::parse(status.out);
    for (const auto& t : json["tables"]) expected[t["table"]] = t["rows"].get<int64_t>();
  }

  ASSERT_EQ(Dlake(lake_.path(), {"warehouse", "init"}, Options()).exit_code, 0);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(20, 1200);
  for (int round = 0; round < 5; ++round) {
    auto child = DlakeChild::Start(
        {"--lake", lake_.path(), "warehouse", "load", "--group", "all", "--force"}, Options());
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    child->Kill(SIGKILL);
    child->Wait();
    // Each table holds nothing or all of its rows: one transaction per table.
    for (const auto& [table, rows] : Rows()) {
      EXPECT_TRUE(rows == 0 || rows == expected[table])
          << table << ": " << rows << " of " << expected[table] << " (round " << round << ")";
    }
  }
  auto rerun = Json({"warehouse", "load", "--group", "all", "--force"});
  EXPECT_EQ(rerun["ok"], true);
  EXPECT_EQ(Rows(), expected);
}

}  // namespace
}  // namespace dlake::testing
