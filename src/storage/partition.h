#pragma once
// Where things live in a lake (doc/layout.md): partition folders, data file names, lock files
// and temporary names.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/lake_layout.h"
#include "dlake/common/dataset.h"

namespace dlake::storage {

using layout::kDataDir;
using layout::kLocksDir;
using layout::kManifestFile;
using layout::kMetadataDir;
using layout::kTmpDir;
// Every temporary file the lake creates starts with this; readers never list such files.
inline constexpr std::string_view kTempPrefix = ".tmp-";

// "data/BINANCE/FUTURES/BTCUSDT/raw/1m" (relative to the lake root).
std::string DatasetDir(const DatasetId& dataset);
// "data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/05" (relative).
std::string PartitionDir(const DatasetId& dataset, int64_t day);
// "BTCUSDT-1m-2024-01-05-<first 12 hex of sha256>.parquet": content-addressed, so a rewrite
// with new content never overwrites the file a reader may have open.
std::string DataFileName(const DatasetId& dataset, int64_t day, std::string_view sha256);
// "data/BINANCE/FUTURES/BTCUSDT/raw/1h/2024/01" (relative): the folder of the compacted file of
// the month holding `day`.
std::string MonthDir(const DatasetId& dataset, int64_t day);
// "BTCUSDT-1h-2024-01-<first 12 hex of sha256>.parquet": a compacted month's file.
std::string MonthFileName(const DatasetId& dataset, int64_t day, std::string_view sha256);
// The first and last day of the UTC month holding `day`.
int64_t MonthFirstDay(int64_t day);
int64_t MonthLastDay(int64_t day);
// ".locks/BINANCE.FUTURES.BTCUSDT.raw.1m.lock" (relative).
std::string DatasetLockPath(const DatasetId& dataset);
// A unique temporary name in the same folder as `final_name`.
std::string TempFileName(std::string_view final_name);
bool IsTempName(std::string_view file_name);

}  // namespace dlake::storage
