#include "dlake/common/record_batch.h"

#include <charconv>

namespace dlake {

const char* ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kString:
      return "string";
  }
  return "?";
}

std::string Column::ToString(size_t row) const {
  if (IsNull(row)) return "";
  switch (type) {
    case ColumnType::kInt64:
      return std::to_string(ints[row]);
    case ColumnType::kDouble: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), doubles[row]);
      return std::string(buf, end);
    }
    case ColumnType::kBool:
      return bools[row] ? "true" : "false";
    case ColumnType::kString:
      return strings[row];
  }
  return "";
}

const Column* RecordBatch::Find(const std::string& name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void RecordBatch::Append(const RecordBatch& other) {
  if (columns.empty()) {
    *this = other;
    return;
  }
  for (size_t i = 0; i < columns.size() && i < other.columns.size(); ++i) {
    Column& dst = columns[i];
    const Column& src = other.columns[i];
    dst.ints.insert(dst.ints.end(), src.ints.begin(), src.ints.end());
    dst.doubles.insert(dst.doubles.end(), src.doubles.begin(), src.doubles.end());
    dst.bools.insert(dst.bools.end(), src.bools.begin(), src.bools.end());
    dst.strings.insert(dst.strings.end(), src.strings.begin(), src.strings.end());
    dst.valid.insert(dst.valid.end(), src.valid.begin(), src.valid.end());
  }
  num_rows += other.num_rows;
}

}  // namespace dlake
