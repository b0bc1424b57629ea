// The DuckDB RAII wrapper (duck/duck.h) and the result-to-RecordBatch conversion
// (duck/batch_stream.h) on a real in-memory DuckDB.

#include "duck/duck.h"

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "duck/batch_stream.h"
#include "testing/test_util.h"

namespace dlake::duck {
namespace {

using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class DuckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DatabaseOptions options;
    options.threads = 1;
    DLAKE_ASSERT_OK_AND_ASSIGN(db_, Database::Open("", options));
    DLAKE_ASSERT_OK_AND_ASSIGN(conn_, Connection::Open(*db_));
  }

  // The single cell of `sql` as text, or "<error>" after failing the test.
  std::string Scalar(const std::string& sql) {
    auto result = conn_->Query(sql, "reading a scalar");
    EXPECT_THAT(result.status(), IsOk()) << sql;
    if (!result.ok()) return "<error>";
    EXPECT_EQ(result->RowCount(), 1u) << sql;
    if (result->RowCount() == 0) return "<no rows>";
    return result->IsNull(0, 0) ? "<null>" : result->GetString(0, 0);
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

// ---- Database ----

TEST(DatabaseTest, OpenAppliesMemoryLimitThreadsAndTempDirectory) {
  TempDir tmp;
  DatabaseOptions options;
  options.memory_limit = "512MiB";
  options.threads = 3;
  options.temp_directory = tmp.Join("spill");
  DLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open("", options));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(*db));
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto q, conn->Query("SELECT current_setting('memory_limit'), current_setting('threads'), "
                          "current_setting('temp_directory')",
                          "reading settings"));
  EXPECT_EQ(q.GetString(0, 0), "512.0 MiB");
  EXPECT_EQ(q.GetInt64(1, 0), 3);
  EXPECT_EQ(q.GetString(2, 0), tmp.Join("spill"));
}

TEST(DatabaseTest, OpenDisablesExtensionAutoloading) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open("", DatabaseOptions{}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(*db));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto q,
                             conn->Query("SELECT current_setting('autoinstall_known_extensions'), "
                                         "current_setting('autoload_known_extensions')",
                                         "reading settings"));
  EXPECT_EQ(q.GetString(0, 0), "false");
  EXPECT_EQ(q.GetString(1, 0), "false");
}

TEST(DatabaseTest, BadMemoryLimitIsInvalidArgumentNamingTheSetting) {
  DatabaseOptions options;
  options.memory_limit = "lots";
  EXPECT_THAT(Database::Open("", options).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("memory_limit"), HasSubstr("'lots'"))));
}

TEST(DatabaseTest, OpensAFileDatabaseAndKeepsItsTables) {
  TempDir tmp;
  const std::string path = tmp.Join("x.duckdb");
  {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, DatabaseOptions{}));
    DLAKE_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(*db));
    DLAKE_ASSERT_OK(conn->Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (7)", "setup"));
  }
  DLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open(path, DatabaseOptions{}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto conn, Connection::Open(*db));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto q, conn->Query("SELECT a FROM t", "reading back"));
  ASSERT_EQ(q.RowCount(), 1u);
  EXPECT_EQ(q.GetInt64(0, 0), 7);
}

TEST(DatabaseTest, OpenInAMissingFolderFailsWithThePath) {
  TempDir tmp;
  const std::string path = tmp.Join("no/such/folder/x.duckdb");
  EXPECT_THAT(Database::Open(path, DatabaseOptions{}).status(), Not(IsOk()));
  auto status = Database::Open(path, DatabaseOptions{}).status();
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("cannot open DuckDB database"), HasSubstr("no/such/folder")));
}

// ---- Connection ----

TEST_F(DuckTest, ExecuteRunsSeveralStatements) {
  DLAKE_ASSERT_OK(
      conn_->Execute("CREATE TABLE t(a BIGINT); INSERT INTO t VALUES (1), (2), (3)", "making t"));
  EXPECT_EQ(Scalar("SELECT sum(a) FROM t"), "6");
}

TEST_F(DuckTest, ExecuteErrorCarriesPurposeAndDuckDbMessage) {
  Status status = conn_->Execute("SELECT * FROM no_such_table", "counting the widgets");
  EXPECT_THAT(status, Not(IsOk()));
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("counting the widgets: "), HasSubstr("no_such_table")));
}

TEST_F(DuckTest, QueryErrorsAreTypedByDuckDbsErrorKind) {
  // Parser and conversion errors are the SQL's or the input's fault: InvalidArgument.
  EXPECT_THAT(conn_->Query("SELEC 1", "parsing").status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("parsing: ")));
  EXPECT_THAT(conn_->Query("SELECT 'abc'::BIGINT", "converting the price").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("converting the price: "), HasSubstr("abc"))));
  // A missing file is the operating system's answer: IoError.
  TempDir tmp;
  EXPECT_THAT(
      conn_
          ->Query("SELECT * FROM read_parquet(" + QuoteLiteral(tmp.Join("gone.parquet")) + ")",
                  "reading day 5")
          .status(),
      StatusIs(StatusCode::kIoError,
               AllOf(HasSubstr("reading day 5: "), HasSubstr("gone.parquet"))));
}

TEST_F(DuckTest, PrepareErrorCarriesPurpose) {
  EXPECT_THAT(conn_->Prepare("SELECT * FROM nowhere WHERE a = $1", "finding rows").status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("finding rows: "), HasSubstr("nowhere"))));
}

TEST_F(DuckTest, QueryResultReportsColumnsAndCells) {
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto q, conn_->Query("SELECT 42::BIGINT AS i, 1.5::DOUBLE AS d, true AS b, 'x' AS s, "
                           "DATE '2024-01-02' AS day, NULL::BIGINT AS n",
                           "reading one row"));
  ASSERT_EQ(q.ColumnCount(), 6u);
  EXPECT_EQ(q.ColumnName(0), "i");
  EXPECT_EQ(q.ColumnName(5), "n");
  EXPECT_EQ(q.ColumnType(0), Type::kBigInt);
  EXPECT_EQ(q.ColumnType(1), Type::kDouble);
  EXPECT_EQ(q.ColumnType(2), Type::kBoolean);
  EXPECT_EQ(q.ColumnType(3), Type::kVarchar);
  EXPECT_EQ(q.ColumnType(4), Type::kOther);
  EXPECT_EQ(q.GetInt64(0, 0), 42);
  EXPECT_EQ(q.GetDouble(1, 0), 1.5);
  EXPECT_EQ(q.GetString(3, 0), "x");
  EXPECT_EQ(q.GetString(4, 0), "2024-01-02");
  EXPECT_FALSE(q.IsNull(0, 0));
  EXPECT_TRUE(q.IsNull(5, 0));
}

// ---- Time zone ----

// Restores $TZ when it goes.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

TEST(ConnectionTimeZoneTest, EveryConnectionRunsInUtcWhateverTheMachinesZone) {
  ScopedTimeZone zone("America/New_York");
  DLAKE_ASSERT_OK_AND_ASSIGN(auto db, Database::Open("", DatabaseOptions{}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto first, Connection::Open(*db));
  // Another connection changing the database-wide default does not move later connections.
  DLAKE_ASSERT_OK(first->Execute("SET GLOBAL TimeZone = 'Asia/Tokyo'", "changing the zone"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto second, Connection::Open(*db));
  for (Connection* conn : {first.get(), second.get()}) {
    DLAKE_ASSERT_OK_AND_ASSIGN(auto q,
                               conn->Query("SELECT current_setting('TimeZone'), "
                                           "epoch_ms('2024-06-01 12:00:00'::TIMESTAMPTZ), "
                                           "(TIMESTAMPTZ '2024-06-01 12:00:00+00')::VARCHAR",
                                           "reading the zone"));
    EXPECT_EQ(q.GetString(0, 0), "UTC");
    EXPECT_EQ(q.GetInt64(1, 0), 1717243200000);  // 2024-06-01T12:00:00Z
    EXPECT_EQ(q.GetString(2, 0), "2024-06-01 12:00:00+00");
  }
}

// ---- Prepared statements ----

TEST_F(DuckTest, PreparedStatementBindsStringsNullsIntegersAndDoubles) {
  DLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE t(k BIGINT, s VARCHAR, d DOUBLE)", "making t"));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto insert,
                             conn_->Prepare("INSERT INTO t VALUES ($1, $2, $3)", "inserting"));
  const std::string tricky = "it's \"quoted\"'); DROP TABLE t; --";
  DLAKE_ASSERT_OK(insert.Bind(1, std::numeric_limits<int64_t>::max()));
  DLAKE_ASSERT_OK(insert.Bind(2, std::string_view(tricky)));
  DLAKE_ASSERT_OK(insert.Bind(3, 0.1));
  DLAKE_ASSERT_OK(insert.Execute().status());
  DLAKE_ASSERT_OK(insert.Bind(1, int64_t{-5}));
  DLAKE_ASSERT_OK(insert.BindNull(2));
  DLAKE_ASSERT_OK(insert.BindNull(3));
  DLAKE_ASSERT_OK(insert.Execute().status());

  DLAKE_ASSERT_OK_AND_ASSIGN(auto q, conn_->Query("SELECT k, s, d FROM t ORDER BY k", "reading"));
  ASSERT_EQ(q.RowCount(), 2u);
  EXPECT_EQ(q.GetInt64(0, 0), -5);
  EXPECT_TRUE(q.IsNull(1, 0));
  EXPECT_TRUE(q.IsNull(2, 0));
  EXPECT_EQ(q.GetInt64(0, 1), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(q.GetString(1, 1), tricky);
  EXPECT_EQ(q.GetDouble(2, 1), 0.1);
}

TEST_F(DuckTest, PreparedStatementSelectsByBoundValueAndStringList) {
  DLAKE_ASSERT_OK(conn_->Execute(
      "CREATE TABLE t(s VARCHAR); INSERT INTO t VALUES ('a'), ('b''c'), ('d'), ('e')", "setup"));
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto stmt, conn_->Prepare("SELECT count(*) FROM t WHERE list_contains($1, s)", "counting"));
  DLAKE_ASSERT_OK(stmt.BindStringList(1, {"b'c", "e", "zzz"}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto q, stmt.Execute());
  EXPECT_EQ(q.GetInt64(0, 0), 2);
}

// Regression: an empty list handed DuckDB a null array, which crashed inside duckdb_bind_value.
TEST_F(DuckTest, BindStringListOfNoValuesMatchesNothing) {
  DLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE t(s VARCHAR); INSERT INTO t VALUES ('a')", "setup"));
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto stmt,
      conn_->Prepare("SELECT count(*), len($1) FROM t WHERE list_contains($1, s)", "counting"));
  DLAKE_ASSERT_OK(stmt.BindStringList(1, {}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto q, stmt.Execute());
  EXPECT_EQ(q.GetInt64(0, 0), 0);
}

TEST_F(DuckTest, BindingAMissingParameterFailsWithPurpose) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto stmt, conn_->Prepare("SELECT $1::BIGINT", "one parameter"));
  EXPECT_THAT(stmt.Bind(2, int64_t{1}),
              StatusIs(StatusCode::kInternal,
                       AllOf(HasSubstr("one parameter"), HasSubstr("cannot bind parameter 2"))));
}

TEST_F(DuckTest, PreparedExecuteErrorCarriesPurpose) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto stmt, conn_->Prepare("SELECT $1::BIGINT", "casting the id"));
  DLAKE_ASSERT_OK(stmt.Bind(1, std::string_view("not a number")));
  EXPECT_THAT(stmt.Execute().status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("casting the id: "), HasSubstr("not a number"))));
}

TEST_F(DuckTest, StreamingExecutionReturnsEveryRowChunkByChunk) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto stmt,
                             conn_->Prepare("SELECT i FROM range($1) t(i)", "streaming"));
  DLAKE_ASSERT_OK(stmt.Bind(1, int64_t{10000}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto result, stmt.ExecuteStreaming());
  int64_t rows = 0, sum = 0, chunks = 0;
  while (true) {
    DLAKE_ASSERT_OK_AND_ASSIGN(DataChunk chunk, result.NextChunk());
    if (!chunk) break;
    ++chunks;
    ASSERT_LE(chunk.size(), DataChunk::Capacity());
    const int64_t* data = chunk.Data<int64_t>(0);
    for (size_t r = 0; r < chunk.size(); ++r) sum += data[r];
    rows += static_cast<int64_t>(chunk.size());
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_EQ(sum, int64_t{10000} * 9999 / 2);
  EXPECT_GT(chunks, 1);
}

// ---- DataChunk and Appender ----

TEST(DataChunkTest, BuildsAndReadsValuesNullsAndStrings) {
  DataChunk chunk = DataChunk::Make({Type::kBigInt, Type::kDouble, Type::kBoolean, Type::kVarchar});
  ASSERT_TRUE(chunk);
  EXPECT_GE(DataChunk::Capacity(), 1024u);
  const std::string long_text(100, 'x');  // beyond DuckDB's 12-byte inline strings
  chunk.Data<int64_t>(0)[0] = -1;
  chunk.Data<double>(1)[0] = 2.5;
  chunk.Data<bool>(2)[0] = true;
  chunk.SetString(3, 0, "short");
  chunk.Data<int64_t>(0)[1] = 9;
  chunk.SetNull(1, 1);
  chunk.SetNull(2, 1);
  chunk.SetString(3, 1, long_text);
  chunk.SetSize(2);

  EXPECT_EQ(chunk.size(), 2u);
  EXPECT_EQ(chunk.Validity(0), nullptr) << "no NULL was set in column 0";
  ASSERT_NE(chunk.Validity(1), nullptr);
  EXPECT_TRUE(chunk.IsValid(0, 1));
  EXPECT_TRUE(chunk.IsValid(1, 0));
  EXPECT_FALSE(chunk.IsValid(1, 1));
  EXPECT_FALSE(chunk.IsValid(2, 1));
  EXPECT_EQ(chunk.Data<int64_t>(0)[0], -1);
  EXPECT_EQ(chunk.Data<double>(1)[0], 2.5);
  EXPECT_TRUE(chunk.Data<bool>(2)[0]);
  EXPECT_EQ(chunk.GetString(3, 0), "short");
  EXPECT_EQ(chunk.GetString(3, 1), long_text);

  chunk.Reset();
  EXPECT_EQ(chunk.size(), 0u);
}

TEST(DataChunkTest, MovingTransfersOwnership) {
  DataChunk a = DataChunk::Make({Type::kBigInt});
  duckdb_data_chunk handle = a.handle();
  DataChunk b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is the contract
  EXPECT_EQ(b.handle(), handle);
  DataChunk c = DataChunk::Make({Type::kDouble});
  c = std::move(b);
  EXPECT_EQ(c.handle(), handle);
}

TEST_F(DuckTest, AppenderLoadsChunksAcrossChunkBoundaries) {
  DLAKE_ASSERT_OK(conn_->Execute(
      "CREATE TABLE t(ts BIGINT, price DOUBLE, up BOOLEAN, name VARCHAR)", "making t"));
  const size_t count = 2 * DataChunk::Capacity() + 5;
  DLAKE_ASSERT_OK(AppendRows(*conn_, "t",
                             {Type::kBigInt, Type::kDouble, Type::kBoolean, Type::kVarchar}, count,
                             [](DataChunk& chunk, size_t row, size_t i) {
                               chunk.Data<int64_t>(0)[row] = static_cast<int64_t>(i);
                               chunk.Data<double>(1)[row] = static_cast<double>(i) / 4;
                               chunk.Data<bool>(2)[row] = i % 2 == 0;
                               if (i % 7 == 0) {
                                 chunk.SetNull(3, row);
                               } else {
                                 chunk.SetString(3, row, "name-" + std::to_string(i));
                               }
                             }));
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto q, conn_->Query("SELECT count(*), count(DISTINCT ts), sum(ts), sum(price), "
                           "count(*) FILTER (WHERE up), count(name), "
                           "count(*) FILTER (WHERE name = 'name-' || ts) FROM t",
                           "checking t"));
  const int64_t n = static_cast<int64_t>(count);
  EXPECT_EQ(q.GetInt64(0, 0), n);
  EXPECT_EQ(q.GetInt64(1, 0), n);
  EXPECT_EQ(q.GetInt64(2, 0), n * (n - 1) / 2);
  EXPECT_DOUBLE_EQ(q.GetDouble(3, 0), static_cast<double>(n * (n - 1) / 2) / 4);
  EXPECT_EQ(q.GetInt64(4, 0), (n + 1) / 2);
  const int64_t nulls = (n + 6) / 7;
  EXPECT_EQ(q.GetInt64(5, 0), n - nulls);
  EXPECT_EQ(q.GetInt64(6, 0), n - nulls);
}

TEST_F(DuckTest, AppenderOnMissingTableNamesIt) {
  EXPECT_THAT(Appender::Open(*conn_, "no_such_table").status(),
              StatusIs(StatusCode::kInternal, HasSubstr("'no_such_table'")));
}

TEST_F(DuckTest, AppenderConstraintViolationNamesTheTable) {
  DLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE k(id BIGINT PRIMARY KEY)", "making k"));
  Status status =
      AppendRows(*conn_, "k", {Type::kBigInt}, 2,
                 [](DataChunk& chunk, size_t row, size_t) { chunk.Data<int64_t>(0)[row] = 1; });
  EXPECT_THAT(status, Not(IsOk()));
  EXPECT_THAT(status.message(), HasSubstr("'k'"));
  EXPECT_EQ(Scalar("SELECT count(*) FROM k"), "0");
}

// ---- Quoting ----

TEST(QuoteTest, DoublesTheQuoteCharacter) {
  EXPECT_EQ(QuoteLiteral(""), "''");
  EXPECT_EQ(QuoteLiteral("abc"), "'abc'");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("''"), "''''''");
  EXPECT_EQ(QuoteLiteral("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(QuoteIdentifier("ts"), "\"ts\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier("it's"), "\"it's\"");
}

TEST_F(DuckTest, QuotedInjectionAttemptsStayLiterals) {
  DLAKE_ASSERT_OK(conn_->Execute("CREATE TABLE victim(a BIGINT); INSERT INTO victim VALUES (1)",
                                 "making victim"));
  const std::vector<std::string> attempts = {
      "x'; DROP TABLE victim; --",  "'); DROP TABLE victim; SELECT ('",
      "\\'; DROP TABLE victim; --", "a\"b'c''d",
      "/* comment */ --",
  };
  for (const auto& text : attempts) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Scalar("SELECT " + QuoteLiteral(text)), text);
    // As an identifier: a column of that name, selected back by it.
    const std::string column = QuoteIdentifier(text);
    EXPECT_EQ(Scalar("SELECT " + column + " FROM (SELECT 5 AS " + column + ")"), "5");
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM victim"), "1");
}

// ---- StreamBatches ----

// Rows 0..n-1 of every supported type, with NULLs in each column at different rows.
constexpr const char* kTypedRows =
    "SELECT CASE WHEN i % 5 = 4 THEN NULL ELSE i END::BIGINT AS i, "
    "CASE WHEN i % 5 = 3 THEN NULL ELSE i / 2 END::DOUBLE AS d, "
    "CASE WHEN i % 5 = 2 THEN NULL ELSE i % 2 = 0 END AS b, "
    "CASE WHEN i % 5 = 1 THEN NULL ELSE 'row-' || i || repeat('.', (i % 20)::BIGINT) END AS s "
    "FROM range($1) t(i) ORDER BY t.i";

struct BatchCase {
  int64_t rows;
  size_t batch_rows;
  bool materialized;
};

void PrintTo(const BatchCase& c, std::ostream* os) {
  *os << c.rows << " rows in batches of " << c.batch_rows
      << (c.materialized ? ", materialized" : ", streaming");
}

class StreamBatchesTest : public DuckTest, public ::testing::WithParamInterface<BatchCase> {
 protected:
  // Runs kTypedRows for `rows` and collects what StreamBatches hands on.
  std::vector<RecordBatch> Collect(int64_t rows, size_t batch_rows, bool materialized) {
    std::vector<RecordBatch> batches;
    auto stmt = conn_->Prepare(kTypedRows, "typed rows");
    EXPECT_THAT(stmt.status(), IsOk());
    if (!stmt.ok()) return batches;
    EXPECT_THAT(stmt->Bind(1, rows), IsOk());
    auto result = materialized ? stmt->Execute() : stmt->ExecuteStreaming();
    EXPECT_THAT(result.status(), IsOk());
    if (!result.ok()) return batches;
    EXPECT_THAT(StreamBatches(*result, materialized, batch_rows,
                              [&](RecordBatch& batch) {
                                batches.push_back(std::move(batch));
                                return Status::Ok();
                              }),
                IsOk());
    return batches;
  }
};

TEST_P(StreamBatchesTest, HandsOnEveryRowInBoundedBatchesWithValuesAndNulls) {
  const BatchCase c = GetParam();
  std::vector<RecordBatch> batches = Collect(c.rows, c.batch_rows, c.materialized);
  if (c.rows == 0) {
    EXPECT_TRUE(batches.empty()) << "an empty result hands nothing on";
    return;
  }
  ASSERT_FALSE(batches.empty());
  if (c.batch_rows == SIZE_MAX) {
    EXPECT_EQ(batches.size(), 1u);
  }
  RecordBatch all;
  for (const auto& batch : batches) {
    EXPECT_GT(batch.num_rows, 0u);
    EXPECT_LE(batch.num_rows, c.batch_rows);
    if (&batch != &batches.back()) {
      EXPECT_EQ(batch.num_rows, c.batch_rows) << "only the last batch may be short";
    }
    ASSERT_EQ(batch.columns.size(), 4u);
    for (const auto& column : batch.columns) EXPECT_EQ(column.size(), batch.num_rows);
    if (all.columns.empty()) {
      all = batch;
    } else {
      all.Append(batch);
    }
  }
  ASSERT_EQ(all.num_rows, static_cast<size_t>(c.rows));
  EXPECT_EQ(all.columns[0].name, "i");
  EXPECT_EQ(all.columns[0].type, ColumnType::kInt64);
  EXPECT_EQ(all.columns[1].type, ColumnType::kDouble);
  EXPECT_EQ(all.columns[2].type, ColumnType::kBool);
  EXPECT_EQ(all.columns[3].type, ColumnType::kString);
  for (int64_t i = 0; i < c.rows; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    const size_t r = static_cast<size_t>(i);
    ASSERT_EQ(all.columns[0].IsNull(r), i % 5 == 4);
    ASSERT_EQ(all.columns[1].IsNull(r), i % 5 == 3);
    ASSERT_EQ(all.columns[2].IsNull(r), i % 5 == 2);
    ASSERT_EQ(all.columns[3].IsNull(r), i % 5 == 1);
    if (i % 5 != 4) {
      ASSERT_EQ(all.columns[0].ints[r], i);
    }
    if (i % 5 != 3) {
      ASSERT_EQ(all.columns[1].doubles[r], static_cast<double>(i) / 2);
    }
    if (i % 5 != 2) {
      ASSERT_EQ(all.columns[2].bools[r], i % 2 == 0 ? 1 : 0);
    }
    if (i % 5 != 1) {
      ASSERT_EQ(all.columns[3].strings[r], "row-" + std::to_string(i) + std::string(i % 20, '.'));
    } else {
      ASSERT_EQ(all.columns[3].strings[r], "");
    }
  }
}

// Regression: batches smaller than DuckDB's chunks (100, 7) or not a multiple of them (3000)
// came out as whole chunks, up to 2047 rows more than asked for.
INSTANTIATE_TEST_SUITE_P(Sizes, StreamBatchesTest,
                         ::testing::Values(BatchCase{0, 100, true}, BatchCase{0, SIZE_MAX, false},
                                           BatchCase{1, 100, true}, BatchCase{1, 1, false},
                                           BatchCase{2048, 2048, false},
                                           BatchCase{2049, 2048, true},
                                           BatchCase{5000, SIZE_MAX, true},
                                           BatchCase{5000, SIZE_MAX, false},
                                           BatchCase{5000, 100, false}, BatchCase{5000, 3000, true},
                                           BatchCase{5000, 3000, false}, BatchCase{300, 7, true}));

TEST_F(DuckTest, StreamBatchesRefusesBatchesOfNoRows) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto q, conn_->Query("SELECT 1::BIGINT AS a", "one row"));
  EXPECT_THAT(StreamBatches(q, true, 0, [](RecordBatch&) { return Status::Ok(); }),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("0 rows")));
}

TEST_F(DuckTest, StreamBatchesRefusesUnsupportedTypesNamingTheColumn) {
  DLAKE_ASSERT_OK_AND_ASSIGN(
      auto q, conn_->Query("SELECT 1::BIGINT AS ok, DATE '2024-01-01' AS day", "a date"));
  int calls = 0;
  EXPECT_THAT(StreamBatches(q, true, SIZE_MAX,
                            [&](RecordBatch&) {
                              ++calls;
                              return Status::Ok();
                            }),
              StatusIs(StatusCode::kInternal, HasSubstr("'day'")));
  EXPECT_EQ(calls, 0);
}

TEST_F(DuckTest, StreamBatchesStopsAtTheSinksError) {
  DLAKE_ASSERT_OK_AND_ASSIGN(auto stmt, conn_->Prepare(kTypedRows, "typed rows"));
  DLAKE_ASSERT_OK(stmt.Bind(1, int64_t{10000}));
  DLAKE_ASSERT_OK_AND_ASSIGN(auto result, stmt.ExecuteStreaming());
  int calls = 0;
  EXPECT_THAT(StreamBatches(result, false, 1000,
                            [&](RecordBatch&) {
                              ++calls;
                              return calls == 2 ? Aborted("reader went away") : Status::Ok();
                            }),
              StatusIs(StatusCode::kAborted, HasSubstr("reader went away")));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace dlake::duck
