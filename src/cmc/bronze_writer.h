#pragma once
// Writes one bronze snapshot file (doc/cmc.md "Files"): the rows, with the run's date_snapshot,
// as Parquet under data/bronze/<folder>/<prefix>-<stamp>.parquet, atomically (temporary file,
// fsync, rename, fsync of the folder) and registered in the manifest under the bronze lock.
// Thread-compatible: one writer per extract run.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dlake/catalog/lake_file.h"
#include "dlake/common/status.h"
#include "storage/context.h"

namespace dlake::cmc {

// A bronze column: its name and DuckDB type ("BIGINT", "VARCHAR", "STRUCT(a VARCHAR[])").
struct BronzeColumn {
  std::string name;
  std::string type;
};

struct BronzeFile {
  std::string folder;  // "exchange_map_data"
  std::string prefix;  // "exchange_map"
  std::string source;  // "cmc:/v1/exchange/map"
};

class BronzeWriter {
 public:
  // `stamp` is the run's "YYYY-MM-DD_HH-MM-SS"; `date_snapshot` its ISO-8601 form, written to
  // every row.
  BronzeWriter(const StorageContext& ctx, std::string stamp, std::string date_snapshot)
      : ctx_(ctx), stamp_(std::move(stamp)), date_snapshot_(std::move(date_snapshot)) {}

  // Writes `rows` (objects keyed by column name; a missing key is NULL) as the file's rows in
  // order. InvalidArgument if `rows` is empty (callers skip empty snapshots); AlreadyExists if
  // the file exists; on any failure nothing is left behind and nothing is registered.
  Result<LakeFile> Write(const BronzeFile& file, const std::vector<BronzeColumn>& columns,
                         const std::vector<nlohmann::json>& rows);

  const std::string& stamp() const { return stamp_; }

 private:
  const StorageContext& ctx_;
  std::string stamp_;
  std::string date_snapshot_;
};

}  // namespace dlake::cmc
