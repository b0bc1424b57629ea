#pragma once
// Helpers of the process-level robustness tests: the real dlake binary started as a child that
// can be killed, run in another folder, with fewer privileges or a file size limit; lakes copied
// from templates; and a model of the candles a lake must hold, checked row by row.

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dlake/lake.h"
#include "testing/test_util.h"

namespace dlake::testing {

inline constexpr const char* kExchange = "BINANCE";
inline constexpr const char* kSymbol = "BTCUSDT";
inline constexpr int64_t kDay0 = 1704067200000;  // 2024-01-01T00:00:00Z

// `days` days of 1m candles from day `from_day` after kDay0 (fractions allowed) around `base`.
KlineOptions Klines(double from_day, double days, double base, uint64_t seed);
// The unprivileged user (nobody) root-run tests drop to.
inline constexpr uid_t kNobody = 65534;

// How to start a dlake child.
struct SpawnOptions {
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::vector<std::string> unset_env;      // removed from the environment
  std::string cwd;                         // working folder; empty = the test's
  bool as_nobody = false;                  // setgid/setuid to 65534 before exec (needs root)
  int64_t file_size_limit = -1;            // RLIMIT_FSIZE in bytes, SIGXFSZ ignored; < 0 = none
  std::string binary;                      // the program; empty = DlakeBinary()
};

// A running dlake process. Output goes to files, so several children can run at once without
// reader threads. The destructor kills (SIGKILL) and reaps a child still running.
class DlakeChild {
 public:
  static std::unique_ptr<DlakeChild> Start(const std::vector<std::string>& args,
                                           const SpawnOptions& options = {});
  ~DlakeChild();

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it if it has).
  bool Running();
  void Kill(int signal_number);
  // Waits for the exit and returns the code, signal and output.
  ProcessResult Wait();

 private:
  DlakeChild() = default;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::unique_ptr<TempDir> output_dir_;
};

// Runs dlake to completion.
ProcessResult RunDlakeWith(const std::vector<std::string>& args, const SpawnOptions& options = {});
// "dlake --lake LAKE args..."
ProcessResult Dlake(const std::string& lake, const std::vector<std::string>& args,
                    const SpawnOptions& options = {});
// Readable one-line summary of a child's result for assertion messages.
std::string Describe(const ProcessResult& result);

// ---- Lakes ----

// `dlake init DIR`, asserting success.
void InitLake(const std::string& dir);
// `dlake ingest` of one CSV into BINANCE/FUTURES/<symbol>/raw/1m, asserting success.
void IngestCsv(const std::string& lake, const std::string& csv,
               const std::string& symbol = kSymbol);
// The arguments of that ingest (for children started by the test).
std::vector<std::string> IngestArgs(const std::string& lake, const std::string& csv,
                                    const std::string& symbol = kSymbol);
// Writes MakeKlineCsv(options) to `path` and returns `path`.
std::string WriteKlines(const std::string& path, const KlineOptions& options);
// Copies a folder tree (a lake template) to `to`, replacing what is there.
void CopyTree(const std::string& from, const std::string& to);
// Checksums(dir) without lock files, DuckDB spill folders and SQLite's -wal/-shm companions:
// what a failed operation must leave exactly as it was.
std::map<std::string, std::string> LakeChecksums(const std::string& dir);
// Temporary files (".tmp-*") anywhere under <lake>/data.
std::vector<std::string> TempFilesUnder(const std::string& lake);
// `dlake --json verify [--repair]`, parsed. Fails the test on unparseable output.
nlohmann::json VerifyJson(const std::string& lake, bool repair = false);
// Asserts what no crash may ever cause: every manifest file present with its checksum, and each
// dataset free of duplicates, disorder, manifest/file mismatches and gaps. Orphans and leftovers
// are allowed (removable by repair).
void ExpectNoDamage(const nlohmann::json& verify);

// ---- The candles a lake should hold ----

// open, high, low, close, volume of one candle.
using Candle = std::array<double, 5>;
// Rows of a dataset by ts.
using Candles = std::map<int64_t, Candle>;

// The candles a CSV from MakeKlineCsv(options) holds.
Candles CandlesOf(const KlineOptions& options);
// `base` with `newer` ingested over it: newer rows win on equal ts.
Candles Merged(const Candles& base, const Candles& newer);
// The rows of `day` (UTC day number).
Candles DayOfCandles(const Candles& all, int64_t day);
// UTC day numbers holding rows in either set.
std::vector<int64_t> DaysOf(const Candles& a, const Candles& b);

// What a read of a dataset returned.
struct Snapshot {
  Candles rows;
  int64_t total_rows = 0;    // including repeated ts
  int64_t repeated_ts = 0;   // rows whose ts was already seen
  int64_t out_of_order = 0;  // rows whose ts is below the previous row's
  std::string error;         // non-empty when the read failed
};
// Reads the whole dataset with dlake::Lake in this process.
Snapshot ReadSnapshot(const std::string& lake, const std::string& symbol = kSymbol);
Snapshot ReadSnapshot(Lake& lake, const std::string& symbol = kSymbol);
// "" when the snapshot holds exactly `expected`, each ts once, in order; else what differs.
std::string Mismatch(const Snapshot& snapshot, const Candles& expected);
// Asserts Mismatch(snapshot, expected) is "".
void ExpectHolds(const Snapshot& snapshot, const Candles& expected);

// ---- Privileges ----

// How the unprivileged user can run dlake: the binary, or the DuckDB library of its RUNPATH,
// may sit where nobody cannot enter (root's home). Then copies (hard links when possible) go to
// `scratch`, and LD_LIBRARY_PATH points at the library's.
struct NobodyDlake {
  std::string binary;
  std::map<std::string, std::string> env;
};
NobodyDlake PrepareDlakeForNobody(const TempDir& scratch);
// chmod go+rX over a tree and every parent folder up to /, so nobody can read it.
void MakeReadableByOthers(const std::string& path);

}  // namespace dlake::testing
