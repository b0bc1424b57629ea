#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dlake/common/dataset.h"

namespace dlake {

// Rows of one dataset with ts in [start, end), in ts order.
struct ReadRequest {
  DatasetId dataset;
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  std::vector<std::string> columns;  // empty = all columns (the union over the files read)
  int64_t limit = -1;                // < 0 = no limit
  // "" = the stored rows. A longer candle period ("15m") = the dataset's candles resampled to
  // it: from the stored aggregate when it is up to date for the range, else computed from
  // `dataset` with the same rules (doc/aggregate.md).
  std::string timeframe;
};

enum class ExportFormat { kParquet, kCsv };

}  // namespace dlake
