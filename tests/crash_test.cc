// SIGKILL at random points of real dlake writes (DESIGN.md "Writing: crash-safe, idempotent,
// concurrent", rule 4): whatever the moment, the lake reads either the data from before or the
// completed operation, every manifest file is intact, and at worst leftovers and orphans remain,
// which `verify --repair` removes. Re-running the operation then completes it.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "dlake/common/time.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

constexpr int64_t kFirstDay = kDay0 / kMsPerDay;

struct Outcomes {
  int old_state = 0;
  int new_state = 0;
  int with_strays = 0;  // iterations where verify found orphans or leftovers
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `args` to completion on a copy of `template_lake` three times and returns the longest
// duration (the machine may be busy with other work; kills must span the whole operation).
double TimeFullRun(const std::string& template_lake, const std::string& lake,
                   const std::vector<std::string>& args) {
  double longest = 0;
  for (int i = 0; i < 3; ++i) {
    CopyTree(template_lake, lake);
    auto start = std::chrono::steady_clock::now();
    ProcessResult r = RunDlakeWith(args);
    longest = std::max(longest, Seconds(std::chrono::steady_clock::now() - start));
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
  }
  return longest;
}

// Kill delays spread over [0, 1.1 * full): one random point in each of `n` equal slices, so
// early, middle and late moments (the renames and the commit) are all hit.
std::vector<double> KillDelays(double full, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> delays;
  for (int i = 0; i < n; ++i) delays.push_back(1.1 * full * (i + unit(rng)) / n);
  return delays;
}

// Checks a lake right after a crash: no damage, and per day and as a whole either `before` or
// `after`.
void ExpectOldOrNew(const std::string& lake, const Candles& before, const Candles& after,
                    Outcomes& outcomes) {
  nlohmann::json verify = VerifyJson(lake);
  ExpectNoDamage(verify);
  const bool strays = !verify.value("orphans", nlohmann::json::array()).empty() ||
                      !verify.value("leftovers", nlohmann::json::array()).empty();
  if (!verify.value("ok", false)) {
    EXPECT_TRUE(strays) << "verify failed for something other than strays: " << verify.dump(2);
  }
  if (strays) ++outcomes.with_strays;

  const Snapshot snap = ReadSnapshot(lake);
  EXPECT_EQ(snap.error, "");
  EXPECT_EQ(snap.repeated_ts, 0);
  EXPECT_EQ(snap.out_of_order, 0);
  for (int64_t day : DaysOf(before, after)) {
    const Candles got = DayOfCandles(snap.rows, day);
    EXPECT_TRUE(got == DayOfCandles(before, day) || got == DayOfCandles(after, day))
        << "day " << FormatDay(day) << " holds " << got.size() << " rows: neither the "
        << DayOfCandles(before, day).size() << " from before nor the "
        << DayOfCandles(after, day).size() << " after the operation";
  }
  // One operation commits in one manifest transaction: all days change together.
  const bool is_old = Mismatch(snap, before).empty();
  const bool is_new = Mismatch(snap, after).empty();
  EXPECT_TRUE(is_old || is_new) << "a mix of old and new days";
  if (is_old) ++outcomes.old_state;
  if (is_new) ++outcomes.new_state;
}

// Repairs and checks that the lake is then clean, with no temporary file left.
void ExpectRepairCleans(const std::string& lake) {
  ProcessResult repaired = Dlake(lake, {"verify", "--repair", "--no-data-checks"});
  EXPECT_EQ(repaired.exit_code, 0) << Describe(repaired);
  nlohmann::json clean = VerifyJson(lake);
  EXPECT_TRUE(clean.value("ok", false)) << clean.dump(2);
  EXPECT_EQ(TempFilesUnder(lake), std::vector<std::string>{});
}

// Kills `args` at each delay on a fresh copy of `template_lake`, checks the lake, and on every
// fourth iteration and the last re-runs `args` to completion before repairing (strays must not stop
// it).
Outcomes KillRepeatedly(const std::string& template_lake, const std::string& lake,
                        const std::vector<std::string>& args, const std::vector<double>& delays,
                        const Candles& before, const Candles& after) {
  Outcomes outcomes;
  for (size_t i = 0; i < delays.size(); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i) + ", kill after " + std::to_string(delays[i]) +
                 " s");
    CopyTree(template_lake, lake);
    auto child = DlakeChild::Start(args);
    std::this_thread::sleep_for(std::chrono::duration<double>(delays[i]));
    child->Kill(SIGKILL);
    ProcessResult r = child->Wait();
    EXPECT_TRUE(r.signal == SIGKILL || r.exit_code == 0) << Describe(r);

    ExpectOldOrNew(lake, before, after, outcomes);
    if (i % 4 == 3 || i + 1 == delays.size()) {
      ProcessResult rerun = RunDlakeWith(args);
      EXPECT_EQ(rerun.exit_code, 0) << Describe(rerun);
      ExpectHolds(ReadSnapshot(lake), after);
    }
    ExpectRepairCleans(lake);
    if (::testing::Test::HasFailure()) break;
  }
  return outcomes;
}

void Report(const char* what, const Outcomes& o, double full, size_t n) {
  std::cout << what << ": full run " << full << " s; of " << n << " kills, " << o.old_state
            << " left the old data, " << o.new_state << " the new, " << o.with_strays
            << " left orphans or leftovers\n";
  ::testing::Test::RecordProperty("old_state", o.old_state);
  ::testing::Test::RecordProperty("new_state", o.new_state);
  ::testing::Test::RecordProperty("with_strays", o.with_strays);
}

TEST(CrashTest, SigkillDuringIngestLeavesOldOrMergedDaysAndRerunCompletes) {
  TempDir tmp;
  const std::string template_lake = tmp.Join("template");
  InitLake(template_lake);
  // 40 stored days; the ingest brings 60 days from day 20: 20 merged, 40 created.
  const KlineOptions old_data = Klines(0, 40, 42000, 1);
  IngestCsv(template_lake, WriteKlines(tmp.Join("old.csv"), old_data));
  const KlineOptions new_data = Klines(20, 60, 45000, 2);
  const std::string lake = tmp.Join("lake");
  const auto args = IngestArgs(lake, WriteKlines(tmp.Join("new.csv"), new_data));
  const Candles before = CandlesOf(old_data);
  const Candles after = Merged(before, CandlesOf(new_data));

  const double full = TimeFullRun(template_lake, lake, args);
  ExpectHolds(ReadSnapshot(lake), after);
  ASSERT_FALSE(HasFailure());

  const auto delays = KillDelays(full, 30, /*seed=*/20240101);
  Outcomes o = KillRepeatedly(template_lake, lake, args, delays, before, after);
  Report("ingest", o, full, delays.size());
  EXPECT_GT(o.old_state, 0) << "no kill landed before the commit; the test proved nothing";
}

TEST(CrashTest, SigkillDuringDeleteLeavesOldOrCutDays) {
  TempDir tmp;
  const std::string template_lake = tmp.Join("template");
  InitLake(template_lake);
  const KlineOptions old_data = Klines(0, 40, 42000, 1);
  IngestCsv(template_lake, WriteKlines(tmp.Join("old.csv"), old_data));
  // From the middle of day 5 on: one day cut in half, 34 removed. (An end before the data's
  // end would leave a gap, which verify rightly reports.)
  const int64_t start = kDay0 + 5 * kMsPerDay + 12 * kMsPerHour;
  const std::string lake = tmp.Join("lake");
  const std::vector<std::string> args = {
      "--lake", lake, "delete", "--symbol", kSymbol, "--start", std::to_string(start)};
  const Candles before = CandlesOf(old_data);
  Candles after = before;
  after.erase(after.lower_bound(start), after.end());

  const double full = TimeFullRun(template_lake, lake, args);
  ExpectHolds(ReadSnapshot(lake), after);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(DayOfCandles(ReadSnapshot(lake).rows, kFirstDay + 20).size(), 0u);

  const auto delays = KillDelays(full, 12, /*seed=*/20240102);
  Outcomes o = KillRepeatedly(template_lake, lake, args, delays, before, after);
  Report("delete", o, full, delays.size());
  EXPECT_GT(o.old_state, 0) << "no kill landed before the commit; the test proved nothing";
}

}  // namespace
}  // namespace dlake::testing
