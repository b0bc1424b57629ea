#pragma once
// What a compaction (`dlake maintain compact`, Lake::Compact) is asked to do and what it did
// (doc/maintain.md). A closed month's day files become one month file {YYYY}/{MM}/ when the
// dataset's period is 1h or coarser (1w, 1M and funding included; not trades) or when the
// month's files are no larger than the setting maintain.compact_month_bytes in total.

#include <cstdint>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/dataset.h"

namespace dlake {

struct CompactRequest {
  DatasetFilter filter;  // the datasets to look at; empty fields match anything
  bool dry_run = false;  // report the months that qualify and write nothing
};

// One dataset's compaction. Files and bytes count the whole dataset; in a dry run the "after"
// files are what they would be and bytes_after equals bytes_before (a new file's size is known
// only once it is written).
struct DatasetCompaction {
  DatasetId dataset;
  std::vector<int64_t> months;  // the first day (UTC day number) of each month compacted
  int64_t files_before = 0;
  int64_t files_after = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

struct CompactReport {
  bool dry_run = false;
  std::vector<DatasetCompaction> datasets;  // those with at least one month compacted
  int64_t Months() const;
  int64_t FilesBefore() const;
  int64_t FilesAfter() const;
};

}  // namespace dlake
