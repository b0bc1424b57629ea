#pragma once
// How the fields of a CSV file map to dataset columns: recognised from the header row, or from
// the field count of headerless files (Binance klines and trades as data.binance.vision ships
// them, the 6-column ts,open,high,low,close,volume form). doc/ingest.md lists the forms.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/dataset.h"
#include "dlake/common/status.h"
#include "duck/duck.h"

namespace dlake::ingest {

enum class ValueKind {
  kTime,  // integer epoch time; s/µs/ns-looking values are normalised to ms
  kInt64,
  kDouble,
  kBool,
  kString,
};

struct TargetColumn {
  std::string name;
  ValueKind kind = ValueKind::kDouble;
  bool required = false;  // an empty value is a bad row
};

duck::Type StorageType(ValueKind kind);

struct CsvLayout {
  std::string description;  // "Binance klines (12 columns, no header)"
  bool has_header = false;
  size_t field_count = 0;
  std::vector<int> field_to_column;   // per CSV field: index into columns, or -1 to drop it
  std::vector<TargetColumn> columns;  // "ts" first
};

// Decides the layout of one file from its first line and, for columns the lake does not know,
// value kinds inferred from `sample` (up to ~1000 further data lines).
Result<CsvLayout> DetectLayout(const DatasetId& dataset, const std::string& file,
                               std::string_view first_line, const std::vector<std::string>& sample);

}  // namespace dlake::ingest
