// MayContainMatches (delta/stats.h): judging from a file's partition values and stats whether
// it may hold rows matching the skipping predicates.

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <variant>

#include "delta/partition_values.h"
#include "delta/stats.h"
#include "delta/stats_internal.h"

namespace dlake::delta {
namespace stats_internal {

using nlohmann::json;

ColumnKind KindOf(const DataType& type) {
  switch (type.kind) {
    case DataType::Kind::kDecimal:
      return ColumnKind::kDecimal;
    case DataType::Kind::kStruct:
      return ColumnKind::kStruct;
    case DataType::Kind::kArray:
    case DataType::Kind::kMap:
      return ColumnKind::kCollection;
    case DataType::Kind::kPrimitive:
      break;
  }
  const std::string& p = type.primitive;
  if (p == "long" || p == "integer" || p == "short" || p == "byte") return ColumnKind::kInteger;
  if (p == "float") return ColumnKind::kFloat;
  if (p == "double") return ColumnKind::kDouble;
  if (p == "boolean") return ColumnKind::kBoolean;
  if (p == "string") return ColumnKind::kString;
  if (p == "binary") return ColumnKind::kBinary;
  if (p == "date") return ColumnKind::kDate;
  if (p == "timestamp") return ColumnKind::kTimestamp;
  if (p == "timestamp_ntz") return ColumnKind::kTimestampNtz;
  return ColumnKind::kUnknown;
}

// The value at `path` in a stats object, matching names exactly or else ignoring case.
const json* Lookup(const json& root, std::string_view section,
                   const std::vector<std::string>& path) {
  auto child = [](const json& object, std::string_view name) -> const json* {
    if (!object.is_object()) return nullptr;
    auto it = object.find(std::string(name));
    if (it != object.end()) return &*it;
    for (auto i = object.begin(); i != object.end(); ++i) {
      if (EqualsIgnoreCase(i.key(), name)) return &*i;
    }
    return nullptr;
  };
  const json* node = child(root, section);
  for (const std::string& name : path) {
    if (!node) return nullptr;
    node = child(*node, name);
  }
  return node;
}

std::optional<int64_t> LookupCount(const json& root, std::string_view section,
                                   const std::vector<std::string>& path) {
  const json* node = Lookup(root, section, path);
  if (!node || !node->is_number_integer()) return std::nullopt;
  return node->get<int64_t>();
}

std::optional<json> ParseStats(const std::optional<std::string>& stats) {
  if (!stats) return std::nullopt;
  json parsed = json::parse(*stats, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

}  // namespace stats_internal

namespace {

using Op = ColumnPredicate::Op;
using LiteralKind = ColumnPredicate::LiteralKind;
using nlohmann::json;
using stats_internal::CodePoints;
using stats_internal::ColumnKind;
using stats_internal::EqualsIgnoreCase;
using stats_internal::KindOf;
using stats_internal::kMicrosPerMilli;
using stats_internal::kStringPrefixLength;
using stats_internal::Lookup;
using stats_internal::LookupCount;
using stats_internal::ParseStats;

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;

// Numbers, booleans (0/1), dates and timestamps (microseconds) compare as Numbers.
struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
};
using Scalar = std::variant<Number, std::string>;

Scalar Int(int64_t v) { return Number{true, v, static_cast<double>(v)}; }
Scalar Real(double v) { return Number{false, 0, v}; }

// -1, 0 or 1 when certain. Two doubles that are equal may stand for different exact values (a
// decimal, a literal), so equal non-integers are not certain; rounding to double keeps order, so
// unequal ones are.
std::optional<int> Compare(const Scalar& a, const Scalar& b) {
  if (a.index() != b.index()) return std::nullopt;
  if (const auto* x = std::get_if<Number>(&a)) {
    const Number& y = std::get<Number>(b);
    if (x->is_int && y.is_int) return x->i < y.i ? -1 : x->i > y.i ? 1 : 0;
    if (x->d < y.d) return -1;
    if (x->d > y.d) return 1;
    return std::nullopt;
  }
  const int c = std::get<std::string>(a).compare(std::get<std::string>(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// "-12", "3.5", "1e3": an exact integer when it is one, else the nearest double.
std::optional<Scalar> ParseNumber(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return Int(v);
  std::string copy(text);
  char* stop = nullptr;
  const double d = std::strtod(copy.c_str(), &stop);
  if (stop != copy.c_str() + copy.size() || std::isnan(d)) return std::nullopt;
  // strtod also reads hex and "inf"; only plain decimal forms and infinities are numbers here.
  if (copy.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  return Real(d);
}

// Bounds for the float DuckDB makes of a number read as the double `d`: the float nearest to d
// and its neighbours, which covers a rounding that went through another path.
double FloatBelow(double d) {
  if (!(std::fabs(d) <= std::numeric_limits<float>::max()))
    return d > 0 ? static_cast<double>(FLT_MAX) : -std::numeric_limits<double>::infinity();
  return std::min(d, static_cast<double>(std::nextafter(static_cast<float>(d), -INFINITY)));
}
double FloatAbove(double d) {
  if (!(std::fabs(d) <= std::numeric_limits<float>::max()))
    return d < 0 ? -static_cast<double>(FLT_MAX) : std::numeric_limits<double>::infinity();
  return std::max(d, static_cast<double>(std::nextafter(static_cast<float>(d), INFINITY)));
}

// What a file's values of one column lie within. Bounds are absent when unknown.
struct ValueRange {
  std::optional<Scalar> min, max;
  bool max_is_prefix = false;  // strings: values may extend `max` (it may be truncated)
};

// The values a literal may stand for once DuckDB has cast it for the comparison.
struct LiteralRange {
  Scalar lo, hi;
};

ValueRange Exact(Scalar v) { return {v, v, false}; }

ValueRange Widened(const Scalar& v, int64_t by) {
  const Number& n = std::get<Number>(v);
  return {Int(n.i - by), Int(n.i + by), false};
}

// A partition value's range: exact, but for floats (the column holds float(text)).
std::optional<ValueRange> PartitionRange(const std::string& text, ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kDouble: {
      std::optional<Scalar> n = ParseNumber(text);
      if (!n) return std::nullopt;
      return Exact(*n);
    }
    case ColumnKind::kFloat: {
      std::optional<Scalar> n = ParseNumber(text);
      if (!n) return std::nullopt;
      const double d = std::get<Number>(*n).d;
      return ValueRange{Real(FloatBelow(d)), Real(FloatAbove(d)), false};
    }
    case ColumnKind::kBoolean:
      if (EqualsIgnoreCase(text, "true")) return Exact(Int(1));
      if (EqualsIgnoreCase(text, "false")) return Exact(Int(0));
      return std::nullopt;
    case ColumnKind::kString:
      return Exact(text);
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      std::optional<TimestampText> ts = ParseTimestampText(text);
      if (!ts) return std::nullopt;
      if (kind == ColumnKind::kDate && (ts->has_time || ts->has_offset)) return std::nullopt;
      if (kind == ColumnKind::kTimestampNtz && ts->has_offset) return std::nullopt;
      // A timestamp without an offset is UTC, as PartitionValueSql reads it.
      return ts->exact ? Exact(Int(ts->micros)) : Widened(Int(ts->micros), 1);
    }
    default:
      return std::nullopt;
  }
}

// One stats bound, moved outward by what writers lose: float rounding, milliseconds, zones.
std::optional<Scalar> StatBound(const json& value, ColumnKind kind, bool upper) {
  switch (kind) {
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kDouble:
    case ColumnKind::kFloat: {
      std::optional<Scalar> n;
      if (value.is_number_unsigned() &&
          value.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        n = Int(static_cast<int64_t>(value.get<uint64_t>()));
      } else if (value.is_number_integer() && !value.is_number_unsigned()) {
        n = Int(value.get<int64_t>());
      } else if (value.is_number()) {
        n = Real(value.get<double>());
      } else if (value.is_string()) {
        n = ParseNumber(value.get<std::string>());
      }
      if (!n || kind != ColumnKind::kFloat) return n;
      const double d = std::get<Number>(*n).d;
      return Real(upper ? FloatAbove(d) : FloatBelow(d));
    }
    case ColumnKind::kBoolean:
      if (!value.is_boolean()) return std::nullopt;
      return Int(value.get<bool>() ? 1 : 0);
    case ColumnKind::kString:
      if (!value.is_string()) return std::nullopt;
      return value.get<std::string>();
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      if (!value.is_string()) return std::nullopt;
      std::optional<TimestampText> ts = ParseTimestampText(value.get<std::string>());
      if (!ts) return std::nullopt;
      int64_t slack = 0;
      if (kind == ColumnKind::kDate) {
        if (ts->has_time || ts->has_offset) return std::nullopt;
      } else {
        // Timestamps are cut to milliseconds; a zone-less TIMESTAMPTZ bound or an offset on a
        // TIMESTAMP bound leaves the instant open by up to a day.
        const bool zone_unclear = (kind == ColumnKind::kTimestamp) != ts->has_offset;
        slack = zone_unclear ? kMicrosPerDay : kMicrosPerMilli;
      }
      return Int(upper ? ts->micros + slack : ts->micros - slack);
    }
    default:
      return std::nullopt;
  }
}

ValueRange StatsRange(const json& stats, const std::vector<std::string>& path, ColumnKind kind) {
  ValueRange range;
  if (const json* v = Lookup(stats, "minValues", path)) range.min = StatBound(*v, kind, false);
  if (const json* v = Lookup(stats, "maxValues", path)) range.max = StatBound(*v, kind, true);
  if (kind == ColumnKind::kString && range.max) {
    range.max_is_prefix = CodePoints(std::get<std::string>(*range.max)) >= kStringPrefixLength;
  }
  return range;
}

LiteralRange Around(int64_t micros, int64_t by) { return {Int(micros - by), Int(micros + by)}; }

// A date/timestamp literal against a date/timestamp column. The comparison happens in whatever
// type DuckDB casts to; where that involves the session time zone, allow a day either way.
std::optional<LiteralRange> TemporalLiteral(const ColumnPredicate& p, ColumnKind kind) {
  std::optional<TimestampText> ts = ParseTimestampText(*p.literal);
  if (!ts) return std::nullopt;
  const int64_t fuzz = ts->exact ? 0 : 1;
  switch (p.literal_kind) {
    case LiteralKind::kDate:
      if (ts->has_time || ts->has_offset) return std::nullopt;
      return Around(ts->micros, kind == ColumnKind::kTimestamp ? kMicrosPerDay : 0);
    case LiteralKind::kString:
      if (kind == ColumnKind::kDate) {  // cast to DATE: the time of day is dropped
        if (ts->has_offset) return std::nullopt;
        return Around(ts->micros - ((ts->micros % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay,
                      0);
      }
      if (kind == ColumnKind::kTimestamp) {
        return Around(ts->micros, ts->has_offset ? fuzz : kMicrosPerDay);
      }
      return Around(ts->micros, ts->has_offset ? kMicrosPerDay : fuzz);
    case LiteralKind::kTimestamp:
      if (kind == ColumnKind::kTimestamp || ts->has_offset)
        return Around(ts->micros, kMicrosPerDay);
      return Around(ts->micros, fuzz);
    case LiteralKind::kTimestampTz:
      if (kind == ColumnKind::kTimestamp && ts->has_offset) return Around(ts->micros, fuzz);
      return Around(ts->micros, kMicrosPerDay);
    default:
      return std::nullopt;
  }
}

// Digits after the point, or a large number when the text has an exponent.
int FractionDigits(std::string_view text) {
  if (text.find_first_of("eE") != std::string_view::npos) return 1000;
  const size_t dot = text.find('.');
  return dot == std::string_view::npos ? 0 : static_cast<int>(text.size() - dot - 1);
}

std::optional<LiteralRange> NumericLiteral(const ColumnPredicate& p, ColumnKind kind,
                                           const DataType& type) {
  if (p.literal_kind != LiteralKind::kNumber && p.literal_kind != LiteralKind::kString) {
    return std::nullopt;
  }
  std::string_view text = *p.literal;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::optional<Scalar> n = ParseNumber(text);
  if (!n) return std::nullopt;
  const double d = std::get<Number>(*n).d;
  if (kind == ColumnKind::kFloat) {  // DuckDB compares in FLOAT or in DOUBLE
    return LiteralRange{Real(FloatBelow(d)), Real(FloatAbove(d))};
  }
  if (kind == ColumnKind::kDouble) {
    return LiteralRange{Real(std::nextafter(d, -INFINITY)), Real(std::nextafter(d, INFINITY))};
  }
  // A 'string' is cast to the column's type, rounding to its scale; a number compares exactly.
  const int scale = kind == ColumnKind::kDecimal ? type.scale : 0;
  if (p.literal_kind == LiteralKind::kString && FractionDigits(text) > scale) {
    const double step = std::pow(10.0, -scale);
    return LiteralRange{Real(std::nextafter(d - step, -INFINITY)),
                        Real(std::nextafter(d + step, INFINITY))};
  }
  return LiteralRange{*n, *n};
}

std::optional<LiteralRange> LiteralFor(const ColumnPredicate& p, ColumnKind kind,
                                       const DataType& type) {
  if (!p.literal) return std::nullopt;
  switch (kind) {
    case ColumnKind::kString:
      if (p.literal_kind != LiteralKind::kString) return std::nullopt;
      return LiteralRange{*p.literal, *p.literal};
    case ColumnKind::kInteger:
    case ColumnKind::kDecimal:
    case ColumnKind::kFloat:
    case ColumnKind::kDouble:
      return NumericLiteral(p, kind, type);
    case ColumnKind::kBoolean:
      if (p.literal_kind != LiteralKind::kBoolean && p.literal_kind != LiteralKind::kString) {
        return std::nullopt;
      }
      if (EqualsIgnoreCase(*p.literal, "true")) return LiteralRange{Int(1), Int(1)};
      if (EqualsIgnoreCase(*p.literal, "false")) return LiteralRange{Int(0), Int(0)};
      return std::nullopt;
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz:
      return TemporalLiteral(p, kind);
    default:
      return std::nullopt;
  }
}

bool Certain(const std::optional<int>& c, bool (*test)(int)) { return c && test(*c); }

// Every value is below x (or, with or_equal, at most x).
bool AllBelow(const ValueRange& r, const Scalar& x, bool or_equal) {
  if (!r.max) return false;
  if (r.max_is_prefix) {
    // Values may be `max` followed by anything: all of them are below x only when x sorts after
    // max without starting with it.
    const auto* max = std::get_if<std::string>(&*r.max);
    const auto* s = std::get_if<std::string>(&x);
    return max && s && *s > *max && s->compare(0, max->size(), *max) != 0;
  }
  return Certain(
      Compare(*r.max, x), or_equal ? +[](int c) { return c <= 0; } : +[](int c) { return c < 0; });
}

// Every value is above x (or, with or_equal, at least x).
bool AllAbove(const ValueRange& r, const Scalar& x, bool or_equal) {
  if (!r.min) return false;
  return Certain(
      Compare(x, *r.min), or_equal ? +[](int c) { return c <= 0; } : +[](int c) { return c < 0; });
}

bool CannotMatch(Op op, const ValueRange& r, const LiteralRange& lit) {
  auto equal = [](const Scalar& a, const Scalar& b) { return Compare(a, b) == 0; };
  switch (op) {
    case Op::kEq:
      return AllBelow(r, lit.lo, false) || AllAbove(r, lit.hi, false);
    case Op::kLt:
      return AllAbove(r, lit.hi, true);
    case Op::kLe:
      return AllAbove(r, lit.hi, false);
    case Op::kGt:
      return AllBelow(r, lit.lo, true);
    case Op::kGe:
      return AllBelow(r, lit.lo, false);
    case Op::kNe:
      return !r.max_is_prefix && r.min && r.max && equal(*r.min, *r.max) && equal(*r.min, lit.lo) &&
             equal(lit.lo, lit.hi);
    default:
      return false;
  }
}

struct ResolvedColumn {
  const DataType* type = nullptr;
  std::vector<std::string> path;  // names as the schema spells them
};

std::optional<ResolvedColumn> Resolve(const Schema& schema, std::string_view column) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = column.find('.', start);
    parts.emplace_back(column.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  const StructField* field = schema.Find(parts[0]);
  if (!field || !field->type) return std::nullopt;
  ResolvedColumn out{field->type.get(), {field->name}};
  for (size_t i = 1; i < parts.size(); ++i) {
    if (out.type->kind != DataType::Kind::kStruct) return std::nullopt;
    const StructField* next = nullptr;
    for (const StructField& f : out.type->fields) {
      if (EqualsIgnoreCase(f.name, parts[i])) next = &f;
    }
    if (!next || !next->type) return std::nullopt;
    out.type = next->type.get();
    out.path.push_back(next->name);
  }
  return out;
}

const std::optional<std::string>* FindPartitionValue(const PartitionValues& values,
                                                     const std::string& name) {
  auto it = values.find(name);
  if (it != values.end()) return &it->second;
  for (const auto& [key, value] : values) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

struct FileFacts {
  const AddFile& file;
  const Schema& schema;
  const std::vector<std::string>& partition_columns;
  std::optional<json> stats;  // a parsed stats object
  std::optional<int64_t> num_records;
};

bool PartitionPredicateMayMatch(const std::optional<std::string>& value, ColumnKind kind,
                                const DataType& type, const ColumnPredicate& p) {
  const bool is_null = IsNullPartitionValue(value);
  if (p.op == Op::kIsNull) return is_null;
  if (p.op == Op::kIsNotNull) return !is_null;
  if (is_null) return false;  // NULL satisfies no comparison
  std::optional<ValueRange> range = PartitionRange(*value, kind);
  std::optional<LiteralRange> lit = LiteralFor(p, kind, type);
  return !range || !lit || !CannotMatch(p.op, *range, *lit);
}

bool DataPredicateMayMatch(const FileFacts& f, const ResolvedColumn& col, ColumnKind kind,
                           const ColumnPredicate& p) {
  if (!f.stats) return true;
  const std::optional<int64_t> nulls = LookupCount(*f.stats, "nullCount", col.path);
  const bool all_null = nulls && f.num_records && *nulls == *f.num_records;
  if (p.op == Op::kIsNull) return !(nulls && *nulls == 0);
  if (p.op == Op::kIsNotNull) return !all_null;
  if (all_null) return false;
  std::optional<LiteralRange> lit = LiteralFor(p, kind, *col.type);
  return !lit || !CannotMatch(p.op, StatsRange(*f.stats, col.path, kind), *lit);
}

bool PredicateMayMatch(const FileFacts& f, const ColumnPredicate& p) {
  std::optional<ResolvedColumn> col = Resolve(f.schema, p.column);
  if (!col) return true;
  const ColumnKind kind = KindOf(*col->type);
  const bool is_partition =
      col->path.size() == 1 &&
      std::any_of(f.partition_columns.begin(), f.partition_columns.end(),
                  [&](const std::string& c) { return EqualsIgnoreCase(c, col->path[0]); });
  if (!is_partition) return DataPredicateMayMatch(f, *col, kind, p);
  const std::optional<std::string>* value =
      FindPartitionValue(f.file.partition_values, col->path[0]);
  return !value || PartitionPredicateMayMatch(*value, kind, *col->type, p);
}

}  // namespace

bool MayContainMatches(const AddFile& file, const Schema& schema,
                       const std::vector<std::string>& partition_columns,
                       const std::vector<ColumnPredicate>& predicates) {
  if (predicates.empty()) return true;
  FileFacts facts{file, schema, partition_columns, ParseStats(file.stats), std::nullopt};
  if (facts.stats) facts.num_records = LookupCount(*facts.stats, "numRecords", {});
  if (facts.num_records && *facts.num_records == 0) return false;
  for (const ColumnPredicate& p : predicates) {
    if (!PredicateMayMatch(facts, p)) return false;
  }
  return true;
}

}  // namespace dlake::delta
