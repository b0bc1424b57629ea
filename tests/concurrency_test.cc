// Several dlake processes on one lake at once (DESIGN.md "Writing: crash-safe, idempotent,
// concurrent"; checklist item 6): writers of one dataset serialise on its lock file and lose
// nothing, writers of different datasets do not wait for each other, and readers and
// `verify --repair` running beside a writer never see or cause a half-written state.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "dlake/common/time.h"
#include "dlake/lake.h"
#include "storage/partition.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

struct OverlapRound {
  double a_from, a_days, b_from, b_days;
};

TEST(ConcurrencyTest, TwoProcessesIngestOverlappingDaysLoseNothing) {
  // The lake already holds days 0-2, so some days are merged with stored files.
  const KlineOptions stored = Klines(0, 3, 40000, 3);
  const OverlapRound rounds[] = {
      {0, 8, 4, 8},      // half of each overlaps the other
      {1, 8, 1, 8},      // the same days, other values
      {0, 5, 4.5, 5},    // the overlap starts mid-day
      {0, 10, 3, 2.25},  // one inside the other, ending mid-day
  };
  for (const auto& round : rounds) {
    SCOPED_TRACE("A days [" + std::to_string(round.a_from) + ", +" + std::to_string(round.a_days) +
                 "), B days [" + std::to_string(round.b_from) + ", +" +
                 std::to_string(round.b_days) + ")");
    TempDir tmp;
    const std::string lake = tmp.Join("lake");
    InitLake(lake);
    IngestCsv(lake, WriteKlines(tmp.Join("stored.csv"), stored));
    const KlineOptions a = Klines(round.a_from, round.a_days, 42000, 1);
    const KlineOptions b = Klines(round.b_from, round.b_days, 45000, 2);
    const std::string a_csv = WriteKlines(tmp.Join("a.csv"), a);
    const std::string b_csv = WriteKlines(tmp.Join("b.csv"), b);

    auto child_a = DlakeChild::Start(IngestArgs(lake, a_csv));
    auto child_b = DlakeChild::Start(IngestArgs(lake, b_csv));
    ProcessResult ra = child_a->Wait();
    ProcessResult rb = child_b->Wait();
    EXPECT_EQ(ra.exit_code, 0) << Describe(ra);
    EXPECT_EQ(rb.exit_code, 0) << Describe(rb);

    // Each ingest applies as a whole: the later one wins every ts both hold.
    const Candles base = CandlesOf(stored);
    const Candles a_then_b = Merged(Merged(base, CandlesOf(a)), CandlesOf(b));
    const Candles b_then_a = Merged(Merged(base, CandlesOf(b)), CandlesOf(a));
    const Snapshot snap = ReadSnapshot(lake);
    const std::string if_a_first = Mismatch(snap, a_then_b);
    const std::string if_b_first = Mismatch(snap, b_then_a);
    EXPECT_TRUE(if_a_first.empty() || if_b_first.empty())
        << "neither A-then-B (" << if_a_first << ") nor B-then-A (" << if_b_first << ")";

    nlohmann::json verify = VerifyJson(lake);
    EXPECT_TRUE(verify.value("ok", false)) << verify.dump(2);
    EXPECT_EQ(TempFilesUnder(lake), std::vector<std::string>{});
  }
}

TEST(ConcurrencyTest, TwoProcessesWritingDifferentSymbolsBothSucceed) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions btc = Klines(0, 10, 42000, 1);
  const KlineOptions eth = Klines(0, 10, 2300, 2);
  auto child_btc = DlakeChild::Start(IngestArgs(lake, WriteKlines(tmp.Join("btc.csv"), btc)));
  auto child_eth =
      DlakeChild::Start(IngestArgs(lake, WriteKlines(tmp.Join("eth.csv"), eth), "ETHUSDT"));
  ProcessResult r_btc = child_btc->Wait();
  ProcessResult r_eth = child_eth->Wait();
  EXPECT_EQ(r_btc.exit_code, 0) << Describe(r_btc);
  EXPECT_EQ(r_eth.exit_code, 0) << Describe(r_eth);
  ExpectHolds(ReadSnapshot(lake, kSymbol), CandlesOf(btc));
  ExpectHolds(ReadSnapshot(lake, "ETHUSDT"), CandlesOf(eth));
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
}

// Holds a dataset's write lock the way a writing process does.
class HeldDatasetLock {
 public:
  explicit HeldDatasetLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd_, 0) << path;
    if (fd_ >= 0) {
      EXPECT_EQ(::flock(fd_, LOCK_EX), 0) << path;
    }
  }
  ~HeldDatasetLock() { Release(); }
  void Release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

TEST(ConcurrencyTest, WriterWaitsForItsDatasetButNotForAnother) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  // A first ingest creates the lock file where the writers look for it.
  const KlineOptions first = Klines(0, 1, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("first.csv"), first));
  auto btc_id = DatasetId::Make(kExchange, "FUTURES", kSymbol, "raw", "1m");
  ASSERT_TRUE(btc_id.ok());
  const std::string lock_path = lake + "/" + storage::DatasetLockPath(*btc_id);
  ASSERT_TRUE(std::filesystem::exists(lock_path)) << lock_path;

  HeldDatasetLock held(lock_path);
  const KlineOptions btc = Klines(1, 2, 42000, 2);
  const KlineOptions eth = Klines(0, 2, 2300, 3);
  auto child_btc = DlakeChild::Start(IngestArgs(lake, WriteKlines(tmp.Join("btc.csv"), btc)));
  ProcessResult r_eth =
      RunDlakeWith(IngestArgs(lake, WriteKlines(tmp.Join("eth.csv"), eth), "ETHUSDT"));
  EXPECT_EQ(r_eth.exit_code, 0) << Describe(r_eth);
  ExpectHolds(ReadSnapshot(lake, "ETHUSDT"), CandlesOf(eth));
  // The BTC writer, as quick as the ETH one, is still waiting for the lock and has written
  // nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(child_btc->Running()) << "the BTCUSDT ingest did not wait for the held lock";
  ExpectHolds(ReadSnapshot(lake, kSymbol), CandlesOf(first));

  held.Release();
  ProcessResult r_btc = child_btc->Wait();
  EXPECT_EQ(r_btc.exit_code, 0) << Describe(r_btc);
  ExpectHolds(ReadSnapshot(lake, kSymbol), Merged(CandlesOf(first), CandlesOf(btc)));
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
}

// Regression: a read overlapping a commit of the same dataset failed with "Cannot open file
// <replaced day file>", because the writer deleted replaced files at once while DuckDB opens
// files lazily as rows stream. Readers now hold the dataset's shared read lock and writers defer
// deleting files while any reader holds it (storage/dataset_locks.h).
TEST(ConcurrencyTest, ReadersDuringIngestsSeeOldOrNewDataNeverAnError) {
  TempDir tmp;
  const std::string lake_dir = tmp.Join("lake");
  InitLake(lake_dir);
  const KlineOptions old_data = Klines(0, 20, 42000, 1);
  IngestCsv(lake_dir, WriteKlines(tmp.Join("old.csv"), old_data));
  // Two versions of days 12-17, ingested in turn: every ingest replaces six day files.
  const KlineOptions version_a = Klines(12, 6, 45000, 2);
  const KlineOptions version_b = Klines(12, 6, 47000, 3);
  const std::string csv_a = WriteKlines(tmp.Join("a.csv"), version_a);
  const std::string csv_b = WriteKlines(tmp.Join("b.csv"), version_b);
  const Candles before = CandlesOf(old_data);
  const Candles with_a = Merged(before, CandlesOf(version_a));
  const Candles with_b = Merged(before, CandlesOf(version_b));

  constexpr int kIngests = 40;
  std::atomic<bool> stop{false};
  std::atomic<int> ingests_done{0};
  std::vector<ProcessResult> failed_ingests;
  std::thread writer([&] {
    for (int i = 0; i < kIngests && !stop; ++i) {
      ProcessResult r = RunDlakeWith(IngestArgs(lake_dir, i % 2 ? csv_b : csv_a));
      if (r.exit_code != 0) failed_ingests.push_back(r);
      ++ingests_done;
    }
    stop = true;
  });

  DLAKE_ASSERT_OK_AND_ASSIGN(auto lake, Lake::Open(lake_dir, LakeOptions{}));
  int reads = 0;
  std::string problem;
  while (!stop && problem.empty()) {
    const Snapshot snap = ReadSnapshot(*lake);
    ++reads;
    if (Mismatch(snap, before).empty() || Mismatch(snap, with_a).empty() ||
        Mismatch(snap, with_b).empty()) {
      continue;
    }
    problem = "read " + std::to_string(reads) + " (during ingest " +
              std::to_string(ingests_done + 1) +
              ") matched no committed state: " + Mismatch(snap, with_a);
  }
  stop = true;
  writer.join();
  EXPECT_EQ(problem, "");
  for (const auto& r : failed_ingests) ADD_FAILURE() << "ingest failed: " << Describe(r);
  std::cout << reads << " reads during " << ingests_done << " ingests\n";
}

// Regression: `verify --repair` took no dataset lock and deleted a writer's freshly renamed day
// files (orphans for a moment before the manifest commit): data loss. Repair now re-checks
// orphans under the dataset's write lock.
TEST(ConcurrencyTest, VerifyRepairBesideAnIngestNeverDeletesCommittedFiles) {
  TempDir tmp;
  const std::string template_lake = tmp.Join("template");
  InitLake(template_lake);
  const KlineOptions old_data = Klines(0, 20, 42000, 1);
  IngestCsv(template_lake, WriteKlines(tmp.Join("old.csv"), old_data));
  const KlineOptions new_data = Klines(10, 30, 45000, 2);
  const std::string new_csv = WriteKlines(tmp.Join("new.csv"), new_data);
  const Candles after = Merged(CandlesOf(old_data), CandlesOf(new_data));

  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string lake = tmp.Join("lake");
    CopyTree(template_lake, lake);
    auto writer = DlakeChild::Start(IngestArgs(lake, new_csv));
    int repairs = 0;
    while (writer->Running()) {
      ProcessResult r = Dlake(lake, {"verify", "--repair", "--no-data-checks"});
      ++repairs;
      ASSERT_NE(r.exit_code, -1) << Describe(r);
    }
    ProcessResult r = writer->Wait();
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    nlohmann::json verify = VerifyJson(lake);
    ExpectNoDamage(verify);
    ExpectHolds(ReadSnapshot(lake), after);
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "after " << repairs << " concurrent verify --repair runs";
      return;
    }
  }
}

}  // namespace
}  // namespace dlake::testing
