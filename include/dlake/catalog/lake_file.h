#pragma once
// Lake files outside the candle datasets: bronze snapshots of the medallion pipeline (and later
// gold exports). Like a dataset file, each is registered in the manifest with its size and
// SHA-256 and checked by `dlake verify`; unlike one, many may exist per day, so they are grouped
// by kind and collection instead of dataset and day (doc/manifest.md, table `lake_files`).

#include <cstdint>
#include <string>
#include <string_view>

namespace dlake {

inline constexpr std::string_view kLakeFileBronze = "bronze";

struct LakeFile {
  int64_t id = 0;
  std::string path;        // relative to the lake root, '/'-separated
  std::string kind;        // "bronze"
  std::string collection;  // bronze: the folder below data/bronze ("exchange_map_data")
  int64_t rows = 0;
  int64_t bytes = 0;
  std::string sha256;           // lower-case hex
  int64_t created_at = 0;       // ms
  std::string source;           // what produced it: "cmc:/v1/exchange/map"
  std::string metadata = "{}";  // free-form JSON
};

// Requests and credits an API charged on one UTC day, as its responses reported them.
struct ApiUsage {
  std::string api;       // "cmc"
  std::string endpoint;  // "/v1/exchange/map"
  int64_t day = 0;       // UTC day number
  int64_t requests = 0;
  int64_t credits = 0;
};

}  // namespace dlake
