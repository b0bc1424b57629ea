#include "ingest/row_stager.h"

#include <charconv>
#include <cmath>

#include "dlake/common/time.h"
#include "ingest/csv_reader.h"

namespace dlake::ingest {
namespace {

// Oldest timestamp a market-data row may carry: 2009-01-01 (before any crypto exchange).
constexpr int64_t kMinSaneTs = 1230768000000;
constexpr size_t kSampleLines = 1000;
constexpr size_t kMaxReportedBadRows = 20;

const char* KindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kTime:
      return "an integer timestamp";
    case ValueKind::kInt64:
      return "an integer";
    case ValueKind::kDouble:
      return "a number";
    case ValueKind::kBool:
      return "true or false";
    case ValueKind::kString:
      return "text";
  }
  return "?";
}

// Epoch values by magnitude: ns (>= 1e17), µs (>= 1e14), else ms. Binance spot files switched
// to µs in 2025 while futures stayed in ms, so this is decided per value, not per file.
int64_t NormalizeEpoch(int64_t v) {
  if (v >= 100'000'000'000'000'000LL) return v / 1'000'000;
  if (v >= 100'000'000'000'000LL) return v / 1'000;
  return v;
}

ValueKind Wider(ValueKind a, ValueKind b) {
  if (a == b) return a;
  auto numeric = [](ValueKind k) { return k == ValueKind::kInt64 || k == ValueKind::kDouble; };
  if (numeric(a) && numeric(b)) return ValueKind::kDouble;
  return ValueKind::kString;
}

}  // namespace

struct RowStager::Value {
  bool null = true;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string_view s;
};

RowStager::RowStager(duck::Connection& conn, std::string table, const DatasetId& dataset,
                     BadRowPolicy policy, int64_t now_ms)
    : conn_(conn),
      table_(std::move(table)),
      dataset_(dataset),
      policy_(policy),
      max_ts_(now_ms + kMsPerDay) {
  auto period = ParsePeriod(dataset.period);
  // Alignment is checked for candle periods that divide days evenly; weeks, months, ticks
  // and funding events have their own anchors.
  if (period.ok() && period->ms > 0 && period->ms <= kMsPerDay &&
      (dataset.type == kTypeRaw || dataset.type == kTypeAgg)) {
    period_ms_ = period->ms;
  }
}

std::vector<std::string> RowStager::ColumnNames() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c.name);
  return names;
}

Status RowStager::ReconcileSchema(CsvLayout& layout, std::vector<int>& staging_index) {
  const std::string table = duck::QuoteIdentifier(table_);
  if (columns_.empty()) {
    // A regular table of the in-memory database, not a TEMP one: the writer's worker
    // connections read it in parallel.
    std::string ddl = "CREATE TABLE " + table + " (";
    for (const auto& c : layout.columns) {
      ddl += duck::QuoteIdentifier(c.name) + " " +
             std::string(duck::TypeSqlName(StorageType(c.kind))) + ", ";
    }
    ddl += "_seq BIGINT)";
    DLAKE_RETURN_IF_ERROR(conn_.Execute(ddl, "creating the staging table"));
    columns_ = layout.columns;
  }
  staging_index.clear();
  for (auto& column : layout.columns) {
    size_t i = 0;
    while (i < columns_.size() && columns_[i].name != column.name) ++i;
    if (i == columns_.size()) {
      DLAKE_RETURN_IF_ERROR(conn_.Execute(
          "ALTER TABLE " + table + " ADD COLUMN " + duck::QuoteIdentifier(column.name) + " " +
              std::string(duck::TypeSqlName(StorageType(column.kind))),
          "adding column '" + column.name + "' to the staging table"));
      columns_.push_back(column);
    } else if (columns_[i].kind != column.kind) {
      ValueKind wide = Wider(columns_[i].kind, column.kind);
      if (wide != columns_[i].kind) {
        DLAKE_RETURN_IF_ERROR(conn_.Execute(
            "ALTER TABLE " + table + " ALTER COLUMN " + duck::QuoteIdentifier(column.name) +
                " TYPE " + std::string(duck::TypeSqlName(StorageType(wide))),
            "widening column '" + column.name + "' in the staging table"));
        columns_[i].kind = wide;
      }
      column.kind = wide;
    }
    staging_index.push_back(static_cast<int>(i));
  }
  return Status::Ok();
}

// Stages one file: parse, validate, append. One instance per file.
class RowStager::FileStager {
 public:
  FileStager(RowStager& owner, const std::string& path, const CsvLayout& layout,
             std::vector<int> staging_index, IngestReport& report)
      : owner_(owner),
        path_(path),
        layout_(layout),
        staging_index_(std::move(staging_index)),
        report_(report),
        values_(layout.columns.size()) {
    // Candle and trade rules apply to those types only; alt series are free-form.
    const bool candles = owner_.dataset_.type == kTypeRaw || owner_.dataset_.type == kTypeAgg;
    const bool trades = owner_.dataset_.type == kTypeTicks;
    for (size_t i = 0; i < layout_.columns.size(); ++i) {
      const std::string& n = layout_.columns[i].name;
      const int index = static_cast<int>(i);
      if (n == "ts") ts_ = index;
      if (trades ? n == "trade_id" : n == "ts") key_ = index;
      if (candles && n == "open") open_ = index;
      if (candles && n == "high") high_ = index;
      if (candles && n == "low") low_ = index;
      if (candles && n == "close") close_ = index;
      if (candles && n == "volume") volume_ = index;
      if (trades && n == "price") price_ = index;
      if (trades && n == "qty") qty_ = index;
    }
  }

  Status Open() {
    std::vector<duck::Type> types;
    for (const auto& c : owner_.columns_) types.push_back(StorageType(c.kind));
    types.push_back(duck::Type::kBigInt);  // _seq
    chunk_ = duck::DataChunk::Make(types);
    DLAKE_ASSIGN_OR_RETURN(appender_, duck::Appender::Open(owner_.conn_, owner_.table_));
    return Status::Ok();
  }

  // Parses, validates and buffers one data line.
  Status Line(std::string_view line, int64_t line_number) {
    ++report_.rows_read;
    std::string reason = Parse(line);
    if (reason.empty()) reason = Validate();
    if (!reason.empty()) return BadRow(line_number, reason);
    return Emit();
  }

  Status Finish() {
    if (rows_ > 0) DLAKE_RETURN_IF_ERROR(Flush());
    return appender_->Close();
  }

 private:
  std::string Parse(std::string_view line) {
    if (!SplitCsvLine(line, &fields_, &scratch_)) return "unclosed quote";
    if (fields_.size() != layout_.field_count) {
      return "expected " + std::to_string(layout_.field_count) + " fields, found " +
             std::to_string(fields_.size());
    }
    for (size_t f = 0; f < fields_.size(); ++f) {
      int col = layout_.field_to_column[f];
      if (col < 0) continue;
      const TargetColumn& target = layout_.columns[col];
      std::string reason = ParseValue(fields_[f], target, values_[col]);
      if (!reason.empty()) return reason;
    }
    return "";
  }

  static std::string ParseValue(std::string_view text, const TargetColumn& target, Value& v) {
    v.null = text.empty();
    if (v.null) {
      return target.required ? "field '" + target.name + "' is empty" : "";
    }
    const char* end = text.data() + text.size();
    switch (target.kind) {
      case ValueKind::kTime:
      case ValueKind::kInt64: {
        auto [p, ec] = std::from_chars(text.data(), end, v.i);
        if (ec != std::errc() || p != end) break;
        if (target.kind == ValueKind::kTime) v.i = NormalizeEpoch(v.i);
        return "";
      }
      case ValueKind::kDouble: {
        auto [p, ec] = std::from_chars(text.data(), end, v.d);
        if (ec != std::errc() || p != end) break;
        if (!std::isfinite(v.d)) {
          return "field '" + target.name + "' is not finite: '" + std::string(text) + "'";
        }
        return "";
      }
      case ValueKind::kBool:
        if (text == "true" || text == "True" || text == "TRUE" || text == "1") {
          v.b = true;
          return "";
        }
        if (text == "false" || text == "False" || text == "FALSE" || text == "0") {
          v.b = false;
          return "";
        }
        break;
      case ValueKind::kString:
        v.s = text;
        return "";
    }
    return "field '" + target.name + "' is not " + KindName(target.kind) + ": '" +
           std::string(text.substr(0, 40)) + "'";
  }

  std::string Validate() {
    const int64_t ts = values_[ts_].i;
    if (ts < kMinSaneTs || ts > owner_.max_ts_) {
      std::string hint = ts > 1'000'000'000 && ts < 100'000'000'000 ? " (seconds? use ms)" : "";
      return "ts " + std::to_string(ts) + " is outside the sane range " +
             FormatDay(DayOf(kMinSaneTs)) + " .. now + 1 day" + hint;
    }
    if (owner_.period_ms_ > 0 && ts % owner_.period_ms_ != 0) {
      return "ts " + FormatTimestamp(ts) + " is not aligned to the " + owner_.dataset_.period +
             " period";
    }
    if (open_ >= 0) {  // candles
      const double o = values_[open_].d, h = values_[high_].d, l = values_[low_].d,
                   c = values_[close_].d, v = values_[volume_].d;
      if (l < 0) return "low " + Num(l) + " is negative";
      if (l > h) return "low " + Num(l) + " is above high " + Num(h);
      if (o < l || o > h) return "open " + Num(o) + " is outside [low, high]";
      if (c < l || c > h) return "close " + Num(c) + " is outside [low, high]";
      if (v < 0) return "volume " + Num(v) + " is negative";
    }
    if (price_ >= 0 && values_[price_].d < 0) return "price is negative";
    if (qty_ >= 0 && values_[qty_].d < 0) return "qty is negative";
    return "";
  }

  static std::string Num(double v) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, p);
  }

  Status BadRow(int64_t line_number, const std::string& reason) {
    if (owner_.policy_ == BadRowPolicy::kFail) {
      return InvalidArgument(path_, ":", line_number, ": ", reason,
                             " (nothing was written; --on-bad-rows skip skips such rows)");
    }
    ++report_.rows_bad;
    if (report_.first_bad_rows.size() < kMaxReportedBadRows) {
      report_.first_bad_rows.push_back(dlake::BadRow{path_, line_number, reason});
    }
    return Status::Ok();
  }

  Status Emit() {
    const size_t row = rows_;
    for (size_t col = 0; col < values_.size(); ++col) {
      const Value& v = values_[col];
      const size_t s = static_cast<size_t>(staging_index_[col]);
      if (v.null) {
        chunk_.SetNull(s, row);
        continue;
      }
      switch (owner_.columns_[s].kind) {
        case ValueKind::kTime:
        case ValueKind::kInt64:
          chunk_.Data<int64_t>(s)[row] = v.i;
          break;
        case ValueKind::kDouble:
          // A file's integer column staged into a column widened to DOUBLE.
          chunk_.Data<double>(s)[row] =
              layout_.columns[col].kind == ValueKind::kInt64 ? static_cast<double>(v.i) : v.d;
          break;
        case ValueKind::kBool:
          chunk_.Data<bool>(s)[row] = v.b;
          break;
        case ValueKind::kString:
          chunk_.SetString(s, row, StringOf(col, v));
          break;
      }
    }
    // Staging columns this file does not have are NULL.
    if (missing_.empty() && staging_index_.size() < owner_.columns_.size()) ComputeMissing();
    for (size_t s : missing_) chunk_.SetNull(s, row);
    chunk_.Data<int64_t>(owner_.columns_.size())[row] = owner_.seq_++;

    const int64_t ts = values_[ts_].i;
    if (ts < owner_.prev_ts_) ++owner_.out_of_order_;
    owner_.prev_ts_ = ts;
    const int64_t key = values_[key_].i;
    if (key <= owner_.prev_key_) owner_.keys_may_repeat_ = true;
    owner_.prev_key_ = key;
    owner_.time_from_ = std::min(owner_.time_from_, ts);
    owner_.time_to_ = std::max(owner_.time_to_, ts);
    if (++rows_ == duck::DataChunk::Capacity()) return Flush();
    return Status::Ok();
  }

  std::string StringOf(size_t col, const Value& v) {
    switch (layout_.columns[col].kind) {
      case ValueKind::kString:
        return std::string(v.s);
      case ValueKind::kBool:
        return v.b ? "true" : "false";
      case ValueKind::kDouble:
        return Num(v.d);
      default:
        return std::to_string(v.i);
    }
  }

  void ComputeMissing() {
    std::vector<bool> present(owner_.columns_.size(), false);
    for (int s : staging_index_) present[static_cast<size_t>(s)] = true;
    for (size_t s = 0; s < present.size(); ++s) {
      if (!present[s]) missing_.push_back(s);
    }
  }

  Status Flush() {
    chunk_.SetSize(rows_);
    DLAKE_RETURN_IF_ERROR(appender_->Append(chunk_));
    chunk_.Reset();
    rows_ = 0;
    return Status::Ok();
  }

  RowStager& owner_;
  const std::string& path_;
  const CsvLayout& layout_;
  std::vector<int> staging_index_;
  IngestReport& report_;
  std::vector<Value> values_;
  std::vector<std::string_view> fields_;
  std::vector<std::string> scratch_;
  std::vector<size_t> missing_;
  duck::DataChunk chunk_;
  std::unique_ptr<duck::Appender> appender_;
  size_t rows_ = 0;
  int ts_ = -1, key_ = -1, open_ = -1, high_ = -1, low_ = -1, close_ = -1, volume_ = -1,
      price_ = -1, qty_ = -1;
};

Status RowStager::StageFile(const std::string& path, IngestReport& report,
                            const std::function<Status()>& tick) {
  DLAKE_ASSIGN_OR_RETURN(CsvLineReader reader, CsvLineReader::Open(path));
  std::string_view line;
  DLAKE_ASSIGN_OR_RETURN(bool any, reader.Next(&line));
  if (!any) return Status::Ok();  // an empty file adds nothing
  const int64_t first_line_number = reader.line_number();
  const std::string first_line(line);

  // A sample of the following lines lets the layout infer kinds of unknown columns.
  std::vector<std::string> sample;
  std::vector<int64_t> sample_lines;
  while (sample.size() < kSampleLines) {
    DLAKE_ASSIGN_OR_RETURN(bool more, reader.Next(&line));
    if (!more) break;
    sample.emplace_back(line);
    sample_lines.push_back(reader.line_number());
  }
  DLAKE_ASSIGN_OR_RETURN(CsvLayout layout, DetectLayout(dataset_, path, first_line, sample));
  std::vector<int> staging_index;
  DLAKE_RETURN_IF_ERROR(ReconcileSchema(layout, staging_index));

  FileStager stager(*this, path, layout, std::move(staging_index), report);
  DLAKE_RETURN_IF_ERROR(stager.Open());
  if (!layout.has_header) DLAKE_RETURN_IF_ERROR(stager.Line(first_line, first_line_number));
  for (size_t i = 0; i < sample.size(); ++i) {
    DLAKE_RETURN_IF_ERROR(stager.Line(sample[i], sample_lines[i]));
  }
  while (true) {
    DLAKE_ASSIGN_OR_RETURN(bool more, reader.Next(&line));
    if (!more) break;
    DLAKE_RETURN_IF_ERROR(stager.Line(line, reader.line_number()));
    if (tick && reader.line_number() % kTickLines == 0) DLAKE_RETURN_IF_ERROR(tick());
  }
  return stager.Finish();
}

}  // namespace dlake::ingest
