#include "storage/partition.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "dlake/common/time.h"

namespace dlake::storage {

std::string DatasetDir(const DatasetId& dataset) {
  return std::string(kDataDir) + "/" + dataset.Path();
}

std::string PartitionDir(const DatasetId& dataset, int64_t day) {
  CivilDate c = CivilFromDay(day);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d/%02d/%02d", c.year, c.month, c.day);
  return DatasetDir(dataset) + "/" + buf;
}

namespace {

// "1m", or "alpha-1.0.0" for a feature dataset: the part of a file name naming the series.
std::string SeriesName(const DatasetId& dataset) {
  if (!dataset.IsFeature()) return dataset.period;
  return dataset.FeatureSet() + "-" + dataset.FeatureVersion();
}

}  // namespace

std::string DataFileName(const DatasetId& dataset, int64_t day, std::string_view sha256) {
  return dataset.symbol + "-" + SeriesName(dataset) + "-" + FormatDay(day) + "-" +
         std::string(sha256.substr(0, 12)) + ".parquet";
}

std::string MonthDir(const DatasetId& dataset, int64_t day) {
  CivilDate c = CivilFromDay(day);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d/%02d", c.year, c.month);
  return DatasetDir(dataset) + "/" + buf;
}

std::string MonthFileName(const DatasetId& dataset, int64_t day, std::string_view sha256) {
  return dataset.symbol + "-" + SeriesName(dataset) + "-" + FormatDay(day).substr(0, 7) + "-" +
         std::string(sha256.substr(0, 12)) + ".parquet";
}

int64_t MonthFirstDay(int64_t day) {
  CivilDate c = CivilFromDay(day);
  return DayFromCivil(c.year, c.month, 1);
}

int64_t MonthLastDay(int64_t day) {
  CivilDate c = CivilFromDay(day);
  return c.month == 12 ? DayFromCivil(c.year + 1, 1, 1) - 1
                       : DayFromCivil(c.year, c.month + 1, 1) - 1;
}

std::string DatasetLockPath(const DatasetId& dataset) {
  return std::string(kLocksDir) + "/" + dataset.exchange + "." + dataset.market + "." +
         dataset.symbol + "." + dataset.type + "." + dataset.period + ".lock";
}

std::string TempFileName(std::string_view final_name) {
  static std::atomic<uint64_t> counter{0};
  return std::string(kTempPrefix) + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::string(final_name);
}

bool IsTempName(std::string_view file_name) { return file_name.starts_with(kTempPrefix); }

}  // namespace dlake::storage
