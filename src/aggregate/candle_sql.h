#pragma once
// The one DuckDB query that turns stored candles into candles of a longer period. Both the
// stored aggregates (`dlake aggregate`) and on-read resampling (`read --timeframe`) run it, so
// the two give identical rows (doc/aggregate.md).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dlake/common/dataset.h"

namespace dlake::aggregate {

// [from, to) in ms.
using TimeRange = std::pair<int64_t, int64_t>;

struct CandleQuery {
  std::vector<std::string> files;    // absolute paths of the source Parquet files
  std::vector<std::string> columns;  // the union of their column names
  bool same_columns = true;          // every file has the same columns (no union_by_name)
  Period from;                       // the source period
  Period to;                         // the target period
  // Source rows to read; each range covers whole target buckets.
  std::vector<TimeRange> ranges;
  // The source's known gaps (merged, sorted, non-overlapping) that meet `ranges`.
  std::vector<TimeRange> gaps;
};

// The columns every aggregated candle has, in this order.
const std::vector<std::string>& AggregateColumns();

// SELECT of the aggregated candles, ordered by ts: first open, max high, min low, last close,
// sums of volume, quote_volume, trades and taker volumes, close_time = bucket end - 1. A bucket
// is kept only when every source period in it is present or lies in a known gap.
std::string CandleSql(const CandleQuery& query);

// A SELECT of no rows with the columns and types of CandleSql: what resampling nothing gives.
std::string EmptyCandleSql();

// Merges overlapping or touching ranges; the result is sorted.
std::vector<TimeRange> MergeRanges(std::vector<TimeRange> ranges);

}  // namespace dlake::aggregate
