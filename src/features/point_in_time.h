#pragma once
// The point-in-time join (`dlake read --with-features`, doc/features.md): every candle of a
// read gets, per feature set, the newest feature row whose ts is at or before the candle's ts,
// never a later one, in one DuckDB query (an ASOF LEFT JOIN per set). Feature columns are named
// "<set>.<column>", with "<set>.ts" the time of the row used ("<set>@<version>." when a set is
// joined in two versions); with a tolerance, a row older than it is not used (NULLs).

#include <optional>
#include <vector>

#include "common/file_util.h"
#include "dlake/common/record_batch.h"
#include "dlake/features/features.h"
#include "duck/batch_stream.h"
#include "storage/context.h"

namespace dlake::features {

class PointInTimeJoin {
 public:
  explicit PointInTimeJoin(const StorageContext& context) : ctx_(context) {}

  Status Scan(const PointInTimeRequest& request, size_t batch_rows, const duck::BatchSink& sink);
  Result<RecordBatch> Read(const PointInTimeRequest& request);
  Result<int64_t> Export(const PointInTimeRequest& request, ExportFormat format,
                         const std::string& path);

 private:
  // The query ($1, $2 = the candles' start and end; empty = no rows) and the read locks that
  // keep its files on disk while it runs.
  struct Plan {
    std::string sql;
    std::vector<std::optional<FileLock>> locks;
  };
  Result<Plan> Build(const PointInTimeRequest& request);
  Result<std::string> CandleSql(const ReadRequest& candles, Plan& plan);
  Result<std::string> FeatureSql(const FeatureVersion& version, const std::string& prefix,
                                 const PointInTimeRequest& request, Plan& plan);

  const StorageContext& ctx_;
};

}  // namespace dlake::features
