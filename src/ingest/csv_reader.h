#pragma once
// Streaming access to a CSV file: lines with their numbers, read in fixed-size blocks so that
// memory stays bounded whatever the file size.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::ingest {

class CsvLineReader {
 public:
  static Result<CsvLineReader> Open(const std::string& path);
  ~CsvLineReader();
  CsvLineReader(CsvLineReader&& other) noexcept;
  CsvLineReader& operator=(CsvLineReader&&) = delete;

  // The next non-blank line without its line ending; false at the end of the file. The view
  // is valid until the next call.
  Result<bool> Next(std::string_view* line);
  // 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }
  const std::string& path() const { return path_; }

 private:
  CsvLineReader(int fd, std::string path);
  Status Fill();

  int fd_;
  std::string path_;
  std::vector<char> buffer_;
  size_t begin_ = 0;  // start of unread data in buffer_
  size_t end_ = 0;    // end of valid data in buffer_
  bool eof_ = false;
  int64_t line_number_ = 0;
};

// Splits one CSV line into fields (RFC 4180 quoting; "" inside quotes is a quote). Fields point
// into `line` or, for quoted fields with escapes, into `scratch`. Returns false on an unclosed
// quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::vector<std::string>* scratch);

}  // namespace dlake::ingest
