#pragma once
// Columnar rows returned by reads: the form the CLI formats and the SDKs and REST server hand on.

#include <cstdint>
#include <string>
#include <vector>

namespace dlake {

enum class ColumnType { kInt64, kDouble, kBool, kString };
const char* ColumnTypeName(ColumnType type);

// One column. Exactly one value vector is used, chosen by `type`; `valid[i] == 0` marks NULL.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kInt64;
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<uint8_t> bools;
  std::vector<std::string> strings;
  std::vector<uint8_t> valid;

  size_t size() const { return valid.size(); }
  bool IsNull(size_t row) const { return valid[row] == 0; }
  // The value as text ("" for NULL); doubles with full round-trip precision.
  std::string ToString(size_t row) const;
};

struct RecordBatch {
  std::vector<Column> columns;
  size_t num_rows = 0;

  // The column named `name`, or nullptr.
  const Column* Find(const std::string& name) const;
  // Appends `other`'s rows; both must have the same columns in the same order.
  void Append(const RecordBatch& other);
};

}  // namespace dlake
