#include "ingest/csv_layout.h"

#include "ingest/csv_reader.h"
#include "testing/test_util.h"

namespace dlake::ingest {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

DatasetId Candles() { return DatasetId{"BINANCE", "SPOT", "BTCUSDT", "raw", "1m"}; }
DatasetId Trades() { return DatasetId{"BINANCE", "SPOT", "BTCUSDT", "ticks", "tick"}; }

std::vector<std::string> Names(const CsvLayout& layout) {
  std::vector<std::string> out;
  for (const auto& c : layout.columns) out.push_back(c.name);
  return out;
}

std::string FirstLine(const std::string& path) {
  auto reader = CsvLineReader::Open(path);
  EXPECT_THAT(reader.status(), IsOk());
  std::string_view line;
  EXPECT_TRUE(*reader->Next(&line));
  return std::string(line);
}

TEST(CsvLayoutTest, BinanceSpotKlinesWithoutHeader) {
  const std::string path =
      testing::SharedPath("api-samples/binance-vision/ADABTC-1m-2021-11-27.csv");
  auto layout = DetectLayout(Candles(), path, FirstLine(path), {});
  ASSERT_THAT(layout.status(), IsOk());
  EXPECT_FALSE(layout->has_header);
  EXPECT_EQ(layout->field_count, 12u);
  EXPECT_THAT(Names(*layout),
              ElementsAre("ts", "open", "high", "low", "close", "volume", "close_time",
                          "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"));
  EXPECT_EQ(layout->field_to_column.back(), -1);  // "ignore" is dropped
}

TEST(CsvLayoutTest, BinanceFuturesKlinesWithHeader) {
  const std::string path =
      testing::SharedPath("api-samples/binance-vision/BTCUSD_PERP-1h-2023-10-27.head3.csv");
  auto layout = DetectLayout(Candles(), path, FirstLine(path), {});
  ASSERT_THAT(layout.status(), IsOk());
  EXPECT_TRUE(layout->has_header);
  EXPECT_THAT(Names(*layout),
              ElementsAre("ts", "open", "high", "low", "close", "volume", "close_time",
                          "quote_volume", "trades", "taker_buy_base", "taker_buy_quote"));
}

TEST(CsvLayoutTest, SixColumnsWithAndWithoutHeader) {
  auto plain = DetectLayout(Candles(), "f.csv", "1704067200000,1,2,0.5,1.5,10", {});
  ASSERT_THAT(plain.status(), IsOk());
  EXPECT_THAT(Names(*plain), ElementsAre("ts", "open", "high", "low", "close", "volume"));
  auto headed = DetectLayout(Candles(), "f.csv", "ts,open,high,low,close,volume", {});
  ASSERT_THAT(headed.status(), IsOk());
  EXPECT_TRUE(headed->has_header);
}

TEST(CsvLayoutTest, HeaderedCsvKeepsExtraColumnsWithInferredKinds) {
  auto layout = DetectLayout(
      Candles(), "f.csv", "open,high,low,close,volume,ts,rsi,label,flag",
      {"1,2,0.5,1.5,10,1704067200000,55.5,up,true", "1,2,0.5,1.5,10,1704067260000,61,down,false"});
  ASSERT_THAT(layout.status(), IsOk());
  EXPECT_THAT(Names(*layout),
              ElementsAre("ts", "open", "high", "low", "close", "volume", "rsi", "label", "flag"));
  EXPECT_EQ(layout->columns[6].kind, ValueKind::kDouble);
  EXPECT_EQ(layout->columns[7].kind, ValueKind::kString);
  EXPECT_EQ(layout->columns[8].kind, ValueKind::kBool);
  // Field 5 (ts) maps to column 0, field 0 (open) to column 1.
  EXPECT_EQ(layout->field_to_column[5], 0);
  EXPECT_EQ(layout->field_to_column[0], 1);
}

TEST(CsvLayoutTest, MissingRequiredColumnNamesIt) {
  EXPECT_THAT(
      DetectLayout(Candles(), "f.csv", "ts,open,high,low,close", {}).status(),
      StatusIs(StatusCode::kInvalidArgument, HasSubstr("f.csv:1: the header has no 'volume'")));
  EXPECT_THAT(DetectLayout(Candles(), "f.csv", "time_x,open,high,low,close,volume", {}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'ts'")));
}

TEST(CsvLayoutTest, UnknownHeaderlessWidthIsRefusedWithTheKnownForms) {
  EXPECT_THAT(DetectLayout(Candles(), "f.csv", "1704067200000,1,2,0.5,1.5,10,7", {}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("7 fields")));
}

TEST(CsvLayoutTest, BinanceTradesWithAndWithoutHeader) {
  auto spot = DetectLayout(Trades(), "t.csv", "123,0.5,10,5,1735689600000000,true,true", {});
  ASSERT_THAT(spot.status(), IsOk());
  EXPECT_THAT(Names(*spot), ElementsAre("ts", "trade_id", "price", "qty", "quote_qty",
                                        "is_buyer_maker", "is_best_match"));
  auto futures = DetectLayout(Trades(), "t.csv", "id,price,qty,quote_qty,time,is_buyer_maker", {});
  ASSERT_THAT(futures.status(), IsOk());
  EXPECT_THAT(Names(*futures),
              ElementsAre("ts", "trade_id", "price", "qty", "quote_qty", "is_buyer_maker"));
}

TEST(CsvReaderTest, SplitsQuotedFields) {
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  ASSERT_TRUE(SplitCsvLine(R"(1,"a,b","say ""hi""",,x)", &fields, &scratch));
  EXPECT_THAT(fields, ElementsAre("1", "a,b", "say \"hi\"", "", "x"));
  EXPECT_FALSE(SplitCsvLine(R"(1,"open)", &fields, &scratch));
}

TEST(CsvReaderTest, ReadsLinesAcrossBlocksWithNumbersAndSkipsBlanks) {
  testing::TempDir dir;
  std::string text = "a\r\n\nb\n";
  std::string big(3 << 20, 'x');  // longer than one read block
  text += big + "\nlast";
  testing::WriteFile(dir.Join("f.csv"), text);
  auto reader = *CsvLineReader::Open(dir.Join("f.csv"));
  std::string_view line;
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "a");
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "b");
  EXPECT_EQ(reader.line_number(), 3);
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line.size(), big.size());
  ASSERT_TRUE(*reader.Next(&line));
  EXPECT_EQ(line, "last");
  EXPECT_EQ(reader.line_number(), 5);
  EXPECT_FALSE(*reader.Next(&line));
}

}  // namespace
}  // namespace dlake::ingest
