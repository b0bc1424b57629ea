#pragma once
// Parses and validates CSV rows and appends them to the staging table, chunk by chunk.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/common/status.h"
#include "dlake/ingest/ingest_request.h"
#include "duck/duck.h"
#include "ingest/csv_layout.h"

namespace dlake::ingest {

// Owns the staging table's schema across files (adding and widening columns as files bring
// them) and the running counters of the ingest.
class RowStager {
 public:
  // Stages into the table `table` (created on the first file) of `conn`'s database.
  RowStager(duck::Connection& conn, std::string table, const DatasetId& dataset,
            BadRowPolicy policy, int64_t now_ms);

  // Streams one file into the staging table. Returns InvalidArgument naming file and line for a
  // bad row under kFail.
  // `tick` (if set) runs every kTickLines lines; an error it returns stops the file there.
  Status StageFile(const std::string& path, IngestReport& report,
                   const std::function<Status()>& tick = nullptr);
  static constexpr int64_t kTickLines = 100'000;

  bool sorted() const { return out_of_order_ == 0; }
  // False when every dedup key was strictly greater than the one before: then the input
  // certainly has no duplicates and nobody needs to count them.
  bool keys_may_repeat() const { return keys_may_repeat_; }
  int64_t rows_staged() const { return seq_; }
  int64_t out_of_order() const { return out_of_order_; }
  int64_t time_from() const { return time_from_; }
  int64_t time_to() const { return time_to_; }
  std::vector<std::string> ColumnNames() const;

 private:
  struct Value;
  class FileStager;
  Status ReconcileSchema(CsvLayout& layout, std::vector<int>& staging_index);

  duck::Connection& conn_;
  std::string table_;
  DatasetId dataset_;
  BadRowPolicy policy_;
  int64_t period_ms_ = 0;
  int64_t max_ts_ = 0;
  std::vector<TargetColumn> columns_;  // staging columns, excluding _seq
  int64_t seq_ = 0;
  int64_t out_of_order_ = 0;
  int64_t prev_ts_ = INT64_MIN;
  int64_t prev_key_ = INT64_MIN;
  bool keys_may_repeat_ = false;
  int64_t time_from_ = INT64_MAX;
  int64_t time_to_ = INT64_MIN;
};

}  // namespace dlake::ingest
