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
};

enum class ExportFormat { kParquet, kCsv };

}  // namespace dlake
