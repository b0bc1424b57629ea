#include "storage/reader.h"

#include <set>

#include "duck/batch_stream.h"
#include "duck/duck.h"
#include "storage/dataset_locks.h"

namespace dlake::storage {

Result<Reader::Query> Reader::BuildQuery(const ReadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(
      auto files, ctx_.manifest->FilesOverlapping(request.dataset, request.start, request.end));
  return QueryOver(std::move(files), request);
}

Reader::Query Reader::QueryOver(std::vector<FileEntry> files, const ReadRequest& request) const {
  Query query;
  query.files = std::move(files);
  const auto& list_files = query.files;
  if (list_files.empty()) return query;
  std::string list = "[";
  for (size_t i = 0; i < list_files.size(); ++i) {
    if (i) list += ", ";
    list += duck::QuoteLiteral(ctx_.Abs(list_files[i].path));
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
  for (const auto& f : list_files) {
    same_columns &= !f.columns.empty() && f.columns == list_files.front().columns;
  }
  // Files are listed in day order and each is sorted, and DuckDB preserves insertion order,
  // so rows come back in ts order without a sort.
  std::string sql = "SELECT " + columns + " FROM read_parquet(" + list +
                    (same_columns ? "" : ", union_by_name = true") + ") WHERE ts >= $1 AND ts < $2";
  if (request.limit >= 0) sql += " LIMIT " + std::to_string(request.limit);
  query.sql = std::move(sql);
  return query;
}

Result<RecordBatch> Reader::EmptyRead(const ReadRequest& request) {
  DLAKE_ASSIGN_OR_RETURN(auto files, ctx_.manifest->Files(DatasetFilter::Of(request.dataset)));
  // One file of each column set; files of unknown columns (older manifests) each count.
  std::set<std::string> seen;
  std::vector<FileEntry> schema_files;
  for (auto& f : files) {
    if (f.columns.empty() || seen.insert(f.columns).second) schema_files.push_back(std::move(f));
  }
  Query query = QueryOver(std::move(schema_files), request);
  if (query.sql.empty()) return RecordBatch{};
  return RangeQueryColumns(*ctx_.duck, query.sql,
                           "reading the columns of " + request.dataset.Path(), request.start,
                           request.end);
}

Status Reader::Scan(const ReadRequest& request, size_t batch_rows, const duck::BatchSink& sink) {
  return Run(request, /*materialize=*/false, batch_rows, sink);
}

Status RunRangeQuery(duck::Database& db, const std::string& sql, const std::string& purpose,
                     int64_t start, int64_t end, bool materialize, size_t batch_rows,
                     const duck::BatchSink& sink) {
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(db));
  DLAKE_ASSIGN_OR_RETURN(auto stmt, conn->Prepare(sql, purpose));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(1, start));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(2, end));
  // Streaming keeps memory bounded; materialising lets DuckDB scan the files in parallel.
  DLAKE_ASSIGN_OR_RETURN(auto result, materialize ? stmt.Execute() : stmt.ExecuteStreaming());
  return duck::StreamBatches(result, materialize, batch_rows, sink);
}

Result<RecordBatch> RangeQueryColumns(duck::Database& db, const std::string& sql,
                                      const std::string& purpose, int64_t start, int64_t end) {
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(db));
  DLAKE_ASSIGN_OR_RETURN(auto stmt,
                         conn->Prepare("SELECT * FROM (" + sql + ") AS q LIMIT 0", purpose));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(1, start));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(2, end));
  DLAKE_ASSIGN_OR_RETURN(auto result, stmt.Execute());
  return duck::EmptyBatch(result);
}

Result<int64_t> ExportRangeQuery(duck::Database& db, const std::string& sql, int64_t start,
                                 int64_t end, ExportFormat format, const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(db));
  const char* options =
      format == ExportFormat::kParquet ? "(FORMAT parquet)" : "(FORMAT csv, HEADER true)";
  DLAKE_ASSIGN_OR_RETURN(
      auto stmt, conn->Prepare("COPY (" + sql + ") TO " + duck::QuoteLiteral(path) + " " + options,
                               "exporting to '" + path + "'"));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(1, start));
  DLAKE_RETURN_IF_ERROR(stmt.Bind(2, end));
  DLAKE_ASSIGN_OR_RETURN(auto result, stmt.Execute());
  return result.GetInt64(0, 0);
}

Status Reader::Run(const ReadRequest& request, bool materialize, size_t batch_rows,
                   const duck::BatchSink& sink) {
  if (request.end <= request.start) return Status::Ok();
  // Held until the last row is read: writers then keep the files this read may still open.
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  if (query.sql.empty()) return Status::Ok();
  return RunRangeQuery(*ctx_.duck, query.sql, "reading " + request.dataset.Path(), request.start,
                       request.end, materialize, batch_rows, sink);
}

Result<RecordBatch> Reader::Read(const ReadRequest& request) {
  RecordBatch all;
  bool any_rows = false;
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  if (!query.sql.empty() && request.start < request.end) {
    // One batch for everything: the sink runs once and takes the batch without a copy.
    DLAKE_RETURN_IF_ERROR(RunRangeQuery(*ctx_.duck, query.sql, "reading " + request.dataset.Path(),
                                        request.start, request.end, /*materialize=*/true, SIZE_MAX,
                                        [&](RecordBatch& batch) {
                                          all = std::move(batch);
                                          any_rows = true;
                                          return Status::Ok();
                                        }));
  }
  if (any_rows) return all;
  return EmptyRead(request);
}

Result<int64_t> Reader::Export(const ReadRequest& request, ExportFormat format,
                               const std::string& path) {
  DLAKE_ASSIGN_OR_RETURN(auto read_lock, LockForReading(ctx_, request.dataset));
  DLAKE_ASSIGN_OR_RETURN(Query query, BuildQuery(request));
  std::string sql =
      query.sql.empty() ? "SELECT NULL::BIGINT AS ts WHERE $1 < $2 AND false" : query.sql;
  return ExportRangeQuery(*ctx_.duck, sql, request.start, request.end, format, path);
}

}  // namespace dlake::storage
