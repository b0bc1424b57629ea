#pragma once
// Turns a DuckDB result into RecordBatches: the one conversion every reader (lake datasets,
// Delta tables) uses. Columns must be BIGINT, DOUBLE, BOOLEAN or VARCHAR; the query casts others.

#include <cstddef>
#include <functional>

#include "dlake/common/record_batch.h"
#include "dlake/common/status.h"
#include "duck/duck.h"

namespace dlake::duck {

// Receives each batch; it may move the batch's contents away.
using BatchSink = std::function<Status(RecordBatch&)>;

// Hands `result`'s rows to `sink` in batches of at most `batch_rows` (SIZE_MAX: one batch).
// Every batch but the last holds exactly `batch_rows`; 0 is InvalidArgument. `materialized`
// results are reserved up front. Nothing is handed on for an empty result.
Status StreamBatches(QueryResult& result, bool materialized, size_t batch_rows,
                     const BatchSink& sink);

// A batch with `result`'s columns and types and no rows, whatever rows the result holds: what a
// reader returns when a query found nothing, so callers still learn the columns.
Result<RecordBatch> EmptyBatch(QueryResult& result);

}  // namespace dlake::duck
