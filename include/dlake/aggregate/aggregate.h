#pragma once
// Aggregation of stored candles to longer periods (doc/aggregate.md): `agg` datasets built from
// `raw` candles, rebuilt incrementally from what each aggregated day was built from.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/storage/write_report.h"

namespace dlake {

struct AggregateRequest {
  std::string exchange;  // any case; required
  std::string market;    // "" = the only market holding the symbol's candles
  std::string symbol;    // required
  // The raw candle period to build from; "" = the finest stored period that every target can be
  // built from.
  std::string from_period;
  std::vector<std::string> to;  // target periods: 5m, 15m, 1h, 4h, 1d, 1w, 1M, ...
  // Buckets meeting [start, end) are brought up to date (whole buckets, whole aggregated days).
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  bool dry_run = false;  // report which days would be rebuilt, write nothing
};

// One target period of an aggregation.
struct AggregateTarget {
  DatasetId dataset;         // the agg dataset written
  DatasetId source;          // the raw candles read
  int64_t days_checked = 0;  // aggregated days whose inputs were compared
  int64_t days_rebuilt = 0;  // days whose inputs had changed (0 = up to date)
  int64_t candles = 0;       // complete candles in the rebuilt days
  WriteReport write;         // per aggregated day: created, replaced, unchanged, removed
};

struct AggregateReport {
  std::vector<AggregateTarget> targets;
  bool dry_run = false;
  int64_t DaysRebuilt() const;
  int64_t FilesWritten() const;  // created + replaced
};

}  // namespace dlake
