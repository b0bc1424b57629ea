#include "aggregate/candle_sql.h"

#include <algorithm>

#include "aggregate/buckets.h"
#include "duck/duck.h"

namespace dlake::aggregate {
namespace {

struct OutputColumn {
  const char* name;
  const char* sql_type;   // of the NULL written when no source file has the column
  const char* aggregate;  // over the source column; empty = computed from the bucket
};

const std::vector<OutputColumn>& Outputs() {
  static const std::vector<OutputColumn> outputs = {
      {"open", "DOUBLE", "arg_min(open, ts)"},
      {"high", "DOUBLE", "max(high)"},
      {"low", "DOUBLE", "min(low)"},
      {"close", "DOUBLE", "arg_max(close, ts)"},
      // A sum over rows of which some lack the value (a day merged from a 6-column and a
      // 12-column source) would be silently partial: it is NULL instead.
      {"volume", "DOUBLE", "sum(volume)"},
      {"close_time", "BIGINT", ""},
      {"quote_volume", "DOUBLE",
       "CASE WHEN count(quote_volume) = count(*) THEN sum(quote_volume) END"},
      {"trades", "BIGINT", "CASE WHEN count(trades) = count(*) THEN sum(trades)::BIGINT END"},
      {"taker_buy_base", "DOUBLE",
       "CASE WHEN count(taker_buy_base) = count(*) THEN sum(taker_buy_base) END"},
      {"taker_buy_quote", "DOUBLE",
       "CASE WHEN count(taker_buy_quote) = count(*) THEN sum(taker_buy_quote) END"},
  };
  return outputs;
}

bool Has(const std::vector<std::string>& columns, std::string_view name) {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

std::string RangeFilter(const std::vector<TimeRange>& ranges) {
  std::string sql;
  for (const auto& [from, to] : ranges) {
    if (!sql.empty()) sql += " OR ";
    sql += "(ts >= " + std::to_string(from) + " AND ts < " + std::to_string(to) + ")";
  }
  return sql.empty() ? "false" : sql;
}

// Number of source periods starting in [bucket, min(x, end)), for x >= bucket; 0 below.
std::string PeriodsBefore(const std::string& x, const std::string& end, const std::string& step) {
  return "((greatest(least(" + x + ", " + end + ") - bucket, 0) + " + step + " - 1) // " + step +
         ")";
}

// The HAVING condition: every source period of the bucket is present or in a known gap.
std::string CompleteCondition(const CandleQuery& q, const std::string& end) {
  const std::string step = std::to_string(q.from.ms);
  const std::string expected = "((" + end + " - bucket) // " + step + ")";
  if (q.gaps.empty()) return "count(*) = " + expected;
  std::string in_gap;
  std::string gap_periods;
  for (const auto& [from, to] : q.gaps) {
    const std::string f = std::to_string(from), t = std::to_string(to);
    in_gap += (in_gap.empty() ? "" : " OR ") + ("(ts >= " + f + " AND ts < " + t + ")");
    gap_periods += " + greatest(" + PeriodsBefore(t, end, step) + " - " +
                   PeriodsBefore("greatest(" + f + ", bucket)", end, step) + ", 0)";
  }
  return "count(*) FILTER (WHERE NOT (" + in_gap + "))" + gap_periods + " = " + expected;
}

}  // namespace

const std::vector<std::string>& AggregateColumns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> out = {"ts"};
    for (const auto& c : Outputs()) out.emplace_back(c.name);
    return out;
  }();
  return columns;
}

std::string CandleSql(const CandleQuery& q) {
  std::string files = "[";
  for (size_t i = 0; i < q.files.size(); ++i) {
    files += (i ? ", " : "") + duck::QuoteLiteral(q.files[i]);
  }
  files += "]";
  const std::string bucket = BucketStartSql(q.to, "ts");
  const std::string end = BucketEndSql(q.to, "bucket");
  std::string source_columns = "ts";
  std::string select = "bucket AS ts";
  for (const auto& c : Outputs()) {
    std::string expr;
    if (std::string_view(c.name) == "close_time") {
      expr = end + " - 1";
    } else if (Has(q.columns, c.name)) {
      source_columns += std::string(", ") + c.name;
      expr = c.aggregate;
    } else {
      expr = std::string("NULL::") + c.sql_type;
    }
    select += ", " + expr + " AS " + c.name;
  }
  return "SELECT " + select + " FROM (SELECT " + bucket + " AS bucket, " + source_columns +
         " FROM read_parquet(" + files + (q.same_columns ? "" : ", union_by_name = true") +
         ") WHERE " + RangeFilter(q.ranges) + ") GROUP BY bucket HAVING " +
         CompleteCondition(q, end) + " ORDER BY ts";
}

std::string EmptyCandleSql() {
  std::string select = "NULL::BIGINT AS ts";
  for (const auto& c : Outputs()) {
    select += std::string(", NULL::") + c.sql_type + " AS " + c.name;
  }
  return "SELECT " + select + " WHERE false";
}

std::vector<TimeRange> MergeRanges(std::vector<TimeRange> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::vector<TimeRange> out;
  for (const auto& r : ranges) {
    if (r.second <= r.first) continue;
    if (!out.empty() && r.first <= out.back().second) {
      out.back().second = std::max(out.back().second, r.second);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace dlake::aggregate
