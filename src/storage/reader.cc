#include "storage/reader.h"

#include <unistd.h>

#include "duck/duck.h"

namespace dlake::storage {
namespace {

// A concurrent writer may replace a day file between our manifest query and DuckDB opening it;
// the manifest then already lists the new file, so reading again succeeds.
constexpr int kMaxAttempts = 5;

Result<ColumnType> ToColumnType(duck::Type type, const std::string& name) {
  switch (type) {
    case duck::Type::kBigInt: return ColumnType::kInt64;
    case duck::Type::kDouble: return ColumnType::kDouble;
    case duck::Type::kBoolean: return ColumnType::kBool;
    case duck::Type::kVarchar: return ColumnType::kString;
    case duck::Type::kOther: break;
  }
  return Internal("column '", name, "' has a type the reader does not support");
}

void AppendChunk(const duck::DataChunk& chunk, RecordBatch& batch) {
  const size_t rows = chunk.size();
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    Column& col = batch.columns[c];
    for (size_t r = 0; r < rows; ++r) col.valid.push_back(chunk.IsValid(c, r) ? 1 : 0);
    switch (col.type) {
      case ColumnType::kInt64: {
        const int64_t* data = chunk.Data<int64_t>(c);
        col.ints.insert(col.ints.end(), data, data + rows);
        break;
      }
      case ColumnType::kDouble: {
        const double* data = chunk.Data<double>(c);
        col.doubles.insert(col.doubles.end(), data, data + rows);
        break;
      }
      case ColumnType::kBool: {
        const bool* data = chunk.Data<bool>(c);
        for (size_t r = 0; r < rows; ++r) col.bools.push_back(data[r] ? 1 : 0);
        break;
      }
      case ColumnType::kString:
        for (size_t r = 0; r < rows; ++r) {
          col.strings.emplace_back(chunk.IsValid(c, r) ? chunk.GetString(c, r) : "");
        }
        break;
    }
  }
  batch.num_rows += rows;
}

RecordBatch EmptyLike(const RecordBatch& schema) {
  RecordBatch out;
  for (const auto& c : schema.columns) out.columns.push_back(Column{c.name, c.type, {}, {}, {}, {}, {}});
  return out;
}

bool AnyMissing(const StorageContext& ctx, const std::vector<FileEntry>& files) {
  for (const auto& f : files) {
    if (::access(ctx.Abs(f.path).c_str(), F_OK) != 0) return true;
  }
  return false;
}

}  // namespace

Result<Reader::Query> Reader::BuildQuery(const ReadRequest& request) {
  Query query;
  DLAKE_ASSIGN_OR_RETURN(query.files, ctx_.manifest->FilesOverlapping(
                                          request.dataset, request.start, request.end));
  const auto& files = query.files;
  if (files.empty()) return query;
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) list += ", ";
    list += duck::QuoteLiteral(ctx_.Abs(files[i].path));
  }
  list += "]";
  std::string columns;
  for (const auto& c : request.columns) {
    if (!columns.empty()) columns += ", ";
    columns += duck::QuoteIdentifier(c);
  }
  if (columns.empty()) columns = "*";
  // Files are listed in day order and each is sorted, and DuckDB preserves insertion order,
  // so rows come back in ts order without a sort.
  std::string sql = "SELECT " + columns + " FROM read_parquet(" + list +
                    ", union_by_name = true) WHERE ts >= $1 AND ts < $2";
  if (request.limit >= 0) sql += " LIMIT " + std::to_string(request.limit);
  query.sql = std::move(sql);
  return query;
}

Status Reader::ScanOnce(const ReadRequest& request, size_t batch_rows, const BatchSink& sink,
                        bool* files_vanished) {
  *files_vanished = false;
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  if (query.sql.empty()) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
  const std::string purpose = "reading " + request.dataset.Path();
  // DuckDB opens the files while binding (prepare) or executing; either fails if a concurrent
  // writer has just replaced one of them.
  auto stmt = conn->Prepare(query.sql, purpose);
  if (!stmt.ok()) {
    *files_vanished = AnyMissing(ctx_, query.files);
    return stmt.status();
  }
  DLAKE_RETURN_IF_ERROR(stmt->Bind(1, request.start));
  DLAKE_RETURN_IF_ERROR(stmt->Bind(2, request.end));
  auto result = stmt->ExecuteStreaming();
  if (!result.ok()) {
    *files_vanished = AnyMissing(ctx_, query.files);
    return result.status();
  }
  RecordBatch schema;
  for (size_t c = 0; c < result->ColumnCount(); ++c) {
    std::string name = result->ColumnName(c);
    DLAKE_ASSIGN_OR_RETURN(ColumnType type, ToColumnType(result->ColumnType(c), name));
    schema.columns.push_back(Column{name, type, {}, {}, {}, {}, {}});
  }
  RecordBatch batch = EmptyLike(schema);
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(duck::DataChunk chunk, result->NextChunk());
    if (!chunk) break;
    AppendChunk(chunk, batch);
    if (batch.num_rows >= batch_rows) {
      DLAKE_RETURN_IF_ERROR(sink(batch));
      batch = EmptyLike(schema);
    }
  }
  if (batch.num_rows > 0) DLAKE_RETURN_IF_ERROR(sink(batch));
  return Status::Ok();
}

Status Reader::Scan(const ReadRequest& request, size_t batch_rows, const BatchSink& sink) {
  if (request.end <= request.start) return Status::Ok();
  Status status;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    bool vanished = false;
    status = ScanOnce(request, batch_rows, sink, &vanished);
    if (status.ok() || !vanished) return status;
  }
  return status;
}

Result<RecordBatch> Reader::Read(const ReadRequest& request) {
  RecordBatch all;
  DLAKE_RETURN_IF_ERROR(Scan(request, 1 << 16, [&](const RecordBatch& batch) {
    all.Append(batch);
    return Status::Ok();
  }));
  return all;
}

Result<int64_t> Reader::Export(const ReadRequest& request, ExportFormat format,
                               const std::string& path) {
  Status status;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
    std::string sql = query.sql.empty() ? "SELECT NULL::BIGINT AS ts WHERE $1 < $2 AND false"
                                        : query.sql;
    DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
    const char* options = format == ExportFormat::kParquet ? "(FORMAT parquet)"
                                                           : "(FORMAT csv, HEADER true)";
    auto stmt = conn->Prepare("COPY (" + sql + ") TO " + duck::QuoteLiteral(path) + " " + options,
                              "exporting to '" + path + "'");
    if (!stmt.ok()) {
      status = stmt.status();
      if (!AnyMissing(ctx_, query.files)) return status;
      continue;
    }
    DLAKE_RETURN_IF_ERROR(stmt->Bind(1, request.start));
    DLAKE_RETURN_IF_ERROR(stmt->Bind(2, request.end));
    auto result = stmt->Execute();
    if (result.ok()) return result->GetInt64(0, 0);
    status = result.status();
    if (!AnyMissing(ctx_, query.files)) return status;
  }
  return status;
}

}  // namespace dlake::storage
