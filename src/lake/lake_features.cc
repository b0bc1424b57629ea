// Lake: the feature store (doc/features.md): uploads, listings, diffs, deletions, reads by
// version and point-in-time joins, each one call into src/features/.

#include "features/feature_catalog.h"
#include "features/feature_diff.h"
#include "features/point_in_time.h"
#include "features/uploader.h"
#include "lake/lake_impl.h"
#include "storage/dataset_locks.h"
#include "storage/dataset_writer.h"

namespace dlake {

Result<FeatureUploadReport> Lake::UploadFeature(const FeatureUploadRequest& request) {
  return features::Upload(impl_->ctx, request);
}

Result<std::vector<FeatureVersion>> Lake::ListFeatures(const FeatureListRequest& request) {
  return features::ListVersions(*impl_->manifest, request);
}

Result<std::vector<FeatureVersion>> Lake::ShowFeature(const FeatureRef& ref) {
  return features::VersionOfSet(*impl_->manifest, ref);
}

Result<FeatureDiff> Lake::DiffFeatures(const FeatureRef& a, const FeatureRef& b) {
  return features::Diff(*impl_->manifest, a, b);
}

Result<FeatureVersion> Lake::ResolveFeature(const FeatureLookup& lookup) {
  return features::Resolve(*impl_->manifest, lookup);
}

Result<FeatureDeleteReport> Lake::DeleteFeatures(const FeatureDeleteRequest& request) {
  DLAKE_RETURN_IF_ERROR(CheckFeatureSetName(request.feature_set));
  if (request.version.empty()) {
    return InvalidArgument("--version: name the version of feature set '", request.feature_set,
                           "' to delete (see 'dlake features list')");
  }
  DatasetFilter filter;
  filter.type = std::string(kTypeFeature);
  filter.period = request.feature_set + "@" + request.version;
  if (!request.exchange.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.exchange, NormalizeName("exchange", request.exchange));
  }
  if (!request.symbol.empty()) {
    DLAKE_ASSIGN_OR_RETURN(filter.symbol, NormalizeSymbol(request.symbol));
  }
  // Datasets, not version records: an upload that stopped before its record is deleted too.
  DLAKE_ASSIGN_OR_RETURN(auto datasets, impl_->manifest->Datasets(filter));
  std::erase_if(datasets, [](const DatasetSummary& d) { return d.files == 0; });
  if (datasets.empty()) {
    return NotFound("feature set '", request.feature_set, "' has no version ", request.version,
                    request.symbol.empty() ? "" : " for " + filter.symbol,
                    " (see 'dlake features list')");
  }
  FeatureDeleteReport report;
  report.dry_run = request.dry_run;
  DLAKE_ASSIGN_OR_RETURN(auto conn, duck::Connection::Open(*impl_->ctx.duck));
  storage::DatasetWriter writer(impl_->ctx, *conn);
  storage::WriteOptions options;
  options.dry_run = request.dry_run;
  options.source = "delete-feature";
  for (const auto& d : datasets) {
    const DatasetId& id = d.id;
    FeatureVersionFilter exact{id.FeatureSet(), id.FeatureVersion(), id.exchange, id.symbol};
    DLAKE_ASSIGN_OR_RETURN(auto rows, impl_->manifest->FeatureVersions(exact));
    FeatureVersion version;
    if (!rows.empty()) {
      DLAKE_ASSIGN_OR_RETURN(version, features::FromRow(rows.front()));
    } else {
      version.dataset = id;
      version.feature_set = id.FeatureSet();
      version.version = id.FeatureVersion();
      version.exchange = id.exchange;
      version.symbol = id.symbol;
      version.rows = d.rows;
      version.files = d.files;
    }
    if (!request.dry_run) {
      // The record goes first: a crash in between leaves files no reader sees, which the
      // next delete or upload of the version removes.
      DLAKE_RETURN_IF_ERROR(impl_->manifest->RemoveFeatureVersion(id));
    }
    DLAKE_ASSIGN_OR_RETURN(WriteReport write,
                           writer.DeleteRange(id, INT64_MIN, INT64_MAX, options));
    if (!request.dry_run) PruneDatasetDirs(impl_->ctx, id);
    report.files += static_cast<int64_t>(write.days.size());
    report.bytes += write.BytesBefore() - write.BytesAfter();
    report.versions.push_back(std::move(version));
  }
  return report;
}

Result<RecordBatch> Lake::ReadWithFeatures(const PointInTimeRequest& request) {
  return features::PointInTimeJoin(impl_->ctx).Read(request);
}

Status Lake::ScanWithFeatures(const PointInTimeRequest& request, size_t batch_rows,
                              const std::function<Status(const RecordBatch&)>& sink) {
  return features::PointInTimeJoin(impl_->ctx).Scan(request, batch_rows, [&](RecordBatch& batch) {
    return sink(batch);
  });
}

Result<int64_t> Lake::ExportWithFeatures(const PointInTimeRequest& request, ExportFormat format,
                                         const std::string& path) {
  return features::PointInTimeJoin(impl_->ctx).Export(request, format, path);
}

}  // namespace dlake
