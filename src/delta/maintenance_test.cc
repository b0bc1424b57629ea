#include "delta/maintenance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "delta/actions.h"
#include "delta/log_files.h"
#include "delta/snapshot.h"
#include "delta/transaction.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"
#include "testing/fault_injection_env.h"
#include "testing/test_util.h"

namespace dlake::delta {
namespace {

namespace fs = std::filesystem;
using ::dlake::testing::IsOk;
using ::dlake::testing::StatusIs;
using ::dlake::testing::TempDir;
using ::testing::_;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr int64_t kHourMs = 3600LL * 1000;

// The real Env with a clock the test moves forward, a hook run just before the next commit file
// is linked into _delta_log (to interleave a concurrent writer), and a record of deletions.
class TestEnv : public Env {
 public:
  void Advance(double hours) { offset_ms_ += static_cast<int64_t>(hours * kHourMs); }
  void BeforeNextCommit(std::function<void()> hook) { hook_ = std::move(hook); }
  // Deleting a data file (outside _delta_log) fails with EACCES while set.
  void FailDataFileRemoves(bool fail) { fail_data_removes_ = fail; }
  std::vector<std::string> removed() {
    std::lock_guard<std::mutex> lock(mu_);
    return removed_;
  }

  Status CreateDirs(const std::string& path) override { return base_->CreateDirs(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override {
    if (fail_data_removes_ && path.find("/_delta_log/") == std::string::npos) {
      return IoErrorFromErrno("cannot remove", path, EACCES);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      removed_.push_back(path);
    }
    return base_->RemoveFile(path);
  }
  Status RemoveEmptyDir(const std::string& path) override { return base_->RemoveEmptyDir(path); }
  Status SyncFile(const std::string& path) override { return base_->SyncFile(path); }
  Status SyncDir(const std::string& path) override { return base_->SyncDir(path); }
  Status WriteFileAtomic(const std::string& path, const std::string& contents) override {
    return base_->WriteFileAtomic(path, contents);
  }
  Status AppendFile(const std::string& path, const std::string& contents) override {
    return base_->AppendFile(path, contents);
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    if (hook_ && to.find("/_delta_log/") != std::string::npos) {
      auto hook = std::move(hook_);
      hook_ = nullptr;
      hook();
    }
    return base_->LinkFile(from, to);
  }
  Status SetModificationTime(const std::string& path, int64_t ms) override {
    return base_->SetModificationTime(path, ms);
  }
  int64_t NowMs() override { return base_->NowMs() + offset_ms_; }

 private:
  Env* base_ = Env::Default();
  std::atomic<int64_t> offset_ms_{0};
  std::function<void()> hook_;
  std::atomic<bool> fail_data_removes_{false};
  std::mutex mu_;
  std::vector<std::string> removed_;
};

// Rows `from`..`to`-1: id, a minute-spaced ts, day = 'd<id % 2>', v = id * 10.
std::string Rows(int64_t from, int64_t to) {
  return "SELECT i AS id, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_minutes(i) AS ts, "
         "'d' || CAST(i % 2 AS VARCHAR) AS day, i * 10 AS v FROM range(" +
         std::to_string(from) + ", " + std::to_string(to) + ") AS t(i)";
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = duck::Database::Open("", duck::DatabaseOptions{});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto conn = duck::Connection::Open(*db_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(conn).value();
  }

  std::string root() const { return dir_.Join("table"); }

  TableOptions Options(Env* env = nullptr) {
    TableOptions options;
    options.runtime = testing::TestRuntime(env ? env : &env_);
    return options;
  }

  std::unique_ptr<Table> Create(const std::string& sql, const CreateOptions& create = {}) {
    auto table = Table::Create(root(), WriteSource::Query(sql), create, Options());
    EXPECT_THAT(table.status(), IsOk());
    return table.ok() ? std::move(table).value() : nullptr;
  }

  // Another handle on the table with the real Env: a concurrent writer.
  std::unique_ptr<Table> OpenOther() {
    TableOptions options;
    options.runtime = testing::TestRuntime();
    auto table = Table::Open(root(), options);
    EXPECT_THAT(table.status(), IsOk());
    return table.ok() ? std::move(table).value() : nullptr;
  }

  // Appends rows [from, to) in `pieces` appends of equal size.
  void AppendInPieces(Table& table, int64_t from, int64_t to, int64_t pieces) {
    int64_t step = (to - from) / pieces;
    for (int64_t p = 0; p < pieces; ++p) {
      auto appended =
          table.Append(WriteSource::Query(Rows(from + p * step, from + (p + 1) * step)));
      ASSERT_THAT(appended.status(), IsOk());
    }
  }

  Result<std::vector<int64_t>> Ids(Table& table, ScanOptions scan = {}) {
    scan.columns = {"id"};
    DLAKE_ASSIGN_OR_RETURN(RecordBatch batch, table.Read(scan));
    const Column* column = batch.Find("id");
    if (!column) return Internal("no id column");
    std::vector<int64_t> ids;
    for (size_t r = 0; r < batch.num_rows; ++r) ids.push_back(column->ints[r]);
    return ids;
  }

  std::vector<int64_t> IdsAt(Table& table, std::optional<int64_t> version = std::nullopt) {
    ScanOptions scan;
    scan.at.version = version;
    auto ids = Ids(table, scan);
    EXPECT_THAT(ids.status(), IsOk());
    return ids.ok() ? *ids : std::vector<int64_t>{};
  }

  std::vector<int64_t> SortedIds(Table& table, std::optional<int64_t> version = std::nullopt) {
    auto ids = IdsAt(table, version);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Snapshot Load(std::optional<int64_t> version = std::nullopt) {
    VersionSpec at;
    at.version = version;
    auto snapshot = LoadSnapshot(*conn_, root(), at);
    EXPECT_THAT(snapshot.status(), IsOk());
    return snapshot.ok() ? std::move(snapshot).value() : Snapshot{};
  }

  std::vector<std::string> LivePaths(std::optional<int64_t> version = std::nullopt) {
    std::vector<std::string> paths;
    for (const auto& file : Load(version).files) paths.push_back(file.path);
    std::sort(paths.begin(), paths.end());
    return paths;
  }

  std::vector<Action> CommitActions(int64_t version) {
    auto actions = ReadCommit(root(), version);
    EXPECT_THAT(actions.status(), IsOk());
    return actions.ok() ? *actions : std::vector<Action>{};
  }

  nlohmann::json CommitInfoOf(int64_t version) {
    for (const auto& action : CommitActions(version)) {
      if (const auto* info = std::get_if<CommitInfo>(&action)) return info->value;
    }
    return nlohmann::json::object();
  }

  bool Exists(const std::string& relative) const {
    return fs::exists(dir_.Join("table/" + relative));
  }

  // Writes a file under the table folder with modification time `age_hours` before the test
  // clock's now.
  void WriteAged(const std::string& relative, double age_hours) {
    std::string path = root() + "/" + relative;
    fs::create_directories(fs::path(path).parent_path());
    ::dlake::testing::WriteFile(path, "not referenced by the log");
    SetAge(relative, age_hours);
  }
  void SetAge(const std::string& relative, double age_hours) {
    int64_t ms = env_.NowMs() - static_cast<int64_t>(age_hours * kHourMs);
    ASSERT_THAT(Env::Default()->SetModificationTime(root() + "/" + relative, ms), IsOk());
  }

  TempDir dir_;
  TestEnv env_;
  std::unique_ptr<duck::Database> db_;
  std::unique_ptr<duck::Connection> conn_;
};

class OptimizeTest : public MaintenanceTest {};
class VacuumTest : public MaintenanceTest {};
class CleanupLogTest : public MaintenanceTest {};
class RestoreTest : public MaintenanceTest {};

// ---- OPTIMIZE ----

TEST_F(OptimizeTest, CompactsManySmallAppendsIntoOneFileKeepingRowOrder) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 200, 19);
  ASSERT_EQ(Load().files.size(), 20u);

  auto result = table->Optimize();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_FALSE(result->skipped);
  EXPECT_EQ(result->version, 20);
  EXPECT_EQ(result->files_removed, 20);
  EXPECT_EQ(result->files_added, 1);
  EXPECT_EQ(result->rows_copied, 200);
  EXPECT_GT(result->bytes_added, 0);
  EXPECT_GT(result->bytes_removed, 0);

  auto described = table->Describe();
  ASSERT_THAT(described.status(), IsOk());
  EXPECT_EQ(described->num_files, 1);
  EXPECT_EQ(described->num_records, 200);
  // One file in file order: the rows come back in the order they were appended.
  EXPECT_EQ(IdsAt(*table), Range(0, 200));
  ScanOptions ordered;
  ordered.columns = {"id", "ts"};
  auto batch = table->Read(ordered);
  ASSERT_THAT(batch.status(), IsOk());
  const Column* ts = batch->Find("ts");
  ASSERT_NE(ts, nullptr);
  EXPECT_TRUE(std::is_sorted(ts->strings.begin(), ts->strings.end()));
  // Time travel to before the compaction still reads the small files.
  EXPECT_EQ(SortedIds(*table, 19), Range(0, 200));
  EXPECT_EQ(SortedIds(*table, 5), Range(0, 60));
}

TEST_F(OptimizeTest, WritesDataChangeFalseActionsAndCommitInfo) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  auto before = Load();
  auto result = table->Optimize();
  ASSERT_THAT(result.status(), IsOk());
  ASSERT_EQ(result->version, 3);

  int adds = 0, removes = 0;
  std::set<std::string> removed_paths;
  for (const auto& action : CommitActions(3)) {
    if (const auto* add = std::get_if<AddFile>(&action)) {
      ++adds;
      EXPECT_FALSE(add->data_change);
      EXPECT_EQ(NumRecords(add->stats), 30);
    }
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      ++removes;
      removed_paths.insert(remove->path);
      EXPECT_FALSE(remove->data_change);
      ASSERT_TRUE(remove->deletion_timestamp.has_value());
      EXPECT_NEAR(static_cast<double>(*remove->deletion_timestamp),
                  static_cast<double>(env_.NowMs()), 60'000.0);
      EXPECT_TRUE(remove->extended_file_metadata);
      EXPECT_TRUE(remove->size.has_value() && *remove->size > 0);
    }
  }
  EXPECT_EQ(adds, 1);
  EXPECT_EQ(removes, 3);
  std::set<std::string> before_paths;
  for (const auto& file : before.files) before_paths.insert(file.path);
  EXPECT_EQ(removed_paths, before_paths);

  nlohmann::json info = CommitInfoOf(3);
  EXPECT_EQ(info.value("operation", ""), "OPTIMIZE");
  EXPECT_EQ(info["operationParameters"].value("predicate", ""), "[]");
  EXPECT_EQ(info["operationMetrics"].value("numRemovedFiles", ""), "3");
  EXPECT_EQ(info["operationMetrics"].value("numAddedFiles", ""), "1");
  EXPECT_EQ(info["operationMetrics"].value("numRemovedBytes", ""),
            std::to_string(result->bytes_removed));
}

TEST_F(OptimizeTest, CompactsEachPartitionIntoItsOwnFile) {
  CreateOptions create;
  create.partition_columns = {"day"};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  ASSERT_EQ(Load().files.size(), 6u);

  auto result = table->Optimize();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_removed, 6);
  EXPECT_EQ(result->files_added, 2);
  Snapshot after = Load();
  ASSERT_EQ(after.files.size(), 2u);
  std::set<std::string> days;
  for (const auto& file : after.files) {
    ASSERT_TRUE(file.partition_values.count("day"));
    days.insert(file.partition_values.at("day").value_or(""));
    EXPECT_EQ(file.path.rfind("day=" + file.partition_values.at("day").value_or("") + "/", 0), 0u)
        << file.path;
  }
  EXPECT_EQ(days, (std::set<std::string>{"d0", "d1"}));
  for (int parity = 0; parity < 2; ++parity) {
    ScanOptions scan;
    scan.where = "day = 'd" + std::to_string(parity) + "'";
    auto ids = Ids(*table, scan);
    ASSERT_THAT(ids.status(), IsOk());
    std::vector<int64_t> expected;
    for (int64_t i = parity; i < 30; i += 2) expected.push_back(i);
    EXPECT_EQ(*ids, expected);  // in order within the partition
  }
}

TEST_F(OptimizeTest, PartitionWhereLimitsTheCompactionToMatchingPartitions) {
  CreateOptions create;
  create.partition_columns = {"day"};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);

  OptimizeOptions options;
  options.partition_where = "day = 'd1'";
  auto result = table->Optimize(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_removed, 3);
  EXPECT_EQ(result->files_added, 1);
  int d0 = 0, d1 = 0;
  for (const auto& file : Load().files) {
    (file.partition_values.at("day") == "d0" ? d0 : d1)++;
  }
  EXPECT_EQ(d0, 3);
  EXPECT_EQ(d1, 1);
  EXPECT_EQ(CommitInfoOf(result->version)["operationParameters"].value("predicate", ""),
            "[\"day = 'd1'\"]");
  EXPECT_EQ(SortedIds(*table), Range(0, 30));

  // Any SQL over partition columns works, not only what file skipping parses.
  options.partition_where = "day IN ('d0', 'x')";
  result = table->Optimize(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_removed, 3);
}

TEST_F(OptimizeTest, PartitionWhereOnADataColumnIsRefusedNamingIt) {
  CreateOptions create;
  create.partition_columns = {"day"};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 20, 1);
  OptimizeOptions options;
  options.partition_where = "day = 'd1' AND v > 30";
  EXPECT_THAT(table->Optimize(options).status(),
              StatusIs(StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'v'"), HasSubstr("partition column"))));
  options.partition_where = "v + 1 > 30";  // not parsed as a skipping predicate; DuckDB refuses
  EXPECT_THAT(table->Optimize(options).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("partition columns (day)")));
  EXPECT_EQ(Load().version, 1);
}

TEST_F(OptimizeTest, BinsWithFewerThanMinFilesAreLeftAlone) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  OptimizeOptions options;
  options.min_files = 4;
  auto skipped = table->Optimize(options);
  ASSERT_THAT(skipped.status(), IsOk());
  EXPECT_TRUE(skipped->skipped);
  EXPECT_EQ(skipped->version, -1);
  EXPECT_EQ(Load().version, 2);

  options.min_files = 3;
  auto compacted = table->Optimize(options);
  ASSERT_THAT(compacted.status(), IsOk());
  EXPECT_FALSE(compacted->skipped);
  EXPECT_EQ(compacted->files_removed, 3);
}

TEST_F(OptimizeTest, IsANoOpOnACompactedTable) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 40, 3);
  ASSERT_THAT(table->Optimize().status(), IsOk());
  auto again = table->Optimize();
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_TRUE(again->skipped);
  EXPECT_EQ(again->version, -1);
  EXPECT_EQ(Load().version, 4);

  // Files at or above the target are never rewritten.
  AppendInPieces(*table, 40, 50, 1);
  OptimizeOptions tiny;
  tiny.target_file_bytes = 1;
  auto none = table->Optimize(tiny);
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_TRUE(none->skipped);
}

TEST_F(OptimizeTest, PacksBinsOfAboutTheTargetSize) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 60, 5);
  int64_t smallest = INT64_MAX, largest = 0;
  for (const auto& file : Load().files) {
    smallest = std::min(smallest, file.size);
    largest = std::max(largest, file.size);
  }
  // Two files fit in 2.5 x the largest, three never do.
  ASSERT_GT(smallest * 3, largest * 5 / 2) << "files too unequal for this test";
  OptimizeOptions options;
  options.target_file_bytes = largest * 5 / 2;
  auto result = table->Optimize(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_removed, 6);
  EXPECT_EQ(result->files_added, 3);
  EXPECT_EQ(IdsAt(*table), Range(0, 60));
}

TEST_F(OptimizeTest, SortByOrdersTheRowsOfTheNewFile) {
  auto table = Create(Rows(50, 60));
  ASSERT_TRUE(table);
  for (int64_t start = 40; start >= 0; start -= 10) {
    ASSERT_THAT(table->Append(WriteSource::Query(Rows(start, start + 10))).status(), IsOk());
  }
  OptimizeOptions options;
  options.sort_by = {"ts"};
  auto result = table->Optimize(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_added, 1);
  EXPECT_EQ(IdsAt(*table), Range(0, 60));
  EXPECT_EQ(CommitInfoOf(result->version)["operationParameters"].value("sortBy", ""), "[\"ts\"]");

  options.sort_by = {"nope"};
  EXPECT_THAT(table->Optimize(options).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("'nope'")));
}

TEST_F(OptimizeTest, FillsNullsForColumnsOlderFilesLack) {
  auto table = Create(Rows(0, 5));
  ASSERT_TRUE(table);
  WriteOptions merge;
  merge.merge_schema = true;
  ASSERT_THAT(
      table
          ->Append(WriteSource::Query("SELECT *, 'x' || CAST(id AS VARCHAR) AS extra FROM (" +
                                      Rows(5, 10) + ")"),
                   merge)
          .status(),
      IsOk());
  ASSERT_THAT(table->Optimize().status(), IsOk());
  EXPECT_EQ(Load().files.size(), 1u);
  ScanOptions scan;
  scan.columns = {"id", "extra"};
  auto batch = table->Read(scan);
  ASSERT_THAT(batch.status(), IsOk());
  const Column* extra = batch->Find("extra");
  ASSERT_NE(extra, nullptr);
  ASSERT_EQ(batch->num_rows, 10u);
  for (size_t r = 0; r < 10; ++r) {
    if (r < 5) {
      EXPECT_TRUE(extra->IsNull(r)) << r;
    } else {
      EXPECT_EQ(extra->ToString(r), "x" + std::to_string(r));
    }
  }
}

TEST_F(OptimizeTest, IsAllowedOnAnAppendOnlyTable) {
  CreateOptions create;
  create.configuration = {{"delta.appendOnly", "true"}};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  EXPECT_THAT(table->Delete("id = 3").status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("append-only")));
  auto result = table->Optimize();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files_removed, 3);
  EXPECT_EQ(IdsAt(*table), Range(0, 30));
}

TEST_F(OptimizeTest, ConflictsWithAConcurrentDeleteOfItsFiles) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  auto other = OpenOther();
  ASSERT_TRUE(other);
  env_.BeforeNextCommit([&] { ASSERT_THAT(other->Delete("id = 3").status(), IsOk()); });
  auto result = table->Optimize();
  EXPECT_THAT(result.status(), StatusIs(StatusCode::kAborted, HasSubstr("DELETE")));
  // The delete stands; the compacted file was never committed and is gone again.
  EXPECT_EQ(Load().version, 3);
  std::vector<int64_t> expected = Range(0, 30);
  expected.erase(expected.begin() + 3);
  EXPECT_EQ(SortedIds(*table), expected);
  size_t parquet_files = 0;
  for (const auto& path : ::dlake::testing::ListFilesRecursive(root())) {
    if (path.find("_delta_log") == std::string::npos && path.size() > 8 &&
        path.substr(path.size() - 8) == ".parquet") {
      ++parquet_files;
    }
  }
  EXPECT_EQ(parquet_files, 4u);  // three appended + the delete's rewrite
}

TEST_F(OptimizeTest, SucceedsDespiteAConcurrentAppend) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  auto other = OpenOther();
  ASSERT_TRUE(other);
  env_.BeforeNextCommit(
      [&] { ASSERT_THAT(other->Append(WriteSource::Query(Rows(30, 40))).status(), IsOk()); });
  auto result = table->Optimize();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->version, 4);
  EXPECT_EQ(result->attempts, 2);
  EXPECT_EQ(SortedIds(*table), Range(0, 40));
  EXPECT_EQ(Load().files.size(), 2u);
}

// Every mutating file operation of an OPTIMIZE failing in turn: the table is left at the old
// version or the new one, never unreadable, and reads the same rows either way.
TEST_F(OptimizeTest, EachFailingCallLeavesTheOldOrTheNewVersion) {
  CreateOptions create;
  create.partition_columns = {"day"};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 30, 2);
  table.reset();
  bool succeeded = false;
  int failures = 0;
  for (int n = 0; n < 100 && !succeeded; ++n) {
    ::dlake::testing::FaultInjectionEnv faults;
    TableOptions options = Options(&faults);
    auto opened = Table::Open(root(), options);
    ASSERT_THAT(opened.status(), IsOk());
    faults.FailOnly(n, EIO);
    auto result = (*opened)->Optimize();
    succeeded = result.ok();
    if (!succeeded) {
      EXPECT_THAT(result.status(), StatusIs(StatusCode::kIoError, _)) << "call " << n;
    }
    int64_t version = Load().version;
    EXPECT_TRUE(version == 2 || version == 3) << "call " << n;
    if (succeeded) {
      EXPECT_EQ(version, 3);
    } else {
      ++failures;
    }
    EXPECT_EQ(SortedIds(**opened), Range(0, 30)) << "call " << n;
  }
  EXPECT_TRUE(succeeded);
  EXPECT_GT(failures, 5);  // mkdir, file syncs, the commit's temporary file, link…
  EXPECT_EQ(Load().files.size(), 2u);
}

// ---- VACUUM ----

TEST_F(VacuumTest, DryRunListsTheFilesOptimizeRemovedOnceTheRetentionPasses) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 10, 40, 3);
  std::vector<std::string> compacted = LivePaths();
  ASSERT_EQ(compacted.size(), 4u);
  ASSERT_THAT(table->Optimize().status(), IsOk());
  std::vector<std::string> live = LivePaths();

  VacuumOptions dry;
  dry.dry_run = true;
  auto early = table->Vacuum(dry);
  ASSERT_THAT(early.status(), IsOk());
  EXPECT_THAT(early->files, IsEmpty());

  env_.Advance(7 * 24 + 1);
  auto listed = table->Vacuum(dry);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_TRUE(listed->dry_run);
  EXPECT_EQ(listed->files, compacted);
  int64_t bytes = 0;
  for (const auto& path : compacted) {
    EXPECT_TRUE(Exists(path)) << "dry run deleted " << path;
    bytes += static_cast<int64_t>(fs::file_size(root() + "/" + path));
  }
  EXPECT_EQ(listed->bytes, bytes);

  auto vacuumed = table->Vacuum();
  ASSERT_THAT(vacuumed.status(), IsOk());
  EXPECT_FALSE(vacuumed->dry_run);
  EXPECT_EQ(vacuumed->files, compacted);
  for (const auto& path : compacted) EXPECT_FALSE(Exists(path)) << path;
  for (const auto& path : live) EXPECT_TRUE(Exists(path)) << path;
  EXPECT_EQ(IdsAt(*table), Range(0, 40));
  EXPECT_THAT(table->Vacuum(dry)->files, IsEmpty());
}

TEST_F(VacuumTest, KeepsFilesThatVersionsWithinTheRetentionNeed) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  std::vector<std::string> v1 = LivePaths();
  env_.Advance(100);
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(20, 30))).status(), IsOk());
  std::vector<std::string> v2 = LivePaths();
  env_.Advance(100);  // v0's files were removed 200 h ago, v1's 100 h ago

  auto result = table->Vacuum();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files, v0);
  for (const auto& path : v1) EXPECT_TRUE(Exists(path)) << path;
  for (const auto& path : v2) EXPECT_TRUE(Exists(path)) << path;
  std::vector<std::string> deleted;
  for (const auto& path : env_.removed()) {
    if (path.find("/_delta_log/") == std::string::npos) {
      deleted.push_back(fs::relative(path, root()).string());
    }
  }
  EXPECT_THAT(deleted, UnorderedElementsAreArray(v0));
  EXPECT_EQ(SortedIds(*table, 1), Range(10, 20));  // within the retention: still readable
  EXPECT_EQ(SortedIds(*table), Range(20, 30));
}

TEST_F(VacuumTest, DeletesOldOrphansAndKeepsYoungAndHiddenFiles) {
  CreateOptions create;
  create.partition_columns = {"day"};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  std::vector<std::string> live = LivePaths();
  WriteAged("orphan-old.parquet", 200);
  WriteAged("orphan-young.parquet", 2);
  WriteAged("day=d0/orphan-old.parquet", 200);
  WriteAged("stale/nested/old.bin", 200);
  SetAge("stale/nested", 200);
  SetAge("stale", 200);
  WriteAged("_hidden/old.bin", 200);
  WriteAged(".old-hidden", 200);
  WriteAged("_delta_log/old-junk.txt", 200);
  SetAge("day=d0", 200);
  for (const auto& path : live) SetAge(path, 200);  // referenced: kept however old

  auto result = table->Vacuum();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(result->files, ElementsAre("day=d0/orphan-old.parquet", "orphan-old.parquet",
                                         "stale/nested/old.bin"));
  EXPECT_FALSE(Exists("orphan-old.parquet"));
  EXPECT_FALSE(Exists("day=d0/orphan-old.parquet"));
  EXPECT_FALSE(Exists("stale")) << "emptied folders are removed";
  EXPECT_TRUE(Exists("orphan-young.parquet"));
  EXPECT_TRUE(Exists("_hidden/old.bin"));
  EXPECT_TRUE(Exists(".old-hidden"));
  EXPECT_TRUE(Exists("_delta_log/old-junk.txt"));
  for (const auto& path : live) EXPECT_TRUE(Exists(path)) << path;
  EXPECT_EQ(SortedIds(*table), Range(0, 10));
}

TEST_F(VacuumTest, TreatsPartitionFoldersStartingWithUnderscoreAsData) {
  CreateOptions create;
  create.partition_columns = {"_part"};
  auto table = Create("SELECT i AS id, 'a' AS _part FROM range(5) t(i)", create);
  ASSERT_TRUE(table);
  std::vector<std::string> old_files = LivePaths();
  ASSERT_EQ(old_files.size(), 1u);
  ASSERT_EQ(old_files[0].rfind("_part=a/", 0), 0u) << old_files[0];
  ASSERT_THAT(table
                  ->Overwrite(WriteSource::Query("SELECT i AS id, 'b' AS _part FROM range(5) "
                                                 "t(i)"))
                  .status(),
              IsOk());
  env_.Advance(1);
  VacuumOptions options;
  options.retention_hours = 0;
  options.force = true;
  auto result = table->Vacuum(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->files, old_files);
  EXPECT_FALSE(Exists("_part=a")) << "the emptied partition folder is removed";
  EXPECT_EQ(SortedIds(*table), Range(0, 5));
}

TEST_F(VacuumTest, KeepsLiveFilesWhosePathsNeedEscaping) {
  CreateOptions create;
  create.partition_columns = {"p"};
  auto table =
      Create("SELECT i AS id, ['a b', 'x/y', '50%', 'é=1'][i + 1] AS p FROM range(4) t(i)", create);
  ASSERT_TRUE(table);
  ASSERT_EQ(Load().files.size(), 4u);
  for (const auto& path : LivePaths()) ASSERT_TRUE(Exists(path)) << path;
  for (const auto& path : LivePaths()) SetAge(path, 24 * 30);
  env_.Advance(1);
  VacuumOptions options;
  options.retention_hours = 0;
  options.force = true;
  auto result = table->Vacuum(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(result->files, IsEmpty());
  EXPECT_EQ(SortedIds(*table), Range(0, 4));
}

// Another writer's absolute "file:" URI names a live file through the real path while the table
// is opened through a symbolic link: the file is still referenced.
TEST_F(VacuumTest, KeepsFilesNamedByAbsoluteUrisThroughALinkedRoot) {
  std::string real = dir_.Join("real");
  fs::create_directories(real);
  fs::create_directory_symlink(real, dir_.Join("table"));  // root() is the link
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  std::string live = LivePaths()[0];
  fs::copy_file(real + "/" + live, real + "/absolute.parquet");
  nlohmann::json add = {{"add",
                         {{"path", "file://" + real + "/absolute.parquet"},
                          {"partitionValues", nlohmann::json::object()},
                          {"size", fs::file_size(real + "/absolute.parquet")},
                          {"modificationTime", 0},
                          {"dataChange", true}}}};
  ::dlake::testing::WriteFile(CommitPath(root(), 1), add.dump() + "\n");
  SetAge("absolute.parquet", 24 * 30);
  SetAge(live, 24 * 30);
  env_.Advance(1);
  VacuumOptions options;
  options.retention_hours = 0;
  options.force = true;
  auto result = table->Vacuum(options);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(result->files, IsEmpty());
  EXPECT_TRUE(fs::exists(real + "/absolute.parquet"));
  EXPECT_EQ(SortedIds(*table).size(), 20u);
}

TEST_F(VacuumTest, RefusesARetentionBelowSevenDaysWithoutForce) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  env_.Advance(48);
  VacuumOptions options;
  options.retention_hours = 24;
  EXPECT_THAT(table->Vacuum(options).status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("168"), HasSubstr("force"), HasSubstr("24"))));
  EXPECT_TRUE(Exists(v0[0]));
  options.retention_hours = -1;
  options.force = true;
  EXPECT_THAT(table->Vacuum(options).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("non-negative")));
  options.retention_hours = 24;
  auto forced = table->Vacuum(options);
  ASSERT_THAT(forced.status(), IsOk());
  EXPECT_EQ(forced->files, v0);
}

TEST_F(VacuumTest, TimeTravelToAVacuumedVersionFailsNamingTheMissingFile) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  env_.Advance(1);
  VacuumOptions options;
  options.retention_hours = 0;
  options.force = true;
  ASSERT_THAT(table->Vacuum(options).status(), IsOk());
  ScanOptions scan;
  scan.at.version = 0;
  auto read = table->Read(scan);
  EXPECT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr(v0[0]));
  EXPECT_EQ(SortedIds(*table), Range(10, 20));
}

TEST_F(VacuumTest, UsesTheTablesDeletedFileRetention) {
  CreateOptions create;
  create.configuration = {{"delta.deletedFileRetentionDuration", "interval 48 hours"}};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  env_.Advance(47);
  auto kept = table->Vacuum();
  ASSERT_THAT(kept.status(), IsOk());
  EXPECT_THAT(kept->files, IsEmpty());
  env_.Advance(2);
  auto deleted = table->Vacuum();  // below 168 h, but it is the table's own setting
  ASSERT_THAT(deleted.status(), IsOk());
  EXPECT_EQ(deleted->files, v0);
  // Asking for less than the table's retention needs force, as in Spark.
  VacuumOptions shorter;
  shorter.retention_hours = 12;
  EXPECT_THAT(table->Vacuum(shorter).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("48")));
}

TEST_F(VacuumTest, ReportsAFailedDeleteNamingTheTable) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  std::vector<std::string> v1 = LivePaths();
  env_.Advance(1);
  env_.FailDataFileRemoves(true);
  VacuumOptions options;
  options.retention_hours = 0;
  options.force = true;
  auto result = table->Vacuum(options);
  EXPECT_THAT(result.status(),
              StatusIs(StatusCode::kIoError,
                       AllOf(HasSubstr("VACUUM of '" + root() + "' deleted 0 of 1 files"),
                             HasSubstr("Permission denied"))));
  env_.FailDataFileRemoves(false);
  auto retried = table->Vacuum(options);
  ASSERT_THAT(retried.status(), IsOk());
  EXPECT_EQ(retried->files.size(), 1u);
  EXPECT_EQ(LivePaths(), v1);
  EXPECT_EQ(SortedIds(*table), Range(10, 20));
}

// ---- Log cleanup ----

TEST_F(CleanupLogTest, DeletesTheLogBeforeTheNewestOldEnoughCheckpoint) {
  auto table = Create(Rows(0, 4));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 4, 100, 24);  // versions 1..24
  ASSERT_TRUE(fs::exists(ClassicCheckpointPath(root(), 10)));
  ASSERT_TRUE(fs::exists(ClassicCheckpointPath(root(), 20)));
  env_.Advance(1);

  auto result = table->CleanupLog(0.0);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->cutoff_checkpoint, 20);
  std::vector<std::string> expected;
  for (int64_t v = 0; v < 20; ++v) {
    if (v == 10) {  // by version, then name
      expected.push_back("_delta_log/" +
                         fs::path(ClassicCheckpointPath(root(), 10)).filename().string());
    }
    expected.push_back("_delta_log/" + CommitFileName(v));
  }
  EXPECT_EQ(result->files, expected);
  for (int64_t v = 0; v < 20; ++v) EXPECT_FALSE(fs::exists(CommitPath(root(), v))) << v;
  EXPECT_FALSE(fs::exists(ClassicCheckpointPath(root(), 10)));
  EXPECT_TRUE(fs::exists(ClassicCheckpointPath(root(), 20)));
  for (int64_t v = 20; v <= 24; ++v) EXPECT_TRUE(fs::exists(CommitPath(root(), v))) << v;

  EXPECT_EQ(SortedIds(*table), Range(0, 100));
  EXPECT_EQ(SortedIds(*table, 20), Range(0, 84));
  EXPECT_EQ(SortedIds(*table, 22), Range(0, 92));
  ScanOptions old;
  old.at.version = 5;
  EXPECT_THAT(table->Read(old).status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("version 5"), HasSubstr("missing"))));
  old.at.version = 15;
  EXPECT_THAT(table->Read(old).status(), StatusIs(StatusCode::kFailedPrecondition, _));
  // Appending and checkpointing keep working on the shortened log.
  ASSERT_THAT(table->Append(WriteSource::Query(Rows(100, 104))).status(), IsOk());
  EXPECT_EQ(SortedIds(*table), Range(0, 104));
}

TEST_F(CleanupLogTest, CutsOffOnlyAtCheckpointsOlderThanTheRetention) {
  auto table = Create(Rows(0, 4));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 4, 44, 10);  // versions 1..10, checkpoint 10
  env_.Advance(40 * 24);
  AppendInPieces(*table, 44, 84, 10);  // versions 11..20, checkpoint 20, 40 days later
  ASSERT_TRUE(fs::exists(ClassicCheckpointPath(root(), 20)));

  // The default retention is 30 days: checkpoint 20 is too young, checkpoint 10 is not.
  auto result = table->CleanupLog();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->cutoff_checkpoint, 10);
  EXPECT_EQ(result->files.size(), 10u);
  EXPECT_FALSE(fs::exists(CommitPath(root(), 9)));
  EXPECT_TRUE(fs::exists(CommitPath(root(), 10)));
  EXPECT_EQ(SortedIds(*table, 10), Range(0, 44));
  EXPECT_EQ(SortedIds(*table), Range(0, 84));

  auto again = table->CleanupLog();
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_THAT(again->files, IsEmpty());
}

TEST_F(CleanupLogTest, DeletesNothingWithoutAnOldEnoughCheckpoint) {
  auto table = Create(Rows(0, 4));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 4, 24, 5);
  env_.Advance(1);
  auto no_checkpoint = table->CleanupLog(0.0);
  ASSERT_THAT(no_checkpoint.status(), IsOk());
  EXPECT_FALSE(no_checkpoint->cutoff_checkpoint.has_value());
  EXPECT_THAT(no_checkpoint->files, IsEmpty());

  AppendInPieces(*table, 24, 44, 5);  // version 10 gets a checkpoint
  auto young = table->CleanupLog(24.0);
  ASSERT_THAT(young.status(), IsOk());
  EXPECT_FALSE(young->cutoff_checkpoint.has_value());
  EXPECT_THAT(young->files, IsEmpty());
  EXPECT_TRUE(fs::exists(CommitPath(root(), 0)));
  EXPECT_THAT(table->CleanupLog(-1.0).status(), StatusIs(StatusCode::kInvalidArgument, _));
}

TEST_F(CleanupLogTest, AlsoDeletesChecksumFilesAndRepointsAStaleLastCheckpoint) {
  auto table = Create(Rows(0, 4));
  ASSERT_TRUE(table);
  AppendInPieces(*table, 4, 48, 11);  // versions 1..11, checkpoint 10
  std::string log = root() + "/_delta_log/";
  ::dlake::testing::WriteFile(log + "00000000000000000003.crc", "{}");
  ::dlake::testing::WriteFile(log + ".00000000000000000003.json.crc", "crc");
  ::dlake::testing::WriteFile(log + "_last_checkpoint", "{\"version\":0,\"size\":3}");
  env_.Advance(1);
  auto result = table->CleanupLog(0.0);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->cutoff_checkpoint, 10);
  EXPECT_FALSE(fs::exists(log + "00000000000000000003.crc"));
  EXPECT_FALSE(fs::exists(log + ".00000000000000000003.json.crc"));
  auto last = ReadLastCheckpoint(root());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->version, 10);
  EXPECT_GT(last->size, 2);
  EXPECT_EQ(SortedIds(*table), Range(0, 48));
}

TEST_F(CleanupLogTest, IsRefusedWhenTheTableTurnsItOff) {
  CreateOptions create;
  create.configuration = {{"delta.enableExpiredLogCleanup", "false"}};
  auto table = Create(Rows(0, 4), create);
  ASSERT_TRUE(table);
  AppendInPieces(*table, 4, 48, 11);  // checkpoint 10
  env_.Advance(1);
  EXPECT_THAT(
      table->CleanupLog(0.0).status(),
      StatusIs(StatusCode::kFailedPrecondition, HasSubstr("delta.enableExpiredLogCleanup=false")));
  EXPECT_TRUE(fs::exists(CommitPath(root(), 0)));
}

// ---- RESTORE ----

TEST_F(RestoreTest, RestoresAnEarlierVersionAsANewCommit) {
  auto table = Create(Rows(0, 3));
  ASSERT_TRUE(table);
  ASSERT_THAT(table->Append(WriteSource::Query(Rows(3, 5))).status(), IsOk());      // v1
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(9, 10))).status(), IsOk());  // v2
  ASSERT_THAT(table->Delete("id = 9").status(), IsOk());                            // v3
  ASSERT_THAT(IdsAt(*table), IsEmpty());

  VersionSpec v1;
  v1.version = 1;
  auto result = table->Restore(v1);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->version, 4);
  EXPECT_EQ(result->files_added, 2);
  EXPECT_EQ(result->files_removed, 0);
  EXPECT_EQ(SortedIds(*table), Range(0, 5));
  EXPECT_EQ(LivePaths(), LivePaths(1));
  nlohmann::json info = CommitInfoOf(4);
  EXPECT_EQ(info.value("operation", ""), "RESTORE");
  EXPECT_EQ(info["operationParameters"].value("version", ""), "1");
  EXPECT_EQ(info["operationMetrics"].value("numRestoredFiles", ""), "2");
  for (const auto& action : CommitActions(4)) {
    if (const auto* add = std::get_if<AddFile>(&action)) {
      EXPECT_TRUE(add->data_change);
      EXPECT_TRUE(add->stats.has_value());
    }
  }
  // Time travel to versions before the restore is unchanged.
  EXPECT_EQ(SortedIds(*table, 2), std::vector<int64_t>{9});

  auto same = table->Restore(v1);
  ASSERT_THAT(same.status(), IsOk());
  EXPECT_TRUE(same->skipped);
  EXPECT_EQ(same->version, -1);
  EXPECT_EQ(Load().version, 4);

  VersionSpec v2;
  v2.version = 2;
  auto back = table->Restore(v2);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->files_removed, 2);
  EXPECT_EQ(back->files_added, 1);
  EXPECT_EQ(SortedIds(*table), std::vector<int64_t>{9});
  for (const auto& action : CommitActions(back->version)) {
    if (const auto* remove = std::get_if<RemoveFile>(&action)) {
      EXPECT_TRUE(remove->data_change);
      EXPECT_TRUE(remove->deletion_timestamp.has_value());
    }
  }
}

TEST_F(RestoreTest, RestoresByTimestamp) {
  auto table = Create(Rows(0, 3));
  ASSERT_TRUE(table);
  env_.Advance(1);
  ASSERT_THAT(table->Append(WriteSource::Query(Rows(3, 5))).status(), IsOk());
  env_.Advance(1);
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(9, 10))).status(), IsOk());
  VersionSpec at;
  at.timestamp_ms = Load(1).timestamp_ms + 1000;
  auto result = table->Restore(at);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(SortedIds(*table), Range(0, 5));
  EXPECT_EQ(CommitInfoOf(result->version)["operationParameters"].value("version", ""), "1");
  EXPECT_THAT(table->Restore(VersionSpec{}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("version or a timestamp")));
  VersionSpec future;
  future.version = 99;
  EXPECT_THAT(table->Restore(future).status(), StatusIs(StatusCode::kNotFound, HasSubstr("99")));
}

TEST_F(RestoreTest, RestoresTheSchemaOfTheTargetVersion) {
  auto table = Create(Rows(0, 3));
  ASSERT_TRUE(table);
  WriteOptions merge;
  merge.merge_schema = true;
  ASSERT_THAT(
      table->Append(WriteSource::Query("SELECT *, 1 AS extra FROM (" + Rows(3, 5) + ")"), merge)
          .status(),
      IsOk());
  ASSERT_EQ(Load().schema.fields.size(), 5u);
  VersionSpec v0;
  v0.version = 0;
  auto result = table->Restore(v0);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(Load().schema.Names(), Load(0).schema.Names());
  EXPECT_EQ(SortedIds(*table), Range(0, 3));
}

TEST_F(RestoreTest, FailsClearlyWhenVacuumDeletedAFileItNeeds) {
  auto table = Create(Rows(0, 3));
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(9, 10))).status(), IsOk());
  env_.Advance(1);
  VacuumOptions vacuum;
  vacuum.retention_hours = 0;
  vacuum.force = true;
  ASSERT_THAT(table->Vacuum(vacuum).status(), IsOk());
  VersionSpec at;
  at.version = 0;
  EXPECT_THAT(table->Restore(at).status(),
              StatusIs(StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(v0[0]), HasSubstr("VACUUM"), HasSubstr("version 0"))));
  EXPECT_EQ(Load().version, 1);
}

TEST_F(RestoreTest, AppendOnlyTableRefusesARestoreThatRemovesFiles) {
  CreateOptions create;
  create.configuration = {{"delta.appendOnly", "true"}};
  auto table = Create(Rows(0, 3), create);
  ASSERT_TRUE(table);
  ASSERT_THAT(table->Append(WriteSource::Query(Rows(3, 5))).status(), IsOk());
  VersionSpec at;
  at.version = 0;
  EXPECT_THAT(table->Restore(at).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("append-only")));
  EXPECT_EQ(SortedIds(*table), Range(0, 5));
}

// ---- Regressions found in the shared Delta code ----

// Regression: ParseIntervalHours read only the first "<n> <unit>" of an interval ("interval 1 day
// 12 hours" was 24 h) and did not understand upper case.
TEST_F(VacuumTest, ReadsEveryPartOfARetentionInterval) {
  EXPECT_EQ(ParseIntervalHours("interval 1 day 12 hours"), 36.0);
  EXPECT_EQ(ParseIntervalHours("INTERVAL 7 DAYS"), 168.0);
  EXPECT_FALSE(ParseIntervalHours("interval 7 days garbage").has_value());
}

// Regression: with the interval misread, a checkpoint dropped tombstones after 24 h where the
// table said 36 h, so VACUUM no longer knew the file belonged to a version within the retention
// and deleted it as an orphan; time travel inside the retention then failed.
TEST_F(VacuumTest, KeepsTombstonesForTheWholeRetentionAcrossCheckpoints) {
  CreateOptions create;
  create.configuration = {{"delta.deletedFileRetentionDuration", "interval 1 day 12 hours"}};
  auto table = Create(Rows(0, 10), create);
  ASSERT_TRUE(table);
  std::vector<std::string> v0 = LivePaths();
  SetAge(v0[0], 240);  // written long ago
  ASSERT_THAT(table->Overwrite(WriteSource::Query(Rows(10, 20))).status(), IsOk());
  env_.Advance(30);  // removed 30 h ago: within the 36 h retention
  ASSERT_THAT(table->Checkpoint().status(), IsOk());
  auto result = table->Vacuum();
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_THAT(result->files, IsEmpty());
  EXPECT_EQ(SortedIds(*table, 0), Range(0, 10));
}

// Regression: WriteDataFiles computed its file count as (rows + target_file_rows - 1) /
// target_file_rows, which overflowed for a huge target ("one file", as OPTIMIZE asks for), so no
// file was written and the rows were silently lost.
TEST_F(OptimizeTest, AppendWithAHugeTargetFileRowsKeepsTheRows) {
  auto table = Create(Rows(0, 10));
  ASSERT_TRUE(table);
  WriteOptions options;
  options.target_file_rows = std::numeric_limits<int64_t>::max();
  auto appended = table->Append(WriteSource::Query(Rows(10, 20)), options);
  ASSERT_THAT(appended.status(), IsOk());
  EXPECT_EQ(SortedIds(*table), Range(0, 20));
}

// Regression: listing the log parsed versions with std::stoll, which threw std::out_of_range for
// a 20-digit name above INT64_MAX, so one stray file made every operation on the table throw.
TEST_F(CleanupLogTest, IgnoresAStrayOutOfRangeLogFileName) {
  auto table = Create(Rows(0, 4));
  ASSERT_TRUE(table);
  ::dlake::testing::WriteFile(root() + "/_delta_log/99999999999999999999.json", "{}");
  EXPECT_NO_THROW({
    auto result = table->CleanupLog(0.0);
    EXPECT_THAT(result.status(), IsOk());
  });
}

}  // namespace
}  // namespace dlake::delta
