#include "storage/compactor.h"

#include <map>

#include "dlake/common/settings.h"
#include "dlake/common/time.h"
#include "storage/dataset_writer.h"
#include "storage/partition.h"

namespace dlake {

int64_t CompactReport::Months() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += static_cast<int64_t>(d.months.size());
  return n;
}

int64_t CompactReport::FilesBefore() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.files_before;
  return n;
}

int64_t CompactReport::FilesAfter() const {
  int64_t n = 0;
  for (const auto& d : datasets) n += d.files_after;
  return n;
}

namespace storage {

bool CompactsRegardlessOfSize(const DatasetId& dataset) {
  if (dataset.type == kTypeTicks) return false;
  auto period = ParsePeriod(dataset.period);
  if (!period.ok()) return false;
  return period->ms >= kMsPerHour || period->name == "1M" || period->name == "funding";
}

std::vector<int64_t> MonthsToCompact(const DatasetId& dataset, const std::vector<FileEntry>& files,
                                     int64_t current_month, int64_t small_month_bytes) {
  struct Month {
    int64_t files = 0;
    int64_t bytes = 0;
  };
  std::map<int64_t, Month> months;
  for (const auto& f : files) {
    Month& m = months[MonthFirstDay(f.day)];
    ++m.files;
    m.bytes += f.bytes;
  }
  const bool any_size = CompactsRegardlessOfSize(dataset);
  std::vector<int64_t> out;
  for (const auto& [first_day, m] : months) {
    // Open months still take writes; a month already in one file has nothing to merge.
    if (first_day >= current_month || m.files < 2) continue;
    if (any_size || m.bytes <= small_month_bytes) out.push_back(first_day);
  }
  return out;
}

Result<CompactReport> Compactor::Run(const CompactRequest& request) {
  CompactReport report;
  report.dry_run = request.dry_run;
  const int64_t current_month = MonthFirstDay(DayOf(ctx_.env->NowMs()));
  const int64_t small_month_bytes = ctx_.settings->Integer(setting::kMaintainCompactMonthBytes);
  DLAKE_ASSIGN_OR_RETURN(auto datasets, ctx_.manifest->Datasets(request.filter));
  DatasetWriter writer(ctx_, conn_);
  WriteOptions options;
  options.dry_run = request.dry_run;
  options.source = "compact";
  for (const auto& summary : datasets) {
    const DatasetId& id = summary.id;
    // A feature version is immutable, its files included: their digest is its lineage.
    if (id.IsFeature()) continue;
    DLAKE_ASSIGN_OR_RETURN(auto files, ctx_.manifest->Files(DatasetFilter::Of(id)));
    std::vector<int64_t> months = MonthsToCompact(id, files, current_month, small_month_bytes);
    if (months.empty()) continue;
    DLAKE_ASSIGN_OR_RETURN(WriteReport write, writer.CompactMonths(id, months, options));
    if (write.days.empty()) continue;  // a writer changed the months meanwhile
    DatasetCompaction done;
    done.dataset = id;
    done.files_before = summary.files;
    done.bytes_before = summary.bytes;
    done.files_after = summary.files;
    done.bytes_after = summary.bytes;
    for (const auto& month : write.days) {
      done.months.push_back(month.day);
      done.files_after -= month.files_before - 1;
      if (!request.dry_run) done.bytes_after += month.bytes_after - month.bytes_before;
    }
    report.datasets.push_back(std::move(done));
  }
  return report;
}

}  // namespace storage
}  // namespace dlake
