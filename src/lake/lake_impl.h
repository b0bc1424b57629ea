#pragma once
// The state behind dlake::Lake, shared by its method implementations (lake.cc, verify.cc).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlake/lake.h"
#include "duck/duck.h"
#include "storage/context.h"

namespace dlake {

struct Lake::Impl {
  std::shared_ptr<Runtime> runtime;  // owns the DuckDB that ctx.duck points at
  std::unique_ptr<Manifest> manifest;
  StorageContext ctx;
};

// Brings the aggregates of a raw candle dataset up to date after a write of [start, end) or of
// the days a write report changed: the periods given, or the `aggregate` setting
// (lake/lake_aggregate.cc).
Result<AggregateReport> UpdateAggregatesAfterWrite(
    Lake::Impl& impl, const DatasetId& dataset, int64_t start, int64_t end,
    const std::optional<std::vector<std::string>>& periods);
Result<AggregateReport> UpdateAggregatesAfterWrite(
    Lake::Impl& impl, const DatasetId& dataset, const WriteReport& write,
    const std::optional<std::vector<std::string>>& periods);

// Removes a dataset's now-empty folders up to data/ after a delete (lake/lake.cc).
void PruneDatasetDirs(const StorageContext& ctx, const DatasetId& dataset);

// Runs verification (lake/verify.cc).
Result<VerifyReport> VerifyLake(Lake::Impl& impl, const VerifyRequest& request);

}  // namespace dlake
