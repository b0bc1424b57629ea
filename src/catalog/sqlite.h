#pragma once
// RAII owners over SQLite handles for the catalog. Not thread-safe: the Manifest serialises use.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dlake/common/status.h"

namespace dlake::sqlite {

class Statement;

class Database {
 public:
  // Opens (and with `create`, creates) the database file with WAL, a busy timeout and foreign keys.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create);
  // Opens an existing database file for reading only and changes nothing in it (no journal
  // mode or other pragma is set): for reading a manifest backup. NotFound if it is missing.
  static Result<std::unique_ptr<Database>> OpenReadOnly(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status Execute(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  int64_t LastInsertId() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Writes a consistent copy of this database to the new file `path` with SQLite's online
  // backup API (one read transaction, so other processes keep writing meanwhile), in journal
  // mode DELETE: one standalone file with no -wal. The caller picks a `path` nobody else uses
  // and removes it on failure.
  Status BackupInto(const std::string& path);

  // The message for the current error, naming the database file.
  Status Error(std::string_view what) const;

 private:
  // sqlite3_open_v2 with `flags` and nothing else.
  static Result<std::unique_ptr<Database>> OpenWithFlags(const std::string& path, int flags);
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

class Statement {
 public:
  Statement(sqlite3_stmt* stmt, const Database* db) : stmt_(stmt), db_(db) {}
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), db_(other.db_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);

  // Returns true while a row is available, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  Status Reset();

  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  sqlite3_stmt* stmt_;
  const Database* db_;
};

// BEGIN IMMEDIATE on construction; rolls back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace dlake::sqlite
