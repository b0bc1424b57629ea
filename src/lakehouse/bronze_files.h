#pragma once
// Finding the bronze snapshot a silver table is built from. Bronze files are found through the
// manifest (kind "bronze", collection = the folder below data/bronze), never by listing folders
// (doc/cmc.md). A file is named <prefix>-YYYY-MM-DD_HH-MM-SS.parquet, the time being the UTC
// start of the extract run that wrote it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/status.h"

namespace dlake::lakehouse {

// One snapshot: a single file, or the files of one listings run.
struct BronzeSnapshot {
  // Paths relative to the lake, in read order (listings: batch1, batch2, ...).
  std::vector<std::string> files;
  // The file whose name dates the snapshot and is named in the metadata (listings: batch1, or
  // the lowest batch present).
  std::string primary;
  // The time in the file name, epoch ms UTC; nullopt when the name does not carry one.
  std::optional<int64_t> time_ms;
  int expected_files = 1;  // listings: 5
};

// The time in a bronze file name or path ("x/exchange_map-2025-05-03_01-44-14.parquet"): the
// text after the first '-' of the file's stem, as YYYY-MM-DD_HH-MM-SS in UTC. nullopt when it is
// not in that form.
std::optional<int64_t> BronzeFileTime(std::string_view path);

// The latest file of `folder` whose name starts with "<prefix>-": the greatest file name.
// nullopt when the manifest lists none.
Result<std::optional<BronzeSnapshot>> LatestBronzeFile(Manifest& manifest, std::string_view folder,
                                                       std::string_view prefix);

// The newest listings run of `folder`: files named "<prefix><N>-<suffix>" are grouped by the
// suffix after the first '-' and the greatest suffix wins, so batch10 sorts as a number, not
// before batch2. The group's files are ordered by N. `expected_files` is 5; fewer is not an
// error (the caller notes it).
Result<std::optional<BronzeSnapshot>> LatestBronzeBatch(Manifest& manifest, std::string_view folder,
                                                        std::string_view prefix);

}  // namespace dlake::lakehouse
