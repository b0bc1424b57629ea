#pragma once
// Produces a write's new day files: runs each day's COPY to its temporary path and measures the
// result (rows, time range, SHA-256). Days are independent, so they run on several DuckDB
// connections at once; the caller then decides, renames and commits in day order.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "dlake/common/status.h"
#include "dlake/storage/write_report.h"

namespace dlake {
namespace duck {
class Database;
}

namespace storage {

struct FileStats {
  int64_t rows = 0;
  int64_t time_from = 0;
  int64_t time_to = 0;
};

struct DayFileJob {
  std::string select_sql;          // the day's complete content, sorted
  std::optional<FileStats> stats;  // known up front, or read back from the written file
  std::string tmp_path;            // absolute; its folder exists
  std::string partition;           // lake-relative folder, for error messages
};

struct DayFile {
  FileStats stats;      // rows == 0: the content is empty (nothing to keep)
  FileDigest digest;    // of tmp_path; empty when rows == 0
  std::string columns;  // JSON array of the column names, in file order
};

// Writes every job's file. On failure returns the first error; files already written stay at
// their tmp_path for the caller to remove. `threads` <= 0 picks one per core (at most 4).
Result<std::vector<DayFile>> WriteDayFiles(duck::Database& db, const std::vector<DayFileJob>& jobs,
                                           Compression compression, int threads);

}  // namespace storage
}  // namespace dlake
