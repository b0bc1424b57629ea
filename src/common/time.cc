#include "dlake/common/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace dlake {

int64_t SystemClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t DayOf(int64_t ts_ms) {
  int64_t day = ts_ms / kMsPerDay;
  if (ts_ms % kMsPerDay < 0) --day;
  return day;
}

// Howard Hinnant's days-from-civil algorithm (public-domain arithmetic on the proleptic
// Gregorian calendar).
int64_t DayFromCivil(int year, int month, int day) {
  int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = month > 2 ? month - 3 : month + 9;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDay(int64_t days) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  return {y, m, d};
}

std::string FormatDay(int64_t day) {
  CivilDate c = CivilFromDay(day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

std::string FormatTimestamp(int64_t ts_ms) {
  int64_t day = DayOf(ts_ms);
  int64_t in_day = ts_ms - DayStartMs(day);
  CivilDate c = CivilFromDay(day);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                static_cast<int>(in_day / kMsPerHour), static_cast<int>(in_day / kMsPerMinute % 60),
                static_cast<int>(in_day / kMsPerSecond % 60), static_cast<int>(in_day % 1000));
  return buf;
}

namespace {

// Reads exactly `width` digits at `pos`.
bool ReadDigits(std::string_view s, size_t& pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += width;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Result<TimePoint> ParseIso(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid time '", text, "': ", why,
                           " (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|+HH:MM] in UTC, "
                           "or epoch milliseconds)");
  };
  size_t pos = 0;
  int year, month, day;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return bad("cannot read the date");
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return bad("no such date");
  }
  TimePoint point;
  point.ms = DayStartMs(DayFromCivil(year, month, day));
  if (pos == text.size()) {
    point.date_only = true;
    return point;
  }
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad("unexpected text");
  ++pos;
  int hour, minute, second = 0, millis = 0;
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute)) {
    return bad("cannot read the time of day");
  }
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!ReadDigits(text, pos, 2, second)) return bad("cannot read the seconds");
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      size_t start = pos;
      int64_t fraction = 0;
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 3) fraction = fraction * 10 + (text[pos] - '0'), ++digits;
        ++pos;
      }
      if (pos == start) return bad("empty fraction of a second");
      while (digits < 3) fraction *= 10, ++digits;
      millis = static_cast<int>(fraction);
    }
  }
  if (hour > 23 || minute > 59 || second > 59) return bad("time of day out of range");
  point.ms += hour * kMsPerHour + minute * kMsPerMinute + second * kMsPerSecond + millis;
  if (pos == text.size()) return point;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    return pos + 1 == text.size() ? Result<TimePoint>(point) : bad("text after 'Z'");
  }
  if (text[pos] != '+' && text[pos] != '-') return bad("unexpected text after the time");
  int sign = text[pos] == '+' ? 1 : -1;
  ++pos;
  int off_h, off_m = 0;
  if (!ReadDigits(text, pos, 2, off_h)) return bad("cannot read the UTC offset");
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (pos < text.size() && !ReadDigits(text, pos, 2, off_m)) return bad("bad UTC offset");
  if (pos != text.size()) return bad("text after the UTC offset");
  point.ms -= sign * (off_h * kMsPerHour + off_m * kMsPerMinute);
  return point;
}

}  // namespace

Result<TimePoint> ParseTimePoint(std::string_view text) {
  if (text.empty()) return InvalidArgument("empty time");
  bool all_digits = text.find_first_not_of("0123456789") == std::string_view::npos;
  if (all_digits && text.size() > 8) {
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc()) return InvalidArgument("invalid epoch milliseconds '", text, "'");
    return TimePoint{ms, false};
  }
  return ParseIso(text);
}

Result<int64_t> ParseRangeStart(std::string_view text) {
  DLAKE_ASSIGN_OR_RETURN(TimePoint point, ParseTimePoint(text));
  return point.ms;
}

Result<int64_t> ParseRangeEnd(std::string_view text) {
  DLAKE_ASSIGN_OR_RETURN(TimePoint point, ParseTimePoint(text));
  return point.date_only ? point.ms + kMsPerDay : point.ms;
}

Result<int64_t> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = text.substr(digits);
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1},         {"s", kMsPerSecond}, {"m", kMsPerMinute},
                                    {"h", kMsPerHour}, {"d", kMsPerDay},    {"w", 7 * kMsPerDay}};
  for (const auto& u : kUnits) {
    if (unit != u.name || digits == 0 || digits > 12) continue;
    int64_t n = 0;
    for (size_t i = 0; i < digits; ++i) n = n * 10 + (text[i] - '0');
    return n * u.ms;
  }
  return InvalidArgument("invalid duration '", text,
                         "': expected a whole number and a unit (ms, s, m, h, d, w), e.g. 90s, "
                         "5m or 2h");
}

}  // namespace dlake
