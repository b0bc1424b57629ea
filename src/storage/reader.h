#pragma once
// Reads a dataset slice: manifest -> files overlapping [start, end) -> DuckDB read_parquet over
// exactly those files (union_by_name, so files with different column sets read together) with
// the time filter and the column list pushed down. A read holds the dataset's shared read lock
// (storage/dataset_locks.h), so concurrent writers never delete a file it may still open.

#include <functional>

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "dlake/storage/read_request.h"
#include "duck/batch_stream.h"
#include "storage/context.h"

namespace dlake::duck {
class Database;
}

namespace dlake::storage {

// Runs a SELECT whose $1 and $2 are the range's start and end into `sink`: streamed in batches
// of at most `batch_rows` (bounded memory), or materialised (DuckDB then scans in parallel).
Status RunRangeQuery(duck::Database& db, const std::string& sql, const std::string& purpose,
                     int64_t start, int64_t end, bool materialize, size_t batch_rows,
                     const duck::BatchSink& sink);
// The columns and types the same SELECT returns, with no rows: for reads that found none.
Result<RecordBatch> RangeQueryColumns(duck::Database& db, const std::string& sql,
                                      const std::string& purpose, int64_t start, int64_t end);
// The same SELECT written to `path` as Parquet or CSV (with header); returns the row count.
Result<int64_t> ExportRangeQuery(duck::Database& db, const std::string& sql, int64_t start,
                                 int64_t end, ExportFormat format, const std::string& path);

class Reader {
 public:
  explicit Reader(const StorageContext& context) : ctx_(context) {}

  // Streams the rows in batches of at most `batch_rows` (bounded memory for any range).
  Status Scan(const ReadRequest& request, size_t batch_rows, const duck::BatchSink& sink);
  // All rows as one batch. When no row matches, a batch without rows that still has the
  // columns and types a read of the dataset gives: the union of its files' column sets (one
  // file of each is opened); no columns when the dataset has no files.
  Result<RecordBatch> Read(const ReadRequest& request);
  // Writes the rows to `path` as Parquet or CSV (with header) through DuckDB.
  Result<int64_t> Export(const ReadRequest& request, ExportFormat format, const std::string& path);

  // The SELECT a read runs ($1, $2 = start, end), for callers that build on it (point-in-time
  // joins). The caller holds the dataset's read lock while the query runs.
  struct Query {
    std::string sql;               // empty when no file overlaps the range
    std::vector<FileEntry> files;  // the files the query reads
  };
  Result<Query> BuildQuery(const ReadRequest& request);

 private:
  Query QueryOver(std::vector<FileEntry> files, const ReadRequest& request) const;
  // The columns of an empty read (see Read); called under the dataset's read lock.
  Result<RecordBatch> EmptyRead(const ReadRequest& request);
  Status Run(const ReadRequest& request, bool materialize, size_t batch_rows,
             const duck::BatchSink& sink);

  const StorageContext& ctx_;
};

}  // namespace dlake::storage
