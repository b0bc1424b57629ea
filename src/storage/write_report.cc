#include "dlake/storage/write_report.h"

namespace dlake {

const char* DayActionName(DayAction action) {
  switch (action) {
    case DayAction::kCreated:
      return "created";
    case DayAction::kReplaced:
      return "replaced";
    case DayAction::kUnchanged:
      return "unchanged";
    case DayAction::kRemoved:
      return "removed";
  }
  return "?";
}

int64_t WriteReport::Count(DayAction action) const {
  int64_t n = 0;
  for (const auto& d : days) n += d.action == action ? 1 : 0;
  return n;
}
int64_t WriteReport::RowsAfter() const {
  int64_t n = 0;
  for (const auto& d : days) n += d.rows_after;
  return n;
}
int64_t WriteReport::RowsBefore() const {
  int64_t n = 0;
  for (const auto& d : days) n += d.rows_before;
  return n;
}
int64_t WriteReport::BytesAfter() const {
  int64_t n = 0;
  for (const auto& d : days) n += d.bytes_after;
  return n;
}
int64_t WriteReport::BytesBefore() const {
  int64_t n = 0;
  for (const auto& d : days) n += d.bytes_before;
  return n;
}

}  // namespace dlake
