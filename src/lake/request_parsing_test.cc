// Requests from text (dlake/request_parsing.h), shared by the CLI and the Python SDK, and the
// columns of reads that find no rows, on a real lake.

#include "dlake/request_parsing.h"

#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "testing/test_util.h"

namespace dlake {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::KlineOptions;
using ::dlake::testing::MakeKlineCsv;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00:00Z

TEST(ParseDatasetFilterTest, NormalisesNamesAndLeavesEmptyFieldsOpen) {
  auto filter = ParseDatasetFilter({"binance", "", "btc/usdt:usdt", "RAW", "1H"});
  ASSERT_THAT(filter.status(), IsOk());
  EXPECT_EQ(filter->exchange, "BINANCE");
  EXPECT_EQ(filter->market, "");
  EXPECT_EQ(filter->symbol, "BTCUSDT");
  EXPECT_EQ(filter->type, "raw");
  EXPECT_EQ(filter->period, "1h");
}

TEST(ParseDatasetFilterTest, NamesTheBadValue) {
  EXPECT_THAT(ParseDatasetFilter({.type = "candles"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("candles")));
  EXPECT_THAT(ParseDatasetFilter({.period = "7x"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("7x")));
  EXPECT_THAT(ParseDatasetFilter({.symbol = "/USDT"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("/USDT")));
}

TEST(ParseDatasetIdTest, DefaultsThePeriodByType) {
  EXPECT_EQ(DefaultPeriod(""), "1m");
  EXPECT_EQ(DefaultPeriod("RAW"), "1m");
  EXPECT_EQ(DefaultPeriod("agg"), "1m");
  EXPECT_EQ(DefaultPeriod("ticks"), "tick");
  EXPECT_EQ(DefaultPeriod("alt"), "");
  auto candles = ParseDatasetId({"binance", "futures", "BTCUSDT", "", ""});
  ASSERT_THAT(candles.status(), IsOk());
  EXPECT_EQ(candles->Path(), "BINANCE/FUTURES/BTCUSDT/raw/1m");
  auto ticks = ParseDatasetId({"binance", "spot", "BTCUSDT", "ticks", ""});
  ASSERT_THAT(ticks.status(), IsOk());
  EXPECT_EQ(ticks->Path(), "BINANCE/SPOT/BTCUSDT/ticks/tick");
  EXPECT_THAT(ParseDatasetId({"binance", "futures", "BTCUSDT", "alt", ""}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("period is required for alt")));
  EXPECT_THAT(ParseDatasetId({"binance", "", "BTCUSDT", "raw", "1m"}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("market")));
}

TEST(ParseTimeRangeTest, ADateOnlyEndIncludesTheDayAndEmptyBoundsAreOpen) {
  auto day = ParseTimeRange("2024-01-01", "2024-01-01");
  ASSERT_THAT(day.status(), IsOk());
  EXPECT_EQ(day->start, kJan1);
  EXPECT_EQ(day->end, kJan1 + kMsPerDay);
  auto open = ParseTimeRange("", "");
  ASSERT_THAT(open.status(), IsOk());
  EXPECT_EQ(open->start, INT64_MIN);
  EXPECT_EQ(open->end, INT64_MAX);
  auto offset = ParseTimeRange("2024-01-01T02:00+02:00", "1704070800000");
  ASSERT_THAT(offset.status(), IsOk());
  EXPECT_EQ(offset->start, kJan1);
  EXPECT_EQ(offset->end, kJan1 + kMsPerHour);
}

TEST(ParseTimeRangeTest, RefusesBadTimesAndAnEndNotAfterTheStart) {
  EXPECT_THAT(ParseTimeRange("2024-13-01", "").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("2024-13-01")));
  EXPECT_THAT(ParseTimeRange("", "yesterday").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("yesterday")));
  EXPECT_THAT(ParseTimeRange("2024-01-02", "2024-01-01T12:00").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must be after the start")));
  EXPECT_THAT(ParseTimeRange("2024-01-01T00:00", "2024-01-01T00:00").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must be after")));
}

class ReadRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lake = Lake::Init(dir_.Join("lake"), LakeOptions{});
    ASSERT_THAT(lake.status(), IsOk());
    lake_ = std::move(lake).value();
    KlineOptions opts;
    opts.count = 2 * 1440;  // 2024-01-01 and 2024-01-02
    const std::string csv = dir_.Join("btc.csv");
    testing::WriteFile(csv, MakeKlineCsv(opts));
    IngestRequest request;
    request.sources = {csv};
    request.dataset = *DatasetId::Make("binance", "futures", "BTCUSDT", "raw", "1m");
    ASSERT_THAT(lake_->Ingest(request).status(), IsOk());
  }

  Result<RecordBatch> Read(const ReadQuery& query) {
    DLAKE_ASSIGN_OR_RETURN(ReadRequest request, MakeReadRequest(*lake_, query));
    return lake_->Read(request);
  }

  static std::vector<std::string> Names(const RecordBatch& batch) {
    std::vector<std::string> names;
    for (const auto& c : batch.columns) names.push_back(c.name);
    return names;
  }

  TempDir dir_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(ReadRequestTest, ResolvesTheMarketAndReadsTheWholeEndDay) {
  ReadQuery query;
  query.dataset = {.exchange = "binance", .symbol = "btc/usdt:usdt"};
  query.start = "2024-01-02";
  query.end = "2024-01-02";
  auto request = MakeReadRequest(*lake_, query);
  ASSERT_THAT(request.status(), IsOk());
  EXPECT_EQ(request->dataset.Path(), "BINANCE/FUTURES/BTCUSDT/raw/1m");
  EXPECT_EQ(request->start, kJan1 + kMsPerDay);
  EXPECT_EQ(request->end, kJan1 + 2 * kMsPerDay);
  auto batch = lake_->Read(*request);
  ASSERT_THAT(batch.status(), IsOk());
  EXPECT_EQ(batch->num_rows, 1440u);
}

TEST_F(ReadRequestTest, NamesWhatIsMissingOrAmbiguous) {
  ReadQuery missing;
  missing.dataset = {.exchange = "binance", .symbol = "ETHUSDT"};
  EXPECT_THAT(MakeReadRequest(*lake_, missing).status(),
              StatusIs(StatusCode::kNotFound, HasSubstr("ETHUSDT")));
  ReadQuery bad_time;
  bad_time.dataset = {.exchange = "binance", .symbol = "BTCUSDT"};
  bad_time.start = "2024-01-05";
  bad_time.end = "2024-01-04";
  EXPECT_THAT(MakeReadRequest(*lake_, bad_time).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("must be after")));
  ReadQuery bad_type;
  bad_type.dataset = {.exchange = "binance", .symbol = "BTCUSDT", .type = "candles"};
  EXPECT_THAT(MakeReadRequest(*lake_, bad_type).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("candles")));
}

TEST_F(ReadRequestTest, AReadWithoutRowsStillHasTheColumnsAndTheirTypes) {
  ReadQuery query;
  query.dataset = {.exchange = "binance", .symbol = "BTCUSDT"};
  query.start = "2023-06-01";  // before every file
  query.end = "2023-06-02";
  auto before = Read(query);
  ASSERT_THAT(before.status(), IsOk());
  EXPECT_EQ(before->num_rows, 0u);
  EXPECT_THAT(Names(*before),
              ElementsAre("ts", "open", "high", "low", "close", "volume", "close_time",
                          "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"));
  EXPECT_EQ(before->columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(before->columns[1].type, ColumnType::kDouble);
  EXPECT_EQ(before->columns[8].type, ColumnType::kInt64);

  // Inside a file's day but after its last row, and with a column list and a limit of 0.
  query.start = "2024-01-02T23:59:30";
  query.end = "2024-01-03";
  query.columns = {"ts", "close"};
  auto tail = Read(query);
  ASSERT_THAT(tail.status(), IsOk());
  EXPECT_EQ(tail->num_rows, 0u);
  EXPECT_THAT(Names(*tail), ElementsAre("ts", "close"));
  query.start = "2024-01-01";
  query.limit = 0;
  auto none = Read(query);
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_EQ(none->num_rows, 0u);
  EXPECT_THAT(Names(*none), ElementsAre("ts", "close"));

  // A column no file has is an error also when no file overlaps the range.
  query.start = "2023-06-01";
  query.end = "2023-06-02";
  query.limit = -1;
  query.columns = {"ts", "no_such_column"};
  EXPECT_THAT(Read(query).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("no_such_column")));
}

TEST_F(ReadRequestTest, AResampledReadWithoutCandlesStillHasTheColumns) {
  ReadQuery query;
  query.dataset = {.exchange = "binance", .symbol = "BTCUSDT"};
  query.timeframe = "1h";
  query.start = "2023-06-01";
  query.end = "2023-06-02";
  auto batch = Read(query);
  ASSERT_THAT(batch.status(), IsOk());
  EXPECT_EQ(batch->num_rows, 0u);
  ASSERT_EQ(batch->columns.size(), 11u);
  EXPECT_EQ(batch->columns[0].name, "ts");
  EXPECT_EQ(batch->columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(batch->columns[4].name, "close");
  EXPECT_EQ(batch->columns[4].type, ColumnType::kDouble);
  query.columns = {"ts", "volume"};
  query.start = "2024-01-01";
  query.end = "2024-01-02";
  query.limit = 0;
  auto none = Read(query);
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_THAT(Names(*none), ElementsAre("ts", "volume"));
}

}  // namespace
}  // namespace dlake
