// The operating system refusing writes (checklist items 15 and 18): a permission problem or a
// full disk ends dlake with exit code 1 and a message naming what it was writing and why, and
// leaves the lake exactly as it was.

#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "dlake/common/time.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Folders under <lake>/data, relative and sorted.
std::vector<std::string> FoldersUnder(const std::string& lake) {
  std::vector<std::string> out;
  const fs::path data = lake + "/data";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) out.push_back(fs::relative(it->path(), data).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What a refused write must leave: the same files with the same bytes, no temporary file, the
// old rows, and a lake that verifies clean after repair.
void ExpectLakeAsBefore(const std::string& lake, const std::map<std::string, std::string>& before,
                        const Candles& rows) {
  EXPECT_EQ(LakeChecksums(lake), before);
  EXPECT_EQ(TempFilesUnder(lake), std::vector<std::string>{});
  ExpectHolds(ReadSnapshot(lake), rows);
  ProcessResult repaired = Dlake(lake, {"verify", "--repair"});
  EXPECT_EQ(repaired.exit_code, 0) << Describe(repaired);
  nlohmann::json verify = VerifyJson(lake);
  EXPECT_TRUE(verify.value("ok", false)) << verify.dump(2);
}

// ---- Permissions ----

// A lake whose files a test makes unwritable for the dlake child. As root (chmod does not stop
// root) the child runs as nobody on a lake others may read but not write; otherwise the lake's
// folders are made read-only.
class UnwritableLake {
 public:
  UnwritableLake() : root_(::geteuid() == 0) {}

  // Runs `args` as the restricted user.
  ProcessResult Run(const std::vector<std::string>& args) {
    SpawnOptions options;
    options.as_nobody = root_;
    options.env = nobody_.env;
    options.binary = nobody_.binary;
    return RunDlakeWith(args, options);
  }

  // Prepares `tmp` (holding the lake and the CSV) for the restricted user and makes `readonly`
  // (a folder inside the lake, or the lake itself) unwritable for it. As root, `writable` parts
  // are handed to nobody.
  void Restrict(const TempDir& tmp, const std::string& readonly,
                const std::vector<std::string>& writable) {
    if (root_) {
      nobody_ = PrepareDlakeForNobody(tmp);
      MakeReadableByOthers(tmp.path());
      for (const auto& path : writable) {
        ASSERT_EQ(::chown(path.c_str(), kNobody, kNobody), 0)
            << path << ": " << std::strerror(errno);
      }
      ProcessResult r = Run({"--version"});
      ASSERT_EQ(r.exit_code, 0) << "nobody cannot run dlake: " << Describe(r);
      return;
    }
    readonly_ = readonly;
    SetWritable(readonly, false);
  }

  // Gives the test its write access back (for the checks that follow, which repair).
  void Unrestrict() {
    if (!readonly_.empty()) SetWritable(readonly_, true);
  }

 private:
  static void SetWritable(const std::string& dir, bool writable) {
    std::error_code ec;
    const auto write = fs::perms::owner_write;
    const auto how = writable ? fs::perm_options::add : fs::perm_options::remove;
    fs::permissions(dir, write, how, ec);
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      fs::permissions(it->path(), write, how, ec);
    }
  }

  bool root_;
  std::string readonly_;  // made read-only by chmod (when not root)
  NobodyDlake nobody_;    // as root: how nobody runs dlake
};

// Regression: a lake the user may read but not write failed with SQLite's "attempt to write a
// readonly database"; the message must name the manifest and say "Permission denied".
TEST(PermissionTest, IngestIntoLakeWithoutWritePermissionFailsClearly) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions old_data = Klines(0, 2, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), old_data));
  const std::string csv = WriteKlines(tmp.Join("new.csv"), Klines(1, 2, 45000, 2));
  const auto before = LakeChecksums(lake);

  UnwritableLake restricted;
  ASSERT_NO_FATAL_FAILURE(restricted.Restrict(tmp, lake, /*writable=*/{}));
  ProcessResult r = restricted.Run(IngestArgs(lake, csv));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr(lake), HasSubstr("Permission denied"))) << Describe(r);
  restricted.Unrestrict();
  ExpectLakeAsBefore(lake, before, CandlesOf(old_data));
}

TEST(PermissionTest, IngestIntoReadOnlyDataFolderFailsClearly) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions old_data = Klines(0, 2, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), old_data));
  // Day 1 merges into a stored file, days 2-3 need new folders.
  const std::string csv = WriteKlines(tmp.Join("new.csv"), Klines(1, 3, 45000, 2));
  const auto before = LakeChecksums(lake);
  const auto folders = FoldersUnder(lake);

  UnwritableLake restricted;
  std::vector<std::string> writable = {lake, lake + "/manifest.db", lake + "/metadata",
                                       lake + "/.locks"};
  for (const auto& f : ListFilesRecursive(lake + "/.locks"))
    writable.push_back(lake + "/.locks/" + f);
  ASSERT_NO_FATAL_FAILURE(restricted.Restrict(tmp, lake + "/data", writable));
  ProcessResult r = restricted.Run(IngestArgs(lake, csv));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  // The first partition the ingest touches: writing into 01/02 or creating 01/03.
  EXPECT_THAT(r.err, AllOf(HasSubstr(lake + "/data/BINANCE/FUTURES/BTCUSDT/raw/1m/2024/01/0"),
                           HasSubstr("Permission denied")))
      << Describe(r);
  EXPECT_EQ(FoldersUnder(lake), folders);
  restricted.Unrestrict();
  ExpectLakeAsBefore(lake, before, CandlesOf(old_data));
}

// ---- Full disks ----

// Runs `args` with writes beyond `limit` bytes per file failing with EFBIG.
ProcessResult RunWithFileSizeLimit(const std::vector<std::string>& args, int64_t limit) {
  SpawnOptions options;
  options.file_size_limit = limit;
  return RunDlakeWith(args, options);
}

TEST(DiskFullTest, FileTooLargeWhileWritingPartitionsLeavesLakeUnchanged) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions old_data = Klines(0, 3, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), old_data));
  const std::string csv = WriteKlines(tmp.Join("new.csv"), Klines(2, 3, 45000, 2));
  const auto before = LakeChecksums(lake);

  // A day of 1m candles takes about 70 KB of Parquet.
  ProcessResult r = RunWithFileSizeLimit(IngestArgs(lake, csv), 64 * 1024);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("writing partition 'data/BINANCE/FUTURES/BTCUSDT/raw/1m/"),
                           HasSubstr("File too large")))
      << Describe(r);
  ExpectLakeAsBefore(lake, before, CandlesOf(old_data));
}

// Daily candles: each day file is a couple of KB, but recording a hundred of them in one manifest
// transaction needs far more WAL than that, so the commit is what runs out of room.
KlineOptions DailyKlines(int64_t from_day, int64_t days, double base) {
  KlineOptions o;
  o.start_ms = kDay0 + from_day * kMsPerDay;
  o.step_ms = kMsPerDay;
  o.count = days;
  o.columns = 6;
  o.base_price = base;
  return o;
}

std::vector<std::string> DailyIngestArgs(const std::string& lake, const std::string& csv) {
  std::vector<std::string> args = IngestArgs(lake, csv);
  args.insert(args.end(), {"--period", "1d"});
  return args;
}

Snapshot ReadDaily(const std::string& lake) {
  Snapshot snap;
  ProcessResult r = Dlake(lake, {"read", "--exchange", kExchange, "--symbol", kSymbol, "--period",
                                 "1d", "--format", "csv", "--columns", "ts"});
  if (r.exit_code != 0) snap.error = Describe(r);
  std::stringstream in(r.out);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    ++snap.total_rows;
    snap.rows[std::stoll(line)] = Candle{};
  }
  return snap;
}

TEST(DiskFullTest, FileTooLargeWhileCommittingManifestLeavesLakeUnchanged) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  const KlineOptions old_data = DailyKlines(-10, 20, 42000);
  ProcessResult first =
      RunDlakeWith(DailyIngestArgs(lake, WriteKlines(tmp.Join("old.csv"), old_data)));
  ASSERT_EQ(first.exit_code, 0) << Describe(first);
  const KlineOptions new_data = DailyKlines(0, 100, 45000);
  const std::string csv = WriteKlines(tmp.Join("new.csv"), new_data);
  const auto before = LakeChecksums(lake);
  const Snapshot old_rows = ReadDaily(lake);
  ASSERT_EQ(old_rows.total_rows, 20);

  ProcessResult r = RunWithFileSizeLimit(DailyIngestArgs(lake, csv), 16 * 1024);
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("manifest '" + lake + "/manifest.db'")) << Describe(r);
  EXPECT_EQ(LakeChecksums(lake), before);
  EXPECT_EQ(TempFilesUnder(lake), std::vector<std::string>{});
  const Snapshot after = ReadDaily(lake);
  EXPECT_EQ(after.error, "");
  EXPECT_EQ(after.rows, old_rows.rows);
  ProcessResult repaired = Dlake(lake, {"verify", "--repair"});
  EXPECT_EQ(repaired.exit_code, 0) << Describe(repaired);
  EXPECT_TRUE(VerifyJson(lake).value("ok", false));
  // Without the limit the same ingest goes through.
  ProcessResult retry = RunDlakeWith(DailyIngestArgs(lake, csv));
  EXPECT_EQ(retry.exit_code, 0) << Describe(retry);
  EXPECT_EQ(ReadDaily(lake).total_rows, 110);
}

// Regression: a failed ingest left behind the day/month/year folders it created.
TEST(DiskFullTest, FailedIngestRemovesTheFoldersItCreated) {
  TempDir tmp;
  const std::string lake = tmp.Join("lake");
  InitLake(lake);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), Klines(0, 2, 42000, 1)));
  const auto folders = FoldersUnder(lake);
  // Starts in a month the lake has no folder for.
  const std::string csv = WriteKlines(tmp.Join("new.csv"), Klines(40, 2, 45000, 2));

  ProcessResult r = RunWithFileSizeLimit(IngestArgs(lake, csv), 64 * 1024);
  ASSERT_EQ(r.exit_code, 1) << Describe(r);
  ASSERT_THAT(r.err, HasSubstr("File too large")) << Describe(r);
  EXPECT_EQ(FoldersUnder(lake), folders);
}

// A tmpfs of a few MB mounted for one test; unmounted on destruction.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=2m") == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  int64_t FreeBytes() const {
    struct statvfs st {};
    ::statvfs(dir_.c_str(), &st);
    return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(DiskFullTest, NoSpaceLeftOnDeviceLeavesLakeUnchanged) {
  TempDir tmp;
  SmallFileSystem small(tmp.Join("small"));
  if (!small.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << small.error();
  const std::string lake = tmp.Join("small/lake");
  InitLake(lake);
  const KlineOptions old_data = Klines(0, 2, 42000, 1);
  IngestCsv(lake, WriteKlines(tmp.Join("old.csv"), old_data));
  // 60 days need about 4 MB; the file system holds 2.
  const std::string csv = WriteKlines(tmp.Join("new.csv"), Klines(1, 60, 45000, 2));
  const auto before = LakeChecksums(lake);
  const int64_t free_before = small.FreeBytes();

  ProcessResult r = RunDlakeWith(IngestArgs(lake, csv));
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(HasSubstr("writing partition 'data/BINANCE/FUTURES/BTCUSDT/raw/1m/"),
                           HasSubstr("No space left on device")))
      << Describe(r);
  // The space the failed ingest took is given back (a lock file and folders aside).
  EXPECT_GE(small.FreeBytes(), free_before - 64 * 1024);
  ExpectLakeAsBefore(lake, before, CandlesOf(old_data));

  // The lake still takes what fits.
  const KlineOptions more = Klines(2, 1, 45000, 3);
  IngestCsv(lake, WriteKlines(tmp.Join("more.csv"), more));
  ExpectHolds(ReadSnapshot(lake), Merged(CandlesOf(old_data), CandlesOf(more)));
}

}  // namespace
}  // namespace dlake::testing
