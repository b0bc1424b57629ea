#pragma once
// What a write into the lake did, day by day.

#include <cstdint>
#include <string>
#include <vector>

namespace dlake {

enum class Compression { kSnappy, kZstd };

enum class DayAction {
  kCreated,    // the day had no file; one was written
  kReplaced,   // the day's file was rewritten with merged content
  kUnchanged,  // the merged content equals the stored file: nothing written
  kRemoved,    // the day's rows were all deleted: file and manifest row removed
};
const char* DayActionName(DayAction action);

// One partition a write touched: a day, or a compacted month (doc/layout.md), whose first day
// is `day` and last day `last_day`.
struct DayChange {
  int64_t day = 0;  // UTC day number
  DayAction action = DayAction::kUnchanged;
  int64_t rows_before = 0;   // rows in the stored file before, 0 if none
  int64_t rows_after = 0;    // rows in the file after, 0 if removed
  int64_t bytes_before = 0;  // size of the stored file before, 0 if none
  int64_t bytes_after = 0;   // size of the file after, 0 if removed
  std::string path;          // the file now holding the day (empty if removed)
  int64_t last_day = 0;      // == day, or the last day of a compacted month
  int64_t files_before = 0;  // stored files replaced: 0 or 1, several when a month is compacted
};

struct WriteReport {
  std::vector<DayChange> days;
  int64_t Count(DayAction action) const;
  int64_t RowsAfter() const;
  int64_t RowsBefore() const;
  int64_t BytesAfter() const;
  int64_t BytesBefore() const;
};

}  // namespace dlake
