// The CoinMarketCap extract through dlake::Lake against the fake CoinMarketCap (real HTTP on
// loopback): cryptolakehouse.md §6 items 1-24 as corrected by doc/cmc.md.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "dlake/delta/table.h"
#include "dlake/lake.h"
#include "dlake/lakehouse/json.h"
#include "duck/duck.h"
#include "testing/fake_cmc.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::FakeCmc;
using ::dlake::testing::FakeCmcOptions;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(FakeCmcOptions options, std::map<std::string, std::string> settings = {}) {
    lake_.reset();
    fake_.reset();
    auto fake = FakeCmc::Start(options);
    ASSERT_THAT(fake.status(), IsOk());
    fake_ = std::move(*fake);
    ::setenv("CMC_API_KEY", fake_->options().api_key.c_str(), 1);
    RuntimeOptions runtime;
    runtime.lake = dir_.path();
    runtime.flags = {{"cmc.url", fake_->base_url()},
                     {"cmc.requests_per_minute", "1000000"},
                     {"retry_base_ms", "1"},
                     {"threads", "1"}};
    for (auto& [k, v] : settings) runtime.flags[k] = v;
    auto rt = Runtime::Make(runtime);
    ASSERT_THAT(rt.status(), IsOk());
    auto lake = Lake::Init(dir_.path(), {.runtime = *rt});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(*lake);
  }

  cmc::ExtractReport Extract(const std::string& group, std::vector<std::string> endpoints = {}) {
    auto report = lake_->ExtractCmc({group, std::move(endpoints)});
    EXPECT_THAT(report.status(), IsOk());
    return report.ok() ? *report : cmc::ExtractReport{};
  }

  static const cmc::EndpointReport& Endpoint(const cmc::ExtractReport& r, const std::string& n) {
    for (const auto& e : r.endpoints) {
      if (e.name == n) return e;
    }
    static const cmc::EndpointReport none{"none", "absent"};
    return none;
  }

  std::vector<std::string> SnapshotLines(const std::string& name) {
    std::ifstream in(dir_.Join("metadata/extract/" + name + "/snapshot_info.jsonl"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  nlohmann::ordered_json LastLine(const std::string& name) {
    auto lines = SnapshotLines(name);
    return lines.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json::parse(lines.back());
  }

  // Runs SQL over the lake's files (paths relative to the lake in 'read_parquet(...)').
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    auto db = duck::Database::Open("", {});
    auto conn = duck::Connection::Open(**db);
    auto result = (*conn)->Query(sql, "test query");
    EXPECT_THAT(result.status(), IsOk());
    std::vector<std::vector<std::string>> rows;
    if (!result.ok()) return rows;
    for (size_t r = 0; r < result->RowCount(); ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < result->ColumnCount(); ++c) {
        row.push_back(result->IsNull(c, r) ? "NULL" : result->GetString(c, r));
      }
      rows.push_back(row);
    }
    return rows;
  }

  std::string Abs(const std::string& rel) { return dir_.Join(rel); }

  TempDir dir_;
  std::unique_ptr<FakeCmc> fake_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(ExtractTest, InitExtractsEveryEndpointInDependencyOrderIntoRegisteredBronze) {
  cmc::ExtractReport report = Extract("init");
  ASSERT_EQ(report.endpoints.size(), 11u);
  for (size_t i = 0; i < report.endpoints.size(); ++i) {
    EXPECT_EQ(report.endpoints[i].name, cmc::EndpointNames()[i]);
    EXPECT_EQ(report.endpoints[i].status, "extracted")
        << report.endpoints[i].name << ": " << report.endpoints[i].message;
  }
  EXPECT_TRUE(report.ok());
  // A fresh install gets exchange assets and category links (the original's init order did not).
  EXPECT_GT(Endpoint(report, "exchange_assets").rows, 0);
  EXPECT_EQ(Endpoint(report, "crypto_category").rows, fake_->Totals().category_links);
  // Credits: what the API reported, summed per endpoint and in the manifest.
  EXPECT_EQ(report.credits, fake_->Stats().credits);
  auto credits = lake_->CmcCredits();
  ASSERT_THAT(credits.status(), IsOk());
  EXPECT_EQ(credits->today, fake_->Stats().credits);
  EXPECT_EQ(credits->this_month, fake_->Stats().credits);
  EXPECT_EQ(credits->usable, 6500);

  // Every bronze file is a registered lake file with the run's time in its name; verify is clean.
  const std::regex name(
      R"(data/bronze/[a-z_]+_data/[a-z_0-9]+-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.parquet)");
  int files = 0;
  for (const auto& e : report.endpoints) {
    for (const auto& f : e.files) {
      ++files;
      EXPECT_TRUE(std::regex_match(f, name)) << f;
      EXPECT_TRUE(std::filesystem::exists(Abs(f))) << f;
    }
  }
  EXPECT_EQ(files, 15);  // 11 endpoints, listings in 5 batches
  auto verify = lake_->Verify({});
  ASSERT_THAT(verify.status(), IsOk());
  EXPECT_TRUE(verify->ok());
  EXPECT_EQ(verify->files_checked, files);
}

TEST_F(ExtractTest, TheCryptoMapCoversEveryListedCryptocurrency) {
  cmc::ExtractReport report = Extract("", {"crypto_map", "crypto_listings_latest"});
  ASSERT_TRUE(report.ok());
  const std::string map = Abs(Endpoint(report, "crypto_map").files.at(0));
  auto missing = Query("SELECT count(*) FROM read_parquet('" +
                       Abs("data/bronze/crypto_listings_latest_data/*.parquet") +
                       "') l ANTI JOIN read_parquet('" + map + "') m ON l.id = m.id");
  EXPECT_EQ(missing.at(0).at(0), "0");
  EXPECT_EQ(Endpoint(report, "crypto_map").rows, fake_->Totals().active_cryptos);
  EXPECT_EQ(Endpoint(report, "crypto_map").requests, 2);  // 5200 ids: two pages of 5000
  auto line = LastLine("crypto_map");
  EXPECT_EQ(line["total_active_crypto"], fake_->Totals().active_cryptos);
}

// End to end: bronze from the fake, silver from bronze. Every market row's crypto has its
// dimension row (the original lost ~45% of them on foreign keys).
TEST_F(ExtractTest, SilverBuiltFromAnInitExtractHasEveryMarketRowsCryptocurrency) {
  ASSERT_TRUE(Extract("init").ok());
  auto transform = lake_->TransformCmc({"all"});
  ASSERT_THAT(transform.status(), IsOk());
  ASSERT_TRUE(transform->ok()) << lakehouse::ToJson(*transform);
  auto status = lake_->CmcStatus();
  ASSERT_THAT(status.status(), IsOk());
  int64_t market_rows = -1, crypto_rows = -1;
  for (const auto& t : status->tables) {
    if (t.table == "fact_crypto_market") market_rows = t.row_count;
    if (t.table == "dim_crypto_id") crypto_rows = t.row_count;
  }
  EXPECT_EQ(market_rows, 5000);
  EXPECT_EQ(crypto_rows, fake_->Totals().active_cryptos);
  auto market = delta::Table::Open(Abs("data/silver/crypto/fact_crypto_market"),
                                   {.runtime = lake_->runtime()});
  ASSERT_THAT(market.status(), IsOk());
  auto crypto_sql =
      delta::Table::Open(Abs("data/silver/crypto/dim_crypto_id"), {.runtime = lake_->runtime()});
  ASSERT_THAT(crypto_sql.status(), IsOk());
  auto market_scan = (*market)->ScanSql({});
  auto crypto_scan = (*crypto_sql)->ScanSql({});
  ASSERT_TRUE(market_scan.ok() && crypto_scan.ok());
  auto missing = (*market)->Query("SELECT count(*) AS n FROM (" + *market_scan + ") m ANTI JOIN (" +
                                  *crypto_scan + ") c ON m.crypto_id = c.crypto_id");
  ASSERT_THAT(missing.status(), IsOk());
  EXPECT_EQ(missing->columns.at(0).ToString(0), "0");
  for (const auto& e : status->endpoints) {
    EXPECT_FALSE(e.last_snapshot.empty()) << e.name;
    EXPECT_EQ(e.last_status, "extracted") << e.name;
    EXPECT_GT(e.last_rows, 0) << e.name;
  }
}

TEST_F(ExtractTest, ListingsComeInFiveBatchesOfAtMostAThousandRowsWithOneTime) {
  cmc::ExtractReport report = Extract("5x");
  const auto& listings = Endpoint(report, "crypto_listings_latest");
  ASSERT_EQ(listings.status, "extracted");
  EXPECT_EQ(listings.requests, 25);
  ASSERT_EQ(listings.files.size(), 5u);
  for (int b = 1; b <= 5; ++b) {
    const std::string& f = listings.files[b - 1];
    EXPECT_THAT(f, HasSubstr("crypto_listings_batch" + std::to_string(b) + "-"));
    EXPECT_EQ(f.substr(f.find('-')), listings.files[0].substr(listings.files[0].find('-')));
    auto rows = Query("SELECT count(*), min(batch_index), max(batch_index) FROM read_parquet('" +
                      Abs(f) + "')");
    EXPECT_EQ(rows[0][0], "1000");
    EXPECT_EQ(rows[0][1], std::to_string(b));
    EXPECT_EQ(rows[0][2], std::to_string(b));
  }
  // The rows are the top 5000 by rank, with USD quotes flattened.
  auto first =
      Query("SELECT id, cmc_rank, price_usd IS NOT NULL, typeof(price_usd) FROM read_parquet('" +
            Abs(listings.files[0]) + "') ORDER BY cmc_rank LIMIT 1");
  EXPECT_EQ(first[0][0], std::to_string(fake_->ListingIdsByRank()[0]));
  EXPECT_EQ(first[0][1], "1");
  EXPECT_EQ(first[0][2], "true");
  EXPECT_EQ(first[0][3], "DOUBLE");
  auto line = SnapshotLines("crypto_listings_latest");
  ASSERT_EQ(line.size(), 1u);
  EXPECT_TRUE(std::regex_match(line[0],
                               std::regex(R"(\{"snapshot_date": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", )"
                                          R"("total_listed_cryptos": 5000, "source_endpoint": )"
                                          R"("/v1/cryptocurrency/listings/latest"\})")))
      << line[0];
}

TEST_F(ExtractTest, BronzeRowsCarryTheRunsIsoTimeAndTheDocumentedColumns) {
  cmc::ExtractReport report =
      Extract("", {"exchange_map", "exchange_info", "global_metrics_quotes_latest"});
  ASSERT_TRUE(report.ok()) << cmc::ToJson(report);
  const std::string info = Abs(Endpoint(report, "exchange_info").files.at(0));
  auto cols = Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" +
                    info + "'))");
  std::map<std::string, std::string> types;
  for (auto& r : cols) types[r[0]] = r[1];
  EXPECT_EQ(types["urls"],
            "STRUCT(website VARCHAR[], twitter VARCHAR[], blog VARCHAR[], chat VARCHAR[], fee "
            "VARCHAR[])");
  EXPECT_EQ(types["fiats"], "VARCHAR");
  EXPECT_EQ(types["weekly_visits"], "BIGINT");
  EXPECT_EQ(cols.back()[0], "date_snapshot");
  auto snap = Query("SELECT DISTINCT date_snapshot FROM read_parquet('" + info + "')");
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_TRUE(
      std::regex_match(snap[0][0], std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00)")))
      << snap[0][0];
  EXPECT_EQ(Endpoint(report, "exchange_info").rows, fake_->Totals().active_exchanges);
  // fiats joined with ", ".
  auto fiats = Query("SELECT count(*) FROM read_parquet('" + info +
                     "') WHERE fiats LIKE '%,%' AND fiats NOT LIKE '%, %'");
  EXPECT_EQ(fiats[0][0], "0");

  const std::string global = Abs(Endpoint(report, "global_metrics_quotes_latest").files.at(0));
  auto width =
      Query("SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('" + global + "'))");
  EXPECT_EQ(width[0][0], "44");
  auto line = LastLine("global_metrics_quotes_latest");
  EXPECT_EQ(line["non_null_fields"].get<int>() + line["null_fields"].get<int>(), 43);
}

TEST_F(ExtractTest, UnchangedMapsWriteNothingAndPartialScansAskOnlyActiveExchanges) {
  ASSERT_TRUE(Extract("init").ok());
  const auto files_before = lake_->Verify({})->files_checked;
  fake_->ResetStats();
  cmc::ExtractReport daily = Extract("daily");
  EXPECT_EQ(Endpoint(daily, "exchange_map").status, "unchanged");
  EXPECT_EQ(Endpoint(daily, "crypto_map").status, "unchanged");
  EXPECT_EQ(SnapshotLines("exchange_map").size(), 1u);
  EXPECT_EQ(SnapshotLines("crypto_map").size(), 1u);
  // Partial scan: only the exchanges that listed wallets.
  EXPECT_EQ(fake_->Stats().requests_by_path["/v1/exchange/assets"],
            static_cast<int64_t>(fake_->ExchangesWithAssets().size()));
  // Every category's links are fetched already: a "skip" line, no file.
  const auto& links = Endpoint(daily, "crypto_category");
  EXPECT_EQ(links.status, "skipped");
  EXPECT_TRUE(links.files.empty());
  auto line = LastLine("crypto_category");
  EXPECT_EQ(line["category_ids_to_fetch"], nlohmann::ordered_json({"skip"}));
  EXPECT_EQ(line["num_categories_to_fetch"], 1);
  EXPECT_EQ(lake_->Verify({})->files_checked, files_before + 1);  // the assets file only
}

TEST_F(ExtractTest, CryptoInfoFetchesOnlyNewIdsUntilTheFullRescanIsDue) {
  ASSERT_TRUE(Extract("", {"crypto_map", "crypto_info"}).ok());
  EXPECT_EQ(fake_->Stats().requests_by_path["/v2/cryptocurrency/info"], 52);  // 5200 / 100
  DLAKE_ASSERT_OK(fake_->SetRevision(1));  // one new crypto, one delisted
  fake_->ResetStats();
  cmc::ExtractReport report = Extract("", {"crypto_map", "crypto_info"});
  EXPECT_EQ(Endpoint(report, "crypto_map").status, "extracted");
  EXPECT_EQ(Endpoint(report, "crypto_info").rows, 1);
  EXPECT_EQ(fake_->Stats().requests_by_path["/v2/cryptocurrency/info"], 1);
  // A scan date already passed (the original fired only on the exact date): full rescan.
  auto last = LastLine("crypto_info");
  last["date_of_next_full_scan"] = "2000-01-01";
  std::ofstream(Abs("metadata/extract/crypto_info/snapshot_info.jsonl"), std::ios::app)
      << last.dump() << "\n";
  fake_->ResetStats();
  report = Extract("", {"crypto_info"});
  EXPECT_EQ(Endpoint(report, "crypto_info").rows, fake_->Totals().active_cryptos);
  EXPECT_NE(LastLine("crypto_info")["date_of_next_full_scan"], "2000-01-01");
  EXPECT_EQ(LastLine("crypto_info")["source_endpoint"], "/v2/cryptocurrency/info");
}

TEST_F(ExtractTest, ABadKeyStopsTheRunAtOnceAndNeverShowsTheKey) {
  fake_->InjectFault({.kind = testing::CmcFaultKind::kApiError, .count = -1, .error_code = 1001});
  cmc::ExtractReport report = Extract("10x");
  ASSERT_EQ(report.endpoints.size(), 3u);
  EXPECT_EQ(report.endpoints[0].status, "failed");
  EXPECT_THAT(report.endpoints[0].message, HasSubstr("1001"));
  EXPECT_THAT(report.endpoints[0].message, Not(HasSubstr(fake_->options().api_key)));
  EXPECT_EQ(report.endpoints[1].status, "not_run");
  EXPECT_EQ(report.endpoints[2].status, "not_run");
  EXPECT_EQ(fake_->Stats().requests, 1);
  EXPECT_FALSE(report.ok());
}

TEST_F(ExtractTest, ServerErrorsAreRetriedAndAnEndpointThatStillFailsWritesNothing) {
  fake_->InjectFault({.kind = testing::CmcFaultKind::kHttpError,
                      .count = 2,
                      .path_prefix = "/v1/global-metrics",
                      .status = 503});
  fake_->InjectFault({.kind = testing::CmcFaultKind::kHtmlOk,
                      .count = -1,
                      .path_prefix = "/v3/fear-and-greed/latest"});
  cmc::ExtractReport report = Extract("10x");
  EXPECT_EQ(Endpoint(report, "global_metrics_quotes_latest").status, "extracted");
  EXPECT_EQ(Endpoint(report, "global_metrics_quotes_latest").requests, 1);
  EXPECT_EQ(fake_->Stats().requests_by_path["/v1/global-metrics/quotes/latest"], 3);
  const auto& fng = Endpoint(report, "fear_and_greed_latest");
  EXPECT_EQ(fng.status, "failed");
  EXPECT_THAT(fng.message, HasSubstr("/v3/fear-and-greed/latest"));
  EXPECT_TRUE(fng.files.empty());
  EXPECT_TRUE(SnapshotLines("fear_and_greed_latest").empty());
  EXPECT_FALSE(std::filesystem::exists(Abs("data/bronze/latest_fear_and_greed_data")) &&
               !testing::ListFilesRecursive(Abs("data/bronze/latest_fear_and_greed_data")).empty());
  EXPECT_EQ(Endpoint(report, "crypto_categories").status, "extracted");
  EXPECT_FALSE(report.ok());
}

TEST_F(ExtractTest, WrongTypesFailTheEndpointNamingTheField) {
  fake_->InjectFault(
      {.kind = testing::CmcFaultKind::kWrongTypes, .count = -1, .path_prefix = "/v1/exchange/map"});
  cmc::ExtractReport report = Extract("", {"exchange_map"});
  const auto& map = Endpoint(report, "exchange_map");
  EXPECT_EQ(map.status, "failed");
  EXPECT_THAT(map.message, HasSubstr("/v1/exchange/map item 0: field 'id'"));
  EXPECT_TRUE(SnapshotLines("exchange_map").empty());
}

TEST_F(ExtractTest, ARunOverTheMonthlyBudgetIsRefusedBeforeAnyRequest) {
  Start({}, {{"cmc.monthly_credits", "1000"}});
  auto report = lake_->ExtractCmc({"init", {}});
  EXPECT_THAT(report.status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("cmc.monthly_credits")));
  EXPECT_EQ(fake_->Stats().requests, 0);
  EXPECT_TRUE(Extract("10x").ok());  // a small group fits
}

TEST_F(ExtractTest, UnknownGroupsAndEndpointsAreNamed) {
  EXPECT_THAT(lake_->ExtractCmc({"hourly", {}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'hourly'")));
  EXPECT_THAT(lake_->ExtractCmc({"", {"crypto_mapp"}}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("crypto_map,")));
  EXPECT_EQ(fake_->Stats().requests, 0);
}

TEST_F(ExtractTest, DependentEndpointsWithoutTheirInputFailWithGuidance) {
  cmc::ExtractReport report = Extract("weekly");
  EXPECT_EQ(Endpoint(report, "exchange_info").status, "failed");
  EXPECT_THAT(Endpoint(report, "exchange_info").message, HasSubstr("extract exchange_map first"));
  EXPECT_THAT(Endpoint(report, "crypto_info").message, HasSubstr("extract crypto_map first"));
  EXPECT_EQ(fake_->Stats().requests, 0);
}

}  // namespace
}  // namespace dlake
