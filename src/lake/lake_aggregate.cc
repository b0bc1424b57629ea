// Lake: aggregation (`dlake aggregate`), on-read resampling and the automatic aggregation after
// every candle write (doc/aggregate.md).

#include "aggregate/aggregator.h"
#include "aggregate/buckets.h"
#include "aggregate/resampler.h"
#include "dlake/common/time.h"
#include "lake/lake_impl.h"
#include "storage/reader.h"

namespace dlake {

Result<AggregateReport> Lake::Aggregate(const AggregateRequest& request) {
  return aggregate::RunAggregate(impl_->ctx, request);
}

Result<DatasetId> Lake::ResolveTimeframeSource(const DatasetFilter& filter,
                                               const std::string& timeframe) {
  DLAKE_ASSIGN_OR_RETURN(Period to, ParsePeriod(timeframe));
  if (!filter.type.empty() && filter.type != kTypeRaw) {
    return InvalidArgument("--timeframe resamples raw candles, not type '", filter.type, "'");
  }
  return aggregate::ResolveSource(*impl_->manifest, filter.exchange, filter.market, filter.symbol,
                                  filter.period, {to});
}

Result<RecordBatch> Lake::Read(const ReadRequest& request) {
  if (!request.timeframe.empty()) return aggregate::Resampler(impl_->ctx).Read(request);
  return storage::Reader(impl_->ctx).Read(request);
}

Status Lake::Scan(const ReadRequest& request, size_t batch_rows,
                  const std::function<Status(const RecordBatch&)>& sink) {
  auto pass = [&](RecordBatch& batch) { return sink(batch); };
  if (!request.timeframe.empty()) {
    return aggregate::Resampler(impl_->ctx).Scan(request, batch_rows, pass);
  }
  return storage::Reader(impl_->ctx).Scan(request, batch_rows, pass);
}

Result<int64_t> Lake::Export(const ReadRequest& request, ExportFormat format,
                             const std::string& path) {
  if (!request.timeframe.empty()) {
    return aggregate::Resampler(impl_->ctx).Export(request, format, path);
  }
  return storage::Reader(impl_->ctx).Export(request, format, path);
}

Result<AggregateReport> UpdateAggregatesAfterWrite(
    Lake::Impl& impl, const DatasetId& dataset, int64_t start, int64_t end,
    const std::optional<std::vector<std::string>>& periods) {
  AggregateReport report;
  if (dataset.type != kTypeRaw || end <= start) return report;
  const std::vector<std::string> names =
      periods ? *periods : impl.ctx.settings->List(setting::kAggregate);
  DLAKE_ASSIGN_OR_RETURN(Period from, ParsePeriod(dataset.period));
  for (const auto& name : names) {
    DLAKE_ASSIGN_OR_RETURN(Period to, ParsePeriod(name));
    // A dataset the period cannot be built from (1h candles, aggregate = ["15m"]) is skipped.
    if (!aggregate::CheckAggregatable(from, to).ok()) continue;
    DLAKE_ASSIGN_OR_RETURN(AggregateTarget target,
                           aggregate::UpdateAggregate(impl.ctx, dataset, to, start, end,
                                                      /*dry_run=*/false));
    report.targets.push_back(std::move(target));
  }
  return report;
}

Result<AggregateReport> UpdateAggregatesAfterWrite(
    Lake::Impl& impl, const DatasetId& dataset, const WriteReport& write,
    const std::optional<std::vector<std::string>>& periods) {
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const auto& d : write.days) {
    if (d.action == DayAction::kUnchanged) continue;
    first = std::min(first, d.day);
    last = std::max({last, d.day, d.last_day});  // a compacted month reports its last day
  }
  if (first > last) return AggregateReport{};
  return UpdateAggregatesAfterWrite(impl, dataset, DayStartMs(first), DayStartMs(last + 1),
                                    periods);
}

}  // namespace dlake
