#pragma once
// Writes a dataset's UTC day partitions (doc/layout.md "Writing"): for each affected day the new
// content is written to a temporary file in the day's folder, fsynced, compared with the stored
// file (identical content = nothing changes), renamed to a content-addressed name, and then all
// manifest changes of the operation commit in one transaction. The dataset's lock file
// serialises writers across processes. On failure every file this operation created is removed;
// a crash leaves at most temporary files or orphans, which readers never see.
//
// A day inside a compacted month (one file for the whole closed month, written by CompactMonths)
// is written by rewriting that month file: its rows with the day's changes, as a new month file.

#include <climits>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/common/status.h"
#include "dlake/storage/write_report.h"
#include "storage/context.h"
#include "storage/day_file_writer.h"

namespace dlake {
namespace duck {
class Connection;
}

namespace storage {

struct DayPlan;

// Rows waiting to be written: a DuckDB table on the writer's connection with a BIGINT `ts` (ms),
// the data columns, and a BIGINT `_seq` giving input order (the larger wins on equal keys).
struct Staging {
  std::string table;
  bool sorted = false;          // rows were appended in ascending ts
  bool has_duplicates = false;  // some dedup key occurs twice
};

struct WriteOptions {
  Compression compression = Compression::kSnappy;
  std::string source;    // recorded in the manifest for every file written
  bool dry_run = false;  // plan and report, write nothing
  bool locked = false;   // the caller already holds the dataset's write lock
  // Replace only: days before this day (the first day of the current month) are written into
  // month files, one per closed month, taking in that month's stored day files (doc/layout.md:
  // a file covers a day or a closed month). INT64_MIN = day files only.
  int64_t month_files_before = INT64_MIN;
};

class DatasetWriter {
 public:
  DatasetWriter(const StorageContext& context, duck::Connection& connection)
      : ctx_(context), conn_(connection) {}

  // Merges the staged rows into the dataset: dedup on the dataset's key, newest input wins,
  // sorted by the dataset's order. With dry_run, reports kCreated/kReplaced per day from the
  // plan (without comparing content) and writes nothing.
  Result<WriteReport> Merge(const DatasetId& dataset, const Staging& staging,
                            const WriteOptions& options);

  // Replaces whole days: each day in `days` gets exactly the staged rows of that day (sorted,
  // deduplicated on the key as Merge does), or is dropped when none are staged. Stored rows of
  // those days are not kept. Staged rows outside `days` are an error.
  Result<WriteReport> Replace(const DatasetId& dataset, const Staging& staging,
                              const std::vector<int64_t>& days, const WriteOptions& options);

  // Removes the dataset's rows in [start, end): whole days are dropped, partial days rewritten.
  Result<WriteReport> DeleteRange(const DatasetId& dataset, int64_t start, int64_t end,
                                  const WriteOptions& options);

  // Rewrites each month holding a day in `months` whose files are two or more (as listed under
  // the lock) as one month file in {YYYY}/{MM}/: the union by name of their rows, sorted by the
  // dataset's order. One report line per month rewritten. Used by the Compactor, which decides
  // which months qualify.
  Result<WriteReport> CompactMonths(const DatasetId& dataset, const std::vector<int64_t>& months,
                                    const WriteOptions& options);

 private:
  // The staged rows of `table` (quoted) per UTC day: count, min(ts), max(ts).
  Result<std::map<int64_t, FileStats>> StagedDays(const std::string& table);
  Result<WriteReport> Apply(const DatasetId& dataset, const std::vector<DayPlan>& plans,
                            const WriteOptions& options);

  const StorageContext& ctx_;
  duck::Connection& conn_;
};

}  // namespace storage
}  // namespace dlake
