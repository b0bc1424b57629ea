#include "dlake/common/batch_writer.h"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <vector>

#include "dlake/common/time.h"

namespace dlake {
namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

class CsvWriter : public BatchWriter {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  void Write(const RecordBatch& batch) override {
    if (!header_written_) {
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        out_ << (c ? "," : "") << CsvField(batch.columns[c].name);
      }
      out_ << "\n";
      header_written_ = true;
    }
    for (size_t r = 0; r < batch.num_rows; ++r) {
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        out_ << (c ? "," : "") << CsvField(batch.columns[c].ToString(r));
      }
      out_ << "\n";
    }
  }
  void Finish(int64_t) override { out_.flush(); }

 private:
  std::ostream& out_;
  bool header_written_ = false;
};

class JsonWriter : public BatchWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) { out_ << "["; }
  void Write(const RecordBatch& batch) override {
    for (size_t r = 0; r < batch.num_rows; ++r) {
      nlohmann::json row = nlohmann::json::object();
      for (const auto& col : batch.columns) {
        if (col.IsNull(r)) {
          row[col.name] = nullptr;
          continue;
        }
        switch (col.type) {
          case ColumnType::kInt64:
            row[col.name] = col.ints[r];
            break;
          case ColumnType::kDouble:
            row[col.name] = col.doubles[r];
            break;
          case ColumnType::kBool:
            row[col.name] = col.bools[r] != 0;
            break;
          case ColumnType::kString:
            row[col.name] = col.strings[r];
            break;
        }
      }
      out_ << (first_ ? "\n  " : ",\n  ") << row.dump();
      first_ = false;
    }
  }
  void Finish(int64_t) override {
    out_ << (first_ ? "]\n" : "\n]\n");
    out_.flush();
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

// Aligned columns; widths come from the header and the first batch.
class TableWriter : public BatchWriter {
 public:
  TableWriter(std::ostream& out, bool lake_times) : out_(out), lake_times_(lake_times) {}
  void Write(const RecordBatch& batch) override {
    if (widths_.empty()) {
      for (const auto& col : batch.columns) {
        size_t w = col.name.size();
        for (size_t r = 0; r < batch.num_rows; ++r) w = std::max(w, Cell(col, r).size());
        widths_.push_back(w);
      }
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        out_ << (c ? "  " : "") << std::setw(static_cast<int>(widths_[c])) << batch.columns[c].name;
      }
      out_ << "\n";
    }
    for (size_t r = 0; r < batch.num_rows; ++r) {
      for (size_t c = 0; c < batch.columns.size(); ++c) {
        out_ << (c ? "  " : "") << std::setw(static_cast<int>(widths_[c]))
             << Cell(batch.columns[c], r);
      }
      out_ << "\n";
    }
  }
  void Finish(int64_t rows) override {
    out_ << "(" << rows << (rows == 1 ? " row" : " rows") << ")\n";
    out_.flush();
  }

 private:
  std::string Cell(const Column& col, size_t r) const {
    if (col.IsNull(r)) return "NULL";
    // A joined feature set's row time ("alpha.ts") is a lake time too.
    const bool time = col.name == "ts" || col.name == "close_time" || col.name.ends_with(".ts");
    if (lake_times_ && time && col.type == ColumnType::kInt64) {
      return FormatTimestamp(col.ints[r]);
    }
    return col.ToString(r);
  }
  std::ostream& out_;
  const bool lake_times_;
  std::vector<size_t> widths_;
};

}  // namespace

std::unique_ptr<BatchWriter> MakeBatchWriter(const std::string& format, std::ostream& out,
                                             bool lake_times) {
  if (format == "csv") return std::make_unique<CsvWriter>(out);
  if (format == "json") return std::make_unique<JsonWriter>(out);
  return std::make_unique<TableWriter>(out, lake_times);
}

}  // namespace dlake
