#pragma once
// Candle buckets aligned in UTC the way the exchanges align them (doc/aggregate.md): fixed
// periods from the epoch, 1w from Monday 00:00 UTC, 1M from the 1st of the month.

#include <cstdint>
#include <string>
#include <string_view>

#include "dlake/common/dataset.h"
#include "dlake/common/status.h"

namespace dlake::aggregate {

// The start of the bucket of `period` holding `ts` (ms).
int64_t BucketStart(const Period& period, int64_t ts);
// The end (exclusive) of the bucket of `period` starting at `bucket_start`.
int64_t BucketEnd(const Period& period, int64_t bucket_start);

// The same rules as DuckDB SQL over a BIGINT ms column or expression.
std::string BucketStartSql(const Period& period, std::string_view ts);
std::string BucketEndSql(const Period& period, std::string_view bucket_start);

// OK when candles of `to` can be built from candles of `from`: `from` is a candle period, `to`
// is longer and every `to` bucket is a whole number of `from` buckets.
Status CheckAggregatable(const Period& from, const Period& to);

// The first day of the aggregated dataset's day partition holding the bucket of `period` that
// covers day `day` (for periods up to 1d: `day` itself), and the days [first, last] whose buckets
// that aggregated day holds (the source days it is built from).
int64_t AggregatedDayOf(const Period& period, int64_t day);
int64_t LastSourceDay(const Period& period, int64_t aggregated_day);

}  // namespace dlake::aggregate
