#include "ingest/csv_layout.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "ingest/csv_reader.h"

namespace dlake::ingest {
namespace {

struct KnownColumn {
  const char* name;
  ValueKind kind;
  bool required;
};

bool IsCandles(const DatasetId& d) { return d.type == kTypeRaw || d.type == kTypeAgg; }

// Columns the lake knows per data type, with their fixed kinds.
const std::vector<KnownColumn>& KnownColumns(const DatasetId& d) {
  static const std::vector<KnownColumn> candles = {
      {"ts", ValueKind::kTime, true},
      {"open", ValueKind::kDouble, true},
      {"high", ValueKind::kDouble, true},
      {"low", ValueKind::kDouble, true},
      {"close", ValueKind::kDouble, true},
      {"volume", ValueKind::kDouble, true},
      {"close_time", ValueKind::kTime, false},
      {"quote_volume", ValueKind::kDouble, false},
      {"trades", ValueKind::kInt64, false},
      {"taker_buy_base", ValueKind::kDouble, false},
      {"taker_buy_quote", ValueKind::kDouble, false},
  };
  static const std::vector<KnownColumn> trades = {
      {"ts", ValueKind::kTime, true},
      {"trade_id", ValueKind::kInt64, true},
      {"price", ValueKind::kDouble, true},
      {"qty", ValueKind::kDouble, true},
      {"quote_qty", ValueKind::kDouble, false},
      {"first_trade_id", ValueKind::kInt64, false},
      {"last_trade_id", ValueKind::kInt64, false},
      {"is_buyer_maker", ValueKind::kBool, false},
      {"is_best_match", ValueKind::kBool, false},
  };
  static const std::vector<KnownColumn> series = {{"ts", ValueKind::kTime, true}};
  if (IsCandles(d)) return candles;
  if (d.type == kTypeTicks) return trades;
  return series;
}

// Header spellings of other tools mapped to the lake's names; "" drops the field.
const std::map<std::string, std::string>& Aliases(const DatasetId& d) {
  static const std::map<std::string, std::string> candles = {
      {"open_time", "ts"},
      {"timestamp", "ts"},
      {"count", "trades"},
      {"number_of_trades", "trades"},
      {"quote_asset_volume", "quote_volume"},
      {"taker_buy_volume", "taker_buy_base"},
      {"taker_buy_base_volume", "taker_buy_base"},
      {"taker_buy_base_asset_volume", "taker_buy_base"},
      {"taker_buy_quote_volume", "taker_buy_quote"},
      {"taker_buy_quote_asset_volume", "taker_buy_quote"},
      {"ignore", ""},
  };
  static const std::map<std::string, std::string> trades = {
      {"id", "trade_id"},      {"agg_trade_id", "trade_id"}, {"time", "ts"},
      {"transact_time", "ts"}, {"timestamp", "ts"},          {"quantity", "qty"},
  };
  static const std::map<std::string, std::string> series = {
      {"timestamp", "ts"},    {"time", "ts"},        {"calc_time", "ts"},
      {"funding_time", "ts"}, {"fundingtime", "ts"},
  };
  if (IsCandles(d)) return candles;
  if (d.type == kTypeTicks) return trades;
  return series;
}

// Headerless forms, by field count.
struct HeaderlessForm {
  size_t fields;
  const char* description;
  std::vector<const char*> names;  // "" drops the field
};

const std::vector<HeaderlessForm>& HeaderlessForms(const DatasetId& d) {
  static const std::vector<HeaderlessForm> candles = {
      {12,
       "Binance klines (12 columns, no header)",
       {"ts", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trades",
        "taker_buy_base", "taker_buy_quote", ""}},
      {6,
       "ts,open,high,low,close,volume (no header)",
       {"ts", "open", "high", "low", "close", "volume"}},
  };
  static const std::vector<HeaderlessForm> trades = {
      {7,
       "Binance spot trades (7 columns, no header)",
       {"trade_id", "price", "qty", "quote_qty", "ts", "is_buyer_maker", "is_best_match"}},
      {6,
       "Binance futures trades (6 columns, no header)",
       {"trade_id", "price", "qty", "quote_qty", "ts", "is_buyer_maker"}},
      {8,
       "Binance aggTrades (8 columns, no header)",
       {"trade_id", "price", "qty", "first_trade_id", "last_trade_id", "ts", "is_buyer_maker",
        "is_best_match"}},
  };
  static const std::vector<HeaderlessForm> none;
  if (IsCandles(d)) return candles;
  if (d.type == kTypeTicks) return trades;
  return none;
}

bool LooksNumeric(std::string_view s) {
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string NormalizeHeader(std::string_view raw) {
  std::string name(raw);
  auto first = name.find_first_not_of(" \t");
  auto last = name.find_last_not_of(" \t");
  name = first == std::string::npos ? "" : name.substr(first, last - first + 1);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::replace(name.begin(), name.end(), ' ', '_');
  return name;
}

// The narrowest kind that holds every non-empty sample value of field `index`.
ValueKind InferKind(const std::vector<std::vector<std::string_view>>& rows, size_t index) {
  bool all_int = true, all_double = true, all_bool = true, any = false;
  for (const auto& row : rows) {
    if (index >= row.size() || row[index].empty()) continue;
    std::string_view v = row[index];
    any = true;
    int64_t i;
    auto [pi, ei] = std::from_chars(v.data(), v.data() + v.size(), i);
    all_int &= ei == std::errc() && pi == v.data() + v.size();
    all_double &= LooksNumeric(v);
    all_bool &= v == "true" || v == "false" || v == "True" || v == "False";
  }
  if (!any) return ValueKind::kString;
  if (all_int) return ValueKind::kInt64;
  if (all_double) return ValueKind::kDouble;
  if (all_bool) return ValueKind::kBool;
  return ValueKind::kString;
}

const KnownColumn* FindKnown(const DatasetId& d, const std::string& name) {
  for (const auto& k : KnownColumns(d)) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

Status CheckRequired(const DatasetId& d, const std::string& file, const CsvLayout& layout) {
  for (const auto& k : KnownColumns(d)) {
    if (!k.required) continue;
    bool present = std::any_of(layout.columns.begin(), layout.columns.end(),
                               [&](const TargetColumn& c) { return c.name == k.name; });
    if (!present) {
      return InvalidArgument(file, ":1: the header has no '", k.name, "' column, which ", d.type,
                             " data needs");
    }
  }
  return Status::Ok();
}

Result<CsvLayout> HeaderLayout(const DatasetId& d, const std::string& file,
                               const std::vector<std::string_view>& header,
                               const std::vector<std::string>& sample) {
  CsvLayout layout;
  layout.has_header = true;
  layout.field_count = header.size();
  layout.description = "CSV with header (" + std::to_string(header.size()) + " columns)";
  std::vector<std::vector<std::string_view>> rows;
  std::vector<std::string> scratch;
  std::vector<std::vector<std::string>> scratch_rows(sample.size());
  for (size_t i = 0; i < sample.size(); ++i) {
    std::vector<std::string_view> fields;
    if (SplitCsvLine(sample[i], &fields, &scratch_rows[i])) rows.push_back(fields);
  }
  const auto& aliases = Aliases(d);
  const bool has_ts = std::any_of(header.begin(), header.end(),
                                  [](std::string_view h) { return NormalizeHeader(h) == "ts"; });
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = NormalizeHeader(header[i]);
    if (auto it = aliases.find(name); it != aliases.end() && !(it->second == "ts" && has_ts)) {
      name = it->second;
    }
    if (name.empty()) {
      layout.field_to_column.push_back(-1);
      continue;
    }
    if (name == "_seq") return InvalidArgument(file, ":1: column name '_seq' is reserved");
    for (const auto& c : layout.columns) {
      if (c.name == name) {
        return InvalidArgument(file, ":1: column '", name, "' appears twice in the header");
      }
    }
    TargetColumn column{name, ValueKind::kString, false};
    if (const KnownColumn* known = FindKnown(d, name)) {
      column.kind = known->kind;
      column.required = known->required;
    } else {
      column.kind = InferKind(rows, i);
    }
    layout.field_to_column.push_back(static_cast<int>(layout.columns.size()));
    layout.columns.push_back(column);
  }
  DLAKE_RETURN_IF_ERROR(CheckRequired(d, file, layout));
  // ts first: the stored column order starts with the key.
  auto ts = std::find_if(layout.columns.begin(), layout.columns.end(),
                         [](const TargetColumn& c) { return c.name == "ts"; });
  size_t ts_index = static_cast<size_t>(ts - layout.columns.begin());
  if (ts_index != 0) {
    TargetColumn moved = *ts;
    layout.columns.erase(ts);
    layout.columns.insert(layout.columns.begin(), moved);
    for (int& target : layout.field_to_column) {
      if (target < 0) continue;
      if (static_cast<size_t>(target) == ts_index)
        target = 0;
      else if (static_cast<size_t>(target) < ts_index)
        ++target;
    }
  }
  return layout;
}

Result<CsvLayout> HeaderlessLayout(const DatasetId& d, const std::string& file,
                                   size_t field_count) {
  for (const auto& form : HeaderlessForms(d)) {
    if (form.fields != field_count) continue;
    CsvLayout layout;
    layout.description = form.description;
    layout.field_count = field_count;
    // Target order: ts first, then the form's other columns in file order.
    std::vector<std::string> order{"ts"};
    for (const char* n : form.names) {
      if (std::string(n) != "ts" && *n) order.push_back(n);
    }
    for (const auto& name : order) {
      const KnownColumn* k = FindKnown(d, name);
      layout.columns.push_back(TargetColumn{name, k->kind, k->required});
    }
    for (const char* n : form.names) {
      auto it = std::find(order.begin(), order.end(), std::string(n));
      layout.field_to_column.push_back(*n ? static_cast<int>(it - order.begin()) : -1);
    }
    return layout;
  }
  std::string known;
  for (const auto& form : HeaderlessForms(d)) {
    known += std::string(known.empty() ? "" : "; ") + std::to_string(form.fields) + " = " +
             form.description;
  }
  return InvalidArgument(file, ":1: cannot tell the columns of a CSV without header with ",
                         field_count, " fields for ", d.type, " data",
                         known.empty() ? "" : " (known: " + known + ")",
                         "; add a header row naming the columns, with a 'ts' column");
}

}  // namespace

duck::Type StorageType(ValueKind kind) {
  switch (kind) {
    case ValueKind::kTime:
    case ValueKind::kInt64:
      return duck::Type::kBigInt;
    case ValueKind::kDouble:
      return duck::Type::kDouble;
    case ValueKind::kBool:
      return duck::Type::kBoolean;
    case ValueKind::kString:
      return duck::Type::kVarchar;
  }
  return duck::Type::kVarchar;
}

Result<CsvLayout> DetectLayout(const DatasetId& dataset, const std::string& file,
                               std::string_view first_line,
                               const std::vector<std::string>& sample) {
  std::vector<std::string_view> fields;
  std::vector<std::string> scratch;
  if (!SplitCsvLine(first_line, &fields, &scratch)) {
    return InvalidArgument(file, ":1: unclosed quote");
  }
  // A first field that is not a number is a header (data rows start with a time or an id).
  if (!fields.empty() && !LooksNumeric(fields[0])) {
    return HeaderLayout(dataset, file, fields, sample);
  }
  return HeaderlessLayout(dataset, file, fields.size());
}

}  // namespace dlake::ingest
