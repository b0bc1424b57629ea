#include "duck/batch_table.h"

#include <set>

#include "dlake/common/strings.h"
#include "duck/duck.h"

namespace dlake::duck {
namespace {

Type TypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kInt64:
      return Type::kBigInt;
    case ColumnType::kDouble:
      return Type::kDouble;
    case ColumnType::kBool:
      return Type::kBoolean;
    case ColumnType::kString:
      return Type::kVarchar;
  }
  return Type::kVarchar;
}

void Fill(DataChunk& chunk, size_t j, size_t row, const Column& c, size_t i) {
  if (c.IsNull(i)) {
    chunk.SetNull(j, row);
    return;
  }
  switch (c.type) {
    case ColumnType::kInt64:
      chunk.Data<int64_t>(j)[row] = c.ints[i];
      break;
    case ColumnType::kDouble:
      chunk.Data<double>(j)[row] = c.doubles[i];
      break;
    case ColumnType::kBool:
      chunk.Data<bool>(j)[row] = c.bools[i] != 0;
      break;
    case ColumnType::kString:
      chunk.SetString(j, row, c.strings[i]);
      break;
  }
}

}  // namespace

Status CreateTableFromBatch(Connection& conn, const std::string& name, const RecordBatch& batch) {
  if (batch.columns.empty()) return InvalidArgument("the rows have no columns");
  std::string columns;
  std::vector<Type> types;
  std::set<std::string> seen;
  for (const auto& c : batch.columns) {
    if (!seen.insert(AsciiLower(c.name)).second) {
      return InvalidArgument("two columns are named '", c.name, "'");
    }
    if (c.size() != batch.num_rows) {
      return InvalidArgument("column '", c.name, "' has ", c.size(), " values for ", batch.num_rows,
                             " rows");
    }
    types.push_back(TypeOf(c.type));
    columns += (columns.empty() ? "" : ", ") + QuoteIdentifier(c.name) + " " +
               std::string(TypeSqlName(types.back()));
  }
  DLAKE_RETURN_IF_ERROR(conn.Execute("CREATE TABLE " + QuoteIdentifier(name) + " (" + columns + ")",
                                     "creating a table for the rows"));
  return AppendRows(conn, name, types, batch.num_rows, [&](DataChunk& chunk, size_t row, size_t i) {
    for (size_t j = 0; j < batch.columns.size(); ++j) Fill(chunk, j, row, batch.columns[j], i);
  });
}

}  // namespace dlake::duck
