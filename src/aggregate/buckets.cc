#include "aggregate/buckets.h"

#include "dlake/common/time.h"

namespace dlake::aggregate {
namespace {

// 1970-01-05, the first Monday after the epoch.
constexpr int64_t kFirstMondayMs = 4 * kMsPerDay;
constexpr int64_t kWeekMs = 7 * kMsPerDay;

bool IsMonth(const Period& p) { return p.name == "1M"; }
bool IsWeek(const Period& p) { return p.ms == kWeekMs; }

int64_t FloorTo(int64_t value, int64_t step, int64_t offset) {
  int64_t shifted = value - offset;
  int64_t rem = shifted % step;
  if (rem < 0) rem += step;
  return value - rem;
}

}  // namespace

int64_t BucketStart(const Period& period, int64_t ts) {
  if (IsMonth(period)) {
    const CivilDate date = CivilFromDay(DayOf(ts));
    return DayStartMs(DayFromCivil(date.year, date.month, 1));
  }
  return FloorTo(ts, period.ms, IsWeek(period) ? kFirstMondayMs : 0);
}

int64_t BucketEnd(const Period& period, int64_t bucket_start) {
  if (!IsMonth(period)) return bucket_start + period.ms;
  const CivilDate date = CivilFromDay(DayOf(bucket_start));
  const bool december = date.month == 12;
  return DayStartMs(
      DayFromCivil(december ? date.year + 1 : date.year, december ? 1 : date.month + 1, 1));
}

std::string BucketStartSql(const Period& period, std::string_view ts) {
  const std::string t(ts);
  if (IsMonth(period)) return "epoch_ms(date_trunc('month', epoch_ms(" + t + ")))";
  const std::string step = std::to_string(period.ms);
  if (IsWeek(period)) {
    const std::string offset = std::to_string(kFirstMondayMs);
    return "(" + t + " - ((" + t + " - " + offset + ") % " + step + " + " + step + ") % " + step +
           ")";
  }
  // Candle times are after the epoch, where % is already a floor.
  return "(" + t + " - " + t + " % " + step + ")";
}

std::string BucketEndSql(const Period& period, std::string_view bucket_start) {
  const std::string b(bucket_start);
  if (IsMonth(period)) return "epoch_ms(epoch_ms(" + b + ") + INTERVAL 1 MONTH)";
  return "(" + b + " + " + std::to_string(period.ms) + ")";
}

Status CheckAggregatable(const Period& from, const Period& to) {
  if (from.ms <= 0) {
    return InvalidArgument("cannot aggregate from period '", from.name,
                           "': the source must be candles of a fixed period such as 1m or 1h");
  }
  if (IsMonth(to)) {
    if (kMsPerDay % from.ms != 0) {
      return InvalidArgument("cannot build 1M candles from ", from.name,
                             ": months are whole days, so the source period must divide 1d");
    }
    return Status::Ok();
  }
  if (to.ms <= from.ms) {
    return InvalidArgument("cannot aggregate ", from.name, " candles to ", to.name,
                           ": the target must be a longer period");
  }
  if (to.ms % from.ms != 0) {
    return InvalidArgument("cannot aggregate ", from.name, " candles to ", to.name, ": ", to.name,
                           " is not a whole number of ", from.name, " candles");
  }
  if (IsWeek(to) && kMsPerDay % from.ms != 0) {
    return InvalidArgument(
        "cannot build 1w candles from ", from.name,
        ": weeks start on Monday 00:00 UTC, so the source period must divide 1d");
  }
  return Status::Ok();
}

int64_t AggregatedDayOf(const Period& period, int64_t day) {
  if (!IsMonth(period) && period.ms <= kMsPerDay) return day;
  return DayOf(BucketStart(period, DayStartMs(day)));
}

int64_t LastSourceDay(const Period& period, int64_t aggregated_day) {
  if (!IsMonth(period) && period.ms <= kMsPerDay) return aggregated_day;
  return DayOf(BucketEnd(period, DayStartMs(aggregated_day)) - 1);
}

}  // namespace dlake::aggregate
