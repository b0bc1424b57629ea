// Every mutating file operation of an ingest and a delete failing in turn (DESIGN.md "Writing",
// rule 4; STYLE.md rule 10): dlake::Lake with a fault-injecting Env returns an IoError naming the
// operation and the path, and the lake keeps exactly its old rows; once the faults stop, the same
// operation succeeds on the same lake.

#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>

#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "testing/fault_injection_env.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr int kMaxCalls = 500;  // far more mutating calls than any run here makes

// The two ways of failing from the n-th call: every call from then on (a disk gone bad: even the
// cleanup fails) or just that one.
struct Faults {
  virtual ~Faults() = default;
  virtual Env* env() = 0;
  virtual void Arm(int n) = 0;
  virtual void Disarm() = 0;
  virtual int calls() const = 0;
  virtual bool cleanup_works() const = 0;
};

struct PersistentFaults : Faults {
  FaultInjectionEnv env_;
  Env* env() override { return &env_; }
  void Arm(int n) override { env_.FailFrom(n, ENOSPC); }
  void Disarm() override { env_.FailFrom(-1, 0); }
  int calls() const override { return env_.calls(); }
  bool cleanup_works() const override { return false; }
};

struct TransientFaults : Faults {
  FaultInjectionEnv env_;
  Env* env() override { return &env_; }
  void Arm(int n) override { env_.FailOnly(n, ENOSPC); }
  void Disarm() override { env_.FailOnly(-1, 0); }
  int calls() const override { return env_.calls(); }
  bool cleanup_works() const override { return true; }
};

using Operation = std::function<Status(Lake&)>;

// Verify with repair: no damage; orphans and leftovers removed; gaps only where `gaps_expected`.
void ExpectRepairedClean(Lake& lake, bool gaps_expected) {
  VerifyRequest request;
  request.repair = true;
  DLAKE_ASSERT_OK_AND_ASSIGN(VerifyReport report, lake.Verify(request));
  EXPECT_EQ(report.checksum_mismatches, std::vector<std::string>{});
  EXPECT_EQ(report.missing_files, std::vector<std::string>{});
  EXPECT_EQ(report.removed, static_cast<int64_t>(report.orphans.size() + report.leftovers.size()));
  for (const auto& d : report.datasets) {
    EXPECT_EQ(d.duplicates, 0);
    EXPECT_EQ(d.out_of_order, 0);
    EXPECT_EQ(d.mismatches, std::vector<std::string>{});
    if (!gaps_expected) {
      EXPECT_TRUE(d.gaps.empty());
    }
  }
}

struct Tally {
  int failed = 0;                 // runs that returned an error
  int committed_then_failed = 0;  // runs whose fault hit only the cleanup after the commit
};

// Runs `op` on a fresh copy of `template_lake` with the n-th mutating Env call failing, for n
// = 0, 1, ... until a run makes no more calls than n (the fault is never reached).
void FailEachCallInTurn(Faults& faults, const std::string& template_lake,
                        const std::string& lake_dir, const Operation& op, const Candles& before,
                        const Candles& after, bool gaps_after, Tally& tally) {
  const auto checksums_before = [&] {
    CopyTree(template_lake, lake_dir);
    return LakeChecksums(lake_dir);
  }();
  for (int n = 0; n < kMaxCalls; ++n) {
    SCOPED_TRACE("failing from mutating call " + std::to_string(n));
    CopyTree(template_lake, lake_dir);
    LakeOptions options;
    options.runtime = testing::TestRuntime(faults.env(), lake_dir);
    // Init on an existing lake opens it (and goes through the Env for its folders).
    DLAKE_ASSERT_OK_AND_ASSIGN(auto lake, Lake::Init(lake_dir, options));
    faults.Arm(n);
    Status status = op(*lake);
    const int calls = faults.calls();
    faults.Disarm();

    if (status.ok()) {
      ExpectHolds(ReadSnapshot(lake_dir), after);
      if (calls <= n) return;  // the fault was never reached: done
      // The fault hit the removal of replaced files after the commit: they are orphans now.
      ++tally.committed_then_failed;
      ExpectRepairedClean(*lake, gaps_after);
      continue;
    }
    ++tally.failed;
    EXPECT_EQ(status.code(), StatusCode::kIoError) << status.ToString();
    EXPECT_THAT(status.message(), AllOf(ContainsRegex("^(mkdir|rename|unlink|rmdir|fsync|write) '"),
                                        HasSubstr(lake_dir), HasSubstr(std::strerror(ENOSPC))));
    ExpectHolds(ReadSnapshot(lake_dir), before);
    if (faults.cleanup_works()) {
      // Everything the failed operation created is gone again.
      EXPECT_EQ(LakeChecksums(lake_dir), checksums_before);
      EXPECT_EQ(TempFilesUnder(lake_dir), std::vector<std::string>{});
    }
    ExpectRepairedClean(*lake, /*gaps_expected=*/false);
    // The same lake, faults gone: the operation goes through.
    DLAKE_EXPECT_OK(op(*lake));
    ExpectHolds(ReadSnapshot(lake_dir), after);
    if (::testing::Test::HasFailure()) return;
  }
  ADD_FAILURE() << "the operation still reached a fault after " << kMaxCalls << " calls";
}

void Report(const Tally& t) {
  std::cout << t.failed << " runs failed cleanly, " << t.committed_then_failed
            << " committed before their fault\n";
  ::testing::Test::RecordProperty("failed", t.failed);
  ::testing::Test::RecordProperty("committed_then_failed", t.committed_then_failed);
}

class FaultInjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    template_lake_ = tmp_.Join("template");
    InitLake(template_lake_);
    IngestCsv(template_lake_, WriteKlines(tmp_.Join("old.csv"), old_data_));
  }

  Operation IngestOp() {
    const std::string csv = WriteKlines(tmp_.Join("new.csv"), new_data_);
    return [csv](Lake& lake) -> Status {
      IngestRequest request;
      request.sources = {csv};
      DLAKE_ASSIGN_OR_RETURN(request.dataset,
                             DatasetId::Make(kExchange, "FUTURES", kSymbol, "raw", "1m"));
      return lake.Ingest(request).status();
    };
  }

  TempDir tmp_;
  std::string template_lake_;
  // Four stored days; the ingest merges into days 2-3 and creates days 4-5.
  const KlineOptions old_data_ = Klines(0, 4, 42000, 1);
  const KlineOptions new_data_ = Klines(2, 4, 45000, 2);
};

TEST_F(FaultInjectionTest, IngestFailingFromEachEnvCallOnLeavesOldRows) {
  PersistentFaults faults;
  const Candles before = CandlesOf(old_data_);
  Tally t;
  FailEachCallInTurn(faults, template_lake_, tmp_.Join("lake"), IngestOp(), before,
                     Merged(before, CandlesOf(new_data_)), /*gaps_after=*/false, t);
  Report(t);
  EXPECT_GE(t.failed, 4 * 3) << "fewer failure points than days x (mkdir, fsync, rename)";
}

TEST_F(FaultInjectionTest, IngestWithOneFailingEnvCallRemovesWhatItCreated) {
  TransientFaults faults;
  const Candles before = CandlesOf(old_data_);
  Tally t;
  FailEachCallInTurn(faults, template_lake_, tmp_.Join("lake"), IngestOp(), before,
                     Merged(before, CandlesOf(new_data_)), /*gaps_after=*/false, t);
  Report(t);
  EXPECT_GE(t.failed, 4 * 3);
}

// Rows from the middle of day 1 to the middle of day 3 go: days 1 and 3 are rewritten, day 2
// removed.
Operation DeleteOp(Candles& after, const Candles& before) {
  const int64_t start = kDay0 + 1 * kMsPerDay + 12 * kMsPerHour;
  const int64_t end = kDay0 + 3 * kMsPerDay + 12 * kMsPerHour;
  after = before;
  after.erase(after.lower_bound(start), after.lower_bound(end));
  return [start, end](Lake& lake) -> Status {
    DeleteRequest request;
    request.filter.symbol = kSymbol;
    request.start = start;
    request.end = end;
    return lake.Delete(request).status();
  };
}

TEST_F(FaultInjectionTest, DeleteFailingFromEachEnvCallOnLeavesOldRows) {
  PersistentFaults faults;
  const Candles before = CandlesOf(old_data_);
  Candles after;
  Operation op = DeleteOp(after, before);
  Tally t;
  FailEachCallInTurn(faults, template_lake_, tmp_.Join("lake"), op, before, after,
                     /*gaps_after=*/true, t);
  Report(t);
  EXPECT_GE(t.failed, 2 * 3) << "fewer failure points than rewritten days x (mkdir, fsync, rename)";
}

TEST_F(FaultInjectionTest, DeleteWithOneFailingEnvCallRemovesWhatItCreated) {
  TransientFaults faults;
  const Candles before = CandlesOf(old_data_);
  Candles after;
  Operation op = DeleteOp(after, before);
  Tally t;
  FailEachCallInTurn(faults, template_lake_, tmp_.Join("lake"), op, before, after,
                     /*gaps_after=*/true, t);
  Report(t);
  EXPECT_GE(t.failed, 2 * 3);
}

}  // namespace
}  // namespace dlake::testing
