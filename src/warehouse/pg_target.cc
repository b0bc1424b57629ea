// The PostgreSQL warehouse through libpq, behind the SqlTarget interface. The connection string
// is never echoed: reports name the server by user, host, port and database only.

#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "warehouse/sql_target.h"

namespace dlake::warehouse {
namespace {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// libpq's messages end with a newline; ours do not.
std::string Trimmed(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

void IgnoreNotice(void* /*arg*/, const char* /*message*/) {}

class PgTarget final : public SqlTarget {
 public:
  explicit PgTarget(ConnPtr conn) : conn_(std::move(conn)) {}

  const Dialect& dialect() const override { return PostgresDialect(); }

  std::string Describe() const override {
    std::string host = PQhost(conn_.get());
    if (!host.empty() && host.front() == '/') host = "[" + host + "]";
    return "postgresql://" + std::string(PQuser(conn_.get())) + "@" + host + ":" +
           PQport(conn_.get()) + "/" + PQdb(conn_.get());
  }

  Result<int64_t> Execute(std::string_view sql, std::string_view purpose) override {
    DLAKE_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, purpose));
    return AffectedRows(result.get());
  }

  Result<SqlRows> Query(std::string_view sql, std::string_view purpose) override {
    DLAKE_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, purpose));
    PGresult* res = result.get();
    SqlRows rows;
    const int columns = PQnfields(res);
    for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(res, c));
    const int count = PQntuples(res);
    rows.rows.reserve(count);
    for (int r = 0; r < count; ++r) {
      auto& row = rows.rows.emplace_back();
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c) != 0) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
        }
      }
    }
    return rows;
  }

  Result<int64_t> CopyIn(const std::string& table, const std::vector<std::string>& columns,
                         const std::string& path) override {
    const std::string purpose = "loading " + table + " from " + path;
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) return IoErrorFromErrno("cannot open the stage file", path, errno);
    ResultPtr start(PQexec(conn_.get(), ("COPY " + table + " " + ColumnList(columns) +
                                         " FROM STDIN (FORMAT csv, HEADER true)")
                                            .c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) {
      return Error(purpose, PQresultErrorMessage(start.get()));
    }
    std::vector<char> buffer(1 << 16);
    const char* abort_reason = nullptr;
    while (true) {
      size_t n = std::fread(buffer.data(), 1, buffer.size(), file.get());
      if (n > 0 && PQputCopyData(conn_.get(), buffer.data(), static_cast<int>(n)) != 1) break;
      if (n < buffer.size()) {
        if (std::ferror(file.get()) != 0) abort_reason = "cannot read the stage file";
        break;
      }
    }
    if (PQputCopyEnd(conn_.get(), abort_reason) != 1) {
      return Error(purpose, PQerrorMessage(conn_.get()));
    }
    return FinishCopy(purpose);
  }

  Result<int64_t> CopyOut(const std::string& query, const std::string& path) override {
    const std::string purpose = "writing " + path;
    std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "wb"), std::fclose);
    if (!file) return IoErrorFromErrno("cannot create", path, errno);
    ResultPtr start(
        PQexec(conn_.get(), ("COPY (" + query + ") TO STDOUT (FORMAT csv, HEADER true)").c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_OUT) {
      return Error(purpose, PQresultErrorMessage(start.get()));
    }
    bool write_failed = false;
    while (true) {
      char* buffer = nullptr;
      int n = PQgetCopyData(conn_.get(), &buffer, /*async=*/0);
      if (n < 0) break;  // -1: done, -2: error (reported by the result below)
      if (std::fwrite(buffer, 1, n, file.get()) != static_cast<size_t>(n)) write_failed = true;
      PQfreemem(buffer);
    }
    DLAKE_ASSIGN_OR_RETURN(int64_t rows, FinishCopy(purpose));
    if (write_failed || std::fflush(file.get()) != 0) {
      return IoErrorFromErrno("cannot write", path, errno);
    }
    return rows;
  }

  Status SetRolePassword(const std::string& role, const std::string& password) override {
    const std::string purpose = "setting the password of role " + role;
    std::unique_ptr<char, void (*)(void*)> hash(
        PQencryptPasswordConn(conn_.get(), password.c_str(), role.c_str(), "scram-sha-256"),
        PQfreemem);
    if (!hash) return Error(purpose, PQerrorMessage(conn_.get()));
    std::unique_ptr<char, void (*)(void*)> name(
        PQescapeIdentifier(conn_.get(), role.c_str(), role.size()), PQfreemem);
    std::unique_ptr<char, void (*)(void*)> literal(
        PQescapeLiteral(conn_.get(), hash.get(), std::strlen(hash.get())), PQfreemem);
    if (!name || !literal) return Error(purpose, PQerrorMessage(conn_.get()));
    return Run("ALTER ROLE " + std::string(name.get()) + " WITH PASSWORD " + literal.get(), purpose)
        .status();
  }

 private:
  // Drains the results that end a COPY (all of them, so the connection is ready for the next
  // command) and returns its row count, or its first error.
  Result<int64_t> FinishCopy(std::string_view purpose) {
    Status status = Status::Ok();
    int64_t rows = 0;
    while (ResultPtr result{PQgetResult(conn_.get())}) {
      if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
        if (status.ok()) status = Error(purpose, PQresultErrorMessage(result.get()));
        continue;
      }
      rows = AffectedRows(result.get());
    }
    if (!status.ok()) return status;
    return rows;
  }

  Result<ResultPtr> Run(std::string_view sql, std::string_view purpose) {
    ResultPtr result(PQexec(conn_.get(), std::string(sql).c_str()));
    if (!result) return Error(purpose, PQerrorMessage(conn_.get()));
    ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      return Error(purpose, PQresultErrorMessage(result.get()));
    }
    return result;
  }

  static int64_t AffectedRows(PGresult* result) {
    const char* text = PQcmdTuples(result);
    return text == nullptr || *text == '\0' ? 0 : std::stoll(text);
  }

  Status Error(std::string_view purpose, const char* message) {
    // A broken connection is Unavailable (retrying after the server is back helps).
    StatusCode code = PQstatus(conn_.get()) == CONNECTION_OK ? StatusCode::kFailedPrecondition
                                                             : StatusCode::kUnavailable;
    return Status(code, std::string(purpose) + ": " + Trimmed(message));
  }

  ConnPtr conn_;
};

}  // namespace

Result<std::vector<std::string>> PostgresEnvironment(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);  // may quote the password
    return InvalidArgument("warehouse.url is not a valid libpq connection string or URI");
  }
  std::vector<std::string> environment;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || option->envvar == nullptr) continue;
    environment.push_back(std::string(option->envvar) + "=" + option->val);
  }
  PQconninfoFree(options);
  return environment;
}

// libpq's message with every occurrence of `secret` replaced (a malformed or refused connection
// string can be echoed in part).
static std::string WithoutSecret(std::string message, const std::string& secret) {
  if (secret.empty()) return message;
  for (size_t at = message.find(secret); at != std::string::npos;
       at = message.find(secret, at + 3)) {
    message.replace(at, secret.size(), "***");
  }
  return message;
}

Result<std::unique_ptr<SqlTarget>> ConnectPostgres(const std::string& conninfo) {
  // Parsed first: libpq's parse errors quote the text they stumbled on, which may be the
  // password, so they are not passed on.
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    PQfreemem(parse_error);
    return InvalidArgument(
        "warehouse.url is not a valid libpq connection string or URI (check the key=value "
        "pairs, quoting and %-encoding; the text is not repeated here because it may hold a "
        "password)");
  }
  std::string password;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && std::strcmp(option->keyword, "password") == 0) {
      password = option->val;
    }
  }
  PQconninfoFree(options);
  ConnPtr conn(PQconnectdb(conninfo.c_str()));
  if (!conn) return Unavailable("cannot connect to the PostgreSQL warehouse: out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Unavailable("cannot connect to the PostgreSQL warehouse: ",
                       WithoutSecret(Trimmed(PQerrorMessage(conn.get())), password));
  }
  PQsetNoticeProcessor(conn.get(), IgnoreNotice, nullptr);
  auto target = std::make_unique<PgTarget>(std::move(conn));
  DLAKE_RETURN_IF_ERROR(
      target
          ->Execute("SET TIME ZONE 'UTC'; SET DateStyle = ISO; SET client_min_messages = warning",
                    "setting up the warehouse session")
          .status());
  return std::unique_ptr<SqlTarget>(std::move(target));
}

}  // namespace dlake::warehouse
