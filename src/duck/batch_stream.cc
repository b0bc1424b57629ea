#include "duck/batch_stream.h"

#include <algorithm>

namespace dlake::duck {
namespace {

Result<ColumnType> ToColumnType(duck::Type type, const std::string& name) {
  switch (type) {
    case duck::Type::kBigInt:
      return ColumnType::kInt64;
    case duck::Type::kDouble:
      return ColumnType::kDouble;
    case duck::Type::kBoolean:
      return ColumnType::kBool;
    case duck::Type::kVarchar:
      return ColumnType::kString;
    case duck::Type::kOther:
      break;
  }
  return Internal("column '", name, "' has a type the reader does not support");
}

// Appends the validity of rows [offset, offset + rows) of the chunk's column.
void AppendValidity(const duck::DataChunk& chunk, size_t column, size_t offset, size_t rows,
                    std::vector<uint8_t>& valid) {
  const uint64_t* mask = chunk.Validity(column);
  const size_t base = valid.size();
  valid.resize(base + rows, 1);
  if (mask == nullptr) return;  // no NULLs in this vector
  for (size_t r = 0; r < rows; ++r) {
    const size_t row = offset + r;
    valid[base + r] = static_cast<uint8_t>((mask[row / 64] >> (row % 64)) & 1);
  }
}

// Appends rows [offset, offset + rows) of `chunk` to `batch`.
void AppendSlice(const duck::DataChunk& chunk, size_t offset, size_t rows, RecordBatch& batch) {
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    Column& col = batch.columns[c];
    AppendValidity(chunk, c, offset, rows, col.valid);
    switch (col.type) {
      case ColumnType::kInt64: {
        const int64_t* data = chunk.Data<int64_t>(c) + offset;
        col.ints.insert(col.ints.end(), data, data + rows);
        break;
      }
      case ColumnType::kDouble: {
        const double* data = chunk.Data<double>(c) + offset;
        col.doubles.insert(col.doubles.end(), data, data + rows);
        break;
      }
      case ColumnType::kBool: {
        const bool* data = chunk.Data<bool>(c) + offset;
        for (size_t r = 0; r < rows; ++r) col.bools.push_back(data[r] ? 1 : 0);
        break;
      }
      case ColumnType::kString: {
        const size_t base = col.valid.size() - rows;
        for (size_t r = 0; r < rows; ++r) {
          col.strings.emplace_back(col.valid[base + r] ? chunk.GetString(c, offset + r) : "");
        }
        break;
      }
    }
  }
  batch.num_rows += rows;
}

void Reserve(RecordBatch& batch, size_t rows) {
  for (Column& col : batch.columns) {
    col.valid.reserve(rows);
    switch (col.type) {
      case ColumnType::kInt64:
        col.ints.reserve(rows);
        break;
      case ColumnType::kDouble:
        col.doubles.reserve(rows);
        break;
      case ColumnType::kBool:
        col.bools.reserve(rows);
        break;
      case ColumnType::kString:
        col.strings.reserve(rows);
        break;
    }
  }
}

RecordBatch EmptyLike(const RecordBatch& schema) {
  RecordBatch out;
  for (const auto& c : schema.columns)
    out.columns.push_back(Column{c.name, c.type, {}, {}, {}, {}, {}});
  return out;
}

}  // namespace

Result<RecordBatch> EmptyBatch(QueryResult& result) {
  RecordBatch schema;
  for (size_t c = 0; c < result.ColumnCount(); ++c) {
    std::string name = result.ColumnName(c);
    DLAKE_ASSIGN_OR_RETURN(ColumnType type, ToColumnType(result.ColumnType(c), name));
    schema.columns.push_back(Column{name, type, {}, {}, {}, {}, {}});
  }
  return schema;
}

Status StreamBatches(QueryResult& result, bool materialized, size_t batch_rows,
                     const BatchSink& sink) {
  if (batch_rows == 0) return InvalidArgument("batches of 0 rows were asked for");
  DLAKE_ASSIGN_OR_RETURN(const RecordBatch schema, EmptyBatch(result));
  RecordBatch batch = EmptyLike(schema);
  if (materialized) Reserve(batch, std::min(result.RowCount(), batch_rows));
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(duck::DataChunk chunk, result.NextChunk());
    if (!chunk) break;
    // A chunk may be larger than what the batch has room for: cut it.
    for (size_t offset = 0; offset < chunk.size();) {
      const size_t rows = std::min(chunk.size() - offset, batch_rows - batch.num_rows);
      AppendSlice(chunk, offset, rows, batch);
      offset += rows;
      if (batch.num_rows < batch_rows) continue;
      DLAKE_RETURN_IF_ERROR(sink(batch));
      batch = EmptyLike(schema);
    }
  }
  if (batch.num_rows > 0) DLAKE_RETURN_IF_ERROR(sink(batch));
  return Status::Ok();
}

}  // namespace dlake::duck
