// Delta tables written by several real `dlake delta append` processes at once, and by writers
// killed at random moments (DESIGN.md "Writing: crash-safe, idempotent, concurrent"; the Delta
// protocol's put-if-absent commits): every append lands exactly once, versions stay contiguous,
// chDB (the reference reader) reads what our reader reads, and a killed append is either wholly
// in the table or not at all, after which re-running it with the same --app-id completes it once.

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "dlake/delta/table.h"
#include "testing/delta_golden.h"
#include "testing/delta_reference.h"
#include "tests/process_test_util.h"

namespace dlake::testing {
namespace {

namespace fs = std::filesystem;

// The rows of one append: ids [first, first + count), v = 3 * id.
struct Batch {
  int64_t first = 0, count = 0, writer = 0, round = 0;
};

std::string WriteBatchCsv(const std::string& path, const Batch& b) {
  std::ofstream out(path);
  out << "id,writer,round,v\n";
  for (int64_t id = b.first; id < b.first + b.count; ++id) {
    out << id << "," << b.writer << "," << b.round << "," << 3 * id << "\n";
  }
  EXPECT_TRUE(out.good()) << path;
  return path;
}

// The rows of `batches` as text, as both readers render these integer columns.
RowSet RowsOf(const std::vector<Batch>& batches) {
  RowSet rows;
  rows.columns = {"id", "writer", "round", "v"};
  for (const auto& b : batches) {
    for (int64_t id = b.first; id < b.first + b.count; ++id) {
      rows.rows.push_back({std::to_string(id), std::to_string(b.writer), std::to_string(b.round),
                           std::to_string(3 * id)});
    }
  }
  return rows;
}

delta::TableOptions SmallOptions() {
  delta::TableOptions options;
  options.runtime = testing::TestRuntime();
  return options;
}

// What our reader sees in the table: its version and rows (sorted by id), or an error.
struct TableState {
  std::string error;
  int64_t version = -1;
  std::optional<int64_t> checkpoint_version;
  RowSet rows;
};

TableState ReadTable(const std::string& dir) {
  TableState state;
  auto table = delta::Table::Open(dir, SmallOptions());
  if (!table.ok()) {
    state.error = table.status().ToString();
    return state;
  }
  auto described = (*table)->Describe();
  if (!described.ok()) {
    state.error = described.status().ToString();
    return state;
  }
  state.version = described->version;
  state.checkpoint_version = described->checkpoint_version;
  delta::ScanOptions scan;
  scan.at.version = state.version;
  auto sql = (*table)->ScanSql(scan);
  if (!sql.ok()) {
    state.error = sql.status().ToString();
    return state;
  }
  auto batch = (*table)->Query("SELECT COLUMNS(*)::VARCHAR FROM (" + *sql + ") ORDER BY id");
  if (!batch.ok()) {
    state.error = batch.status().ToString();
    return state;
  }
  for (const auto& column : batch->columns) state.rows.columns.push_back(column.name);
  for (size_t r = 0; r < batch->num_rows; ++r) {
    TextRow row;
    for (const auto& column : batch->columns) {
      row.push_back(column.IsNull(r) ? std::nullopt
                                     : std::optional<std::string>(column.strings[r]));
    }
    state.rows.rows.push_back(std::move(row));
  }
  return state;
}

// Versions of the JSON commits in `dir`/_delta_log, ascending.
std::vector<int64_t> CommitVersions(const std::string& dir) {
  std::vector<int64_t> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir + "/_delta_log", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 25 && name.compare(20, 5, ".json") == 0 &&
        std::all_of(name.begin(), name.begin() + 20, ::isdigit)) {
      versions.push_back(std::stoll(name.substr(0, 20)));
    }
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

// The commitInfo of one version.
nlohmann::json CommitInfo(const std::string& dir, int64_t version) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  std::istringstream in(ReadFile(dir + "/_delta_log/" + name));
  std::string line;
  while (std::getline(in, line)) {
    auto action = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (action.is_object() && action.contains("commitInfo")) return action["commitInfo"];
  }
  return nlohmann::json::object();
}

std::vector<std::string> AppendArgs(const std::string& table, const std::string& csv) {
  return {"delta", "append", table, "--from", csv};
}

TEST(DeltaConcurrencyTest, FourProcessesAppendingForSeveralRoundsLoseNothing) {
  constexpr int kWriters = 4, kRounds = 4, kRows = 200;
  TempDir tmp;
  const std::string table = tmp.Join("table");
  std::vector<Batch> batches = {{0, 50, -1, -1}};
  ProcessResult created = RunDlakeWith(
      {"delta", "create", table, "--from", WriteBatchCsv(tmp.Join("seed.csv"), batches[0])});
  ASSERT_EQ(created.exit_code, 0) << Describe(created);

  int retried = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::unique_ptr<DlakeChild>> children;
    for (int w = 0; w < kWriters; ++w) {
      Batch b{1000 + (round * kWriters + w) * kRows, kRows, w, round};
      batches.push_back(b);
      const std::string csv = WriteBatchCsv(
          tmp.Join("r" + std::to_string(round) + "w" + std::to_string(w) + ".csv"), b);
      std::vector<std::string> args = {"--json"};
      for (const auto& a : AppendArgs(table, csv)) args.push_back(a);
      children.push_back(DlakeChild::Start(args));
    }
    for (auto& child : children) {
      ProcessResult r = child->Wait();
      EXPECT_EQ(r.exit_code, 0) << Describe(r);
      auto summary = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
      if (summary.is_object() && summary.value("attempts", 1) > 1) ++retried;
    }
  }
  std::cout << kWriters * kRounds << " concurrent appends; " << retried
            << " lost a race for their first version and retried\n";

  // Versions 0 (create) to 16, one per append, each holding one append's rows.
  const int64_t appends = kWriters * kRounds;
  std::vector<int64_t> expected_versions;
  for (int64_t v = 0; v <= appends; ++v) expected_versions.push_back(v);
  EXPECT_EQ(CommitVersions(table), expected_versions);
  for (int64_t v = 1; v <= appends; ++v) {
    nlohmann::json info = CommitInfo(table, v);
    EXPECT_EQ(info.value("operation", ""), "WRITE") << "version " << v;
    EXPECT_EQ(info["operationMetrics"].value("numOutputRows", ""), std::to_string(kRows))
        << "version " << v;
  }

  // Every row exactly once, in our reader and in chDB.
  const RowSet expected = RowsOf(batches);
  TableState state = ReadTable(table);
  ASSERT_EQ(state.error, "");
  EXPECT_EQ(state.version, appends);
  EXPECT_TRUE(CompareRowSets(expected, state.rows));
  // Version 10 was committed by one of the racing processes, which also checkpointed it.
  EXPECT_EQ(state.checkpoint_version, 10);
  auto chdb = ReadDeltaWithChdb(table);
  ASSERT_TRUE(chdb.ok()) << chdb.status().ToString();
  EXPECT_TRUE(CompareRowSets(expected, *chdb));
  auto chdb_count = ChdbRowCount(table);
  ASSERT_TRUE(chdb_count.ok()) << chdb_count.status().ToString();
  EXPECT_EQ(*chdb_count, static_cast<int64_t>(expected.rows.size()));
}

// ---- SIGKILL ----

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Kill delays spread over [0, 1.25 * full): one random point in each of `n` equal slices, so
// early moments, the commit and the checkpoint after it are all hit (a run's duration varies
// with the machine's load, hence the margin past `full`).
std::vector<double> KillDelays(double full, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> delays;
  for (int i = 0; i < n; ++i) delays.push_back(1.25 * full * (i + unit(rng)) / n);
  return delays;
}

TEST(DeltaConcurrencyTest, SigkillDuringAnAppendLeavesItWhollyOrNotAtAll) {
  TempDir tmp;
  // The template is at version 9: the killed append commits version 10 and then checkpoints
  // it, so kills also land in the checkpoint write.
  const std::string template_table = tmp.Join("template");
  std::vector<Batch> old_batches;
  {
    Batch seed{0, 100, 0, 0};
    old_batches.push_back(seed);
    auto created = delta::Table::Create(
        template_table, delta::WriteSource::Csv(WriteBatchCsv(tmp.Join("seed.csv"), seed)), {},
        SmallOptions());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    for (int v = 1; v <= 9; ++v) {
      Batch b{1000 * v, 100, 0, v};
      old_batches.push_back(b);
      auto appended = (*created)->Append(
          delta::WriteSource::Csv(WriteBatchCsv(tmp.Join("old" + std::to_string(v) + ".csv"), b)));
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    }
  }
  const Batch fresh{100000, 5000, 1, 10};
  const std::string csv = WriteBatchCsv(tmp.Join("new.csv"), fresh);
  const std::string table = tmp.Join("table");
  std::vector<std::string> args = AppendArgs(table, csv);
  for (const char* a : {"--app-id", "crash-test", "--app-version", "1"}) args.push_back(a);
  const RowSet before = RowsOf(old_batches);
  std::vector<Batch> new_batches = old_batches;
  new_batches.push_back(fresh);
  const RowSet after = RowsOf(new_batches);

  double full = 0;
  for (int i = 0; i < 3; ++i) {
    CopyTree(template_table, table);
    auto start = std::chrono::steady_clock::now();
    ProcessResult r = RunDlakeWith(args);
    full = std::max(full, Seconds(std::chrono::steady_clock::now() - start));
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
  }
  TableState complete = ReadTable(table);
  ASSERT_EQ(complete.error, "");
  ASSERT_TRUE(CompareRowSets(after, complete.rows));
  ASSERT_EQ(complete.checkpoint_version, 10);

  int old_state = 0, new_state = 0;
  const auto delays = KillDelays(full, 16, /*seed=*/20240310);
  for (size_t i = 0; i < delays.size(); ++i) {
    SCOPED_TRACE("iteration " + std::to_string(i) + ", kill after " + std::to_string(delays[i]) +
                 " s");
    CopyTree(template_table, table);
    auto child = DlakeChild::Start(args);
    std::this_thread::sleep_for(std::chrono::duration<double>(delays[i]));
    child->Kill(SIGKILL);
    ProcessResult r = child->Wait();
    EXPECT_TRUE(r.signal == SIGKILL || r.exit_code == 0) << Describe(r);

    // The table loads, at version 9 with the old rows or 10 with all of the new ones.
    TableState state = ReadTable(table);
    ASSERT_EQ(state.error, "") << "the table does not load after the kill";
    EXPECT_TRUE(state.version == 9 || state.version == 10) << state.version;
    const bool is_old = state.version == 9 && CompareRowSets(before, state.rows);
    const bool is_new = state.version == 10 && CompareRowSets(after, state.rows);
    EXPECT_TRUE(is_old || is_new) << "version " << state.version << " holds "
                                  << state.rows.rows.size() << " rows: neither the "
                                  << before.rows.size() << " before nor the " << after.rows.size()
                                  << " after";
    old_state += is_old;
    new_state += is_new;
    auto chdb_count = ChdbRowCount(table);
    ASSERT_TRUE(chdb_count.ok()) << chdb_count.status().ToString();
    EXPECT_EQ(*chdb_count, static_cast<int64_t>(state.rows.rows.size())) << "chDB disagrees";

    // Re-running the append with the same application version completes it exactly once.
    ProcessResult rerun = RunDlakeWith(args);
    EXPECT_EQ(rerun.exit_code, 0) << Describe(rerun);
    TableState rerun_state = ReadTable(table);
    ASSERT_EQ(rerun_state.error, "");
    EXPECT_EQ(rerun_state.version, 10);
    EXPECT_TRUE(CompareRowSets(after, rerun_state.rows));
    if (::testing::Test::HasFailure()) break;
  }
  std::cout << "append: full run " << full << " s; of " << delays.size() << " kills, " << old_state
            << " left the old rows, " << new_state << " the new\n";
  EXPECT_GT(old_state, 0) << "no kill landed before the commit; the test proved nothing";
}

}  // namespace
}  // namespace dlake::testing
