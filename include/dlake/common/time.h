#pragma once
// UTC time helpers. All times are int64 milliseconds since the Unix epoch; the host's time zone
// is never consulted.

#include <cstdint>
#include <string>
#include <string_view>

#include "dlake/common/status.h"

namespace dlake {

inline constexpr int64_t kMsPerSecond = 1000;
inline constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
inline constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// The system's wall clock in ms since the epoch. Code that has an Env uses Env::NowMs (which tests
// can fake); this is for records stamped below it (the manifest's created_at and built_at).
int64_t SystemClockMs();

// Days since 1970-01-01 of the UTC day holding `ts_ms` (floor division: negative times work).
int64_t DayOf(int64_t ts_ms);
inline int64_t DayStartMs(int64_t day) { return day * kMsPerDay; }

struct CivilDate {
  int year;
  int month;  // 1..12
  int day;    // 1..31
};
CivilDate CivilFromDay(int64_t day);
int64_t DayFromCivil(int year, int month, int day);

// "2024-01-05"
std::string FormatDay(int64_t day);
// "2024-01-05T12:30:00.000Z"
std::string FormatTimestamp(int64_t ts_ms);

// A parsed point in time; `date_only` is true for inputs like "2024-01-05".
struct TimePoint {
  int64_t ms = 0;
  bool date_only = false;
};

// Parses "2024-01-05", "2024-01-05T12:30[:00[.123]]" (also with a space instead of 'T'), with an
// optional "Z" or "+HH:MM"/"-HH:MM" offset (no offset = UTC), or epoch milliseconds
// ("1704412800000").
Result<TimePoint> ParseTimePoint(std::string_view text);

// A duration such as "500ms", "90s", "5m", "2h", "7d" or "1w" in ms: a whole number and one
// unit. InvalidArgument naming the text otherwise.
Result<int64_t> ParseDuration(std::string_view text);

// Bounds of a half-open range [start, end). A date-only end includes that whole day.
Result<int64_t> ParseRangeStart(std::string_view text);
Result<int64_t> ParseRangeEnd(std::string_view text);

}  // namespace dlake
