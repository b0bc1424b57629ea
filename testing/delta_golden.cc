#include "testing/delta_golden.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <utility>

#include "testing/test_util.h"

namespace dlake::testing {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// ---- CSV ----

struct CsvRecord {
  int64_t line = 0;  // where the record starts, 1-based
  TextRow fields;
};

std::optional<std::string> FieldValue(std::string& text, bool quoted, CsvNull null_form) {
  if (!quoted) {
    if (null_form == CsvNull::kEmptyUnquoted && text.empty()) return std::nullopt;
    if (null_form == CsvNull::kBackslashN && text == "\\N") return std::nullopt;
  }
  return std::move(text);
}

Result<std::vector<CsvRecord>> ParseRecords(std::string_view text, CsvNull null_form,
                                            std::string_view source) {
  std::vector<CsvRecord> records;
  CsvRecord record{1, {}};
  std::string field;
  bool quoted = false;     // the current field began with a quote
  bool in_quotes = false;  // inside that quoted part
  int64_t line = 1;
  auto end_field = [&] {
    record.fields.push_back(FieldValue(field, quoted, null_form));
    field.clear();
    quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_quotes) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        in_quotes = false;
        const char next = i + 1 < text.size() ? text[i + 1] : '\n';
        if (next != ',' && next != '\n' && next != '\r') {
          return Corruption(source, ": line ", line, ": text after a closing quote");
        }
      }
    } else if (c == '"') {
      if (quoted || !field.empty()) return Corruption(source, ": line ", line, ": stray quote");
      quoted = in_quotes = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') continue;  // the '\n' ends the record
      end_field();
      records.push_back(std::move(record));
      record = CsvRecord{line, {}};
    } else {
      field += c;
    }
  }
  if (in_quotes) return Corruption(source, ": unterminated quote at the end of the text");
  // Text that does not end with a line break still ends its last record.
  if (quoted || !field.empty() || !record.fields.empty()) {
    end_field();
    records.push_back(std::move(record));
  }
  return records;
}

// ---- Comparison ----

bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// `YYYY-MM-DD HH:MM:SS[.fraction]`, as DuckDB renders TIMESTAMP.
bool IsNaiveTimestamp(std::string_view s) {
  static constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  if (s.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
    if (kShape[i] == 'd' ? !digit : s[i] != kShape[i]) return false;
  }
  const std::string_view fraction = s.substr(kShape.size());
  return fraction.empty() || (fraction[0] == '.' && IsDigits(fraction.substr(1)));
}

TextRow Normalized(const TextRow& row, const std::vector<size_t>& order) {
  TextRow out;
  out.reserve(order.size());
  for (size_t i : order) {
    const auto& value = row[i];
    out.push_back(value ? std::optional<std::string>(NormalizeValue(*value)) : std::nullopt);
  }
  return out;
}

// The rows of `rows`, columns picked in `order`, normalised and sorted.
Result<std::vector<TextRow>> SortedRows(const RowSet& rows, const std::vector<size_t>& order,
                                        std::string_view side) {
  std::vector<TextRow> out;
  out.reserve(rows.rows.size());
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    if (rows.rows[r].size() != rows.columns.size()) {
      return InvalidArgument(side, " row ", r, " has ", rows.rows[r].size(), " values for ",
                             rows.columns.size(), " columns");
    }
    out.push_back(Normalized(rows.rows[r], order));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return "[" + out + "]";
}

// Where each of `expected`'s columns is in `actual`, or a message naming the differences.
Result<std::vector<size_t>> MatchColumns(const std::vector<std::string>& expected,
                                         const std::vector<std::string>& actual) {
  std::map<std::string, size_t> actual_index;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (!actual_index.emplace(actual[i], i).second) {
      return InvalidArgument("actual has column '", actual[i], "' twice");
    }
  }
  std::vector<size_t> order;
  std::vector<std::string> missing;
  std::set<std::string> seen;
  for (const auto& name : expected) {
    if (!seen.insert(name).second) return InvalidArgument("expected has column '", name, "' twice");
    auto it = actual_index.find(name);
    if (it == actual_index.end()) {
      missing.push_back(name);
    } else {
      order.push_back(it->second);
    }
  }
  std::vector<std::string> extra;
  for (const auto& name : actual) {
    if (!seen.count(name)) extra.push_back(name);
  }
  if (!missing.empty() || !extra.empty()) {
    return InvalidArgument("columns differ: missing ", JoinNames(missing), ", extra ",
                           JoinNames(extra), "; expected ", JoinNames(expected), ", actual ",
                           JoinNames(actual));
  }
  return order;
}

void AppendSample(std::ostringstream& out, std::string_view what,
                  const std::vector<TextRow>& rows) {
  constexpr size_t kShown = 5;
  if (rows.empty()) return;
  out << "\n  " << what << " (" << std::min(rows.size(), kShown) << " of " << rows.size() << "):";
  for (size_t i = 0; i < rows.size() && i < kShown; ++i) out << "\n    " << FormatRow(rows[i]);
}

// ---- Files ----

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoErrorFromErrno("cannot open", path, errno);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("cannot read '", path, "'");
  return text.str();
}

std::string ExpectedDir(const std::string& table) { return GoldenDir() + "/_expected/" + table; }

bool ParseVersion(const std::string& text, int64_t* version) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *version);
  return ec == std::errc() && end == text.data() + text.size() && *version >= 0;
}

// Checks the fields the accessors read, so that they never meet a JSON type error.
Status CheckManifest(const json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("latest_version") || !j["latest_version"].is_number_integer()) {
    return Corruption("'", path, "' has no integer latest_version");
  }
  if (!j.contains("protocol") || !j["protocol"].is_object()) {
    return Corruption("'", path, "' has no protocol object");
  }
  if (!j.contains("per_version") || !j["per_version"].is_object()) {
    return Corruption("'", path, "' has no per_version object");
  }
  for (const auto& [key, entry] : j["per_version"].items()) {
    int64_t version = 0;
    if (!ParseVersion(key, &version) || !entry.is_object()) {
      return Corruption("'", path, "' has a bad per_version entry '", key, "'");
    }
  }
  if (j.contains("commit_mtimes_ms")) {
    for (const auto& [name, ms] : j["commit_mtimes_ms"].items()) {
      if (!ms.is_number_integer()) return Corruption("'", path, "' has a bad mtime for ", name);
    }
  }
  return Status::Ok();
}

std::vector<std::string> StringArray(const json& object, const char* key) {
  std::vector<std::string> out;
  if (!object.contains(key) || !object[key].is_array()) return out;
  for (const auto& item : object[key]) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<int64_t> OptionalInt(const json* object, const char* key) {
  if (object == nullptr || !object->contains(key) || !(*object)[key].is_number_integer()) {
    return std::nullopt;
  }
  return (*object)[key].get<int64_t>();
}

// Copies the tree `from` to the new folder `to`. Folders are created writable (the golden tables
// are read-only, and copying their permissions would stop us filling them); files are made
// writable by their owner, so tests can modify the copy.
Status CopyTree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path target = to / it->path().lexically_relative(from);
    if (it->is_directory()) {
      fs::create_directory(target, ec);
    } else if (fs::copy_file(it->path(), target, ec)) {
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add,
                      ec);
    }
    if (ec) break;
  }
  if (ec) {
    return IoError("cannot copy '", from.string(), "' to '", to.string(), "': ", ec.message());
  }
  return Status::Ok();
}

Status SetMtime(const std::string& path, int64_t ms) {
  struct timespec times[2];
  times[0].tv_sec = ms / 1000;
  times[0].tv_nsec = (ms % 1000) * 1000000;
  times[1] = times[0];
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) {
    return IoErrorFromErrno("cannot set the modification time of", path, errno);
  }
  return Status::Ok();
}

}  // namespace

Result<RowSet> ParseCsv(std::string_view text, CsvNull null_form, std::string_view source) {
  DLAKE_ASSIGN_OR_RETURN(std::vector<CsvRecord> records, ParseRecords(text, null_form, source));
  RowSet out;
  if (records.empty()) return out;
  for (auto& name : records[0].fields) {
    if (!name) return Corruption(source, ": the header has an empty column name");
    out.columns.push_back(std::move(*name));
  }
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].fields.size() != out.columns.size()) {
      return Corruption(source, ": line ", records[i].line, " has ", records[i].fields.size(),
                        " fields, the header ", out.columns.size());
    }
    out.rows.push_back(std::move(records[i].fields));
  }
  return out;
}

std::string NormalizeValue(std::string_view value) {
  constexpr std::string_view kUtc = "+00";
  if (value.ends_with(kUtc) && IsNaiveTimestamp(value.substr(0, value.size() - kUtc.size()))) {
    value.remove_suffix(kUtc.size());
  }
  return std::string(value);
}

::testing::AssertionResult CompareRowSets(const RowSet& expected, const RowSet& actual) {
  auto order = MatchColumns(expected.columns, actual.columns);
  if (!order.ok()) return ::testing::AssertionFailure() << order.status().message();
  std::vector<size_t> identity(expected.columns.size());
  for (size_t i = 0; i < identity.size(); ++i) identity[i] = i;
  auto want = SortedRows(expected, identity, "expected");
  if (!want.ok()) return ::testing::AssertionFailure() << want.status().message();
  auto got = SortedRows(actual, *order, "actual");
  if (!got.ok()) return ::testing::AssertionFailure() << got.status().message();

  std::vector<TextRow> missing, extra;
  std::set_difference(want->begin(), want->end(), got->begin(), got->end(),
                      std::back_inserter(missing));
  std::set_difference(got->begin(), got->end(), want->begin(), want->end(),
                      std::back_inserter(extra));
  if (missing.empty() && extra.empty()) return ::testing::AssertionSuccess();

  std::ostringstream out;
  out << "row sets differ: expected " << want->size() << " rows, actual " << got->size()
      << " rows; " << missing.size() << " missing, " << extra.size() << " extra"
      << "\n  columns: " << JoinNames(expected.columns);
  AppendSample(out, "missing", missing);
  AppendSample(out, "extra", extra);
  return ::testing::AssertionFailure() << out.str();
}

std::string FormatRow(const TextRow& row) {
  std::string out;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ", ";
    if (!row[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *row[i]) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out;
}

std::string GoldenDir() {
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(SharedPath("delta-golden"), ec);
  return ec ? SharedPath("delta-golden") : path.string();
}

std::string GoldenTablePath(const std::string& table) { return GoldenDir() + "/" + table; }

std::vector<std::string> GoldenTableNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(GoldenDir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.starts_with("_") && !name.starts_with(".")) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<GoldenManifest> GoldenManifest::Load(const std::string& table) {
  const std::string path = ExpectedDir(table) + "/manifest.json";
  if (!fs::exists(path)) return NotFound("no golden table '", table, "': no '", path, "'");
  DLAKE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Corruption("'", path, "' is not valid JSON");
  DLAKE_RETURN_IF_ERROR(CheckManifest(j, path));
  return GoldenManifest(table, std::move(j));
}

int64_t GoldenManifest::latest_version() const { return json_["latest_version"].get<int64_t>(); }

int GoldenManifest::min_reader_version() const {
  return static_cast<int>(OptionalInt(&json_["protocol"], "minReaderVersion").value_or(1));
}

std::vector<std::string> GoldenManifest::reader_features() const {
  return StringArray(json_["protocol"], "readerFeatures");
}

std::vector<std::string> GoldenManifest::writer_features() const {
  return StringArray(json_["protocol"], "writerFeatures");
}

std::vector<std::string> GoldenManifest::partition_columns() const {
  return StringArray(json_, "partitionColumns");
}

std::vector<std::string> GoldenManifest::schema_columns() const {
  std::vector<std::string> names;
  if (!json_.contains("schemaString") || !json_["schemaString"].is_string()) return names;
  const nlohmann::json schema = nlohmann::json::parse(json_["schemaString"].get<std::string>(),
                                                      nullptr, /*allow_exceptions=*/false);
  if (!schema.is_object() || !schema.contains("fields") || !schema["fields"].is_array()) {
    return names;
  }
  for (const auto& field : schema["fields"]) {
    if (field.is_object() && field.contains("name") && field["name"].is_string()) {
      names.push_back(field["name"].get<std::string>());
    }
  }
  return names;
}

std::vector<int64_t> GoldenManifest::versions() const {
  std::vector<int64_t> out;
  for (const auto& [key, entry] : json_["per_version"].items()) {
    int64_t version = 0;
    if (ParseVersion(key, &version)) out.push_back(version);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int64_t> GoldenManifest::readable_versions() const {
  std::vector<int64_t> out;
  for (int64_t version : versions()) {
    if (!VersionEntry(version)->contains("error")) out.push_back(version);
  }
  return out;
}

std::optional<std::string> GoldenManifest::version_error(int64_t version) const {
  const nlohmann::json* entry = VersionEntry(version);
  if (entry == nullptr || !entry->contains("error")) return std::nullopt;
  const nlohmann::json& error = (*entry)["error"];
  return error.is_string() ? error.get<std::string>() : error.dump();
}

std::optional<int64_t> GoldenManifest::row_count(int64_t version) const {
  return OptionalInt(VersionEntry(version), "rows");
}

std::optional<int64_t> GoldenManifest::active_file_count(int64_t version) const {
  return OptionalInt(VersionEntry(version), "active_files");
}

std::map<std::string, int64_t> GoldenManifest::commit_mtimes_ms() const {
  std::map<std::string, int64_t> out;
  if (!json_.contains("commit_mtimes_ms")) return out;
  for (const auto& [name, ms] : json_["commit_mtimes_ms"].items()) out[name] = ms.get<int64_t>();
  return out;
}

const nlohmann::json* GoldenManifest::VersionEntry(int64_t version) const {
  const nlohmann::json& per_version = json_["per_version"];
  auto it = per_version.find(std::to_string(version));
  return it == per_version.end() ? nullptr : &*it;
}

Result<RowSet> LoadExpectedRows(const std::string& table, std::optional<int64_t> version) {
  DLAKE_ASSIGN_OR_RETURN(GoldenManifest manifest, GoldenManifest::Load(table));
  const bool latest = !version || *version == manifest.latest_version();
  const std::string path =
      ExpectedDir(table) +
      (latest ? std::string("/latest.csv") : "/versions/v" + std::to_string(*version) + ".csv");
  if (!fs::exists(path)) {
    const std::string why = version ? manifest.version_error(*version).value_or("") : "";
    return NotFound("golden table '", table, "' has no expected rows for version ",
                    latest ? "latest" : std::to_string(*version), ": no '", path, "'",
                    why.empty() ? "" : " (" + why + ")");
  }
  DLAKE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  DLAKE_ASSIGN_OR_RETURN(RowSet rows, ParseCsv(text, CsvNull::kEmptyUnquoted, path));
  // The generator wrote the CSV of a version without rows with the placeholder header "1"
  // (delta-v2-checkpoint-parquet v0 and v1); such a version's columns are the schema's.
  const std::vector<std::string> schema = manifest.schema_columns();
  const auto in_schema = [&](const std::string& name) {
    return std::find(schema.begin(), schema.end(), name) != schema.end();
  };
  if (rows.rows.empty() && !std::all_of(rows.columns.begin(), rows.columns.end(), in_schema)) {
    rows.columns = schema;
  }
  return rows;
}

Status CopyTableWithMtimes(const std::string& table, const std::string& dest_dir) {
  DLAKE_ASSIGN_OR_RETURN(GoldenManifest manifest, GoldenManifest::Load(table));
  const std::string source = GoldenTablePath(table);
  if (fs::exists(dest_dir)) {
    return AlreadyExists("cannot copy golden table '", table, "' to '", dest_dir, "': it exists");
  }
  DLAKE_RETURN_IF_ERROR(CopyTree(source, dest_dir));
  for (const auto& [name, ms] : manifest.commit_mtimes_ms()) {
    const std::string path = dest_dir + "/_delta_log/" + name;
    if (!fs::exists(path)) {
      return NotFound("golden table '", table, "': commit_mtimes_ms lists '", name,
                      "', which the copy '", dest_dir, "' lacks");
    }
    DLAKE_RETURN_IF_ERROR(SetMtime(path, ms));
  }
  return Status::Ok();
}

}  // namespace dlake::testing
