#pragma once
// The explicit dedup key and sort order of each data type (doc/layout.md).

#include <string>
#include <vector>

#include "dlake/common/dataset.h"

namespace dlake::storage {

struct DatasetKeys {
  std::vector<std::string> dedup;  // rows with equal values here are duplicates; newest wins
  std::vector<std::string> order;  // rows in a file are sorted by these
};

// Candles and series: dedup and order on ts. Trades: dedup on trade_id, order on (ts, trade_id).
DatasetKeys KeysFor(const DatasetId& dataset);

// "a, b" with identifiers quoted.
std::string JoinIdentifiers(const std::vector<std::string>& columns);

}  // namespace dlake::storage
