#pragma once
// Requests built from text, as the CLI's flags and the Python SDK's arguments give them: one
// implementation of name normalisation, time ranges, default periods and dataset resolution
// for every client, so `dlake read` and `DataLakeClient.read_ohlc` read the same rows from the
// same words. Errors are InvalidArgument naming the bad value, except where noted.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/dataset.h"
#include "dlake/common/status.h"
#include "dlake/storage/read_request.h"

namespace dlake {

class Lake;

// A dataset as a user names it, in any case; an empty field is not given.
struct DatasetNames {
  std::string exchange, market, symbol, type, period;
};

// A filter from names: exchange and market upper-cased and checked, the symbol normalised
// (BTC/USDT:USDT and btcusdt are BTCUSDT), type as ParseListedType (feature included) and period
// as ParsePeriod read them. Fields left empty match anything.
Result<DatasetFilter> ParseDatasetFilter(const DatasetNames& names);

// The period meant when a request on `type` names none: "tick" for ticks, "1m" for candles
// (raw, agg, or "" = raw), "" for other types (alt series must name theirs).
std::string DefaultPeriod(std::string_view type);

// One dataset from names: exchange, market and symbol are required; type "" = raw; period "" =
// DefaultPeriod(type), InvalidArgument for a type without a default.
Result<DatasetId> ParseDatasetId(const DatasetNames& names);

// A half-open range of times [start, end), ms since the epoch, UTC.
struct TimeRange {
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
};

// [start, end) from text as ParseRangeStart and ParseRangeEnd read it (ISO dates and times, UTC
// unless an offset is given, or epoch ms; a date-only end includes that whole day). Empty text
// leaves that bound open. InvalidArgument when the end is not after the start.
Result<TimeRange> ParseTimeRange(std::string_view start, std::string_view end);

// `dlake read` in words.
struct ReadQuery {
  DatasetNames dataset;    // type "" = raw; period "" = DefaultPeriod(type) unless `timeframe`
  std::string timeframe;   // "" = stored rows; else candles resampled to it
  std::string start, end;  // as ParseTimeRange reads them
  std::vector<std::string> columns;  // empty = all
  int64_t limit = -1;                // < 0 = no limit
};

// The filter `query` selects its dataset with: names parsed, type "" = raw, and period "" =
// DefaultPeriod(type) unless a timeframe is given (then Lake::ResolveTimeframeSource picks it).
Result<DatasetFilter> ReadFilter(const ReadQuery& query);

// The ReadRequest `query` means in `lake`: names parsed, times parsed, and the dataset resolved
// with Lake::ResolveDataset (with a timeframe, Lake::ResolveTimeframeSource): a market or period
// left out is that of the one stored dataset that fits. NotFound when none fits, InvalidArgument
// naming the candidates when several do.
Result<ReadRequest> MakeReadRequest(Lake& lake, const ReadQuery& query);

}  // namespace dlake
