#pragma once
// Partition values (PROTOCOL.md "Partition Value Serialization"): the log stores every value as a
// string (or null); these helpers turn them into typed DuckDB literals and back, and build the
// conventional Hive folder names for files we write.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "delta/schema.h"
#include "dlake/common/status.h"

namespace dlake::delta {

// A date or timestamp in the text forms Delta writers and DuckDB use: "YYYY-MM-DD", optionally
// followed by 'T' or ' ' and "HH:MM[:SS[.fraction]]", optionally followed by "Z" or an offset
// "+HH", "+HH:MM", "+HHMM" or "+HH:MM:SS" (or '-').
struct TimestampText {
  int64_t micros = 0;       // since 1970-01-01T00:00:00Z with the offset applied; without an
                            // offset, the wall-clock time read as if it were UTC
  bool has_time = false;    // more than a date was given
  bool has_offset = false;  // "Z" or an offset was given
  bool exact = true;        // false when digits below the microsecond were dropped
};

// nullopt when `text` is not in one of the forms above or names an impossible date or time.
std::optional<TimestampText> ParseTimestampText(std::string_view text);

// "YYYY-MM-DD<separator>HH:MM:SS" for `micros` since the epoch, with `fraction_digits` (0, 3 or
// 6) digits of the second, truncated; a negative value writes six digits only when the fraction is
// not zero. No zone suffix.
std::string FormatTimestampText(int64_t micros, char separator, int fraction_digits);

// True when a stored partition value means NULL (JSON null or "").
bool IsNullPartitionValue(const std::optional<std::string>& value);

// The value as a DuckDB literal of the column's type, e.g. CAST('2021-09-08' AS DATE),
// CAST('2021-09-08 11:11:11.000000+00' AS TIMESTAMPTZ), CAST('1' AS INTEGER), true,
// encode('bytes') for binary, CAST(NULL AS INTEGER) for NULL or "". Timestamps without a zone
// are taken as UTC, ISO-8601 ones with an offset are moved to UTC; float NaN/Infinity/-Infinity
// (also inf, any case) are accepted. InvalidArgument naming the column when the text is not of
// the type's form: integers in the type's range, numbers, true/false, valid dates and times (no
// offset on timestamp_ntz). Decimals are only checked to be numbers: DuckDB's CAST rounds
// excess digits and fails on too many integer digits when the query runs.
Result<std::string> PartitionValueSql(const std::optional<std::string>& value, const DataType& type,
                                      std::string_view column);

// Canonical stored text for a value DuckDB rendered with CAST(x AS VARCHAR) (any TimeZone: the
// rendered offset is applied): booleans true/false, timestamps ISO-8601 UTC
// ("2021-09-08T11:11:11.000000Z"), timestamp_ntz "2021-09-08 11:11:11[.ffffff]", float/double
// infinities and NaN as Java spells them (Infinity, -Infinity, NaN), others as is. nullopt for
// NULL. An empty string stays "", which the log reads as NULL.
std::optional<std::string> PartitionValueText(const std::optional<std::string>& duck_text,
                                              const DataType& type);

// "col=value" for the folder of a partition, column and value escaped as Spark's
// ExternalCatalogUtils.escapePathName does (%XX, upper-case hex, for bytes 0x00-0x1F, 0x7F and
// " # % ' * / : = ? \ { [ ] ^); NULL and "" are __HIVE_DEFAULT_PARTITION__.
std::string PartitionFolder(std::string_view column, const std::optional<std::string>& value);

}  // namespace dlake::delta
