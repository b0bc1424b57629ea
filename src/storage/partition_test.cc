// Partition paths and names (doc/layout.md "Data files") and the dedup keys per data type.

#include "storage/partition.h"

#include <string>
#include <vector>

#include "dlake/common/time.h"
#include "storage/dataset_keys.h"
#include "testing/test_util.h"

namespace dlake::storage {
namespace {

TEST(PartitionTest, PathsFollowTheLayout) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto id,
                             DatasetId::Make("binance", "futures", "BTCUSDT", "raw", "1m"));
  EXPECT_EQ(DatasetDir(id), "data/BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(PartitionDir(id, DayFromCivil(2024, 1, 5)),
            "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/05");
  EXPECT_EQ(DataFileName(id, DayFromCivil(2024, 12, 31), "0123456789abcdef0123"),
            "BTCUSDT-1m-2024-12-31-0123456789ab.parquet");
  EXPECT_EQ(DatasetLockPath(id), ".locks/BINANCE.FUTURES.BTCUSDT.raw.1m.lock");
}

TEST(PartitionTest, MonthFilesLiveInTheMonthFolder) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto id, DatasetId::Make("binance", "spot", "ETHUSDT", "raw", "1d"));
  EXPECT_EQ(MonthDir(id, DayFromCivil(2024, 2, 17)), "data/BINANCE/SPOT/ETHUSDT/raw/1d/2024/02");
  EXPECT_EQ(MonthFileName(id, DayFromCivil(2024, 2, 1), "0123456789abcdef0123"),
            "ETHUSDT-1d-2024-02-0123456789ab.parquet");
  EXPECT_EQ(MonthFirstDay(DayFromCivil(2024, 2, 17)), DayFromCivil(2024, 2, 1));
  EXPECT_EQ(MonthLastDay(DayFromCivil(2024, 2, 17)), DayFromCivil(2024, 2, 29));  // leap year
  EXPECT_EQ(MonthLastDay(DayFromCivil(2023, 12, 1)), DayFromCivil(2023, 12, 31));
  EXPECT_EQ(MonthFirstDay(DayFromCivil(2023, 12, 31)), DayFromCivil(2023, 12, 1));
}

TEST(PartitionTest, TempNamesAreUniqueAndRecognised) {
  const std::string a = TempFileName("day.parquet");
  const std::string b = TempFileName("day.parquet");
  EXPECT_NE(a, b);
  EXPECT_TRUE(IsTempName(a));
  EXPECT_TRUE(a.ends_with("-day.parquet"));
  EXPECT_FALSE(IsTempName("BTCUSDT-1m-2024-12-31-0123456789ab.parquet"));
  EXPECT_FALSE(IsTempName("tmp-1-day.parquet"));
}

TEST(DatasetKeysTest, TradesDedupOnTradeIdAndEverythingElseOnTs) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto ticks,
                             DatasetId::Make("binance", "spot", "BTCUSDT", "ticks", "tick"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto funding,
                             DatasetId::Make("binance", "futures", "BTCUSDT", "alt", "funding"));
  EXPECT_EQ(KeysFor(ticks).dedup, std::vector<std::string>{"trade_id"});
  EXPECT_EQ(KeysFor(ticks).order, (std::vector<std::string>{"ts", "trade_id"}));
  EXPECT_EQ(KeysFor(funding).dedup, std::vector<std::string>{"ts"});
  EXPECT_EQ(KeysFor(funding).order, std::vector<std::string>{"ts"});
  EXPECT_EQ(JoinIdentifiers({"ts", "trade_id"}), "\"ts\", \"trade_id\"");
  EXPECT_EQ(JoinIdentifiers({}), "");
}

}  // namespace
}  // namespace dlake::storage
