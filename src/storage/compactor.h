#pragma once
// Compaction (doc/layout.md "Compaction"): picks the closed months of each dataset that
// qualify and has DatasetWriter::CompactMonths rewrite each as one month file. The writer takes
// the dataset's write lock, swaps the files with their manifest rows in one transaction and
// deletes the day files once no reader holds the read lock, so a concurrent reader sees either
// the day files or the month file, never both or neither.

#include <cstdint>
#include <vector>

#include "dlake/storage/compaction.h"
#include "storage/context.h"

namespace dlake {
namespace duck {
class Connection;
}

namespace storage {

// True when the dataset's months are compacted whatever their size: candles of 1h or coarser,
// 1w, 1M, funding rates; never trades.
bool CompactsRegardlessOfSize(const DatasetId& dataset);

// The months (their first days) of `files` (one dataset's, by day) that qualify: closed
// (entirely before `current_month`, the first day of the current UTC month), with two files or
// more, and either CompactsRegardlessOfSize or no more than `small_month_bytes` in total.
std::vector<int64_t> MonthsToCompact(const DatasetId& dataset, const std::vector<FileEntry>& files,
                                     int64_t current_month, int64_t small_month_bytes);

class Compactor {
 public:
  Compactor(const StorageContext& context, duck::Connection& connection)
      : ctx_(context), conn_(connection) {}

  // Compacts every qualifying month of the matching datasets. The current month comes from
  // the context's Env clock; the size limit from maintain.compact_month_bytes.
  Result<CompactReport> Run(const CompactRequest& request);

 private:
  const StorageContext& ctx_;
  duck::Connection& conn_;
};

}  // namespace storage
}  // namespace dlake
