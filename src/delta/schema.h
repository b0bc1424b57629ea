#pragma once
// The table schema in Delta's Spark JSON form (PROTOCOL.md "Schema Serialization Format") and its
// mapping to DuckDB types. Every data file is read and written through these DuckDB types.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::delta {

struct DataType;
using DataTypePtr = std::shared_ptr<const DataType>;

struct StructField {
  std::string name;
  DataTypePtr type;
  bool nullable = true;
  nlohmann::json metadata = nlohmann::json::object();
};

// One Delta type. `primitive` holds the type name for primitives ("long", "string", "timestamp",
// "decimal(10,2)" is kDecimal with precision/scale).
struct DataType {
  enum class Kind { kPrimitive, kDecimal, kStruct, kArray, kMap };
  Kind kind = Kind::kPrimitive;
  std::string primitive;            // kPrimitive: string long integer short byte float
                                    // double boolean binary date timestamp timestamp_ntz
  int precision = 0, scale = 0;     // kDecimal
  std::vector<StructField> fields;  // kStruct
  DataTypePtr element;              // kArray
  bool contains_null = true;        // kArray
  DataTypePtr key, value;           // kMap
  bool value_contains_null = true;  // kMap

  static DataTypePtr Primitive(std::string name);
  bool IsPrimitive(std::string_view name) const {
    return kind == Kind::kPrimitive && primitive == name;
  }
};

struct Schema {
  std::vector<StructField> fields;

  // The field named `name`, ignoring case as Delta does; nullptr if absent.
  const StructField* Find(std::string_view name) const;
  std::vector<std::string> Names() const;
};

// Parses a schemaString. Errors name the JSON path of the bad element.
Result<Schema> ParseSchema(std::string_view schema_string);
nlohmann::json TypeToJson(const DataType& type);
std::string SerializeSchema(const Schema& schema);

// DuckDB SQL type for a Delta type: long→BIGINT, timestamp→TIMESTAMPTZ, timestamp_ntz→TIMESTAMP,
// decimal(p,s)→DECIMAL(p,s), struct→STRUCT(...), array→T[], map→MAP(K,V).
std::string DuckType(const DataType& type);
// The Delta type for a DuckDB type name as DESCRIBE prints it. Unsupported types (UBIGINT,
// HUGEINT, INTERVAL, UNION, …) are an InvalidArgument naming `column`.
Result<DataTypePtr> FromDuckType(std::string_view duck_type, std::string_view column);

// Schema evolution: `incoming` may add nullable columns to `current` (and nullable fields to
// structs); anything else (a dropped column, a changed type, a new non-null column) is an
// InvalidArgument naming the column. Returns the merged schema, current columns first.
Result<Schema> MergeSchemas(const Schema& current, const Schema& incoming);

// True when every column of `incoming` exists in `current` with the same type, ignoring case.
bool SameColumns(const Schema& current, const Schema& incoming);

}  // namespace dlake::delta
