#include "delta/actions.h"

#include <cstdio>

namespace dlake::delta {
namespace {

using nlohmann::json;

// Reads optional typed fields with errors that name the action, field and source.
class FieldReader {
 public:
  FieldReader(const json& object, std::string_view action, std::string_view where)
      : object_(object), action_(action), where_(where) {}

  Status Error(std::string_view field, std::string_view expected) const {
    return InvalidArgument(where_, ": ", action_, ".", field, " must be ", expected);
  }

  Result<std::string> RequiredString(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || !it->is_string()) return Error(field, "a string");
    return it->get<std::string>();
  }
  Result<std::optional<std::string>> OptionalString(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return Error(field, "a string");
    return std::optional<std::string>(it->get<std::string>());
  }
  Result<std::optional<int64_t>> OptionalInt(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return std::optional<int64_t>();
    if (!it->is_number_integer()) return Error(field, "an integer");
    return std::optional<int64_t>(it->get<int64_t>());
  }
  Result<int64_t> RequiredInt(std::string_view field) const {
    DLAKE_ASSIGN_OR_RETURN(auto value, OptionalInt(field));
    if (!value) return Error(field, "an integer");
    return *value;
  }
  Result<bool> Bool(std::string_view field, bool fallback) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return Error(field, "true or false");
    return it->get<bool>();
  }
  Result<std::map<std::string, std::string>> StringMap(std::string_view field) const {
    std::map<std::string, std::string> out;
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return out;
    if (!it->is_object()) return Error(field, "an object of strings");
    for (const auto& [key, value] : it->items()) {
      if (value.is_null()) continue;
      if (!value.is_string()) return Error(std::string(field) + "." + key, "a string");
      out[key] = value.get<std::string>();
    }
    return out;
  }
  Result<PartitionValues> Partitions(std::string_view field) const {
    PartitionValues out;
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return out;
    if (!it->is_object()) return Error(field, "an object");
    for (const auto& [key, value] : it->items()) {
      if (value.is_null()) {
        out[key] = std::nullopt;
      } else if (value.is_string()) {
        out[key] = value.get<std::string>();
      } else {
        return Error(std::string(field) + "." + key, "a string or null");
      }
    }
    return out;
  }
  Result<std::optional<std::vector<std::string>>> StringList(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return std::optional<std::vector<std::string>>();
    if (!it->is_array()) return Error(field, "an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *it) {
      if (!item.is_string()) return Error(field, "an array of strings");
      out.push_back(item.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  Result<std::optional<DeletionVectorDescriptor>> DeletionVector(std::string_view field) const {
    auto it = object_.find(field);
    if (it == object_.end() || it->is_null()) return std::optional<DeletionVectorDescriptor>();
    auto dv = ParseDeletionVector(*it);
    if (!dv.ok()) return dv.status().WithContext(std::string(where_) + ": " + std::string(action_));
    return std::optional<DeletionVectorDescriptor>(std::move(dv).value());
  }

 private:
  const json& object_;
  std::string_view action_;
  std::string_view where_;
};

Result<std::string> DecodedPath(const FieldReader& reader, std::string_view where) {
  DLAKE_ASSIGN_OR_RETURN(auto encoded, reader.RequiredString("path"));
  auto decoded = DecodePath(encoded);
  if (!decoded.ok()) return decoded.status().WithContext(where);
  return decoded;
}

Result<Action> ParseProtocol(const FieldReader& r) {
  Protocol p;
  DLAKE_ASSIGN_OR_RETURN(auto reader, r.RequiredInt("minReaderVersion"));
  DLAKE_ASSIGN_OR_RETURN(auto writer, r.RequiredInt("minWriterVersion"));
  p.min_reader_version = static_cast<int>(reader);
  p.min_writer_version = static_cast<int>(writer);
  DLAKE_ASSIGN_OR_RETURN(p.reader_features, r.StringList("readerFeatures"));
  DLAKE_ASSIGN_OR_RETURN(p.writer_features, r.StringList("writerFeatures"));
  return Action(std::move(p));
}

Result<Action> ParseMetadata(const json& object, const FieldReader& r) {
  Metadata m;
  DLAKE_ASSIGN_OR_RETURN(m.id, r.RequiredString("id"));
  DLAKE_ASSIGN_OR_RETURN(m.name, r.OptionalString("name"));
  DLAKE_ASSIGN_OR_RETURN(m.description, r.OptionalString("description"));
  DLAKE_ASSIGN_OR_RETURN(m.schema_string, r.RequiredString("schemaString"));
  DLAKE_ASSIGN_OR_RETURN(auto partitions, r.StringList("partitionColumns"));
  if (partitions) m.partition_columns = *partitions;
  DLAKE_ASSIGN_OR_RETURN(m.configuration, r.StringMap("configuration"));
  DLAKE_ASSIGN_OR_RETURN(m.created_time, r.OptionalInt("createdTime"));
  if (auto it = object.find("format"); it != object.end() && it->is_object()) {
    m.format_provider = it->value("provider", "parquet");
    FieldReader format(*it, "metaData.format", "");
    DLAKE_ASSIGN_OR_RETURN(m.format_options, format.StringMap("options"));
  }
  return Action(std::move(m));
}

Result<Action> ParseAdd(const json& object, const FieldReader& r, std::string_view where) {
  AddFile a;
  DLAKE_ASSIGN_OR_RETURN(a.path, DecodedPath(r, where));
  DLAKE_ASSIGN_OR_RETURN(a.partition_values, r.Partitions("partitionValues"));
  DLAKE_ASSIGN_OR_RETURN(auto size, r.OptionalInt("size"));
  a.size = size.value_or(0);
  DLAKE_ASSIGN_OR_RETURN(auto mtime, r.OptionalInt("modificationTime"));
  a.modification_time = mtime.value_or(0);
  DLAKE_ASSIGN_OR_RETURN(a.data_change, r.Bool("dataChange", true));
  DLAKE_ASSIGN_OR_RETURN(a.stats, r.OptionalString("stats"));
  DLAKE_ASSIGN_OR_RETURN(a.tags, r.StringMap("tags"));
  DLAKE_ASSIGN_OR_RETURN(a.deletion_vector, r.DeletionVector("deletionVector"));
  DLAKE_ASSIGN_OR_RETURN(a.base_row_id, r.OptionalInt("baseRowId"));
  DLAKE_ASSIGN_OR_RETURN(a.default_row_commit_version, r.OptionalInt("defaultRowCommitVersion"));
  return Action(std::move(a));
}

Result<Action> ParseRemove(const FieldReader& r, std::string_view where) {
  RemoveFile rm;
  DLAKE_ASSIGN_OR_RETURN(rm.path, DecodedPath(r, where));
  DLAKE_ASSIGN_OR_RETURN(rm.deletion_timestamp, r.OptionalInt("deletionTimestamp"));
  DLAKE_ASSIGN_OR_RETURN(rm.data_change, r.Bool("dataChange", true));
  DLAKE_ASSIGN_OR_RETURN(rm.extended_file_metadata, r.Bool("extendedFileMetadata", false));
  DLAKE_ASSIGN_OR_RETURN(rm.partition_values, r.Partitions("partitionValues"));
  DLAKE_ASSIGN_OR_RETURN(rm.size, r.OptionalInt("size"));
  DLAKE_ASSIGN_OR_RETURN(rm.deletion_vector, r.DeletionVector("deletionVector"));
  return Action(std::move(rm));
}

Result<Action> ParseTxn(const FieldReader& r) {
  Txn t;
  DLAKE_ASSIGN_OR_RETURN(t.app_id, r.RequiredString("appId"));
  DLAKE_ASSIGN_OR_RETURN(t.version, r.RequiredInt("version"));
  DLAKE_ASSIGN_OR_RETURN(t.last_updated, r.OptionalInt("lastUpdated"));
  return Action(std::move(t));
}

json PartitionsToJson(const PartitionValues& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = value ? json(*value) : json(nullptr);
  return out;
}

json MapToJson(const std::map<std::string, std::string>& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = value;
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 2396 unreserved and path characters that stay as they are.
bool KeepInPath(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '-':
    case '_':
    case '.':
    case '!':
    case '~':
    case '*':
    case '\'':
    case '(':
    case ')':
    case '/':
    case ':':
    case '@':
    case '&':
    case '=':
    case '+':
    case '$':
    case ',':
    case ';':
      return true;
    default:
      return false;
  }
}

}  // namespace

RemoveFile RemoveFor(const AddFile& file, int64_t now_ms, bool data_change) {
  RemoveFile remove;
  remove.path = file.path;
  remove.deletion_timestamp = now_ms;
  remove.data_change = data_change;
  remove.extended_file_metadata = true;
  remove.partition_values = file.partition_values;
  remove.size = file.size;
  remove.deletion_vector = file.deletion_vector;
  return remove;
}

std::string FileActionKey(const std::string& path,
                          const std::optional<DeletionVectorDescriptor>& dv) {
  return dv ? path + '\n' + dv->UniqueId() : path;
}

Result<std::optional<Action>> ParseAction(const json& line, std::string_view where) {
  if (!line.is_object() || line.size() != 1) {
    return InvalidArgument(where, ": an action must be a JSON object with one key");
  }
  auto first = line.begin();
  const std::string& kind = first.key();
  const json& body = first.value();
  if (kind == "commitInfo") return std::optional<Action>(CommitInfo{body});
  static const char* kOther[] = {"cdc", "domainMetadata", "checkpointMetadata", "sidecar"};
  for (const char* other : kOther) {
    if (kind == other) return std::optional<Action>(OtherAction{kind, body});
  }
  bool known = kind == "protocol" || kind == "metaData" || kind == "add" || kind == "remove" ||
               kind == "txn";
  if (!known) return std::optional<Action>();
  if (!body.is_object()) return InvalidArgument(where, ": ", kind, " must be a JSON object");
  FieldReader reader(body, kind, where);
  Result<Action> action = Status();
  if (kind == "protocol") action = ParseProtocol(reader);
  if (kind == "metaData") action = ParseMetadata(body, reader);
  if (kind == "add") action = ParseAdd(body, reader, where);
  if (kind == "remove") action = ParseRemove(reader, where);
  if (kind == "txn") action = ParseTxn(reader);
  if (!action.ok()) return action.status();
  return std::optional<Action>(std::move(action).value());
}

Result<std::vector<Action>> ParseCommit(std::string_view text, std::string_view where) {
  std::vector<Action> actions;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string here = std::string(where) + ":" + std::to_string(line_number);
    json parsed = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return Corruption(here, ": not valid JSON");
    auto action = ParseAction(parsed, here);
    if (!action.ok()) return Status(StatusCode::kCorruption, action.status().message());
    if (*action) actions.push_back(std::move(**action));
  }
  return actions;
}

json ActionToJson(const Action& action) {
  return std::visit(
      [](const auto& a) -> json {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Protocol>) {
          json body{{"minReaderVersion", a.min_reader_version},
                    {"minWriterVersion", a.min_writer_version}};
          if (a.reader_features) body["readerFeatures"] = *a.reader_features;
          if (a.writer_features) body["writerFeatures"] = *a.writer_features;
          return json{{"protocol", body}};
        } else if constexpr (std::is_same_v<T, Metadata>) {
          json body{{"id", a.id},
                    {"format",
                     {{"provider", a.format_provider}, {"options", MapToJson(a.format_options)}}},
                    {"schemaString", a.schema_string},
                    {"partitionColumns", a.partition_columns},
                    {"configuration", MapToJson(a.configuration)}};
          if (a.name) body["name"] = *a.name;
          if (a.description) body["description"] = *a.description;
          if (a.created_time) body["createdTime"] = *a.created_time;
          return json{{"metaData", body}};
        } else if constexpr (std::is_same_v<T, AddFile>) {
          json body{{"path", EncodePath(a.path)},
                    {"partitionValues", PartitionsToJson(a.partition_values)},
                    {"size", a.size},
                    {"modificationTime", a.modification_time},
                    {"dataChange", a.data_change}};
          if (a.stats) body["stats"] = *a.stats;
          if (!a.tags.empty()) body["tags"] = MapToJson(a.tags);
          if (a.deletion_vector) body["deletionVector"] = ToJson(*a.deletion_vector);
          if (a.base_row_id) body["baseRowId"] = *a.base_row_id;
          if (a.default_row_commit_version) {
            body["defaultRowCommitVersion"] = *a.default_row_commit_version;
          }
          return json{{"add", body}};
        } else if constexpr (std::is_same_v<T, RemoveFile>) {
          json body{{"path", EncodePath(a.path)}, {"dataChange", a.data_change}};
          if (a.deletion_timestamp) body["deletionTimestamp"] = *a.deletion_timestamp;
          if (a.extended_file_metadata) {
            body["extendedFileMetadata"] = true;
            body["partitionValues"] = PartitionsToJson(a.partition_values);
            if (a.size) body["size"] = *a.size;
          }
          if (a.deletion_vector) body["deletionVector"] = ToJson(*a.deletion_vector);
          return json{{"remove", body}};
        } else if constexpr (std::is_same_v<T, Txn>) {
          json body{{"appId", a.app_id}, {"version", a.version}};
          if (a.last_updated) body["lastUpdated"] = *a.last_updated;
          return json{{"txn", body}};
        } else if constexpr (std::is_same_v<T, CommitInfo>) {
          return json{{"commitInfo", a.value}};
        } else {
          return json{{a.kind, a.value}};
        }
      },
      action);
}

std::string SerializeCommit(const std::vector<Action>& actions) {
  std::string out;
  for (const auto& action : actions) {
    out += ActionToJson(action).dump();
    out += '\n';
  }
  return out;
}

std::string EncodePath(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (unsigned char c : path) {
    if (KeepInPath(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::string> DecodePath(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    int high = i + 2 < encoded.size() ? HexValue(encoded[i + 1]) : -1;
    int low = i + 2 < encoded.size() ? HexValue(encoded[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return InvalidArgument("path '", encoded, "' has a bad %-escape at offset ", i);
    }
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

}  // namespace dlake::delta
