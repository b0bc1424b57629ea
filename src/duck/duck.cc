#include "duck/duck.h"

#include <cstring>

namespace dlake::duck {
namespace {

Status DuckError(std::string_view purpose, const char* message) {
  return Internal(purpose, ": ", message ? message : "unknown DuckDB error");
}

// DuckDB reports missing files, full disks and permission problems as IO errors; keep that
// distinction so callers (and users) see an IoError, not an internal one.
Status TypedError(std::string_view purpose, duckdb_error_type type, const char* message) {
  std::string text = message ? message : "unknown DuckDB error";
  switch (type) {
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_PERMISSION:
      return IoError(purpose, ": ", text);
    case DUCKDB_ERROR_INTERRUPT:
      return Aborted(purpose, ": ", text);
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return Status(StatusCode::kFailedPrecondition, std::string(purpose) + ": " + text);
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_PARSER:
      return InvalidArgument(purpose, ": ", text);
    default:
      return Internal(purpose, ": ", text);
  }
}

Status ResultError(std::string_view purpose, duckdb_result* result) {
  return TypedError(purpose, duckdb_result_error_type(result), duckdb_result_error(result));
}

Status AppenderError(std::string_view purpose, duckdb_appender appender) {
  duckdb_error_data error = duckdb_appender_error_data(appender);
  Status status =
      TypedError(purpose, duckdb_error_data_error_type(error), duckdb_error_data_message(error));
  duckdb_destroy_error_data(&error);
  return status;
}

duckdb_type ToDuckType(Type type) {
  switch (type) {
    case Type::kBigInt:
      return DUCKDB_TYPE_BIGINT;
    case Type::kDouble:
      return DUCKDB_TYPE_DOUBLE;
    case Type::kBoolean:
      return DUCKDB_TYPE_BOOLEAN;
    case Type::kVarchar:
    case Type::kOther:
      return DUCKDB_TYPE_VARCHAR;
  }
  return DUCKDB_TYPE_VARCHAR;
}

Type FromDuckType(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_BIGINT:
      return Type::kBigInt;
    case DUCKDB_TYPE_DOUBLE:
      return Type::kDouble;
    case DUCKDB_TYPE_BOOLEAN:
      return Type::kBoolean;
    case DUCKDB_TYPE_VARCHAR:
      return Type::kVarchar;
    default:
      return Type::kOther;
  }
}

}  // namespace

std::string_view TypeSqlName(Type type) {
  switch (type) {
    case Type::kBigInt:
      return "BIGINT";
    case Type::kDouble:
      return "DOUBLE";
    case Type::kBoolean:
      return "BOOLEAN";
    case Type::kVarchar:
    case Type::kOther:
      return "VARCHAR";
  }
  return "VARCHAR";
}

// ---- Database ----

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const DatabaseOptions& options) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) == DuckDBError) return Internal("cannot create DuckDB config");
  struct ConfigGuard {
    duckdb_config* c;
    ~ConfigGuard() { duckdb_destroy_config(c); }
  } guard{&config};

  auto set = [&](const char* name, const std::string& value) -> Status {
    if (duckdb_set_config(config, name, value.c_str()) == DuckDBError) {
      return InvalidArgument("invalid DuckDB setting ", name, "='", value, "'");
    }
    return Status::Ok();
  };
  DLAKE_RETURN_IF_ERROR(set("memory_limit", options.memory_limit));
  if (options.threads > 0) DLAKE_RETURN_IF_ERROR(set("threads", std::to_string(options.threads)));
  if (!options.temp_directory.empty()) {
    DLAKE_RETURN_IF_ERROR(set("temp_directory", options.temp_directory));
  }
  // No network: extensions are never downloaded at run time.
  DLAKE_RETURN_IF_ERROR(set("autoinstall_known_extensions", "false"));
  DLAKE_RETURN_IF_ERROR(set("autoload_known_extensions", "false"));

  auto db = std::unique_ptr<Database>(new Database());
  char* error = nullptr;
  const char* c_path = path.empty() ? nullptr : path.c_str();
  if (duckdb_open_ext(c_path, &db->db_, config, &error) == DuckDBError) {
    Status status = DuckError("cannot open DuckDB database", error);
    duckdb_free(error);
    return status;
  }
  return db;
}

Database::~Database() {
  if (db_) duckdb_close(&db_);
}

// ---- DataChunk ----

DataChunk DataChunk::Make(const std::vector<Type>& types) {
  std::vector<duckdb_logical_type> logical;
  logical.reserve(types.size());
  for (Type t : types) logical.push_back(duckdb_create_logical_type(ToDuckType(t)));
  duckdb_data_chunk chunk = duckdb_create_data_chunk(logical.data(), logical.size());
  for (auto& t : logical) duckdb_destroy_logical_type(&t);
  return DataChunk(chunk);
}

size_t DataChunk::Capacity() { return duckdb_vector_size(); }

DataChunk::~DataChunk() {
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

DataChunk& DataChunk::operator=(DataChunk&& other) noexcept {
  if (this != &other) {
    if (chunk_) duckdb_destroy_data_chunk(&chunk_);
    chunk_ = other.chunk_;
    other.chunk_ = nullptr;
  }
  return *this;
}

size_t DataChunk::size() const { return duckdb_data_chunk_get_size(chunk_); }
void DataChunk::SetSize(size_t rows) { duckdb_data_chunk_set_size(chunk_, rows); }
void DataChunk::Reset() { duckdb_data_chunk_reset(chunk_); }

bool DataChunk::IsValid(size_t column, size_t row) const {
  uint64_t* validity = duckdb_vector_get_validity(duckdb_data_chunk_get_vector(chunk_, column));
  return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
}

void DataChunk::SetNull(size_t column, size_t row) {
  duckdb_vector vector = duckdb_data_chunk_get_vector(chunk_, column);
  duckdb_vector_ensure_validity_writable(vector);
  duckdb_validity_set_row_invalid(duckdb_vector_get_validity(vector), row);
}

std::string_view DataChunk::GetString(size_t column, size_t row) const {
  auto* strings = Data<duckdb_string_t>(column);
  duckdb_string_t& s = strings[row];
  return std::string_view(duckdb_string_t_data(&s), duckdb_string_t_length(s));
}

void DataChunk::SetString(size_t column, size_t row, std::string_view value) {
  duckdb_vector_assign_string_element_len(duckdb_data_chunk_get_vector(chunk_, column), row,
                                          value.data(), value.size());
}

// ---- QueryResult ----

QueryResult::~QueryResult() {
  if (valid_) duckdb_destroy_result(&result_);
}

QueryResult::QueryResult(QueryResult&& other) noexcept
    : result_(other.result_), valid_(other.valid_) {
  other.valid_ = false;
}

size_t QueryResult::ColumnCount() { return duckdb_column_count(&result_); }
std::string QueryResult::ColumnName(size_t column) {
  const char* name = duckdb_column_name(&result_, column);
  return name ? name : "";
}
Type QueryResult::ColumnType(size_t column) {
  return FromDuckType(duckdb_column_type(&result_, column));
}

Result<DataChunk> QueryResult::NextChunk() {
  duckdb_data_chunk chunk = duckdb_fetch_chunk(result_);
  if (chunk == nullptr) {
    const char* error = duckdb_result_error(&result_);
    if (error != nullptr) return ResultError("fetching query results", &result_);
  }
  return DataChunk(chunk);
}

size_t QueryResult::RowCount() { return duckdb_row_count(&result_); }
bool QueryResult::IsNull(size_t column, size_t row) {
  return duckdb_value_is_null(&result_, column, row);
}
int64_t QueryResult::GetInt64(size_t column, size_t row) {
  return duckdb_value_int64(&result_, column, row);
}
double QueryResult::GetDouble(size_t column, size_t row) {
  return duckdb_value_double(&result_, column, row);
}
std::string QueryResult::GetString(size_t column, size_t row) {
  char* text = duckdb_value_varchar(&result_, column, row);
  if (text == nullptr) return "";
  std::string out(text);
  duckdb_free(text);
  return out;
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::Open(Database& db) {
  auto conn = std::unique_ptr<Connection>(new Connection());
  if (duckdb_connect(db.handle(), &conn->conn_) == DuckDBError) {
    return Internal("cannot connect to DuckDB database");
  }
  // Timestamps are instants: render and parse them in UTC whatever the machine's zone.
  DLAKE_RETURN_IF_ERROR(conn->Execute("SET TimeZone = 'UTC'", "setting the time zone to UTC"));
  return conn;
}

Connection::~Connection() {
  if (conn_) duckdb_disconnect(&conn_);
}

Status Connection::Execute(std::string_view sql, std::string_view purpose) {
  duckdb_result result;
  std::string text(sql);
  if (duckdb_query(conn_, text.c_str(), &result) == DuckDBError) {
    Status status = ResultError(purpose, &result);
    duckdb_destroy_result(&result);
    return status;
  }
  duckdb_destroy_result(&result);
  return Status::Ok();
}

Result<QueryResult> Connection::Query(std::string_view sql, std::string_view purpose) {
  duckdb_result result;
  std::string text(sql);
  if (duckdb_query(conn_, text.c_str(), &result) == DuckDBError) {
    Status status = ResultError(purpose, &result);
    duckdb_destroy_result(&result);
    return status;
  }
  return QueryResult(result);
}

Result<PreparedStatement> Connection::Prepare(std::string_view sql, std::string_view purpose) {
  duckdb_prepared_statement stmt = nullptr;
  std::string text(sql);
  if (duckdb_prepare(conn_, text.c_str(), &stmt) == DuckDBError) {
    Status status = InvalidArgument(purpose, ": ", duckdb_prepare_error(stmt));
    duckdb_destroy_prepare(&stmt);
    return status;
  }
  return PreparedStatement(stmt, std::string(purpose));
}

// ---- PreparedStatement ----

PreparedStatement::~PreparedStatement() {
  if (stmt_) duckdb_destroy_prepare(&stmt_);
}

PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : stmt_(other.stmt_), purpose_(std::move(other.purpose_)) {
  other.stmt_ = nullptr;
}

Status PreparedStatement::CheckBind(duckdb_state state, size_t index) {
  if (state == DuckDBError) {
    return Internal(purpose_, ": cannot bind parameter ", index, ": ",
                    duckdb_prepare_error(stmt_) ? duckdb_prepare_error(stmt_) : "");
  }
  return Status::Ok();
}

Status PreparedStatement::Bind(size_t index, int64_t value) {
  return CheckBind(duckdb_bind_int64(stmt_, index, value), index);
}
Status PreparedStatement::Bind(size_t index, double value) {
  return CheckBind(duckdb_bind_double(stmt_, index, value), index);
}
Status PreparedStatement::Bind(size_t index, std::string_view value) {
  return CheckBind(duckdb_bind_varchar_length(stmt_, index, value.data(), value.size()), index);
}
Status PreparedStatement::BindNull(size_t index) {
  return CheckBind(duckdb_bind_null(stmt_, index), index);
}

Status PreparedStatement::BindStringList(size_t index, const std::vector<std::string>& values) {
  std::vector<duckdb_value> items;
  items.reserve(values.size());
  for (const auto& v : values) items.push_back(duckdb_create_varchar_length(v.data(), v.size()));
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  // DuckDB wants a valid array even for no values (an empty vector's data() may be null).
  duckdb_value no_value = nullptr;
  duckdb_value list =
      duckdb_create_list_value(varchar, items.empty() ? &no_value : items.data(), items.size());
  duckdb_destroy_logical_type(&varchar);
  for (auto& item : items) duckdb_destroy_value(&item);
  if (list == nullptr) return Internal(purpose_, ": cannot build the list for parameter ", index);
  Status status = CheckBind(duckdb_bind_value(stmt_, index, list), index);
  duckdb_destroy_value(&list);
  return status;
}

Result<QueryResult> PreparedStatement::Execute() {
  duckdb_result result;
  if (duckdb_execute_prepared(stmt_, &result) == DuckDBError) {
    Status status = ResultError(purpose_, &result);
    duckdb_destroy_result(&result);
    return status;
  }
  return QueryResult(result);
}

Result<QueryResult> PreparedStatement::ExecuteStreaming() {
  duckdb_result result;
  if (duckdb_execute_prepared_streaming(stmt_, &result) == DuckDBError) {
    Status status = ResultError(purpose_, &result);
    duckdb_destroy_result(&result);
    return status;
  }
  return QueryResult(result);
}

// ---- Appender ----

Result<std::unique_ptr<Appender>> Appender::Open(Connection& conn, const std::string& table) {
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(conn.handle(), nullptr, table.c_str(), &appender) == DuckDBError) {
    std::string error = appender ? duckdb_appender_error(appender) : "unknown error";
    if (appender) duckdb_appender_destroy(&appender);
    return Internal("cannot create appender for table '", table, "': ", error);
  }
  return std::unique_ptr<Appender>(new Appender(appender, table));
}

Appender::~Appender() {
  if (app_) duckdb_appender_destroy(&app_);
}

Status Appender::Append(const DataChunk& chunk) {
  if (duckdb_append_data_chunk(app_, chunk.handle()) == DuckDBError) {
    return AppenderError("cannot append rows to '" + table_ + "'", app_);
  }
  return Status::Ok();
}

Status Appender::Close() {
  if (duckdb_appender_close(app_) == DuckDBError) {
    return AppenderError("cannot flush rows into '" + table_ + "'", app_);
  }
  return Status::Ok();
}

Status AppendRows(Connection& conn, const std::string& table, const std::vector<Type>& types,
                  size_t count, const std::function<void(DataChunk&, size_t, size_t)>& fill) {
  DLAKE_ASSIGN_OR_RETURN(auto appender, Appender::Open(conn, table));
  DataChunk chunk = DataChunk::Make(types);
  size_t row = 0;
  for (size_t i = 0; i < count; ++i) {
    fill(chunk, row, i);
    if (++row == DataChunk::Capacity()) {
      chunk.SetSize(row);
      DLAKE_RETURN_IF_ERROR(appender->Append(chunk));
      chunk.Reset();
      row = 0;
    }
  }
  if (row > 0) {
    chunk.SetSize(row);
    DLAKE_RETURN_IF_ERROR(appender->Append(chunk));
  }
  return appender->Close();
}

// ---- quoting ----

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += "'";
  return out;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  out += "\"";
  return out;
}

}  // namespace dlake::duck
