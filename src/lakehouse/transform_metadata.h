#pragma once
// The transform metadata files, metadata/transform/<domain>/<table>.jsonl (doc/silver.md
// "Metadata lines"): one line appended per transformed or skipped table, in the JSON text style
// of Python's json.dump (the format of the system they replace), fields in a fixed order. The
// last line with a real ended_at is what the next run's should-transform check compares with.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dlake/common/env.h"
#include "dlake/common/status.h"

namespace dlake::lakehouse {

struct TransformLine {
  std::string table;
  std::string domain;
  std::optional<std::string> source_snapshot;  // nullopt: null
  std::string status;                          // success | skipped
  std::optional<int64_t> record_count;         // nullopt: "-"
  std::string started_at;
  std::optional<std::string> ended_at;     // nullopt: "-"
  std::optional<double> duration_seconds;  // nullopt: "-"
  std::string notes;
};

// A success line: transformed, "ready to load step".
TransformLine SuccessLine(std::string table, std::string domain, std::string source_snapshot,
                          int64_t record_count, std::string started_at, std::string ended_at,
                          double duration_seconds);
// A skipped line: raw, "No DataFrame returned.", "-" for the count, end and duration.
TransformLine SkippedLine(std::string table, std::string domain,
                          std::optional<std::string> source_snapshot, std::string started_at);

// The line's JSON text (no newline): table, domain, last_status, source_snapshot,
// current_status, status, record_count, started_at, ended_at, duration_seconds, notes.
std::string FormatTransformLine(const TransformLine& line);

// A line read back: the fields the pipeline acts on.
struct TransformRecord {
  std::string status;
  std::optional<int64_t> record_count;
  std::string started_at;
  std::string ended_at;                // as written ("-" for a skipped line)
  std::optional<int64_t> ended_at_ms;  // nullopt when ended_at is not a time
  // The time in the name of the bronze file it read; nullopt when it names none.
  std::optional<int64_t> source_time_ms;
};

// The transform metadata of one lake. Thread-compatible.
class TransformMetadata {
 public:
  TransformMetadata(std::string lake, Env* env) : lake_(std::move(lake)), env_(env) {}

  // <lake>/metadata/transform/<domain>/<table>.jsonl
  std::string PathFor(std::string_view domain, std::string_view table) const;

  // Appends the line and fsyncs (creating the folder and file when missing).
  Status Append(const TransformLine& line);

  // The last line that parses, or nullopt when there is none (no file, or only torn lines).
  Result<std::optional<TransformRecord>> LastLine(std::string_view domain,
                                                  std::string_view table) const;
  // The last line whose ended_at is a time (skipped lines, "-", do not count): the previous
  // transform the should-transform check compares with.
  Result<std::optional<TransformRecord>> LastTransform(std::string_view domain,
                                                       std::string_view table) const;

 private:
  Result<std::optional<TransformRecord>> FindLast(std::string_view domain, std::string_view table,
                                                  bool needs_time) const;
  std::string lake_;
  Env* env_;
};

// `ms` as Python's datetime.isoformat() of a UTC time: 2025-05-25T12:46:01.777000+00:00.
std::string IsoUtcMicros(int64_t ms);

}  // namespace dlake::lakehouse
