#include "storage/reader.h"

#include "duck/duck.h"
#include "storage/dataset_locks.h"

namespace dlake::storage {
namespace {

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

void AppendValidity(const duck::DataChunk& chunk, size_t column, size_t rows,
                    std::vector<uint8_t>& valid) {
  const uint64_t* mask = chunk.Validity(column);
  const size_t base = valid.size();
  valid.resize(base + rows, 1);
  if (mask == nullptr) return;  // no NULLs in this vector
  for (size_t r = 0; r < rows; ++r) {
    valid[base + r] = static_cast<uint8_t>((mask[r / 64] >> (r % 64)) & 1);
  }
}

void AppendChunk(const duck::DataChunk& chunk, RecordBatch& batch) {
  const size_t rows = chunk.size();
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    Column& col = batch.columns[c];
    AppendValidity(chunk, c, rows, col.valid);
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
      case ColumnType::kString: {
        const size_t base = col.valid.size() - rows;
        for (size_t r = 0; r < rows; ++r) {
          col.strings.emplace_back(col.valid[base + r] ? chunk.GetString(c, r) : "");
        }
        break;
      }
    }
  }
  batch.num_rows += rows;
}

void Reserve(RecordBatch& batch, size_t rows) {
  for (Column& col : batch.columns) {
    col.valid.reserve(rows);
    switch (col.type) {
      case ColumnType::kInt64: col.ints.reserve(rows); break;
      case ColumnType::kDouble: col.doubles.reserve(rows); break;
      case ColumnType::kBool: col.bools.reserve(rows); break;
      case ColumnType::kString: col.strings.reserve(rows); break;
    }
  }
}

RecordBatch EmptyLike(const RecordBatch& schema) {
  RecordBatch out;
  for (const auto& c : schema.columns) out.columns.push_back(Column{c.name, c.type, {}, {}, {}, {}, {}});
  return out;
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
  // union_by_name reads every file's schema up front; only files that differ need it.
  bool same_columns = true;
  for (const auto& f : files) {
    same_columns &= !f.columns.empty() && f.columns == files.front().columns;
  }
  // Files are listed in day order and each is sorted, and DuckDB preserves insertion order,
  // so rows come back in ts order without a sort.
  std::string sql = "SELECT " + columns + " FROM read_parquet(" + list +
                    (same_columns ? "" : ", union_by_name = true") +
                    ") WHERE ts >= $1 AND ts < $2";
  if (request.limit >= 0) sql += " LIMIT " + std::to_string(request.limit);
  query.sql = std::move(sql);
  return query;
}

Status Reader::Scan(const ReadRequest& request, size_t batch_rows, const BatchSink& sink) {
  return Run(request, /*materialize=*/false, batch_rows, sink);
}

Status Reader::Run(const ReadRequest& request, bool materialize, size_t batch_rows,
                   const BatchSink& sink) {
  if (request.end <= request.start) return Status::Ok();
  // Held until the last row is read: writers then keep the files this read may still open.
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  if (query.sql.empty()) return Status::Ok();
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
  DLAKE_ASSIGN_OR_RETURN(auto stmt, conn->Prepare(query.sql, "reading " + request.dataset.Path()));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(1, request.start));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(2, request.end));
  // Streaming keeps memory bounded; materialising lets DuckDB scan the files in parallel.
  DLAKE_ASSIGN_OR_RETURN(auto result, materialize ? stmt.Execute() : stmt.ExecuteStreaming());
  RecordBatch schema;
  for (size_t c = 0; c < result.ColumnCount(); ++c) {
    std::string name = result.ColumnName(c);
    DLAKE_ASSIGN_OR_RETURN(ColumnType type, ToColumnType(result.ColumnType(c), name));
    schema.columns.push_back(Column{name, type, {}, {}, {}, {}, {}});
  }
  RecordBatch batch = EmptyLike(schema);
  if (materialize) Reserve(batch, result.RowCount());
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(duck::DataChunk chunk, result.NextChunk());
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

Result<RecordBatch> Reader::Read(const ReadRequest& request) {
  RecordBatch all;
  // One batch for everything: the sink runs once and takes the batch without a copy.
  DLAKE_RETURN_IF_ERROR(Run(request, /*materialize=*/true, SIZE_MAX, [&](RecordBatch& batch) {
    all = std::move(batch);
    return Status::Ok();
  }));
  return all;
}

Result<int64_t> Reader::Export(const ReadRequest& request, ExportFormat format,
                               const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  std::string sql = query.sql.empty() ? "SELECT NULL::BIGINT AS ts WHERE $1 < $2 AND false"
                                      : query.sql;
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*ctx_.duck));
  const char* options = format == ExportFormat::kParquet ? "(FORMAT parquet)"
                                                         : "(FORMAT csv, HEADER true)";
  DLAKE_ASSIGN_OR_RETURN(auto stmt, conn->Prepare("COPY (" + sql + ") TO " +
                                                      duck::QuoteLiteral(path) + " " + options,
                                                  "exporting to '" + path + "'"));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(1, request.start));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(2, request.end));
  DLAKE_ASSIGN_OR_RETURN(auto result, stmt.Execute());
  return result.GetInt64(0, 0);
}

}  // namespace dlake::storage
