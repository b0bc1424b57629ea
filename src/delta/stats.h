#pragma once
// Per-file statistics (PROTOCOL.md "Per-file Statistics"): computing them for files we write and
// using them, with partition values, to skip files that cannot hold rows a scan asks for.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delta/actions.h"
#include "delta/schema.h"
#include "dlake/common/status.h"
#include "duck/duck.h"

namespace dlake::delta {

// One conjunct of a scan predicate that file skipping understands: `column op literal`.
struct ColumnPredicate {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIsNull, kIsNotNull };
  // How the literal was written, which decides how DuckDB compares it with the column: a bare
  // number, a 'string' (cast to the column's type), true/false, or DATE/TIMESTAMP/TIMESTAMPTZ
  // 'text' (also CAST('text' AS T) and 'text'::T).
  enum class LiteralKind { kNumber, kString, kBoolean, kDate, kTimestamp, kTimestampTz };
  std::string column;  // top-level column name, or a.b for a struct field (as written: matched
                       // to the schema ignoring case)
  Op op = Op::kEq;
  std::optional<std::string> literal;  // the literal's text (quotes removed, '' undone, a
                                       // leading '-' kept); nullopt for IS [NOT] NULL
  LiteralKind literal_kind = LiteralKind::kString;
};

// The conjuncts of `where` that file skipping understands: `column op literal`,
// `literal op column` (op is = == != <> < <= > >=), `column IS [NOT] NULL` and
// `column BETWEEN a AND b` (as >= a and <= b), where a column is an identifier, plain or
// "quoted", or a dotted path of them, and a literal is a number, a 'string', true/false,
// DATE/TIMESTAMP/TIMESTAMPTZ 'text', CAST('text' AS T) or 'text'::T for those types and VARCHAR.
// Parentheses around a conjunction are looked through. Any other conjunct (OR inside
// parentheses, NOT, IN, LIKE, functions, arithmetic, column-to-column comparisons, quoted names
// holding '.') is dropped, and a `where` whose top level is an OR gives nothing. Returning only
// the understood conjuncts is safe because they are AND-ed: skipping on them never drops a
// matching row, and the full predicate is always applied to the rows afterwards.
std::vector<ColumnPredicate> ParseSkippingPredicates(std::string_view where);

// False only when `file` certainly holds no row matching every predicate, judged from its
// partition values (typed by `schema`; NULL never satisfies a comparison) and, for data columns,
// its stats (numRecords, minValues, maxValues, nullCount; tightBounds:false bounds are used as
// they are, being still bounds). Missing or unparsable stats, unknown columns and literals that
// do not fit the column's type mean "may match". Conservative where writers are lossy: string
// maxima of 32 or more characters are taken as possibly truncated prefixes, timestamp bounds as
// truncated to milliseconds, float bounds and literals within a float's rounding, and a
// timestamp literal whose meaning depends on the session time zone (no offset against a
// TIMESTAMPTZ column, or an offset against a TIMESTAMP one) within a day either way. A file with
// numRecords 0 matches no predicate.
bool MayContainMatches(const AddFile& file, const Schema& schema,
                       const std::vector<std::string>& partition_columns,
                       const std::vector<ColumnPredicate>& predicates);

// Delta stats JSON for a Parquet data file we wrote: numRecords, and minValues/maxValues/nullCount
// mirroring `data_schema` (the non-partition columns) for its first `num_indexed_cols` leaf
// columns (a struct's fields count one by one, an array or map as one; negative means all).
// Read from the Parquet footer (parquet_metadata: no data scan); columns whose footer lacks exact
// bounds or counts (float columns holding NaN, long multi-byte strings, arrays and maps) get one
// aggregate query over the file. Numbers and decimals are JSON numbers (floats widened to the
// double of the same value); dates "YYYY-MM-DD"; timestamps ISO-8601 UTC with milliseconds, the
// max rounded up ("2021-09-08T11:11:11.000Z"; timestamp_ntz without the Z); strings cut to 32
// code points, a cut max having its last code point incremented so it stays > the real max.
// Bounds that JSON cannot hold (NaN, infinities) are left out. Binary, array and map columns get
// nullCount only; a column missing from the file counts as all NULL. Errors: DuckDB's, prefixed
// with the path.
Result<std::string> ComputeFileStats(duck::Connection& conn, const std::string& parquet_path,
                                     const Schema& data_schema, int num_indexed_cols = 32);

// numRecords from a stats string, or nullopt when absent or unparsable.
std::optional<int64_t> NumRecords(const std::optional<std::string>& stats);

}  // namespace dlake::delta
