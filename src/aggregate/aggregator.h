#pragma once
// Stored aggregates: plans which aggregated days are out of date (their recorded inputs differ
// from the current source files and known gaps) and rebuilds exactly those with CandleSql,
// written through the DatasetWriter and recorded in the manifest's aggregate_inputs.

#include <cstdint>
#include <string>
#include <vector>

#include "aggregate/candle_sql.h"
#include "dlake/aggregate/aggregate.h"
#include "dlake/catalog/manifest.h"
#include "dlake/common/status.h"
#include "storage/context.h"

namespace dlake::aggregate {

// The agg dataset that candles of `to` built from `source` go to.
DatasetId AggregateDataset(const DatasetId& source, const Period& to);

// One aggregated day and what it would be built from now.
struct PlannedDay {
  int64_t day = 0;
  TimeRange span;             // the source rows its buckets cover
  std::string inputs;         // canonical description of the current inputs
  std::vector<size_t> files;  // indexes into Plan::source_files
  bool changed = false;       // inputs differ from the recorded ones
};

struct Plan {
  DatasetId source;
  DatasetId target;
  Period from, to;
  std::vector<FileEntry> source_files;
  std::vector<TimeRange> gaps;  // the source's known gaps, merged
  std::vector<PlannedDay> days;

  bool UpToDate() const;
  // The query building the changed days (or, with `all_days`, every planned day).
  Result<CandleQuery> Query(const StorageContext& ctx, bool all_days) const;
};

// Plans the aggregated days whose buckets meet [start, end).
Result<Plan> PlanAggregate(const StorageContext& ctx, const DatasetId& source, const Period& to,
                           int64_t start, int64_t end);

// Brings the aggregate of `to` from `source` up to date over [start, end).
Result<AggregateTarget> UpdateAggregate(const StorageContext& ctx, const DatasetId& source,
                                        const Period& to, int64_t start, int64_t end, bool dry_run);

// The raw candle dataset a request aggregates from (see AggregateRequest::from_period).
Result<DatasetId> ResolveSource(Manifest& manifest, const std::string& exchange,
                                const std::string& market, const std::string& symbol,
                                const std::string& from_period, const std::vector<Period>& targets);

// Runs a whole request: every target from one source.
Result<AggregateReport> RunAggregate(const StorageContext& ctx, const AggregateRequest& request);

}  // namespace dlake::aggregate
