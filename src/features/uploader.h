#pragma once
// `dlake upload-feature`: one file of feature rows becomes an immutable version of a feature set
// for one exchange symbol (doc/features.md "Uploading"). The rows are checked (a `ts` per row,
// unique, in range), staged in DuckDB, compared with the version when it exists (same content:
// nothing to do; other content: refused), written through the DatasetWriter as day files (a
// closed month as one month file), and recorded with their lineage after the files commit.

#include "dlake/features/features.h"
#include "storage/context.h"

namespace dlake::features {

Result<FeatureUploadReport> Upload(const StorageContext& ctx, const FeatureUploadRequest& request);

}  // namespace dlake::features
