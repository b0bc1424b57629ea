#include "catalog/sqlite.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace dlake::sqlite {
namespace {
// Writers hold the catalog only for the short manifest transaction, so a long wait means a
// stuck process; give up with a clear error after this.
constexpr int kBusyTimeoutMs = 60000;
}  // namespace

Result<std::unique_ptr<Database>> Database::OpenWithFlags(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    if (rc == SQLITE_CANTOPEN && (flags & SQLITE_OPEN_CREATE) == 0) {
      return NotFound("cannot open manifest '", path, "': ", message);
    }
    return IoError("cannot open manifest '", path, "': ", message);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Database>(new Database(db, path));
}

Result<std::unique_ptr<Database>> Database::OpenReadOnly(const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto out, OpenWithFlags(path, SQLITE_OPEN_READONLY));
  sqlite3_busy_timeout(out->db_, kBusyTimeoutMs);
  return out;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create) {
  DLAKE_ASSIGN_OR_RETURN(
      auto out, OpenWithFlags(path, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)));
  sqlite3* db = out->db_;
  // SQLite silently opens a file it may not write read-only; WAL mode then fails with an
  // unhelpful message. Say what is wrong instead.
  if (sqlite3_db_readonly(db, "main") == 1) {
    int err = ::access(path.c_str(), W_OK) != 0 ? errno : EACCES;
    return IoError("cannot write manifest '", path, "': ", std::strerror(err),
                   " (this user may read the lake but not change it)");
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // Switching to WAL needs an exclusive lock, and SQLite does not wait for it (no busy
  // handler on that path), so a concurrent opener retries here.
  Status wal;
  for (int attempt = 0; attempt < 200; ++attempt) {
    wal = out->Execute("PRAGMA journal_mode=WAL");
    if (wal.code() != StatusCode::kAborted) break;
    ::usleep(10000);
  }
  DLAKE_RETURN_IF_ERROR(wal);
  DLAKE_RETURN_IF_ERROR(out->Execute("PRAGMA synchronous=NORMAL"));
  DLAKE_RETURN_IF_ERROR(out->Execute("PRAGMA foreign_keys=ON"));
  return out;
}

Database::~Database() { sqlite3_close_v2(db_); }

namespace {

// Owns a sqlite3_backup; Finish() reports its outcome, the destructor only releases it.
class BackupHandle {
 public:
  explicit BackupHandle(sqlite3_backup* backup) : backup_(backup) {}
  ~BackupHandle() {
    if (backup_) sqlite3_backup_finish(backup_);
  }
  BackupHandle(const BackupHandle&) = delete;
  BackupHandle& operator=(const BackupHandle&) = delete;
  sqlite3_backup* get() const { return backup_; }
  int Finish() { return sqlite3_backup_finish(std::exchange(backup_, nullptr)); }

 private:
  sqlite3_backup* backup_;
};

}  // namespace

Status Database::BackupInto(const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto copy,
                         OpenWithFlags(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  BackupHandle backup(sqlite3_backup_init(copy->db_, "main", db_, "main"));
  if (!backup.get()) return copy->Error("cannot start the backup of '" + path_ + "'");
  // One step copies every page inside one read transaction: a consistent snapshot. In WAL
  // mode writers do not block it; BUSY comes only from another process's recovery or
  // checkpoint-on-close, so it is retried for as long as the busy timeout.
  int rc = SQLITE_OK;
  for (int waited_ms = 0; waited_ms < kBusyTimeoutMs; waited_ms += 10) {
    rc = sqlite3_backup_step(backup.get(), -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    ::usleep(10000);
  }
  if (rc != SQLITE_DONE) {
    return copy->Error("cannot copy '" + path_ + "' (" + sqlite3_errstr(rc) + ")");
  }
  if (backup.Finish() != SQLITE_OK) {
    return copy->Error("cannot finish the backup of '" + path_ + "'");
  }
  // The copied header keeps the source's WAL flag; a backup is one self-contained file.
  return copy->Execute("PRAGMA journal_mode=DELETE");
}

Status Database::Error(std::string_view what) const {
  int code = sqlite3_errcode(db_);
  std::string message = sqlite3_errmsg(db_);
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return Aborted(what, " in manifest '", path_, "': ", message);
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return Corruption(what, " in manifest '", path_, "': ", message);
  }
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_READONLY ||
      primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) {
    return IoError(what, " in manifest '", path_, "': ", message);
  }
  return Internal(what, " in manifest '", path_, "': ", message);
}

Status Database::Execute(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    sqlite3_free(error);
    return Error("cannot run '" + text.substr(0, 60) + "'");
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Error("cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
  }
  return Statement(stmt, this);
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error("cannot execute statement");
}

Status Statement::Run() {
  DLAKE_ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return Status::Ok();
}

Status Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return Status::Ok();
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }
std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}
bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Transaction> Transaction::Begin(Database& db) {
  DLAKE_RETURN_IF_ERROR(db.Execute("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Execute("ROLLBACK");
}

Status Transaction::Commit() {
  Status status = db_->Execute("COMMIT");
  if (status.ok()) db_ = nullptr;
  return status;
}

}  // namespace dlake::sqlite
