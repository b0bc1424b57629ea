// The pieces of the silver layer on their own: bronze file names and selection, the
// should-transform check, the groups.

#include "lakehouse/silver_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dlake/common/time.h"
#include "lakehouse/bronze_files.h"
#include "lakehouse/should_transform.h"
#include "lakehouse/silver_test_fixture.h"

namespace dlake::lakehouse {
namespace {

using ::dlake::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

int64_t Utc(const char* text) {
  auto point = ParseTimePoint(text);
  EXPECT_TRUE(point.ok()) << text;
  return point.ok() ? point->ms : 0;
}

TEST(BronzeFileTimeTest, ReadsTheUtcTimeAfterTheFirstDash) {
  EXPECT_EQ(
      BronzeFileTime("data/bronze/exchange_map_data/exchange_map-2025-05-03_01-44-14.parquet"),
      Utc("2025-05-03T01:44:14Z"));
  EXPECT_EQ(BronzeFileTime("crypto_listings_batch10-2025-12-31_23-59-59.parquet"),
            Utc("2025-12-31T23:59:59Z"));
  EXPECT_EQ(BronzeFileTime("fear_and_greed-1970-01-01_00-00-00.parquet"), 0);
}

TEST(BronzeFileTimeTest, NamesWithoutATimeHaveNone) {
  for (const char* name :
       {"exchange_map.parquet", "exchange_map-2025-05-03.parquet",
        "exchange_map-2025-05-03_01-44-1x.parquet", "exchange_map-2025-13-03_01-44-14.parquet",
        "exchange_map-20250503_014414.parquet"}) {
    EXPECT_EQ(BronzeFileTime(name), std::nullopt) << name;
  }
}

// should_transform (cryptolakehouse §2.1 and item 26): strictly greater, by date or timestamp;
// no metadata or no time in the name: transform.
TEST(ShouldTransformTest, TruthTable) {
  struct Case {
    const char* snapshot;
    const char* ended;
    TransformCheck check;
    bool expected;
  };
  using enum TransformCheck;
  const Case cases[] = {
      {"2025-05-06T08:20:00Z", "2025-05-05T08:30:00Z", kDate, true},   // next day
      {"2025-05-05T23:59:59Z", "2025-05-05T08:30:00Z", kDate, false},  // same day, later time
      {"2025-05-05T08:00:00Z", "2025-05-05T08:30:00Z", kDate, false},  // same day, earlier
      {"2025-05-04T23:00:00Z", "2025-05-05T00:10:00Z", kDate, false},  // the day before
      {"2025-05-05T08:30:01Z", "2025-05-05T08:30:00Z", kTimestamp, true},
      {"2025-05-05T08:30:00Z", "2025-05-05T08:30:00Z", kTimestamp, false},  // equal: no
      {"2025-05-05T08:29:59Z", "2025-05-05T08:30:00Z", kTimestamp, false},
      {"2025-05-06T00:00:00Z", "2025-05-05T23:59:59Z", kDate, true},  // UTC midnight
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ShouldTransform(Utc(c.snapshot), Utc(c.ended), c.check), c.expected)
        << c.snapshot << " vs " << c.ended << (c.check == kDate ? " (date)" : " (ts)");
  }
  EXPECT_TRUE(ShouldTransform(Utc("2025-05-05T08:00:00Z"), std::nullopt, kDate));
  EXPECT_TRUE(ShouldTransform(Utc("2025-05-05T08:00:00Z"), std::nullopt, kTimestamp));
  EXPECT_TRUE(ShouldTransform(std::nullopt, Utc("2025-05-05T08:00:00Z"), kTimestamp));
}

class LatestBronzeTest : public ::testing::Test {
 protected:
  void Add(const std::string& path, const std::string& folder) {
    LakeFile file;
    file.path = path;
    file.kind = "bronze";
    file.collection = folder;
    ASSERT_THAT(lake_.manifest().AddLakeFile(file), ::dlake::testing::IsOk());
  }
  SilverLake lake_;
};

TEST_F(LatestBronzeTest, TheGreatestFileNameOfThePrefixWins) {
  const std::string dir = "data/bronze/crypto_categories_data/";
  Add(dir + "crypto_categories-2025-05-03_10-30-00.parquet", "crypto_categories_data");
  Add(dir + "crypto_categories-2025-05-04_09-00-00.parquet", "crypto_categories_data");
  Add(dir + "other-2026-01-01_00-00-00.parquet", "crypto_categories_data");
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto latest,
      LatestBronzeFile(lake_.manifest(), "crypto_categories_data", "crypto_categories"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->primary, dir + "crypto_categories-2025-05-04_09-00-00.parquet");
  EXPECT_EQ(latest->time_ms, Utc("2025-05-04T09:00:00Z"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto none,
                             LatestBronzeFile(lake_.manifest(), "global_metrics_data", "x"));
  EXPECT_FALSE(none.has_value());
}

// Regression for the original's reverse name sort, which put batch10 before batch2 and could
// pair files of different runs.
TEST_F(LatestBronzeTest, ListingsBatchesAreGroupedByRunAndNumberedAsNumbers) {
  const std::string folder = "crypto_listings_latest_data";
  const std::string dir = "data/bronze/" + folder + "/";
  for (int batch : {1, 2, 3, 4, 5}) {
    Add(dir + "crypto_listings_batch" + std::to_string(batch) + "-2025-05-03_09-00-00.parquet",
        folder);
  }
  for (int batch : {2, 10, 1}) {  // the newest run: incomplete, with a batch10
    Add(dir + "crypto_listings_batch" + std::to_string(batch) + "-2025-05-03_11-00-00.parquet",
        folder);
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto latest,
                             LatestBronzeBatch(lake_.manifest(), folder, "crypto_listings_batch"));
  ASSERT_TRUE(latest.has_value());
  EXPECT_THAT(latest->files,
              ElementsAre(dir + "crypto_listings_batch1-2025-05-03_11-00-00.parquet",
                          dir + "crypto_listings_batch2-2025-05-03_11-00-00.parquet",
                          dir + "crypto_listings_batch10-2025-05-03_11-00-00.parquet"));
  EXPECT_EQ(latest->primary, dir + "crypto_listings_batch1-2025-05-03_11-00-00.parquet");
  EXPECT_EQ(latest->expected_files, 5);
  EXPECT_EQ(latest->time_ms, Utc("2025-05-03T11:00:00Z"));
}

TEST(TransformGroupsTest, GroupsBuildTheirTablesInTheSpecifiedOrder) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto daily, TransformGroupTables("daily"));
  EXPECT_THAT(daily, ElementsAre("dim_exchange_id", "dim_exchange_info", "dim_exchange_map",
                                 "fact_exchange_assets", "dim_crypto_id", "dim_crypto_map",
                                 "crypto_category_link"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto ten, TransformGroupTables("10x"));
  EXPECT_THAT(ten, ElementsAre("dim_crypto_category", "fact_crypto_category", "fact_global_market",
                               "fact_market_sentiment"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto weekly, TransformGroupTables("weekly"));
  EXPECT_THAT(weekly, ElementsAre("dim_crypto_info"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto five, TransformGroupTables("5x"));
  EXPECT_THAT(five, ElementsAre("fact_crypto_market"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto init, TransformGroupTables("init"));
  EXPECT_THAT(init, ElementsAre("market_sentiment_history"));
  // all = weekly, daily, 5x, 10x, init
  DLAKE_ASSERT_OK_AND_ASSIGN(auto all, TransformGroupTables("ALL"));
  std::vector<std::string> expected = weekly;
  for (const auto* part : {&daily, &five, &ten, &init}) {
    expected.insert(expected.end(), part->begin(), part->end());
  }
  EXPECT_EQ(all, expected);
  EXPECT_EQ(all.size(), 14u);
  // Every step has a definition, and the definitions cover the 13 tables + the history.
  for (const auto& name : all) EXPECT_NE(FindSilverTable(name), nullptr) << name;
  EXPECT_EQ(SilverTables().size(), 14u);
}

TEST(TransformGroupsTest, GroupNamesAreCaseInsensitiveAndUnknownOnesNameTheValidOnes) {
  DLAKE_EXPECT_OK(TransformGroupTables("Daily"));
  DLAKE_EXPECT_OK(TransformGroupTables("10X"));
  EXPECT_THAT(TransformGroupTables("hourly"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("valid groups: init, daily, weekly, 5x, 10x, all")));
  SilverLake lake;
  EXPECT_THAT(TransformSilver(lake.Context(), TransformRequest{"monthly"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'monthly'")));
  SilverContext no_manifest = lake.Context();
  no_manifest.manifest = nullptr;
  EXPECT_THAT(TransformSilver(no_manifest, TransformRequest{"daily"}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("manifest")));
}

}  // namespace
}  // namespace dlake::lakehouse
