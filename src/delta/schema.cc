#include "delta/schema.h"

#include <set>

#include "dlake/common/strings.h"

namespace dlake::delta {
namespace {

using nlohmann::json;

const std::set<std::string, std::less<>> kPrimitives = {
    "string",  "long",   "integer", "short",     "byte",          "float", "double",
    "boolean", "binary", "date",    "timestamp", "timestamp_ntz", "void"};

Result<DataTypePtr> ParseType(const json& node, const std::string& where);

Result<StructField> ParseField(const json& node, const std::string& where) {
  if (!node.is_object() || !node.contains("name") || !node["name"].is_string()) {
    return InvalidArgument("schema ", where, ": a field needs a string \"name\"");
  }
  StructField field;
  field.name = node["name"].get<std::string>();
  std::string here = where + "." + field.name;
  if (!node.contains("type")) return InvalidArgument("schema ", here, ": missing \"type\"");
  DLAKE_ASSIGN_OR_RETURN(field.type, ParseType(node["type"], here));
  field.nullable = node.value("nullable", true);
  if (node.contains("metadata") && node["metadata"].is_object()) field.metadata = node["metadata"];
  return field;
}

Result<std::vector<StructField>> ParseFields(const json& node, const std::string& where) {
  if (!node.contains("fields") || !node["fields"].is_array()) {
    return InvalidArgument("schema ", where, ": a struct needs a \"fields\" array");
  }
  std::vector<StructField> fields;
  std::set<std::string> seen;
  for (const auto& item : node["fields"]) {
    DLAKE_ASSIGN_OR_RETURN(auto field, ParseField(item, where));
    if (!seen.insert(AsciiLower(field.name)).second) {
      return InvalidArgument("schema ", where, ": column '", field.name,
                             "' appears twice (names are case-insensitive)");
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

Result<DataTypePtr> ParsePrimitive(const std::string& name, const std::string& where) {
  auto type = std::make_shared<DataType>();
  if (name.rfind("decimal", 0) == 0) {
    int precision = 10, scale = 0;
    if (name != "decimal" && std::sscanf(name.c_str(), "decimal(%d,%d)", &precision, &scale) != 2 &&
        std::sscanf(name.c_str(), "decimal(%d, %d)", &precision, &scale) != 2) {
      return InvalidArgument("schema ", where, ": bad decimal type '", name, "'");
    }
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      return InvalidArgument("schema ", where, ": decimal precision/scale out of range in '", name,
                             "'");
    }
    type->kind = DataType::Kind::kDecimal;
    type->precision = precision;
    type->scale = scale;
    return DataTypePtr(type);
  }
  if (!kPrimitives.count(name)) {
    return InvalidArgument("schema ", where, ": unsupported type '", name, "'");
  }
  type->primitive = name;
  return DataTypePtr(type);
}

Result<DataTypePtr> ParseType(const json& node, const std::string& where) {
  if (node.is_string()) return ParsePrimitive(node.get<std::string>(), where);
  if (!node.is_object() || !node.contains("type") || !node["type"].is_string()) {
    return InvalidArgument("schema ", where, ": a type must be a name or an object with \"type\"");
  }
  auto type = std::make_shared<DataType>();
  std::string kind = node["type"].get<std::string>();
  if (kind == "struct") {
    type->kind = DataType::Kind::kStruct;
    DLAKE_ASSIGN_OR_RETURN(type->fields, ParseFields(node, where));
  } else if (kind == "array") {
    type->kind = DataType::Kind::kArray;
    if (!node.contains("elementType")) {
      return InvalidArgument("schema ", where, ": an array needs \"elementType\"");
    }
    DLAKE_ASSIGN_OR_RETURN(type->element, ParseType(node["elementType"], where + "[]"));
    type->contains_null = node.value("containsNull", true);
  } else if (kind == "map") {
    type->kind = DataType::Kind::kMap;
    if (!node.contains("keyType") || !node.contains("valueType")) {
      return InvalidArgument("schema ", where, ": a map needs \"keyType\" and \"valueType\"");
    }
    DLAKE_ASSIGN_OR_RETURN(type->key, ParseType(node["keyType"], where + ".key"));
    DLAKE_ASSIGN_OR_RETURN(type->value, ParseType(node["valueType"], where + ".value"));
    type->value_contains_null = node.value("valueContainsNull", true);
  } else {
    return InvalidArgument("schema ", where, ": unsupported type '", kind, "'");
  }
  return DataTypePtr(type);
}

json FieldToJson(const StructField& field) {
  return json{{"name", field.name},
              {"type", TypeToJson(*field.type)},
              {"nullable", field.nullable},
              {"metadata", field.metadata.is_null() ? json::object() : field.metadata}};
}

std::string DuckPrimitive(const std::string& name) {
  static const std::map<std::string, std::string, std::less<>> kMap = {
      {"string", "VARCHAR"}, {"long", "BIGINT"},           {"integer", "INTEGER"},
      {"short", "SMALLINT"}, {"byte", "TINYINT"},          {"float", "FLOAT"},
      {"double", "DOUBLE"},  {"boolean", "BOOLEAN"},       {"binary", "BLOB"},
      {"date", "DATE"},      {"timestamp", "TIMESTAMPTZ"}, {"timestamp_ntz", "TIMESTAMP"},
      {"void", "INTEGER"}};
  return kMap.at(name);
}

std::string QuoteName(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Splits "a, b(c, d), e" at top-level commas.
std::vector<std::string> SplitTopLevel(std::string_view text) {
  std::vector<std::string> parts;
  int depth = 0;
  bool quoted = false;
  std::string current;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '(' || c == '[')) ++depth;
    if (!quoted && (c == ')' || c == ']')) --depth;
    if (!quoted && depth == 0 && c == ',') {
      parts.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  if (!current.empty()) parts.push_back(current);
  for (auto& part : parts) part = std::string(TrimChars(part, " "));
  return parts;
}

}  // namespace

DataTypePtr DataType::Primitive(std::string name) {
  auto type = std::make_shared<DataType>();
  type->primitive = std::move(name);
  return type;
}

const StructField* Schema::Find(std::string_view name) const {
  std::string wanted = AsciiLower(name);
  for (const auto& field : fields) {
    if (AsciiLower(field.name) == wanted) return &field;
  }
  return nullptr;
}

std::vector<std::string> Schema::Names() const {
  std::vector<std::string> names;
  for (const auto& field : fields) names.push_back(field.name);
  return names;
}

Result<Schema> ParseSchema(std::string_view schema_string) {
  json node = json::parse(schema_string, nullptr, /*allow_exceptions=*/false);
  if (node.is_discarded()) return InvalidArgument("schemaString is not valid JSON");
  if (!node.is_object() || node.value("type", "") != "struct") {
    return InvalidArgument("schemaString must be a struct type");
  }
  Schema schema;
  DLAKE_ASSIGN_OR_RETURN(schema.fields, ParseFields(node, "root"));
  return schema;
}

json TypeToJson(const DataType& type) {
  switch (type.kind) {
    case DataType::Kind::kPrimitive:
      return type.primitive;
    case DataType::Kind::kDecimal:
      return "decimal(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case DataType::Kind::kStruct: {
      json fields = json::array();
      for (const auto& field : type.fields) fields.push_back(FieldToJson(field));
      return json{{"type", "struct"}, {"fields", fields}};
    }
    case DataType::Kind::kArray:
      return json{{"type", "array"},
                  {"elementType", TypeToJson(*type.element)},
                  {"containsNull", type.contains_null}};
    case DataType::Kind::kMap:
      return json{{"type", "map"},
                  {"keyType", TypeToJson(*type.key)},
                  {"valueType", TypeToJson(*type.value)},
                  {"valueContainsNull", type.value_contains_null}};
  }
  return nullptr;
}

std::string SerializeSchema(const Schema& schema) {
  json fields = json::array();
  for (const auto& field : schema.fields) fields.push_back(FieldToJson(field));
  return json{{"type", "struct"}, {"fields", fields}}.dump();
}

std::string DuckType(const DataType& type) {
  switch (type.kind) {
    case DataType::Kind::kPrimitive:
      return DuckPrimitive(type.primitive);
    case DataType::Kind::kDecimal:
      return "DECIMAL(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case DataType::Kind::kStruct: {
      std::string out = "STRUCT(";
      for (size_t i = 0; i < type.fields.size(); ++i) {
        if (i) out += ", ";
        out += QuoteName(type.fields[i].name) + " " + DuckType(*type.fields[i].type);
      }
      return out + ")";
    }
    case DataType::Kind::kArray:
      return DuckType(*type.element) + "[]";
    case DataType::Kind::kMap:
      return "MAP(" + DuckType(*type.key) + ", " + DuckType(*type.value) + ")";
  }
  return "VARCHAR";
}

Result<DataTypePtr> FromDuckType(std::string_view duck_type, std::string_view column) {
  // Only spaces: DuckDB puts no other whitespace around type text.
  std::string text(TrimChars(duck_type, " "));
  std::string upper = AsciiUpper(text);
  if (upper.size() > 2 && upper.substr(upper.size() - 2) == "[]") {
    auto type = std::make_shared<DataType>();
    type->kind = DataType::Kind::kArray;
    DLAKE_ASSIGN_OR_RETURN(type->element, FromDuckType(text.substr(0, text.size() - 2), column));
    return DataTypePtr(type);
  }
  static const std::map<std::string, std::string, std::less<>> kPrim = {
      {"VARCHAR", "string"},
      {"BIGINT", "long"},
      {"INTEGER", "integer"},
      {"SMALLINT", "short"},
      {"TINYINT", "byte"},
      {"FLOAT", "float"},
      {"DOUBLE", "double"},
      {"BOOLEAN", "boolean"},
      {"BLOB", "binary"},
      {"DATE", "date"},
      {"TIMESTAMP WITH TIME ZONE", "timestamp"},
      {"TIMESTAMPTZ", "timestamp"},
      {"TIMESTAMP", "timestamp_ntz"},
      {"TIMESTAMP_MS", "timestamp_ntz"},
      {"TIMESTAMP_NS", "timestamp_ntz"},
      {"TIMESTAMP_S", "timestamp_ntz"},
      {"UUID", "string"},
      {"JSON", "string"}};
  if (auto it = kPrim.find(upper); it != kPrim.end()) return DataType::Primitive(it->second);
  if (upper.rfind("DECIMAL(", 0) == 0) {
    auto type = std::make_shared<DataType>();
    type->kind = DataType::Kind::kDecimal;
    if (std::sscanf(upper.c_str(), "DECIMAL(%d,%d)", &type->precision, &type->scale) != 2) {
      return InvalidArgument("column '", column, "': cannot read type '", text, "'");
    }
    return DataTypePtr(type);
  }
  auto open = text.find('(');
  if (open != std::string::npos && text.back() == ')') {
    std::string head = upper.substr(0, open);
    const std::string_view whole = text;
    auto parts = SplitTopLevel(whole.substr(open + 1, text.size() - open - 2));
    if (head == "STRUCT") {
      auto type = std::make_shared<DataType>();
      type->kind = DataType::Kind::kStruct;
      for (const auto& part : parts) {
        std::string name, rest;
        if (!part.empty() && part[0] == '"') {
          size_t end = 1;
          while (end < part.size()) {
            if (part[end] == '"' && (end + 1 >= part.size() || part[end + 1] != '"')) break;
            if (part[end] == '"') ++end;
            name += part[end++];
          }
          rest = part.substr(end + 1);
        } else {
          auto space = part.find(' ');
          name = part.substr(0, space);
          rest = space == std::string::npos ? "" : part.substr(space + 1);
        }
        StructField field;
        field.name = name;
        DLAKE_ASSIGN_OR_RETURN(field.type, FromDuckType(rest, std::string(column) + "." + name));
        type->fields.push_back(std::move(field));
      }
      return DataTypePtr(type);
    }
    if (head == "MAP" && parts.size() == 2) {
      auto type = std::make_shared<DataType>();
      type->kind = DataType::Kind::kMap;
      DLAKE_ASSIGN_OR_RETURN(type->key, FromDuckType(parts[0], column));
      DLAKE_ASSIGN_OR_RETURN(type->value, FromDuckType(parts[1], column));
      return DataTypePtr(type);
    }
  }
  return InvalidArgument("column '", column, "': type ", text,
                         " has no Delta equivalent (use BIGINT, DOUBLE, DECIMAL, VARCHAR, DATE, "
                         "TIMESTAMPTZ, BOOLEAN, BLOB, STRUCT, LIST or MAP)");
}

namespace {

bool SameType(const DataType& a, const DataType& b) { return TypeToJson(a) == TypeToJson(b); }

Result<StructField> MergeField(const StructField& current, const StructField& incoming,
                               const std::string& where) {
  if (current.type->kind == DataType::Kind::kStruct &&
      incoming.type->kind == DataType::Kind::kStruct) {
    Schema a{current.type->fields}, b{incoming.type->fields};
    DLAKE_ASSIGN_OR_RETURN(auto merged, MergeSchemas(a, b));
    auto type = std::make_shared<DataType>(*current.type);
    type->fields = merged.fields;
    StructField out = current;
    out.type = type;
    return out;
  }
  if (!SameType(*current.type, *incoming.type)) {
    return InvalidArgument("column '", where, "' has type ", TypeToJson(*current.type).dump(),
                           " in the table but ", TypeToJson(*incoming.type).dump(),
                           " in the new data; changing a column's type is not supported");
  }
  return current;
}

}  // namespace

Result<Schema> MergeSchemas(const Schema& current, const Schema& incoming) {
  Schema merged;
  for (const auto& field : current.fields) {
    const StructField* other = incoming.Find(field.name);
    if (!other) {
      merged.fields.push_back(field);
      continue;
    }
    DLAKE_ASSIGN_OR_RETURN(auto out, MergeField(field, *other, field.name));
    merged.fields.push_back(std::move(out));
  }
  for (const auto& field : incoming.fields) {
    if (current.Find(field.name)) continue;
    StructField added = field;
    added.nullable = true;
    merged.fields.push_back(std::move(added));
  }
  return merged;
}

bool SameColumns(const Schema& current, const Schema& incoming) {
  for (const auto& field : incoming.fields) {
    const StructField* mine = current.Find(field.name);
    if (!mine || !SameType(*mine->type, *field.type)) return false;
  }
  return true;
}

}  // namespace dlake::delta
