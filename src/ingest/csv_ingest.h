#pragma once
// CSV ingest (doc/ingest.md): expands the sources, streams every file through validation into a
// DuckDB staging table (which spills to disk past the memory limit), then hands the staged rows
// to the DatasetWriter in one operation. A bad row under BadRowPolicy::kFail stops before
// anything is written.

#include "dlake/common/status.h"
#include "dlake/ingest/ingest_request.h"
#include "storage/context.h"

namespace dlake::ingest {

// Files named by `sources`: plain files as given, folders as their *.csv files in name order,
// glob patterns in name order. NotFound when a source matches nothing.
Result<std::vector<std::string>> ExpandSources(const std::vector<std::string>& sources);

class CsvIngester {
 public:
  explicit CsvIngester(const StorageContext& context) : ctx_(context) {}
  Result<IngestReport> Run(const IngestRequest& request);

 private:
  const StorageContext& ctx_;
};

}  // namespace dlake::ingest
