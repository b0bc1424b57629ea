#pragma once
// Test support shared by all test binaries: status matchers, temporary folders, deterministic
// CSV generators, and running the real dlake binary as a child process.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dlake/common/status.h"
#include "dlake/runtime/runtime.h"

namespace dlake::testing {

// ---- Runtime ----

// A runtime for tests: one DuckDB thread and 256 MB, the given Env (nullptr = the default),
// settings from `lake`'s dlake.toml when given and from DLAKE_* variables. Fails the test (and
// returns nullptr) when it cannot be made.
std::shared_ptr<Runtime> TestRuntime(Env* env = nullptr, const std::string& lake = "");

// ---- Status matchers ----

MATCHER(IsOk, "is OK") {
  const Status s = ::dlake::internal::ToStatus(arg);
  if (!s.ok()) *result_listener << s.ToString();
  return s.ok();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const Status s = ::dlake::internal::ToStatus(arg);
  *result_listener << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

#define DLAKE_ASSERT_OK(expr) ASSERT_THAT((expr), ::dlake::testing::IsOk())
#define DLAKE_EXPECT_OK(expr) EXPECT_THAT((expr), ::dlake::testing::IsOk())
#define DLAKE_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                      \
  auto DLAKE_CONCAT(_assign_, __LINE__) = (rexpr);                                  \
  ASSERT_THAT(DLAKE_CONCAT(_assign_, __LINE__).status(), ::dlake::testing::IsOk()); \
  lhs = std::move(DLAKE_CONCAT(_assign_, __LINE__)).value()

// ---- Files ----

// A fresh folder under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(const std::string& relative) const { return path_ + "/" + relative; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);
// Sets a file's modification time `age_ms` before now (fails the test if it cannot).
void SetFileAge(const std::string& path, int64_t age_ms);
// A process id no process has: a child that has exited and been reaped.
int ExitedPid();
// Regular files under `dir`, relative, sorted; `skip_hidden` drops names starting with '.'.
std::vector<std::string> ListFilesRecursive(const std::string& dir, bool skip_hidden = false);
// path -> sha256 of every regular file under dir (relative paths).
std::map<std::string, std::string> Checksums(const std::string& dir);

// ../shared/<relative>: facts from elsewhere, read at test time.
std::string SharedPath(const std::string& relative);

// ---- Deterministic market data ----

struct KlineOptions {
  int64_t start_ms = 1704067200000;  // 2024-01-01T00:00:00Z
  int64_t step_ms = 60000;
  int64_t count = 1440;
  bool micros = false;  // timestamps in µs (Binance spot from 2025)
  bool header = false;  // Binance futures header row
  int columns = 12;     // 12 (Binance) or 6 (ts,open,high,low,close,volume)
  double base_price = 42000.0;
  uint64_t seed = 1;
};

// Valid candles (low <= open, close <= high) as Binance kline CSV text.
std::string MakeKlineCsv(const KlineOptions& options);
// One CSV line for candle `i` of `options` (no newline).
std::string KlineLine(const KlineOptions& options, int64_t i);

// ---- Child processes ----

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs the built dlake binary with `args`; `env` entries are added to the environment.
ProcessResult RunDlake(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});
// The dlake binary's path.
std::string DlakeBinary();

}  // namespace dlake::testing
