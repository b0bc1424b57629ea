#pragma once
// Shared pieces of the benchmark programs: flags, timing, statistics, scratch folders and a
// deterministic generator of Binance kline CSV files. Benchmarks only; not part of the library.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlake/common/status.h"

namespace dlake::bench {

// "--name", "--name value" and "--name=value" flags. Unknown flags are an error so that a typo
// does not silently run the default (long) benchmark.
class Flags {
 public:
  // `known` lists the accepted flag names (with leading dashes); `with_value` marks those
  // taking a value.
  Flags(int argc, char** argv, std::vector<std::string> known, std::vector<std::string> with_value);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool Has(std::string_view name) const;
  std::string Str(std::string_view name, const std::string& fallback) const;
  int64_t Int(std::string_view name, int64_t fallback) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  std::string error_;
};

// Monotonic wall clock in seconds.
double NowSeconds();

// Statistics over samples (need not be sorted). Percentile p in [0, 100], nearest rank; the
// median averages the two middle samples of an even count.
double Percentile(std::vector<double> samples, double p);
double Median(std::vector<double> samples);
double Min(const std::vector<double>& samples);

// A fresh folder under $TMPDIR (or /tmp), removed with its contents on destruction unless
// Keep() was called.
class ScratchDir {
 public:
  static Result<ScratchDir> Make(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)), keep_(other.keep_) {
    other.path_.clear();
  }
  ScratchDir& operator=(ScratchDir&&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }
  void Keep() { keep_ = true; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
  bool keep_ = false;
};

// Removes a file or folder tree; errors are ignored.
void RemoveTree(const std::string& path);
// Total size of the regular files under `path`, and their count.
struct TreeSize {
  int64_t bytes = 0;
  int64_t files = 0;
};
TreeSize SizeOfTree(const std::string& path);

// Valid Binance klines (12 columns, no header, ms timestamps): a seeded random walk with
// low <= open, close <= high, volumes >= 0. Prices and volumes are exact decimals printed with 8
// places, as Binance does, so every value round-trips and no rounding can break the candle rule.
class KlineGenerator {
 public:
  KlineGenerator(int64_t start_ms, int64_t step_ms, uint64_t seed);
  // Appends the next candle's line (with '\n') to `out`.
  void AppendLine(std::string& out);
  int64_t next_ts() const { return ts_; }

 private:
  uint64_t Next();
  int64_t ts_;
  int64_t step_ms_;
  uint64_t state_;
  int64_t close_cents_;
};

struct CsvStats {
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
};

// Streams `rows` candles to `path` (or, with rows < 0, stops once the file reaches `min_bytes`).
Result<CsvStats> WriteKlineCsv(const std::string& path, int64_t start_ms, int64_t step_ms,
                               int64_t rows, int64_t min_bytes, uint64_t seed);

// "1234567" -> "1,234,567"
std::string Thousands(int64_t n);
// A bronze file stamp, YYYY-MM-DD_08-20-00, of `day` days after today (UTC): later than any
// metadata time a benchmark run writes, so every extract it generates counts as new.
std::string BronzeStampForDay(int64_t day);
// Prints "  [PASS] what" or "  [MISS] what" and returns pass.
bool Target(bool pass, const std::string& what);
// Thrown by CheckOk/ValueOrDie: a library call failed, which ends the benchmark (exit code 1).
// An exception rather than exit() so that scratch folders are removed while unwinding.
struct Failure {
  std::string message;
};

// What one timed read returned: enough to check that every side sees the same rows.
struct ReadResult {
  int64_t rows = 0;
  int64_t ts_sum = 0;
  bool operator==(const ReadResult&) const = default;
};

// One side of a read comparison: its read and the times it took.
struct Side {
  std::string name;
  std::function<ReadResult()> read;
  std::vector<double> ms;
  ReadResult result;
};

inline constexpr double kNoBudget = std::numeric_limits<double>::infinity();

// Reads with every side in turn after one untimed warm-up read each, each round starting with
// the next side, so that load from elsewhere on the machine hits all sides alike; stops after
// `max_reps` rounds or, once at least 5 rounds are done, when `budget_s` is used. Throws Failure
// when a repeated read returns other rows.
void Measure(std::vector<Side>& sides, int64_t max_reps, double budget_s);
void CheckOk(const Status& status, std::string_view what);
template <typename T>
T ValueOrDie(Result<T> result, std::string_view what) {
  CheckOk(result.status(), what);
  return std::move(result).value();
}

}  // namespace dlake::bench
