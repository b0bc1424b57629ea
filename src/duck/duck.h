#pragma once
// RAII owners over DuckDB's C API. This module is the only code that touches duckdb_* handles;
// DuckDB's error text comes back as a Status prefixed with the statement's purpose.
// Objects are not thread-safe; a Connection is used by one thread at a time.

#include <duckdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::duck {

struct DatabaseOptions {
  // DuckDB's memory_limit; spills beyond it go to temp_directory. Default suits a 2 GB machine.
  std::string memory_limit = "256MB";
  // Worker threads; 0 = one per core.
  int threads = 0;
  // Where DuckDB spills; empty = DuckDB's default ("<database>.tmp" or none for in-memory).
  std::string temp_directory;
};

class Database {
 public:
  // Opens an in-memory database when `path` is empty.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const DatabaseOptions& options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  duckdb_database handle() const { return db_; }

 private:
  Database() = default;
  duckdb_database db_ = nullptr;
};

// A column's type as our code sees it. Anything else is read through a VARCHAR cast.
enum class Type { kBigInt, kDouble, kBoolean, kVarchar, kOther };

std::string_view TypeSqlName(Type type);

// A chunk owned by the caller: either fetched from a result or built for appending.
class DataChunk {
 public:
  DataChunk() = default;
  explicit DataChunk(duckdb_data_chunk chunk) : chunk_(chunk) {}
  // Builds an empty chunk of up to Capacity() rows with the given column types.
  static DataChunk Make(const std::vector<Type>& types);
  static size_t Capacity();
  ~DataChunk();
  DataChunk(DataChunk&& other) noexcept : chunk_(other.chunk_) { other.chunk_ = nullptr; }
  DataChunk& operator=(DataChunk&& other) noexcept;

  explicit operator bool() const { return chunk_ != nullptr; }
  duckdb_data_chunk handle() const { return chunk_; }
  size_t size() const;
  void SetSize(size_t rows);
  void Reset();

  // Raw column data; T must match the column's physical type (int64_t, double, bool).
  template <typename T>
  T* Data(size_t column) const {
    return static_cast<T*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk_, column)));
  }
  bool IsValid(size_t column, size_t row) const;
  // The column's validity bitmap (bit r of word r/64 set = row r is valid), or nullptr when
  // every row is valid.
  const uint64_t* Validity(size_t column) const {
    return duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, column));
  }
  void SetNull(size_t column, size_t row);
  std::string_view GetString(size_t column, size_t row) const;
  void SetString(size_t column, size_t row, std::string_view value);

 private:
  duckdb_data_chunk chunk_ = nullptr;
};

// The rows of a query. Materialised or streaming; read it chunk by chunk or by cell.
class QueryResult {
 public:
  explicit QueryResult(duckdb_result result) : result_(result), valid_(true) {}
  ~QueryResult();
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&&) = delete;

  size_t ColumnCount();
  std::string ColumnName(size_t column);
  Type ColumnType(size_t column);
  // Next chunk, or an empty DataChunk at the end.
  Result<DataChunk> NextChunk();

  // Cell access for small materialised results (catalog-style queries).
  size_t RowCount();
  bool IsNull(size_t column, size_t row);
  int64_t GetInt64(size_t column, size_t row);
  double GetDouble(size_t column, size_t row);
  std::string GetString(size_t column, size_t row);

 private:
  duckdb_result result_;
  bool valid_;
};

class PreparedStatement;

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(Database& db);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements and drops their results. `purpose` prefixes any error.
  Status Execute(std::string_view sql, std::string_view purpose);
  Result<QueryResult> Query(std::string_view sql, std::string_view purpose);
  Result<PreparedStatement> Prepare(std::string_view sql, std::string_view purpose);

  duckdb_connection handle() const { return conn_; }

 private:
  Connection() = default;
  duckdb_connection conn_ = nullptr;
};

class PreparedStatement {
 public:
  PreparedStatement(duckdb_prepared_statement stmt, std::string purpose)
      : stmt_(stmt), purpose_(std::move(purpose)) {}
  ~PreparedStatement();
  PreparedStatement(PreparedStatement&& other) noexcept;
  PreparedStatement& operator=(PreparedStatement&&) = delete;

  // Parameters are 1-based, as in DuckDB.
  Status Bind(size_t index, int64_t value);
  Status Bind(size_t index, double value);
  Status Bind(size_t index, std::string_view value);
  Status BindNull(size_t index);
  Status BindStringList(size_t index, const std::vector<std::string>& values);

  Result<QueryResult> Execute();
  // Streams chunks instead of materialising: memory stays bounded for large reads.
  Result<QueryResult> ExecuteStreaming();

 private:
  Status CheckBind(duckdb_state state, size_t index);
  duckdb_prepared_statement stmt_;
  std::string purpose_;
};

// Appends whole chunks to a table: the fast path for loading rows.
class Appender {
 public:
  static Result<std::unique_ptr<Appender>> Open(Connection& conn, const std::string& table);
  ~Appender();
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  Status Append(const DataChunk& chunk);
  Status Close();

 private:
  Appender(duckdb_appender appender, std::string table)
      : app_(appender), table_(std::move(table)) {}
  duckdb_appender app_;
  std::string table_;
};

// Appends `count` rows to `table` in chunks; fill(chunk, row, i) writes input row i into
// chunk row `row` (every column, NULLs with SetNull). `types` are the table's column types.
Status AppendRows(Connection& conn, const std::string& table, const std::vector<Type>& types,
                  size_t count, const std::function<void(DataChunk&, size_t, size_t)>& fill);

// 'text' as a SQL string literal, quotes doubled. For file paths in table functions, where
// DuckDB takes no parameters; values in predicates are always bound instead.
std::string QuoteLiteral(std::string_view text);
// "name" as a SQL identifier, quotes doubled.
std::string QuoteIdentifier(std::string_view name);

}  // namespace dlake::duck
