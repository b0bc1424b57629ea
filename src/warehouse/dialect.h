#pragma once
// The SQL that differs between the two warehouse targets, one implementation per database
// (dialect_postgres.cc, dialect_duckdb.cc). Everything else (tables, keys, views, data tests,
// the loader's statements) is one text for both.

#include <string>
#include <string_view>

namespace dlake::warehouse {

// The file a table's rows are staged in before the bulk load.
enum class StageFormat {
  kCsv,      // CSV with a header; NULL = unquoted empty field; arrays as {"a","b"} literals
  kParquet,  // Parquet in the warehouse's own column types
};

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string_view name() const = 0;  // "postgresql" | "duckdb"
  virtual StageFormat stage_format() const = 0;
  // Whether the database stores procedures (PostgreSQL) or the library runs their bodies itself.
  virtual bool has_procedures() const = 0;
  // Whether roles, schemas and grants exist (PostgreSQL).
  virtual bool has_roles() const = 0;

  // A text column of at most `length` characters (DuckDB ignores VARCHAR(n): a CHECK holds it).
  virtual std::string BoundedText(std::string_view column, int length) const = 0;
  // A predicate true when `expr` does not match the POSIX-style regular expression `pattern`
  // (searched, not anchored: anchor it with ^…$).
  virtual std::string NotMatching(std::string_view expr, std::string_view pattern) const = 0;
  // CREATE INDEX IF NOT EXISTS for a lookup index, or "" where the database cannot have one
  // without breaking updates (DuckDB turns an update of an indexed table into delete + insert,
  // which its foreign-key check refuses while child rows exist).
  virtual std::string SecondaryIndex(std::string_view index, std::string_view table,
                                     std::string_view column) const = 0;
  // Creates (or replaces) an empty temporary table with `table`'s columns and no constraints.
  virtual std::string CreateStage(std::string_view stage, std::string_view table) const = 0;
  // Keeps other writers off `table` until the transaction ends ("" where the database has a
  // single writer anyway).
  virtual std::string LockForLoad(std::string_view table) const = 0;
  // Replaces view `name` with `select`, whatever its columns were. PostgreSQL's CREATE OR REPLACE
  // VIEW refuses to drop or rename columns, so there the view is dropped and created (a view
  // of the user's that depends on it makes this fail, naming both).
  virtual std::string ReplaceView(std::string_view name, std::string_view select) const = 0;
  // A SELECT list turning `json` (a row written by RowJson) back into the columns of `table`;
  // `structure` is the columns as DuckDB's json_transform structure ({"col": "TYPE", …}).
  virtual std::string RowFromJson(std::string_view json, std::string_view table,
                                  std::string_view structure) const = 0;
  // The row of `alias` as JSON text.
  virtual std::string RowJson(std::string_view alias) const = 0;
};

const Dialect& PostgresDialect();
const Dialect& DuckDbDialect();

// 'text' as a SQL string literal (quotes doubled); valid in both dialects.
std::string SqlLiteral(std::string_view text);

}  // namespace dlake::warehouse
