#pragma once
// CSV ingest: what to load and what happened (doc/ingest.md).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dlake/aggregate/aggregate.h"
#include "dlake/common/dataset.h"
#include "dlake/storage/write_report.h"

namespace dlake {

enum class BadRowPolicy {
  kFail,  // a bad row fails the whole ingest; nothing is written
  kSkip,  // bad rows are skipped, counted and the first ones reported
};

// Where an ingest is (IngestRequest::progress).
struct IngestProgress {
  std::string phase;  // "reading": parsing and staging rows; "writing": the day files
  std::string file;   // the file being read ("" while writing)
  int64_t files_done = 0;
  int64_t files_total = 0;
  int64_t rows_read = 0;  // data rows parsed so far, over all files
};

struct IngestRequest {
  // CSV files, folders (their *.csv files) or glob patterns; read in the order given, files of a
  // folder or glob in name order. Later rows win over earlier ones with the same key.
  std::vector<std::string> sources;
  // Candles for type raw/agg, trades for ticks, any series with a ts column for alt.
  DatasetId dataset;
  BadRowPolicy on_bad_rows = BadRowPolicy::kFail;
  bool dry_run = false;  // parse, validate and plan; write nothing
  Compression compression = Compression::kSnappy;
  // Periods to bring up to date after the write (`--aggregate`); nullopt = the `aggregate`
  // setting. Periods the dataset cannot be aggregated to are skipped.
  std::optional<std::vector<std::string>> aggregate;
  // Called every 100,000 rows read, after each file and once before writing. An error it
  // returns stops the ingest before anything is written, with that error.
  std::function<Status(const IngestProgress&)> progress;
};

struct BadRow {
  std::string file;
  int64_t line = 0;  // 1-based line number in the file
  std::string reason;
  std::string ToString() const;  // "file:line: reason"
};

struct IngestReport {
  std::vector<std::string> files;      // the CSV files read, in order
  int64_t rows_read = 0;               // data rows parsed (good and bad)
  int64_t rows_bad = 0;                // rows skipped under BadRowPolicy::kSkip
  std::vector<BadRow> first_bad_rows;  // up to 20 of them
  int64_t duplicates = 0;    // input rows whose key repeated within the input (newest kept)
  int64_t out_of_order = 0;  // input rows whose ts was below the previous row's
  int64_t time_from = 0;     // smallest and largest ts ingested, ms
  int64_t time_to = 0;
  std::vector<std::string> columns;  // the columns stored
  WriteReport write;                 // per day: created, replaced, unchanged
  AggregateReport aggregated;        // the aggregates brought up to date afterwards
  bool dry_run = false;
};

}  // namespace dlake
