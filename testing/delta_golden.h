#pragma once
// Test support for the Delta conformance tables in ../shared/delta-golden (see its README.md):
// table names, each table's `_expected/<table>/manifest.json`, the expected rows of each
// readable version, a copy of a table with the commit modification times set (for time travel
// by timestamp), and a row-set comparison with a readable diff.
//
// The tables are read in place from the shared folder; never copy them into the repository.
// Everything here is thread-compatible; errors are Status values naming the table and file.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::testing {

// ---- Row sets ----

// One row's values as text; std::nullopt is SQL NULL.
using TextRow = std::vector<std::optional<std::string>>;

// Rows with their column names: an expected CSV, or what a reader returned.
struct RowSet {
  std::vector<std::string> columns;
  std::vector<TextRow> rows;
};

// How a CSV spells NULL.
enum class CsvNull {
  kEmptyUnquoted,  // the golden CSVs: an empty unquoted field is NULL, `""` is the empty string
  kBackslashN,     // ClickHouse/chDB: an unquoted `\N` is NULL
};

// Parses CSV text (RFC 4180: `"` quotes, `""` inside quotes, quoted commas and newlines, `\n` or
// `\r\n` line ends) whose first record is the header. Every record must have as many fields as
// the header; an empty line is a record with one empty field. Empty text is an empty RowSet.
// Errors: Corruption naming `source` and the 1-based line.
Result<RowSet> ParseCsv(std::string_view text, CsvNull null_form, std::string_view source);

// ---- Comparison ----

// The one normalisation CompareRowSets applies to every value on both sides: a top-level
// timestamp rendered with a UTC offset, `YYYY-MM-DD HH:MM:SS[.f]+00`, loses its `+00`. The
// golden CSVs render Delta `timestamp` columns as TIMESTAMPTZ (`2021-09-08 11:11:11+00`) or, when
// the data file stores them without the UTC flag, as naive TIMESTAMP (`2000-01-01 08:00:00`);
// both are the same UTC instant, and a reader running CAST(col AS VARCHAR) under TimeZone='UTC'
// renders either form. Nothing else is relaxed: numbers, nested values and strings must match
// byte for byte.
std::string NormalizeValue(std::string_view value);

// Compares `expected` and `actual` as multisets of rows, matching columns by header name (their
// order may differ), after NormalizeValue. On a mismatch the message lists missing or extra
// columns, or the row counts and the first few missing and extra rows.
::testing::AssertionResult CompareRowSets(const RowSet& expected, const RowSet& actual);

// `row` as one CSV-like line for messages: NULL unquoted, text values quoted.
std::string FormatRow(const TextRow& row);

// ---- Golden tables ----

// Absolute path of ../shared/delta-golden.
std::string GoldenDir();
// Absolute path of a golden table's folder (the one a Delta reader opens).
std::string GoldenTablePath(const std::string& table);
// The golden tables' names, sorted (every folder except `_expected`).
std::vector<std::string> GoldenTableNames();

// `_expected/<table>/manifest.json`: what the table holds at each version.
class GoldenManifest {
 public:
  // Errors: NotFound for an unknown table, Corruption for a manifest that is not valid JSON or
  // lacks latest_version, protocol or per_version.
  static Result<GoldenManifest> Load(const std::string& table);

  const std::string& table() const { return table_; }
  int64_t latest_version() const;
  int min_reader_version() const;
  // protocol.readerFeatures / writerFeatures; empty when absent or null.
  std::vector<std::string> reader_features() const;
  std::vector<std::string> writer_features() const;
  std::vector<std::string> partition_columns() const;
  // The top-level column names of schemaString (the latest version's schema), in order.
  std::vector<std::string> schema_columns() const;
  // Every version of per_version, ascending, including those the manifest marks unreadable.
  std::vector<int64_t> versions() const;
  // The versions a reader can reconstruct (per_version entries without an "error"), ascending.
  std::vector<int64_t> readable_versions() const;
  // per_version[v].error, e.g. "missing commits [0]"; nullopt when v is readable or unknown.
  std::optional<std::string> version_error(int64_t version) const;
  // per_version[v].rows and .active_files; nullopt when unknown or null (e.g. a log-only table).
  std::optional<int64_t> row_count(int64_t version) const;
  std::optional<int64_t> active_file_count(int64_t version) const;
  // File name relative to `_delta_log/` (e.g. "00000000000000000001.json",
  // "00000000000000000010.checkpoint.parquet", ".tmp/00000000000000000005.json") -> the
  // modification time in ms since the epoch that file must have for timestamp time travel.
  std::map<std::string, int64_t> commit_mtimes_ms() const;
  // The whole manifest, for fields without an accessor.
  const nlohmann::json& json() const { return json_; }

 private:
  GoldenManifest(std::string table, nlohmann::json json)
      : table_(std::move(table)), json_(std::move(json)) {}
  const nlohmann::json* VersionEntry(int64_t version) const;

  std::string table_;
  nlohmann::json json_;
};

// Every row of `table` at `version` (nullopt: the latest) as the golden CSV has it:
// `_expected/<table>/latest.csv` for the latest version, `versions/v<N>.csv` for earlier ones.
// One repair: a CSV without rows whose header does not name schema columns (the placeholder
// header "1" of delta-v2-checkpoint-parquet v0 and v1) gets schema_columns() as its columns.
// Errors: NotFound when the table has no expected rows for that version (an unreadable version,
// a log-only table), Corruption for a malformed CSV.
Result<RowSet> LoadExpectedRows(const std::string& table,
                                std::optional<int64_t> version = std::nullopt);

// Copies the golden `table` to `dest_dir` (created; must not exist yet), makes the copy writable
// by its owner, and sets the modification time of each `_delta_log` file listed in the
// manifest's commit_mtimes_ms, so that time travel by timestamp resolves as the table's writer
// saw it. Errors: AlreadyExists, IoError, NotFound for a listed file missing from the copy.
Status CopyTableWithMtimes(const std::string& table, const std::string& dest_dir);

}  // namespace dlake::testing
