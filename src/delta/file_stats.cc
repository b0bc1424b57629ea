// ComputeFileStats and NumRecords (delta/stats.h): writing the Delta stats JSON of a Parquet
// data file from its footer (and, where the footer falls short, one aggregate query).

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "delta/partition_values.h"
#include "delta/stats.h"
#include "delta/stats_internal.h"

namespace dlake::delta {
namespace {

using nlohmann::json;
using stats_internal::CodePoints;
using stats_internal::ColumnKind;
using stats_internal::KindOf;
using stats_internal::kMicrosPerMilli;
using stats_internal::kStringPrefixLength;
using stats_internal::LookupCount;
using stats_internal::ParseStats;

// One bound as DuckDB renders it, parsed for comparing and writing.
struct Bound {
  int64_t i = 0;  // integers, booleans, dates and timestamps (micros)
  double d = 0;   // float, double
  std::string s;  // strings; decimals (plain decimal text)
};

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// -?digits(.digits)?, DuckDB's rendering of a DECIMAL and a valid JSON number.
bool IsPlainDecimal(std::string_view s) {
  size_t i = s.size() > 0 && s[0] == '-' ? 1 : 0;
  const size_t int_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  const size_t int_digits = i - int_start;
  if (int_digits == 0 || (int_digits > 1 && s[int_start] == '0')) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t frac_start = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == frac_start) return false;
  }
  return i == s.size();
}

// Exact order of two plain decimals.
int CompareDecimal(std::string_view a, std::string_view b) {
  const bool neg_a = !a.empty() && a[0] == '-', neg_b = !b.empty() && b[0] == '-';
  if (neg_a) a.remove_prefix(1);
  if (neg_b) b.remove_prefix(1);
  auto split = [](std::string_view s) {
    const size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
    while (whole.size() > 1 && whole[0] == '0') whole.remove_prefix(1);
    while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);
    return std::pair(whole, frac);
  };
  auto [wa, fa] = split(a);
  auto [wb, fb] = split(b);
  const bool zero_a = wa == "0" && fa.empty(), zero_b = wb == "0" && fb.empty();
  const int sign_a = zero_a ? 0 : neg_a ? -1 : 1, sign_b = zero_b ? 0 : neg_b ? -1 : 1;
  if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
  int magnitude = wa.size() != wb.size() ? (wa.size() < wb.size() ? -1 : 1)
                  : wa != wb             ? (wa < wb ? -1 : 1)
                  : fa != fb             ? (fa < fb ? -1 : 1)
                                         : 0;
  return sign_a < 0 ? -magnitude : magnitude;
}

std::optional<Bound> ParseDuckValue(ColumnKind kind, const std::string& text) {
  Bound b;
  switch (kind) {
    case ColumnKind::kInteger: {
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), b.i);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return b;
    }
    case ColumnKind::kFloat:
    case ColumnKind::kDouble: {
      if (text.empty()) return std::nullopt;
      char* end = nullptr;
      // A float renders as the shortest text that reads back as that float; read it as one.
      b.d = kind == ColumnKind::kFloat ? std::strtof(text.c_str(), &end)
                                       : std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return std::nullopt;
      return b;
    }
    case ColumnKind::kDecimal:
      if (!IsPlainDecimal(text)) return std::nullopt;
      b.s = text;
      return b;
    case ColumnKind::kBoolean:
      if (text != "true" && text != "false") return std::nullopt;
      b.i = text == "true";
      return b;
    case ColumnKind::kString:
      if (!IsValidUtf8(text)) return std::nullopt;
      b.s = text;
      return b;
    case ColumnKind::kDate:
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      std::optional<TimestampText> ts = ParseTimestampText(text);
      if (!ts || !ts->exact) return std::nullopt;
      if (kind == ColumnKind::kDate && ts->has_time) return std::nullopt;
      // DuckDB renders TIMESTAMPTZ with the session's offset, TIMESTAMP without one.
      if ((kind == ColumnKind::kTimestamp) != ts->has_offset && kind != ColumnKind::kDate) {
        return std::nullopt;
      }
      b.i = ts->micros;
      return b;
    }
    default:
      return std::nullopt;
  }
}

int CompareBound(ColumnKind kind, const Bound& a, const Bound& b) {
  switch (kind) {
    case ColumnKind::kFloat:
    case ColumnKind::kDouble:
      // NaN sorts above everything, as in DuckDB and Spark.
      if (std::isnan(a.d) || std::isnan(b.d)) return std::isnan(a.d) - std::isnan(b.d);
      return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
    case ColumnKind::kDecimal:
      return CompareDecimal(a.s, b.s);
    case ColumnKind::kString:
      return a.s.compare(b.s) < 0 ? -1 : a.s == b.s ? 0 : 1;
    default:
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  }
}

std::string JsonString(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The first `n` code points of valid UTF-8 `s`.
std::string_view Utf8Prefix(std::string_view s, size_t n) {
  size_t i = 0;
  for (size_t count = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && count++ == n) break;
  }
  return s.substr(0, i);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// An upper bound of at most 32 code points for every string that starts like `s`: its first 31
// code points and the 32nd incremented (carrying over U+10FFFF), or nullopt if there is none.
std::optional<std::string> TruncatedMax(std::string_view s) {
  if (CodePoints(s) <= kStringPrefixLength) return std::string(s);
  std::string prefix(Utf8Prefix(s, kStringPrefixLength));
  while (!prefix.empty()) {
    size_t start = prefix.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(prefix[start]) & 0xC0) == 0x80) --start;
    const auto lead = static_cast<unsigned char>(prefix[start]);
    const size_t n = prefix.size() - start;
    uint32_t cp = n == 1 ? lead : lead & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(prefix[start + k]) & 0x3F);
    prefix.resize(start);
    if (cp < 0x10FFFF) {
      AppendUtf8(prefix, cp + 1 == 0xD800 ? 0xE000 : cp + 1);
      return prefix;
    }
  }
  return std::nullopt;
}

std::optional<std::string> RenderBound(ColumnKind kind, const Bound& b, bool is_max) {
  switch (kind) {
    case ColumnKind::kInteger:
      return std::to_string(b.i);
    case ColumnKind::kFloat:
    case ColumnKind::kDouble: {
      if (!std::isfinite(b.d)) return std::nullopt;
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, b.d);
      return std::string(buf, end);
    }
    case ColumnKind::kDecimal:
      return b.s;
    case ColumnKind::kBoolean:
      return std::string(b.i ? "true" : "false");
    case ColumnKind::kString: {
      if (!is_max) return JsonString(std::string(Utf8Prefix(b.s, kStringPrefixLength)));
      std::optional<std::string> max = TruncatedMax(b.s);
      if (!max) return std::nullopt;
      return JsonString(*max);
    }
    case ColumnKind::kDate: {
      const std::string date = FormatTimestampText(b.i, ' ', 0);
      return JsonString(date.substr(0, date.find(' ')));
    }
    case ColumnKind::kTimestamp:
    case ColumnKind::kTimestampNtz: {
      // Milliseconds: the min rounded down, the max up, so both stay bounds.
      int64_t ms = b.i / kMicrosPerMilli;
      int64_t rest = b.i % kMicrosPerMilli;
      if (rest < 0) --ms, rest += kMicrosPerMilli;
      if (is_max && rest != 0) ++ms;
      const std::string zone = kind == ColumnKind::kTimestamp ? "Z" : "";
      return JsonString(FormatTimestampText(ms * kMicrosPerMilli, 'T', 3) + zone);
    }
    default:
      return std::nullopt;
  }
}

bool HasBounds(ColumnKind kind) {
  return kind != ColumnKind::kBinary && kind != ColumnKind::kCollection &&
         kind != ColumnKind::kStruct && kind != ColumnKind::kUnknown;
}

// What we learn about one indexed leaf column.
struct Leaf {
  std::vector<std::string> path;
  ColumnKind kind = ColumnKind::kUnknown;
  std::optional<int64_t> null_count;
  std::optional<Bound> min, max;
  bool scan = false;  // the footer was not enough: aggregate over the data
};

std::string LeafKey(const std::vector<std::string>& path) {
  std::string key;
  for (const std::string& name : path) {
    if (!key.empty()) key += ", ";
    for (char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

void CollectLeaves(const std::vector<StructField>& fields, std::vector<std::string>& path,
                   size_t limit, std::vector<Leaf>& out) {
  for (const StructField& field : fields) {
    if (out.size() >= limit || !field.type) return;
    path.push_back(field.name);
    const ColumnKind kind = KindOf(*field.type);
    if (kind == ColumnKind::kStruct) {
      CollectLeaves(field.type->fields, path, limit, out);
    } else {
      out.push_back(Leaf{path, kind});
    }
    path.pop_back();
  }
}

void Widen(ColumnKind kind, std::optional<Bound>& min, std::optional<Bound>& max, const Bound& lo,
           const Bound& hi) {
  if (!min || CompareBound(kind, lo, *min) < 0) min = lo;
  if (!max || CompareBound(kind, hi, *max) > 0) max = hi;
}

struct FooterEntry {
  int64_t rows = 0;
  std::optional<int64_t> nulls;
  std::optional<std::string> min, max;
  bool exact = false;
};

// Fills a leaf from its footer entries; marks it for a scan when they are not enough.
void FromFooter(Leaf& leaf, const std::vector<FooterEntry>& entries, bool column_present,
                int64_t num_records) {
  if (!column_present) {  // a column missing from the file reads as NULL
    leaf.null_count = num_records;
    return;
  }
  if (leaf.kind == ColumnKind::kCollection) {  // leaf null counts count elements, not rows
    leaf.scan = true;
    return;
  }
  int64_t nulls = 0;
  for (const FooterEntry& e : entries) {
    if (!e.nulls) {
      leaf.scan = true;
      return;
    }
    nulls += *e.nulls;
    if (!HasBounds(leaf.kind) || *e.nulls == e.rows) continue;
    // String bounds may be cut (and the max bumped) by the writer: still bounds, which is all
    // we need. Other types must be exact.
    if (!e.min || !e.max || (!e.exact && leaf.kind != ColumnKind::kString)) {
      leaf.scan = true;
      return;
    }
    std::optional<Bound> lo = ParseDuckValue(leaf.kind, *e.min);
    std::optional<Bound> hi = ParseDuckValue(leaf.kind, *e.max);
    if (!lo || !hi) {
      leaf.scan = true;
      return;
    }
    Widen(leaf.kind, leaf.min, leaf.max, *lo, *hi);
  }
  leaf.null_count = nulls;
}

std::string ColumnExpr(const std::vector<std::string>& path) {
  std::string expr = duck::QuoteIdentifier(path[0]);
  for (size_t i = 1; i < path.size(); ++i) {
    expr = "struct_extract(" + expr + ", " + duck::QuoteLiteral(path[i]) + ")";
  }
  return expr;
}

// One aggregate query over the data for the leaves the footer could not describe.
Status ScanLeaves(duck::Connection& conn, const std::string& parquet_path,
                  std::vector<Leaf*>& leaves) {
  std::string select;
  for (const Leaf* leaf : leaves) {
    const std::string expr = ColumnExpr(leaf->path);
    if (!select.empty()) select += ", ";
    select += "count(*) - count(" + expr + ")";
    if (HasBounds(leaf->kind)) {
      select += ", CAST(min(" + expr + ") AS VARCHAR), CAST(max(" + expr + ") AS VARCHAR)";
    }
  }
  const std::string sql = "SELECT " + select + " FROM read_parquet(" +
                          duck::QuoteLiteral(parquet_path) + ", hive_partitioning = false)";
  DLAKE_ASSIGN_OR_RETURN(duck::QueryResult result,
                         conn.Query(sql, "computing column stats of '" + parquet_path + "'"));
  size_t col = 0;
  for (Leaf* leaf : leaves) {
    leaf->null_count = result.GetInt64(col++, 0);
    leaf->min.reset();
    leaf->max.reset();
    if (!HasBounds(leaf->kind)) continue;
    if (!result.IsNull(col, 0)) leaf->min = ParseDuckValue(leaf->kind, result.GetString(col, 0));
    ++col;
    if (!result.IsNull(col, 0)) leaf->max = ParseDuckValue(leaf->kind, result.GetString(col, 0));
    ++col;
  }
  return Status::Ok();
}

enum class Section { kMin, kMax, kNullCount };

// The JSON object of one section for `fields`, or "" when it would be empty.
std::string RenderSection(const std::vector<StructField>& fields, std::vector<std::string>& path,
                          const std::map<std::string, const Leaf*>& leaves, Section section) {
  std::string body;
  for (const StructField& field : fields) {
    if (!field.type) continue;
    path.push_back(field.name);
    std::optional<std::string> value;
    if (field.type->kind == DataType::Kind::kStruct) {
      std::string nested = RenderSection(field.type->fields, path, leaves, section);
      if (!nested.empty()) value = nested;
    } else if (auto it = leaves.find(LeafKey(path)); it != leaves.end()) {
      const Leaf& leaf = *it->second;
      if (section == Section::kNullCount) {
        if (leaf.null_count) value = std::to_string(*leaf.null_count);
      } else if (HasBounds(leaf.kind)) {
        const std::optional<Bound>& bound = section == Section::kMin ? leaf.min : leaf.max;
        if (bound) value = RenderBound(leaf.kind, *bound, section == Section::kMax);
      }
    }
    path.pop_back();
    if (!value) continue;
    body += (body.empty() ? "" : ",") + JsonString(field.name) + ":" + *value;
  }
  return body.empty() ? "" : "{" + body + "}";
}

}  // namespace

Result<std::string> ComputeFileStats(duck::Connection& conn, const std::string& parquet_path,
                                     const Schema& data_schema, int num_indexed_cols) {
  const std::string sql =
      "SELECT row_group_id, row_group_num_rows, path_in_schema, stats_null_count, "
      "stats_min_value, stats_max_value, "
      "CAST(coalesce(min_is_exact AND max_is_exact, false) AS INTEGER) "
      "FROM parquet_metadata(" +
      duck::QuoteLiteral(parquet_path) + ")";
  DLAKE_ASSIGN_OR_RETURN(duck::QueryResult footer,
                         conn.Query(sql, "reading the Parquet footer of '" + parquet_path + "'"));
  std::map<int64_t, int64_t> row_groups;
  std::map<std::string, std::vector<FooterEntry>> entries;
  for (size_t r = 0; r < footer.RowCount(); ++r) {
    FooterEntry e;
    e.rows = footer.GetInt64(1, r);
    row_groups[footer.GetInt64(0, r)] = e.rows;
    if (!footer.IsNull(3, r)) e.nulls = footer.GetInt64(3, r);
    if (!footer.IsNull(4, r)) e.min = footer.GetString(4, r);
    if (!footer.IsNull(5, r)) e.max = footer.GetString(5, r);
    e.exact = footer.GetInt64(6, r) == 1;
    entries[LeafKey({footer.GetString(2, r)})].push_back(std::move(e));
  }
  int64_t num_records = 0;
  for (const auto& [id, rows] : row_groups) num_records += rows;

  std::vector<Leaf> leaves;
  std::vector<std::string> path;
  const size_t limit = num_indexed_cols < 0 ? std::numeric_limits<size_t>::max()
                                            : static_cast<size_t>(num_indexed_cols);
  CollectLeaves(data_schema.fields, path, limit, leaves);

  std::vector<Leaf*> to_scan;
  for (Leaf& leaf : leaves) {
    const std::string key = LeafKey(leaf.path);
    auto it = entries.find(key);
    bool present = it != entries.end();
    if (!present && leaf.kind == ColumnKind::kCollection) {
      auto below = entries.lower_bound(key + ", ");
      present = below != entries.end() && below->first.rfind(key + ", ", 0) == 0;
    }
    static const std::vector<FooterEntry> kNone;
    FromFooter(leaf, present && it != entries.end() ? it->second : kNone, present, num_records);
    if (leaf.scan && num_records > 0) to_scan.push_back(&leaf);
  }
  if (!to_scan.empty()) DLAKE_RETURN_IF_ERROR(ScanLeaves(conn, parquet_path, to_scan));

  std::map<std::string, const Leaf*> by_key;
  for (const Leaf& leaf : leaves) by_key[LeafKey(leaf.path)] = &leaf;
  std::string out = "{\"numRecords\":" + std::to_string(num_records);
  static constexpr std::pair<Section, std::string_view> kSections[] = {
      {Section::kMin, "minValues"},
      {Section::kMax, "maxValues"},
      {Section::kNullCount, "nullCount"}};
  for (const auto& [section, name] : kSections) {
    std::string object = RenderSection(data_schema.fields, path, by_key, section);
    if (!object.empty()) out += ",\"" + std::string(name) + "\":" + object;
  }
  out += "}";
  return out;
}

std::optional<int64_t> NumRecords(const std::optional<std::string>& stats) {
  std::optional<json> parsed = ParseStats(stats);
  if (!parsed) return std::nullopt;
  std::optional<int64_t> n = LookupCount(*parsed, "numRecords", {});
  if (n && *n < 0) return std::nullopt;
  return n;
}

}  // namespace dlake::delta
