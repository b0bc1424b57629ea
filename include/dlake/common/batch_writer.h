#pragma once
// Writes RecordBatches to a stream as an aligned table, CSV or JSON, batch by batch.

#include <memory>
#include <ostream>
#include <string>

#include "dlake/common/record_batch.h"

namespace dlake {

class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  virtual void Write(const RecordBatch& batch) = 0;
  // Called once after the last batch (also when there were no rows).
  virtual void Finish(int64_t rows) = 0;
};

// format: "table", "csv" or "json" (an array of row objects). With `lake_times`, the "table"
// format shows int64 `ts`/`close_time` columns (the lake's epoch-ms times) as UTC times.
std::unique_ptr<BatchWriter> MakeBatchWriter(const std::string& format, std::ostream& out,
                                             bool lake_times = true);

}  // namespace dlake
