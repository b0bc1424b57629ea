// The embedded warehouse: a DuckDB database file behind the SqlTarget interface.

#include <filesystem>

#include "duck/duck.h"
#include "warehouse/sql_target.h"

namespace dlake::warehouse {
namespace {

// A DuckDB statement's "Count" column (rows inserted, updated or deleted), or 0.
int64_t ChangedRows(duck::QueryResult& result) {
  if (result.ColumnCount() != 1 || result.ColumnName(0) != "Count" || result.RowCount() != 1) {
    return 0;
  }
  return result.GetInt64(0, 0);
}

class DuckTarget final : public SqlTarget {
 public:
  DuckTarget(std::string path, std::unique_ptr<duck::Database> db,
             std::unique_ptr<duck::Connection> conn)
      : path_(std::move(path)), db_(std::move(db)), conn_(std::move(conn)) {}
  ~DuckTarget() override {
    conn_.reset();  // before the database it belongs to
  }

  const Dialect& dialect() const override { return DuckDbDialect(); }
  std::string Describe() const override { return path_; }

  Result<int64_t> Execute(std::string_view sql, std::string_view purpose) override {
    DLAKE_ASSIGN_OR_RETURN(auto result, conn_->Query(sql, purpose));
    return ChangedRows(result);
  }

  Result<SqlRows> Query(std::string_view sql, std::string_view purpose) override {
    DLAKE_ASSIGN_OR_RETURN(auto result, conn_->Query(sql, purpose));
    SqlRows rows;
    const size_t columns = result.ColumnCount();
    for (size_t c = 0; c < columns; ++c) rows.columns.push_back(result.ColumnName(c));
    const size_t count = result.RowCount();
    rows.rows.reserve(count);
    for (size_t r = 0; r < count; ++r) {
      auto& row = rows.rows.emplace_back();
      row.reserve(columns);
      for (size_t c = 0; c < columns; ++c) {
        if (result.IsNull(c, r)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(result.GetString(c, r));
        }
      }
    }
    return rows;
  }

  Result<int64_t> CopyIn(const std::string& table, const std::vector<std::string>& columns,
                         const std::string& path) override {
    return Execute("COPY " + table + " " + ColumnList(columns) + " FROM " +
                       duck::QuoteLiteral(path) + " (FORMAT parquet)",
                   "loading " + table + " from " + path);
  }

  Result<int64_t> CopyOut(const std::string& query, const std::string& path) override {
    return Execute(
        "COPY (" + query + ") TO " + duck::QuoteLiteral(path) + " (FORMAT csv, HEADER true)",
        "writing " + path);
  }

  Status SetRolePassword(const std::string& role, const std::string& /*password*/) override {
    return FailedPrecondition("the embedded warehouse has no roles (role ", role, ")");
  }

 private:
  std::string path_;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

}  // namespace

Result<std::unique_ptr<SqlTarget>> OpenDuckTarget(const std::string& path,
                                                  const DuckTargetOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return IoError("cannot create the warehouse folder for ", path, ": ", ec.message());
  }
  duck::DatabaseOptions db_options;
  db_options.memory_limit = options.memory_limit;
  db_options.threads = options.threads;
  DLAKE_ASSIGN_OR_RETURN(auto db, duck::Database::Open(path, db_options));
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*db));
  return std::unique_ptr<SqlTarget>(new DuckTarget(path, std::move(db), std::move(conn)));
}

}  // namespace dlake::warehouse
