#pragma once
// The load metadata files, metadata/load/<domain>/<table>.jsonl (cryptolakehouse §3.4): one line
// per loaded or up-to-date table, appended (and fsynced) after the table's transaction commits,
// in Python json.dump form. Each line is built from its own table's load (nothing leaks from one
// table's line into the next). A failed load appends nothing, so the next run retries it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake::warehouse {

struct LoadLine {
  std::string table, domain;
  std::string status;  // loaded | skipped
  int64_t record_count = 0;
  std::string started_at, ended_at;
  std::string transformation_ended_at;  // the transform line the load followed
  std::string notes;
  // crypto_category_link only: every dim_crypto_category id in the warehouse after the load.
  std::optional<std::vector<std::string>> category_ids;
  // Beyond the original's fields:
  int64_t delta_version = -1;
  int64_t rows_inserted = 0, rows_updated = 0, rows_rejected = 0;
};

// Fields in order: table, domain, status, record_count, mode ("append"), started_at, ended_at,
// transformation_ended_at, notes, [categories_count, category_ids], delta_version,
// rows_inserted, rows_updated, rows_rejected.
std::string FormatLoadLine(const LoadLine& line);

struct LoadRecord {
  std::string status, started_at, notes, transformation_ended_at;
  int64_t record_count = 0;
  int64_t delta_version = -1;
};

class LoadMetadata {
 public:
  LoadMetadata(std::string lake, Env* env) : lake_(std::move(lake)), env_(env) {}

  // <lake>/metadata/load/<domain>/<table>.jsonl
  std::string PathFor(const std::string& domain, const std::string& table) const;
  Status Append(const LoadLine& line);
  // The last complete line, or nullopt when there is none.
  Result<std::optional<LoadRecord>> Last(const std::string& domain, const std::string& table) const;

 private:
  std::string lake_;
  Env* env_;
};

}  // namespace dlake::warehouse
