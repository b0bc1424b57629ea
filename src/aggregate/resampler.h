#pragma once
// On-read resampling (`dlake read --timeframe 15m`): the stored aggregate when it is up to date
// for the range asked for, otherwise the same CandleSql computed on the fly from the source
// candles in one DuckDB query. Either way the rows are identical.

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "dlake/storage/read_request.h"
#include "duck/batch_stream.h"
#include "storage/context.h"

namespace dlake::aggregate {

class Resampler {
 public:
  explicit Resampler(const StorageContext& context) : ctx_(context) {}

  // request.dataset: the raw candles; request.timeframe: the period to resample to.
  Status Scan(const ReadRequest& request, size_t batch_rows, const duck::BatchSink& sink);
  Result<RecordBatch> Read(const ReadRequest& request);
  Result<int64_t> Export(const ReadRequest& request, ExportFormat format, const std::string& path);

  // Whether the request would be served from the stored aggregate (for tests and benchmarks).
  Result<bool> ServedFromStore(const ReadRequest& request);

  // What a request reads: the stored aggregate (`stored` set) or the on-the-fly SQL. The
  // caller holds request.dataset's read lock (and the stored aggregate's, when reading it).
  struct Source {
    std::optional<ReadRequest> stored;
    std::string sql;  // $1, $2 = start, end; empty = no rows
  };
  Result<Source> Plan(const ReadRequest& request);

 private:
  const StorageContext& ctx_;
};

}  // namespace dlake::aggregate
