#include "ingest/csv_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace dlake::ingest {
namespace {
constexpr size_t kBlockSize = 1 << 20;
}

Result<CsvLineReader> CsvLineReader::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoErrorFromErrno("cannot open", path, errno);
  return CsvLineReader(fd, path);
}

CsvLineReader::CsvLineReader(int fd, std::string path)
    : fd_(fd), path_(std::move(path)), buffer_(kBlockSize) {}

CsvLineReader::~CsvLineReader() {
  if (fd_ >= 0) ::close(fd_);
}

CsvLineReader::CsvLineReader(CsvLineReader&& other) noexcept
    : fd_(other.fd_),
      path_(std::move(other.path_)),
      buffer_(std::move(other.buffer_)),
      begin_(other.begin_),
      end_(other.end_),
      eof_(other.eof_),
      line_number_(other.line_number_) {
  other.fd_ = -1;
}

Status CsvLineReader::Fill() {
  // Move the unread tail to the front; grow only when a single line exceeds the buffer.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) buffer_.resize(buffer_.size() * 2);
  while (true) {
    ssize_t n = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoErrorFromErrno("cannot read", path_, errno);
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    return Status::Ok();
  }
}

Result<bool> CsvLineReader::Next(std::string_view* line) {
  while (true) {
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl == nullptr && !eof_) {
      DLAKE_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (nl == nullptr && begin_ == end_) return false;  // end of file
    size_t len = nl ? static_cast<const char*>(nl) - start : end_ - begin_;
    begin_ += len + (nl ? 1 : 0);
    ++line_number_;
    std::string_view text(start, len);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (line_number_ == 1 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // BOM
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;             // blank line
    *line = text;
    return true;
  }
}

bool SplitCsvLine(std::string_view line, std::vector<std::string_view>* fields,
                  std::vector<std::string>* scratch) {
  fields->clear();
  scratch->clear();
  size_t pos = 0;
  while (true) {
    if (pos < line.size() && line[pos] == '"') {
      std::string value;
      size_t i = pos + 1;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            value += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        value += line[i++];
      }
      if (!closed) return false;
      scratch->push_back(std::move(value));
      fields->push_back(std::string_view());
      pos = i;
      size_t comma = line.find(',', pos);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
      continue;
    }
    size_t comma = line.find(',', pos);
    if (comma == std::string_view::npos) {
      fields->push_back(line.substr(pos));
      break;
    }
    fields->push_back(line.substr(pos, comma - pos));
    pos = comma + 1;
  }
  // Point quoted fields at their unescaped text now that scratch no longer grows.
  if (!scratch->empty()) {
    size_t next = 0;
    for (auto& f : *fields) {
      // Quoted fields were pushed as null placeholders, in order.
      if (f.data() == nullptr) f = (*scratch)[next++];
    }
  }
  return true;
}

}  // namespace dlake::ingest
