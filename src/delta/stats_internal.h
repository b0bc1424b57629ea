#pragma once
// Helpers shared by the files implementing delta/stats.h: skip_predicate.cc, file_skipping.cc
// and file_stats.cc. Private: not installed, not for other modules.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delta/schema.h"
#include "dlake/common/strings.h"

namespace dlake::delta::stats_internal {

inline constexpr int64_t kMicrosPerMilli = 1000;
inline constexpr size_t kStringPrefixLength = 32;  // code points, as Spark's stats truncation

using ::dlake::EqualsIgnoreCase;

// How a column's values are compared and how its stats are written.
enum class ColumnKind {
  kInteger,
  kFloat,
  kDouble,
  kDecimal,
  kBoolean,
  kString,
  kBinary,
  kDate,
  kTimestamp,
  kTimestampNtz,
  kCollection,
  kStruct,
  kUnknown
};

ColumnKind KindOf(const DataType& type);

inline size_t CodePoints(std::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// The value at `path` in a stats object, matching names exactly or else ignoring case.
const nlohmann::json* Lookup(const nlohmann::json& root, std::string_view section,
                             const std::vector<std::string>& path);

std::optional<int64_t> LookupCount(const nlohmann::json& root, std::string_view section,
                                   const std::vector<std::string>& path);

// A stats string parsed, or nullopt when absent or not a JSON object.
std::optional<nlohmann::json> ParseStats(const std::optional<std::string>& stats);

}  // namespace dlake::delta::stats_internal
