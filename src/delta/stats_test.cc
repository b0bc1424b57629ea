#include "delta/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/partition_values.h"
#include "delta/schema.h"
#include "duck/duck.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using nlohmann::json;
using Op = ColumnPredicate::Op;
using Kind = ColumnPredicate::LiteralKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string GoldenLog(const std::string& table) {
  return ::dlake::testing::ReadFile(::dlake::testing::SharedPath(
      "delta-golden/" + table + "/_delta_log/00000000000000000000.json"));
}

// The metadata and adds of a one-commit golden table.
struct GoldenTable {
  Metadata metadata;
  Schema schema;
  std::vector<AddFile> adds;
};

GoldenTable LoadGolden(const std::string& table) {
  GoldenTable out;
  auto actions = ParseCommit(GoldenLog(table), table);
  EXPECT_THAT(actions.status(), ::dlake::testing::IsOk());
  if (!actions.ok()) return out;
  for (const Action& action : *actions) {
    if (const auto* m = std::get_if<Metadata>(&action)) out.metadata = *m;
    if (const auto* a = std::get_if<AddFile>(&action)) out.adds.push_back(*a);
  }
  auto schema = ParseSchema(out.metadata.schema_string);
  EXPECT_THAT(schema.status(), ::dlake::testing::IsOk());
  if (schema.ok()) out.schema = *schema;
  return out;
}

// A printable form of parsed predicates: "column op literal/kind".
std::vector<std::string> Show(const std::vector<ColumnPredicate>& predicates) {
  static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"};
  static const char* kKinds[] = {"num", "str", "bool", "date", "ts", "tstz"};
  std::vector<std::string> out;
  for (const auto& p : predicates) {
    std::string s = p.column + " " + kOps[static_cast<int>(p.op)];
    if (p.literal) s += " " + *p.literal + "/" + kKinds[static_cast<int>(p.literal_kind)];
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> Parsed(std::string_view where) {
  return Show(ParseSkippingPredicates(where));
}

// ---- ParseSkippingPredicates ----

TEST(StatsPredicateParse, SimpleComparisons) {
  EXPECT_THAT(Parsed("a = 1"), ElementsAre("a = 1/num"));
  EXPECT_THAT(Parsed("a == -1.5e3"), ElementsAre("a = -1.5e3/num"));
  EXPECT_THAT(Parsed("a <> 2 AND b != 3"), ElementsAre("a != 2/num", "b != 3/num"));
  EXPECT_THAT(Parsed("a<=4 and b>=+5 AND c<6 AND d>.5"),
              ElementsAre("a <= 4/num", "b >= 5/num", "c < 6/num", "d > .5/num"));
  EXPECT_THAT(Parsed("a>-5"), ElementsAre("a > -5/num"));
}

TEST(StatsPredicateParse, LiteralFirstIsFlipped) {
  EXPECT_THAT(Parsed("1 < a AND 'x' >= b AND 3 = c"),
              ElementsAre("a > 1/num", "b <= x/str", "c = 3/num"));
}

TEST(StatsPredicateParse, LiteralKinds) {
  EXPECT_THAT(Parsed("s = 'it''s' AND b = TRUE AND c = false"),
              ElementsAre("s = it's/str", "b = true/bool", "c = false/bool"));
  EXPECT_THAT(Parsed("d = DATE '2021-09-08' AND t >= TIMESTAMP '2021-09-08 11:11:11' AND "
                     "z < TIMESTAMPTZ '2021-09-08 11:11:11+02' AND "
                     "w > TIMESTAMP WITH TIME ZONE '2021-01-01Z'"),
              ElementsAre("d = 2021-09-08/date", "t >= 2021-09-08 11:11:11/ts",
                          "z < 2021-09-08 11:11:11+02/tstz", "w > 2021-01-01Z/tstz"));
  EXPECT_THAT(Parsed("d = CAST('2021-09-08' AS DATE) AND t = '2021-09-08 11:11:11'::TIMESTAMP "
                     "AND v = CAST('x' AS VARCHAR)"),
              ElementsAre("d = 2021-09-08/date", "t = 2021-09-08 11:11:11/ts", "v = x/str"));
}

TEST(StatsPredicateParse, Identifiers) {
  EXPECT_THAT(Parsed("\"My Col\" = 1 AND \"a\"\"b\" = 2 AND st.a = 3 AND \"st\".\"b\" = 4"),
              ElementsAre("My Col = 1/num", "a\"b = 2/num", "st.a = 3/num", "st.b = 4/num"));
  // A column may be called date; it is a typed literal only when a string follows.
  EXPECT_THAT(Parsed("date = '2021-01-01'"), ElementsAre("date = 2021-01-01/str"));
}

TEST(StatsPredicateParse, NullTestsAndBetween) {
  EXPECT_THAT(Parsed("a IS NULL AND b is not null"), ElementsAre("a IS NULL", "b IS NOT NULL"));
  EXPECT_THAT(Parsed("a BETWEEN 1 AND 5 AND b = 2"),
              ElementsAre("a >= 1/num", "a <= 5/num", "b = 2/num"));
  EXPECT_THAT(Parsed("t BETWEEN DATE '2021-01-01' AND '2021-12-31'"),
              ElementsAre("t >= 2021-01-01/date", "t <= 2021-12-31/str"));
}

TEST(StatsPredicateParse, ParenthesesAroundConjunctions) {
  EXPECT_THAT(Parsed("(a = 1 AND (b = 2)) AND ((c = 3))"),
              ElementsAre("a = 1/num", "b = 2/num", "c = 3/num"));
}

TEST(StatsPredicateParse, DropsWhatItDoesNotUnderstand) {
  EXPECT_THAT(Parsed("a = 1 OR b = 2"), ElementsAre());
  EXPECT_THAT(Parsed("a = 1 AND b = 2 OR c = 3"), ElementsAre());
  EXPECT_THAT(Parsed("(a = 1 OR b = 2) AND c = 3"), ElementsAre("c = 3/num"));
  EXPECT_THAT(Parsed("NOT a = 1 AND b = 2"), ElementsAre("b = 2/num"));
  EXPECT_THAT(Parsed("NOT (a = 1 AND b = 2) AND c = 3"), ElementsAre("c = 3/num"));
  EXPECT_THAT(Parsed("a IN (1, 2) AND b LIKE 'x%' AND c = 3"), ElementsAre("c = 3/num"));
  EXPECT_THAT(Parsed("lower(a) = 'x' AND a + 1 = 2 AND a = 1 + 2 AND a::INT = 1"), ElementsAre());
  EXPECT_THAT(Parsed("a = b AND 1 = 1 AND a = NULL"), ElementsAre());
  EXPECT_THAT(Parsed("a NOT BETWEEN 1 AND 2 AND b = 3"), ElementsAre("b = 3/num"));
  EXPECT_THAT(Parsed("a IS NOT DISTINCT FROM 1 AND a IS TRUE"), ElementsAre());
  EXPECT_THAT(Parsed("a <=> 1 AND a >> 1 AND a = 5::VARCHAR AND a = 1_000"), ElementsAre());
  EXPECT_THAT(Parsed("\"a.b\" = 1"), ElementsAre());
  EXPECT_THAT(Parsed("a = DATE '2021-01-01' + 1"), ElementsAre());
  // The ANDs inside CASE must not split it into pieces that look like conjuncts.
  EXPECT_THAT(Parsed("CASE WHEN a = 1 AND b = 2 AND c = 3 THEN 1 ELSE 0 END = 1 AND d = 4"),
              ElementsAre("d = 4/num"));
  // Things a token-level reading could get wrong give nothing at all.
  EXPECT_THAT(Parsed("a = E'x\\' AND b = 1 AND c = ''"), ElementsAre());
  EXPECT_THAT(Parsed("a = 1 -- AND b = 2"), ElementsAre());
  EXPECT_THAT(Parsed("a = 'unterminated"), ElementsAre());
  EXPECT_THAT(Parsed("(a = 1"), ElementsAre());
  EXPECT_THAT(Parsed(""), ElementsAre());
}

// ---- MayContainMatches against Spark's stats ----

class StatsSkippingAllTypes : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = LoadGolden("delta-data-skipping-basic-stats-all-types");
    ASSERT_EQ(table_.adds.size(), 1u);
    ASSERT_TRUE(table_.adds[0].stats.has_value());
  }
  bool May(std::string_view where) {
    return MayContainMatches(table_.adds[0], table_.schema, table_.metadata.partition_columns,
                             ParseSkippingPredicates(where));
  }
  GoldenTable table_;
};

TEST_F(StatsSkippingAllTypes, KeepsTheFileForMatchingPredicates) {
  for (const char* where :
       {"as_int = 0", "as_int >= 0 AND as_int <= 0", "as_int BETWEEN -1 AND 1", "as_long = 0",
        "as_byte < 1", "as_short > -1", "as_float = 0", "as_float <= 0.0", "as_double = 0.0",
        "as_string = '0'", "as_string >= '0'", "as_string < '1'", "as_date = DATE '2000-01-01'",
        "as_date = '2000-01-01'", "as_date = '2000-01-01 23:00:00'",
        "as_timestamp = TIMESTAMPTZ '2000-01-01 08:00:00+00'",
        "as_timestamp = '2000-01-01T00:00:00-08:00'",
        // Spark cut the stats to milliseconds: the value may be up to 1 ms above the max.
        "as_timestamp = '2000-01-01 08:00:00.0005+00'",
        // No offset against a TIMESTAMPTZ column: the session zone decides, so within a day.
        "as_timestamp = TIMESTAMP '2000-01-01 12:00:00'", "as_timestamp >= '2000-01-01 20:00'",
        // Midnight in the session's zone: 09:00Z under TimeZone='America/Anchorage'.
        "as_timestamp < DATE '2000-01-01'", "as_big_decimal = 0", "as_big_decimal < 0.5",
        "as_int IS NOT NULL", "as_int != 1",
        // Literals that do not fit the column are not judged.
        "as_string = 0", "as_int = 'abc'", "as_date = 5", "no_such_column = 1",
        "as_int = 0 OR as_int = 7"}) {
    EXPECT_TRUE(May(where)) << where;
  }
}

TEST_F(StatsSkippingAllTypes, SkipsTheFileForPredicatesNoRowMatches) {
  for (const char* where : {"as_int = 1",
                            "as_int > 0",
                            "as_int < 0",
                            "as_long >= 1",
                            "as_byte = -1",
                            "as_short <> 0",
                            "as_int BETWEEN 1 AND 2",
                            "as_float > 0.5",
                            "as_double < -0.5",
                            "as_string = '1'",
                            "as_string > '0'",
                            "as_string < '0'",
                            "as_date > DATE '2000-01-01'",
                            "as_date = '2000-01-02'",
                            "as_date < '1999-12-31 23:00:00'",
                            "as_timestamp > TIMESTAMPTZ '2000-01-01 08:00:01+00'",
                            "as_timestamp < '2000-01-01T07:59:59Z'",
                            "as_timestamp > TIMESTAMP '2000-01-03 00:00:00'",
                            "as_big_decimal > 0.5",
                            "as_big_decimal = 1",
                            "as_big_decimal = '1'",
                            "as_int IS NULL",
                            "as_int = 0 AND as_string = 'x'",
                            "as_string IS NULL AND as_int = 0"}) {
    EXPECT_FALSE(May(where)) << where;
  }
}

// ---- MayContainMatches: the lossy corners of stats ----

Schema MakeSchema(const std::string& fields_json) {
  auto schema = ParseSchema("{\"type\":\"struct\",\"fields\":" + fields_json + "}");
  EXPECT_THAT(schema.status(), ::dlake::testing::IsOk());
  return schema.ok() ? *schema : Schema{};
}

std::string Field(const std::string& name, const std::string& type) {
  return "{\"name\":\"" + name + "\",\"type\":" + type + ",\"nullable\":true,\"metadata\":{}}";
}

bool MayWithStats(const Schema& schema, const std::string& stats, std::string_view where) {
  AddFile file;
  file.path = "f.parquet";
  file.stats = stats;
  return MayContainMatches(file, schema, {}, ParseSkippingPredicates(where));
}

TEST(StatsSkipping, StringMaxOf32CharactersMayBeATruncatedPrefix) {
  Schema schema = MakeSchema("[" + Field("s", "\"string\"") + "]");
  const std::string a32(32, 'a');
  const std::string stats =
      "{\"numRecords\":5,\"minValues\":{\"s\":\"a\"},\"maxValues\":{\"s\":\"" + a32 +
      "\"},\"nullCount\":{\"s\":0}}";
  EXPECT_TRUE(MayWithStats(schema, stats, "s = '" + a32 + "b'"));
  EXPECT_TRUE(MayWithStats(schema, stats, "s > '" + a32 + "'"));
  EXPECT_TRUE(MayWithStats(schema, stats, "s >= '" + a32 + "zzz'"));
  EXPECT_FALSE(MayWithStats(schema, stats, "s > 'b'"));
  EXPECT_FALSE(MayWithStats(schema, stats, "s = 'ab'"));  // sorts after the prefix
  EXPECT_FALSE(MayWithStats(schema, stats, "s < 'a'"));
  const std::string short_max =
      "{\"numRecords\":5,\"minValues\":{\"s\":\"a\"},\"maxValues\":{\"s\":\"abc\"}}";
  EXPECT_FALSE(MayWithStats(schema, short_max, "s > 'abc'"));
  EXPECT_FALSE(MayWithStats(schema, short_max, "s = 'abcd'"));
  EXPECT_TRUE(MayWithStats(schema, short_max, "s >= 'abc'"));
}

TEST(StatsSkipping, NullCounts) {
  Schema schema = MakeSchema("[" + Field("x", "\"long\"") + "]");
  const std::string all_null = "{\"numRecords\":3,\"nullCount\":{\"x\":3}}";
  EXPECT_FALSE(MayWithStats(schema, all_null, "x = 1"));
  EXPECT_FALSE(MayWithStats(schema, all_null, "x != 1"));
  EXPECT_FALSE(MayWithStats(schema, all_null, "x IS NOT NULL"));
  EXPECT_TRUE(MayWithStats(schema, all_null, "x IS NULL"));
  const std::string some_null =
      "{\"numRecords\":3,\"minValues\":{\"x\":1},\"maxValues\":{\"x\":2},\"nullCount\":{\"x\":1}}";
  EXPECT_TRUE(MayWithStats(schema, some_null, "x IS NULL"));
  EXPECT_TRUE(MayWithStats(schema, some_null, "x IS NOT NULL"));
  const std::string no_counts = "{\"numRecords\":3,\"minValues\":{\"x\":1}}";
  EXPECT_TRUE(MayWithStats(schema, no_counts, "x IS NULL"));
  EXPECT_TRUE(MayWithStats(schema, no_counts, "x > 5"));
  EXPECT_FALSE(MayWithStats(schema, no_counts, "x < 1"));
}

TEST(StatsSkipping, NestedStructStatsMirrorTheSchema) {
  Schema schema =
      MakeSchema("[" +
                 Field("st", "{\"type\":\"struct\",\"fields\":[" + Field("a", "\"integer\"") + "," +
                                 Field("b", "\"string\"") + "]}") +
                 "]");
  const std::string stats =
      "{\"numRecords\":4,\"minValues\":{\"st\":{\"a\":5,\"b\":\"k\"}},"
      "\"maxValues\":{\"st\":{\"a\":10,\"b\":\"m\"}},\"nullCount\":{\"st\":{\"a\":0,\"b\":4}},"
      "\"tightBounds\":false}";
  EXPECT_FALSE(MayWithStats(schema, stats, "st.a > 10"));
  EXPECT_FALSE(MayWithStats(schema, stats, "\"st\".\"a\" < 5"));
  EXPECT_FALSE(MayWithStats(schema, stats, "ST.A = 11"));
  EXPECT_TRUE(MayWithStats(schema, stats, "st.a = 7"));
  EXPECT_FALSE(MayWithStats(schema, stats, "st.a IS NULL"));
  EXPECT_FALSE(MayWithStats(schema, stats, "st.b = 'l'"));  // all NULL
  EXPECT_TRUE(MayWithStats(schema, stats, "st IS NULL"));   // no count for a struct
  EXPECT_TRUE(MayWithStats(schema, stats, "st.zz = 1"));
}

TEST(StatsSkipping, FloatsCompareWithinAFloatsRounding) {
  Schema schema = MakeSchema("[" + Field("f", "\"float\"") + "," + Field("d", "\"double\"") + "]");
  const std::string stats =
      "{\"numRecords\":2,\"minValues\":{\"f\":0.1,\"d\":0.1},\"maxValues\":{\"f\":0.1,\"d\":0.1}}";
  // The column holds 0.1f = 0.100000001490116..., above the double 0.1.
  EXPECT_TRUE(MayWithStats(schema, stats, "f > 0.1"));
  EXPECT_TRUE(MayWithStats(schema, stats, "f = 0.1"));
  EXPECT_FALSE(MayWithStats(schema, stats, "f > 0.2"));
  EXPECT_FALSE(MayWithStats(schema, stats, "f < 0.09"));
  EXPECT_TRUE(MayWithStats(schema, stats, "d = 0.1"));
  EXPECT_FALSE(MayWithStats(schema, stats, "d > 0.1000001"));
}

TEST(StatsSkipping, TimestampNtzStatsAreWallClockMilliseconds) {
  Schema schema = MakeSchema("[" + Field("t", "\"timestamp_ntz\"") + "]");
  const std::string stats =
      "{\"numRecords\":2,\"minValues\":{\"t\":\"2000-01-01T00:00:00.000\"},"
      "\"maxValues\":{\"t\":\"2000-01-01T00:00:00.000\"}}";
  EXPECT_TRUE(MayWithStats(schema, stats, "t > TIMESTAMP '2000-01-01 00:00:00.0005'"));
  EXPECT_FALSE(MayWithStats(schema, stats, "t > TIMESTAMP '2000-01-01 00:00:01'"));
  EXPECT_FALSE(MayWithStats(schema, stats, "t < TIMESTAMP '1999-12-31 23:59:59'"));
  EXPECT_TRUE(MayWithStats(schema, stats, "t = DATE '2000-01-01'"));
  EXPECT_TRUE(MayWithStats(schema, stats, "t < TIMESTAMPTZ '1999-12-31 23:00:00+00'"));
}

TEST(StatsSkipping, EmptyFilesMissingStatsAndNoPredicates) {
  Schema schema = MakeSchema("[" + Field("x", "\"long\"") + "]");
  EXPECT_FALSE(MayWithStats(schema, "{\"numRecords\":0}", "x IS NULL"));
  EXPECT_TRUE(MayWithStats(schema, "{\"numRecords\":0}", ""));
  EXPECT_TRUE(MayWithStats(schema, "not json", "x = 1"));
  AddFile no_stats;
  EXPECT_TRUE(MayContainMatches(no_stats, schema, {}, ParseSkippingPredicates("x = 1")));
}

TEST(StatsNumRecords, ReadsNumRecords) {
  EXPECT_EQ(NumRecords(std::string("{\"numRecords\":42,\"minValues\":{}}")), 42);
  EXPECT_EQ(NumRecords(std::nullopt), std::nullopt);
  EXPECT_EQ(NumRecords(std::string("{\"minValues\":{}}")), std::nullopt);
  EXPECT_EQ(NumRecords(std::string("{\"numRecords\":\"42\"}")), std::nullopt);
  EXPECT_EQ(NumRecords(std::string("{")), std::nullopt);
}

// ---- DuckDB helpers ----

class DuckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = duck::Database::Open("", duck::DatabaseOptions{});
    ASSERT_THAT(db.status(), ::dlake::testing::IsOk());
    db_ = std::move(*db);
    auto conn = duck::Connection::Open(*db_);
    ASSERT_THAT(conn.status(), ::dlake::testing::IsOk());
    conn_ = std::move(*conn);
  }
  // The single cell of `sql` as text, or "NULL".
  std::string Cell(const std::string& sql) {
    auto result = conn_->Query(sql, "test query");
    EXPECT_THAT(result.status(), ::dlake::testing::IsOk()) << sql;
    if (!result.ok() || result->RowCount() == 0) return "<none>";
    return result->IsNull(0, 0) ? "NULL" : result->GetString(0, 0);
  }
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

// ---- MayContainMatches against partition values ----

class PartitionSkipping : public DuckTest {
 protected:
  void SetUp() override {
    DuckTest::SetUp();
    table_ = LoadGolden("delta-data-reader-partition-values");
    ASSERT_EQ(table_.adds.size(), 3u);
    DLAKE_ASSERT_OK(conn_->Execute("SET TimeZone='UTC'", "test setup"));
  }
  // Which of the three files (values 0, NULL, 1 in log order) may match.
  std::vector<bool> May(std::string_view where) {
    std::vector<bool> out;
    for (const AddFile& file : table_.adds) {
      out.push_back(MayContainMatches(file, table_.schema, table_.metadata.partition_columns,
                                      ParseSkippingPredicates(where)));
    }
    return out;
  }
  // Whether DuckDB finds `where` true on the file's typed partition values.
  bool DuckMatches(const AddFile& file, std::string_view where) {
    std::string select;
    for (const std::string& column : table_.metadata.partition_columns) {
      const StructField* field = table_.schema.Find(column);
      auto literal = PartitionValueSql(file.partition_values.at(column), *field->type, column);
      EXPECT_THAT(literal.status(), ::dlake::testing::IsOk());
      select += (select.empty() ? "" : ", ") + *literal + " AS " + duck::QuoteIdentifier(column);
    }
    return Cell("SELECT count(*) FROM (SELECT " + select + ") WHERE " + std::string(where)) == "1";
  }
  GoldenTable table_;
};

TEST_F(PartitionSkipping, TypedPartitionValues) {
  using V = std::vector<bool>;
  EXPECT_EQ(May("as_int = 0"), V({true, false, false}));
  EXPECT_EQ(May("as_int != 0"), V({false, false, true}));  // NULL satisfies nothing
  EXPECT_EQ(May("as_int IS NULL"), V({false, true, false}));
  EXPECT_EQ(May("as_int IS NOT NULL"), V({true, false, true}));
  EXPECT_EQ(May("as_string_lit_null = 'null'"), V({true, false, true}));
  EXPECT_EQ(May("as_string_lit_null IS NULL"), V({false, true, false}));
  EXPECT_EQ(May("as_boolean = true"), V({true, false, false}));
  EXPECT_EQ(May("as_boolean = 'false'"), V({false, false, true}));
  EXPECT_EQ(May("as_float > 0.5"), V({false, false, true}));
  EXPECT_EQ(May("as_double = 0"), V({true, false, false}));
  EXPECT_EQ(May("as_long BETWEEN 0 AND 1"), V({true, false, true}));
  EXPECT_EQ(May("as_byte < 1 AND as_short >= 0"), V({true, false, false}));
  EXPECT_EQ(May("as_string = '1'"), V({false, false, true}));
  EXPECT_EQ(May("as_date = DATE '2021-09-08'"), V({true, false, true}));
  EXPECT_EQ(May("as_date > '2021-09-08'"), V({false, false, false}));
  EXPECT_EQ(May("as_timestamp = TIMESTAMPTZ '2021-09-08 11:11:11+00'"), V({true, false, true}));
  EXPECT_EQ(May("as_timestamp = '2021-09-08T13:11:12+02:00'"), V({false, false, false}));
  EXPECT_EQ(May("as_big_decimal = 1"), V({false, false, true}));
  EXPECT_EQ(May("as_big_decimal >= 0.5"), V({false, false, true}));
  // Data columns without stats: every file may match.
  EXPECT_EQ(May("value = '0'"), V({true, true, true}));
  EXPECT_EQ(May("as_nested_struct.aa = '0'"), V({true, true, true}));
}

TEST_F(PartitionSkipping, NeverSkipsAFileDuckDbWouldMatch) {
  for (const char* where : {"as_int = 0",
                            "as_int != 0",
                            "as_int IS NULL",
                            "as_long > 0",
                            "as_byte <= 0",
                            "as_short = 1",
                            "as_boolean = false",
                            "as_float = 1",
                            "as_float >= 1.0",
                            "as_double < 1",
                            "as_string = '0'",
                            "as_string > '0'",
                            "as_string_lit_null = 'null'",
                            "as_date = '2021-09-08'",
                            "as_date < TIMESTAMP '2021-09-08 00:00:01'",
                            "as_timestamp = '2021-09-08 11:11:11+00'",
                            "as_timestamp > TIMESTAMPTZ '2021-09-08 11:11:10.999999+00'",
                            "as_timestamp <= TIMESTAMP '2021-09-08 11:11:11'",
                            "as_big_decimal = 0",
                            "as_big_decimal != 0",
                            "as_int BETWEEN 1 AND 1",
                            "as_int = '1'"}) {
    for (size_t i = 0; i < table_.adds.size(); ++i) {
      const AddFile& file = table_.adds[i];
      const bool may = MayContainMatches(file, table_.schema, table_.metadata.partition_columns,
                                         ParseSkippingPredicates(where));
      if (DuckMatches(file, where)) {
        EXPECT_TRUE(may) << where << " file " << i;
      }
    }
  }
}

// ---- PartitionValueSql / PartitionValueText / PartitionFolder ----

DataTypePtr Decimal(int precision, int scale) {
  auto type = std::make_shared<DataType>();
  type->kind = DataType::Kind::kDecimal;
  type->precision = precision;
  type->scale = scale;
  return type;
}

class PartitionValues : public DuckTest {
 protected:
  void SetUp() override {
    DuckTest::SetUp();
    DLAKE_ASSERT_OK(conn_->Execute("SET TimeZone='UTC'", "test setup"));
  }
  // "<typeof> <value as text>" of the literal.
  std::string Evaluate(const std::optional<std::string>& value, const DataType& type) {
    auto sql = PartitionValueSql(value, type, "col");
    EXPECT_THAT(sql.status(), ::dlake::testing::IsOk());
    if (!sql.ok()) return "<error>";
    return Cell("SELECT typeof(" + *sql + ") || ' ' || coalesce(CAST(" + *sql +
                " AS VARCHAR), 'NULL')");
  }
};

TEST_F(PartitionValues, SqlLiteralsEvaluateToTypedValues) {
  auto P = [](const char* name) { return DataType::Primitive(name); };
  EXPECT_EQ(Evaluate("1", *P("integer")), "INTEGER 1");
  EXPECT_EQ(Evaluate("-9223372036854775808", *P("long")), "BIGINT -9223372036854775808");
  EXPECT_EQ(Evaluate("127", *P("byte")), "TINYINT 127");
  EXPECT_EQ(Evaluate("-5", *P("short")), "SMALLINT -5");
  EXPECT_EQ(Evaluate("1.0", *P("float")), "FLOAT 1.0");
  EXPECT_EQ(Evaluate("NaN", *P("double")), "DOUBLE nan");
  EXPECT_EQ(Evaluate("-Infinity", *P("double")), "DOUBLE -inf");
  EXPECT_EQ(Evaluate("1.5E-3", *P("double")), "DOUBLE 0.0015");
  EXPECT_EQ(Evaluate("true", *P("boolean")), "BOOLEAN true");
  EXPECT_EQ(Evaluate("FALSE", *P("boolean")), "BOOLEAN false");
  EXPECT_EQ(Evaluate("it's", *P("string")), "VARCHAR it's");
  EXPECT_EQ(Evaluate("null", *P("string")), "VARCHAR null");
  EXPECT_EQ(Evaluate("a\\x01", *P("binary")), "BLOB a\\x5Cx01");
  EXPECT_EQ(Evaluate("2021-09-08", *P("date")), "DATE 2021-09-08");
  EXPECT_EQ(Evaluate("2021-09-08 11:11:11", *P("timestamp")),
            "TIMESTAMP WITH TIME ZONE 2021-09-08 11:11:11+00");
  EXPECT_EQ(Evaluate("2021-09-08T11:11:11.123456Z", *P("timestamp")),
            "TIMESTAMP WITH TIME ZONE 2021-09-08 11:11:11.123456+00");
  EXPECT_EQ(Evaluate("2021-09-08T13:11:11.5+02:00", *P("timestamp")),
            "TIMESTAMP WITH TIME ZONE 2021-09-08 11:11:11.5+00");
  EXPECT_EQ(Evaluate("2021-09-08 11:11:11.000001", *P("timestamp_ntz")),
            "TIMESTAMP 2021-09-08 11:11:11.000001");
  EXPECT_EQ(Evaluate("12.34", *Decimal(10, 2)), "DECIMAL(10,2) 12.34");
  EXPECT_EQ(Evaluate("1E+10", *Decimal(11, 0)), "DECIMAL(11,0) 10000000000");
  EXPECT_EQ(Evaluate(std::nullopt, *P("integer")), "INTEGER NULL");
  EXPECT_EQ(Evaluate("", *P("date")), "DATE NULL");
  EXPECT_EQ(Evaluate("", *P("string")), "VARCHAR NULL");
}

TEST_F(PartitionValues, SqlRejectsMalformedValues) {
  auto P = [](const char* name) { return DataType::Primitive(name); };
  const std::pair<const char*, DataTypePtr> bad[] = {{"128", P("byte")},
                                                     {"1.5", P("integer")},
                                                     {"x", P("long")},
                                                     {"2021-02-30", P("date")},
                                                     {"2021-09-08 10:00", P("date")},
                                                     {"yes", P("boolean")},
                                                     {"1,5", P("double")},
                                                     {"abc", Decimal(5, 2)},
                                                     {"2021-01-01T00:00:00Z", P("timestamp_ntz")},
                                                     {"2021-01-01 25:00:00", P("timestamp")}};
  for (const auto& [value, type] : bad) {
    EXPECT_THAT(PartitionValueSql(std::string(value), *type, "my_col"),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("my_col")))
        << value;
  }
}

TEST_F(PartitionValues, TextIsCanonicalAndReadsBack) {
  auto P = [](const char* name) { return DataType::Primitive(name); };
  DLAKE_ASSERT_OK(conn_->Execute("SET TimeZone='America/New_York'", "test setup"));
  struct Case {
    const char* sql;
    DataTypePtr type;
    const char* text;
  } cases[] = {
      {"TIMESTAMPTZ '2021-09-08 11:11:11.5+00'", P("timestamp"), "2021-09-08T11:11:11.500000Z"},
      {"TIMESTAMP '2021-09-08 11:11:11'", P("timestamp_ntz"), "2021-09-08 11:11:11"},
      {"TIMESTAMP '2021-09-08 11:11:11.25'", P("timestamp_ntz"), "2021-09-08 11:11:11.250000"},
      {"true", P("boolean"), "true"},
      {"CAST('inf' AS DOUBLE)", P("double"), "Infinity"},
      {"CAST('nan' AS FLOAT)", P("float"), "NaN"},
      {"CAST(1.5 AS FLOAT)", P("float"), "1.5"},
      {"DATE '2021-09-08'", P("date"), "2021-09-08"},
      {"CAST(-0.01 AS DECIMAL(10,2))", Decimal(10, 2), "-0.01"},
      {"'a b'", P("string"), "a b"},
  };
  for (const Case& c : cases) {
    const std::string rendered = Cell("SELECT CAST(" + std::string(c.sql) + " AS VARCHAR)");
    std::optional<std::string> text = PartitionValueText(rendered, *c.type);
    ASSERT_TRUE(text.has_value()) << c.sql;
    EXPECT_EQ(*text, c.text) << c.sql;
    auto literal = PartitionValueSql(text, *c.type, "col");
    ASSERT_THAT(literal.status(), ::dlake::testing::IsOk()) << c.sql;
    EXPECT_EQ(Cell("SELECT CAST(" + *literal + " AS VARCHAR) = CAST(" + std::string(c.sql) +
                   " AS VARCHAR)"),
              "true")
        << c.sql << " -> " << *literal;
  }
  EXPECT_EQ(PartitionValueText(std::nullopt, *P("string")), std::nullopt);
}

TEST(PartitionFolder, EscapesAsSparkDoes) {
  EXPECT_EQ(PartitionFolder("as_timestamp", std::string("2021-09-08 11:11:11")),
            "as_timestamp=2021-09-08 11%3A11%3A11");
  EXPECT_EQ(PartitionFolder("a", std::nullopt), "a=__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(PartitionFolder("a", std::string("")), "a=__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(PartitionFolder("a", std::string("null")), "a=null");
  EXPECT_EQ(PartitionFolder("a", std::string("x/y=z%w")), "a=x%2Fy%3Dz%25w");
  EXPECT_EQ(PartitionFolder("a", std::string("\"#'*?\\{[]^:")),
            "a=%22%23%27%2A%3F%5C%7B%5B%5D%5E%3A");
  EXPECT_EQ(PartitionFolder("a", std::string("\x01\n\x1f\x7f")), "a=%01%0A%1F%7F");
  EXPECT_EQ(PartitionFolder("a", std::string("é b}<>|")), "a=é b}<>|");
  EXPECT_EQ(PartitionFolder("c=d", std::string("1")), "c%3Dd=1");
}

TEST(PartitionFolder, MatchesTheGoldenTablesFolders) {
  GoldenTable table = LoadGolden("delta-data-reader-partition-values");
  ASSERT_EQ(table.adds.size(), 3u);
  for (const AddFile& file : table.adds) {
    std::string folder;
    for (const std::string& column : table.metadata.partition_columns) {
      folder += PartitionFolder(column, file.partition_values.at(column)) + "/";
    }
    EXPECT_EQ(file.path.substr(0, folder.size()), folder);
  }
}

TEST(PartitionTimestampText, ParsesTheFormsWritersUse) {
  auto micros = [](std::string_view text) -> std::optional<int64_t> {
    auto ts = ParseTimestampText(text);
    if (!ts) return std::nullopt;
    return ts->micros;
  };
  EXPECT_EQ(micros("1970-01-01"), 0);
  EXPECT_EQ(micros("2000-01-01T00:00:00.000-08:00"), int64_t{946713600} * 1000000);
  EXPECT_EQ(micros("2000-01-01 08:00:00+00"), int64_t{946713600} * 1000000);
  EXPECT_EQ(micros("2000-01-01 13:30:00+0530"), int64_t{946713600} * 1000000);
  EXPECT_EQ(micros("1969-12-31 23:59:59.999999Z"), -1);
  EXPECT_EQ(micros("2021-09-08 11:11:11.1234567"), int64_t{1631099471123456});
  EXPECT_FALSE(ParseTimestampText("2021-09-08 11:11:11.1234567")->exact);
  EXPECT_FALSE(ParseTimestampText("2021-09-08")->has_time);
  EXPECT_TRUE(ParseTimestampText("2021-09-08 11:11Z")->has_offset);
  for (const char* bad : {"2021-13-01", "2021-02-29", "2021-01-01 24:00:00", "2021-01-01x",
                          "2021-01-01 10:00:00 +00", "21-01-01", "2021-01-01T10"}) {
    EXPECT_EQ(ParseTimestampText(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(FormatTimestampText(-1, 'T', 6), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(FormatTimestampText(1500, ' ', 3), "1970-01-01 00:00:00.001");
  EXPECT_EQ(FormatTimestampText(0, ' ', -1), "1970-01-01 00:00:00");
}

// ---- ComputeFileStats ----

class StatsCompute : public DuckTest {
 protected:
  // Writes `select` to a Parquet file and returns its stats parsed.
  json Compute(const std::string& select, const Schema& schema, int num_indexed_cols = 32,
               const std::string& copy_options = "") {
    const std::string path = dir_.Join("data.parquet");
    DLAKE_EXPECT_OK(conn_->Execute("COPY (" + select + ") TO " + duck::QuoteLiteral(path) +
                                       " (FORMAT parquet" + copy_options + ")",
                                   "writing test file"));
    auto stats = ComputeFileStats(*conn_, path, schema, num_indexed_cols);
    EXPECT_THAT(stats.status(), ::dlake::testing::IsOk());
    if (!stats.ok()) return json();
    text_ = *stats;
    return json::parse(*stats);
  }
  TempDir dir_;
  std::string text_;
};

const char* kAllTypesSelect = R"sql(
  SELECT * FROM (VALUES
    (1::INTEGER, 10::BIGINT, 1::SMALLINT, 1::TINYINT, 1.5::FLOAT, 2.5::DOUBLE, 'abc',
     DATE '2021-01-01', TIMESTAMPTZ '2021-09-08 11:11:11.123456+00',
     TIMESTAMP '2021-01-01 10:00:00.999999', 12.34::DECIMAL(10,2),
     123456789012345678.1234::DECIMAL(38,4), true, '\x01\x02'::BLOB,
     {'a': 1, 'b': 'x'}, [1, 2], MAP {'k': 1}),
    (NULL, -5, NULL, -3, 0.1::FLOAT, 'nan'::DOUBLE, repeat('z', 40), DATE '1999-12-31',
     TIMESTAMPTZ '1969-12-31 23:59:59.9995+00', NULL, -0.01::DECIMAL(10,2),
     -123456789012345678.1235::DECIMAL(38,4), false, NULL, {'a': NULL, 'b': 'y'}, NULL, NULL),
    (3, NULL, 2, NULL, NULL, -1e300, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [],
     MAP {})
  ) t(i, l, s, b, f, d, str, dt, ts, ntz, dec, bigdec, bo, bin, st, arr, m)
)sql";

std::string AllTypesSchemaJson() {
  return "[" + Field("i", "\"integer\"") + "," + Field("l", "\"long\"") + "," +
         Field("s", "\"short\"") + "," + Field("b", "\"byte\"") + "," + Field("f", "\"float\"") +
         "," + Field("d", "\"double\"") + "," + Field("str", "\"string\"") + "," +
         Field("dt", "\"date\"") + "," + Field("ts", "\"timestamp\"") + "," +
         Field("ntz", "\"timestamp_ntz\"") + "," + Field("dec", "\"decimal(10,2)\"") + "," +
         Field("bigdec", "\"decimal(38,4)\"") + "," + Field("bo", "\"boolean\"") + "," +
         Field("bin", "\"binary\"") + "," +
         Field("st", "{\"type\":\"struct\",\"fields\":[" + Field("a", "\"integer\"") + "," +
                         Field("b", "\"string\"") + "]}") +
         "," +
         Field("arr", "{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":true}") +
         "," +
         Field("m",
               "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"integer\","
               "\"valueContainsNull\":true}") +
         "]";
}

TEST_F(StatsCompute, AllTypes) {
  DLAKE_ASSERT_OK(conn_->Execute("SET TimeZone='America/New_York'", "test setup"));
  json stats = Compute(kAllTypesSelect, MakeSchema(AllTypesSchemaJson()));
  SCOPED_TRACE(text_);
  EXPECT_EQ(stats["numRecords"], 3);
  const json& min = stats["minValues"];
  const json& max = stats["maxValues"];
  const json& nulls = stats["nullCount"];
  EXPECT_EQ(min["i"], 1);
  EXPECT_EQ(max["i"], 3);
  EXPECT_EQ(min["l"], -5);
  EXPECT_EQ(max["l"], 10);
  EXPECT_EQ(min["s"], 1);
  EXPECT_EQ(max["b"], 1);
  EXPECT_EQ(min["f"].get<double>(), static_cast<double>(0.1f));  // the float's exact value
  EXPECT_EQ(max["f"], 1.5);
  // NaN sorts above everything: no JSON max; -1e300 is the min.
  EXPECT_EQ(min["d"], -1e300);
  EXPECT_FALSE(max.contains("d"));
  EXPECT_EQ(min["str"], "abc");
  const std::string z40(40, 'z');
  EXPECT_EQ(max["str"], std::string(31, 'z') + "{");  // cut to 32 and bumped
  EXPECT_GE(max["str"].get<std::string>(), z40);
  EXPECT_EQ(min["dt"], "1999-12-31");
  EXPECT_EQ(max["dt"], "2021-01-01");
  EXPECT_EQ(min["ts"], "1969-12-31T23:59:59.999Z");  // rounded down
  EXPECT_EQ(max["ts"], "2021-09-08T11:11:11.124Z");  // rounded up
  EXPECT_EQ(min["ntz"], "2021-01-01T10:00:00.999");
  EXPECT_EQ(max["ntz"], "2021-01-01T10:00:01.000");
  EXPECT_EQ(min["dec"], -0.01);
  EXPECT_EQ(max["dec"], 12.34);
  // Decimals are written with all their digits.
  EXPECT_THAT(text_, HasSubstr("\"bigdec\":-123456789012345678.1235"));
  EXPECT_THAT(text_, HasSubstr("\"bigdec\":123456789012345678.1234"));
  EXPECT_EQ(min["bo"], false);
  EXPECT_EQ(max["bo"], true);
  EXPECT_FALSE(min.contains("bin"));
  EXPECT_EQ(min["st"], json({{"a", 1}, {"b", "x"}}));
  EXPECT_EQ(max["st"], json({{"a", 1}, {"b", "y"}}));
  EXPECT_FALSE(min.contains("arr"));
  EXPECT_FALSE(max.contains("m"));
  EXPECT_EQ(nulls, json::parse(R"({"i":1,"l":1,"s":1,"b":1,"f":1,"d":0,"str":1,"dt":1,"ts":1,
      "ntz":2,"dec":1,"bigdec":1,"bo":1,"bin":2,"st":{"a":2,"b":1},"arr":1,"m":1})"));
}

TEST_F(StatsCompute, LongMultiByteStringsAndRowGroups) {
  // DuckDB leaves string stats out of the footer when a multi-byte string is too long to cut;
  // the stats then come from scanning the column. Small row groups exercise combining.
  Schema schema = MakeSchema("[" + Field("s", "\"string\"") + "," + Field("n", "\"long\"") + "]");
  json stats = Compute(
      "SELECT CASE WHEN i = 5 THEN NULL ELSE repeat('€', 100) || (999 - i)::VARCHAR END AS s, "
      "i AS n FROM range(1000) t(i)",
      schema, 32, ", ROW_GROUP_SIZE 100");
  SCOPED_TRACE(text_);
  EXPECT_EQ(stats["numRecords"], 1000);
  EXPECT_EQ(stats["nullCount"]["s"], 1);
  EXPECT_EQ(stats["minValues"]["n"], 0);
  EXPECT_EQ(stats["maxValues"]["n"], 999);
  std::string prefix;
  for (int k = 0; k < 31; ++k) prefix += "€";
  EXPECT_EQ(stats["minValues"]["s"], prefix + "€");
  EXPECT_EQ(stats["maxValues"]["s"], prefix + "₭");  // U+20AC + 1
}

TEST_F(StatsCompute, FirstIndexedColumnsAndMissingColumns) {
  Schema schema =
      MakeSchema("[" + Field("a", "\"long\"") + "," +
                 Field("st", "{\"type\":\"struct\",\"fields\":[" + Field("x", "\"long\"") + "," +
                                 Field("y", "\"long\"") + "]}") +
                 "," + Field("c", "\"long\"") + "]");
  json stats = Compute(
      "SELECT 1::BIGINT AS a, {'x': 2::BIGINT, 'y': 3::BIGINT} AS st, "
      "4::BIGINT AS c",
      schema, 2);
  EXPECT_EQ(stats["nullCount"], json::parse(R"({"a":0,"st":{"x":0}})")) << text_;
  EXPECT_EQ(stats["maxValues"], json::parse(R"({"a":1,"st":{"x":2}})")) << text_;
  // A schema column the file lacks reads as NULL.
  Schema wider = MakeSchema("[" + Field("a", "\"long\"") + "," + Field("gone", "\"string\"") + "]");
  stats = Compute("SELECT 1::BIGINT AS a FROM range(3)", wider);
  EXPECT_EQ(stats["nullCount"], json::parse(R"({"a":0,"gone":3})")) << text_;
  EXPECT_FALSE(stats["minValues"].contains("gone"));
}

// Regression: read_parquet guesses Hive partitions from key=value folders and would report the
// folder's value instead of the column's.
TEST_F(StatsCompute, ScansIgnoreHiveStyleFolders) {
  Schema schema = MakeSchema("[" + Field("x", "\"double\"") + "]");
  const std::string folder = dir_.Join("x=1");
  std::filesystem::create_directories(folder);
  DLAKE_ASSERT_OK(
      conn_->Execute("COPY (SELECT * FROM (VALUES (7.0::DOUBLE), ('nan'::DOUBLE)) "
                     "t(x)) TO " +
                         duck::QuoteLiteral(folder + "/data.parquet") + " (FORMAT parquet)",
                     "writing test file"));
  auto stats = ComputeFileStats(*conn_, folder + "/data.parquet", schema);
  ASSERT_THAT(stats.status(), ::dlake::testing::IsOk());
  EXPECT_EQ(json::parse(*stats)["minValues"]["x"], 7.0) << *stats;
}

TEST_F(StatsCompute, EmptyFile) {
  Schema schema = MakeSchema("[" + Field("a", "\"long\"") + "]");
  json stats = Compute("SELECT 1::BIGINT AS a WHERE false", schema);
  EXPECT_EQ(stats["numRecords"], 0) << text_;
  EXPECT_EQ(NumRecords(text_), 0);
}

TEST_F(StatsCompute, SkippingOnComputedStatsNeverDropsMatchingRows) {
  Schema schema = MakeSchema(AllTypesSchemaJson());
  json stats = Compute(kAllTypesSelect, schema);
  AddFile file;
  file.path = dir_.Join("data.parquet");
  file.stats = text_;
  int skipped = 0;
  for (const char* where : {"i = 3",
                            "i > 3",
                            "i < 1",
                            "l > 10",
                            "l < -5",
                            "l <= -5",
                            "s = 2",
                            "b >= 1",
                            "f = 0.1",
                            "f > 1.5",
                            "d < -1e300",
                            "d > 3",
                            "str = '"
                            "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                            "'",
                            "str > 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'",
                            "str < 'abc'",
                            "dt = DATE '1999-12-31'",
                            "dt > '2021-01-01'",
                            "ts = TIMESTAMPTZ '2021-09-08 11:11:11.123456+00'",
                            "ts > TIMESTAMPTZ '2021-09-08 11:11:11.123+00'",
                            "ts < TIMESTAMPTZ '1969-12-31 23:59:59.9995+00'",
                            "ts <= TIMESTAMPTZ '1969-12-31 23:59:59.9995+00'",
                            "ntz >= TIMESTAMP '2021-01-01 10:00:00.999999'",
                            "dec = -0.01",
                            "dec < -0.01",
                            "bigdec >= 123456789012345678.1234",
                            "bigdec > 123456789012345678.1234",
                            "bigdec <= -123456789012345678.1235",
                            "bo = false",
                            "st.a = 1",
                            "st.b > 'x'",
                            "st.a IS NULL",
                            "arr IS NULL",
                            "bin IS NOT NULL"}) {
    const bool may = MayContainMatches(file, schema, {}, ParseSkippingPredicates(where));
    const std::string count = Cell("SELECT count(*) FROM read_parquet(" +
                                   duck::QuoteLiteral(file.path) + ") WHERE " + where);
    if (count != "0") {
      EXPECT_TRUE(may) << where << " matches " << count << " rows";
    }
    skipped += may ? 0 : 1;
  }
  EXPECT_GE(skipped, 5);  // and the stats do let files be skipped
}

}  // namespace
}  // namespace dlake::delta
