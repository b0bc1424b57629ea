#pragma once
// A warehouse database as the loader sees it: PostgreSQL through libpq (pg_target.cc) or the
// embedded DuckDB file (duck_target.cc). Everything above this interface is written once; the SQL
// that differs between the two is in dialect.h.
//
// A target is one connection, used by one thread at a time. Errors come back as a Status whose
// message starts with the statement's purpose and never contains a password.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"
#include "warehouse/dialect.h"

namespace dlake::warehouse {

// A query's rows, every cell as text (NULL = nullopt), in the database's own text rendering.
struct SqlRows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  // The cell as an integer; 0 when NULL or not a number.
  int64_t Int(size_t row, size_t column) const;
};

class SqlTarget {
 public:
  virtual ~SqlTarget() = default;

  virtual const Dialect& dialect() const = 0;
  // Where the warehouse is, for reports: "postgresql://user@host:port/db" (never a password) or
  // the DuckDB file's path.
  virtual std::string Describe() const = 0;

  // Runs one or more statements; returns the row count of the last one (rows inserted, updated
  // or deleted; 0 for DDL).
  virtual Result<int64_t> Execute(std::string_view sql, std::string_view purpose) = 0;
  virtual Result<SqlRows> Query(std::string_view sql, std::string_view purpose) = 0;
  // Bulk-loads a stage file written in dialect().stage_format, whose columns are `columns` in
  // that order, into `table`. Returns the rows loaded.
  virtual Result<int64_t> CopyIn(const std::string& table, const std::vector<std::string>& columns,
                                 const std::string& path) = 0;
  // "(a, b, c)"
  static std::string ColumnList(const std::vector<std::string>& columns);
  // Writes the rows of `query` to `path` as CSV with a header (NULL = empty field). Returns the
  // rows written.
  virtual Result<int64_t> CopyOut(const std::string& query, const std::string& path) = 0;
  // Sets a role's password. The password never appears in SQL text, logs or errors: PostgreSQL
  // receives its SCRAM hash. Unimplemented on a target without roles.
  virtual Status SetRolePassword(const std::string& role, const std::string& password) = 0;
};

// The PostgreSQL warehouse at `conninfo` (a libpq connection string or URI; the password may
// come from it, PGPASSWORD or ~/.pgpass). Unavailable when the server cannot be reached.
Result<std::unique_ptr<SqlTarget>> ConnectPostgres(const std::string& conninfo);

// The libpq environment variables (PGHOST=…, PGPASSWORD=…) equivalent to `conninfo`, for
// child programs such as pg_dump: their command lines stay free of secrets.
Result<std::vector<std::string>> PostgresEnvironment(const std::string& conninfo);

// The embedded warehouse: a DuckDB database file, created when missing.
struct DuckTargetOptions {
  std::string memory_limit = "256MB";
  int threads = 0;
};
Result<std::unique_ptr<SqlTarget>> OpenDuckTarget(const std::string& path,
                                                  const DuckTargetOptions& options);

// A transaction that rolls back unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(SqlTarget& target);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : target_(other.target_) { other.target_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;

  Status Commit();

 private:
  explicit Transaction(SqlTarget* target) : target_(target) {}
  SqlTarget* target_;
};

}  // namespace dlake::warehouse
