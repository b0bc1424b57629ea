// delta_bench: the Delta engine (dlake::delta::Table) against DuckDB doing the same I/O alone.
//
// 1. Commit latency. N appends of 100 rows (Table::Append of a range(100) query; the table keeps
//    the default delta.checkpointInterval of 10, so every 10th append also writes a checkpoint)
//    against DuckDB COPYing the same rows to a Parquet file on an open connection; the sides take
//    turns append by append. A recording Env (TableOptions::env) splits each append at its file
//    operations into prepare (snapshot load, staging the rows), data file (COPY, fsync, stats),
//    commit (the log entry's put-if-absent with its fsyncs) and checkpoint.
// 2. Opening a table of 10,000 versions. One log, each commit a commitInfo and one add with stats
//    (cloned from a small table written by Table::Append), serialised with SerializeCommit and
//    written with PutCommitIfAbsent (without fsyncs: only reading is measured); the adds name hard
//    links to that table's real files. Three layouts of it: (a) a checkpoint every 10 versions,
//    (b) every 100, (c) none, the baseline: replaying the JSON log. Checkpoints are written with
//    WriteCheckpoint from the reconciled state; a reader uses only the newest at or before its
//    version, so by default only those the measured reads start from are written (all 1,098
//    with --all-checkpoints: minutes more, and a listing ~10% longer). Measured: Table::Open +
//    Describe() of the latest version and of version 5,000 (time travel), each from a fresh
//    Open; the layouts take turns. Then, for what a commit costs at that length, 10 appends to a
//    copy of (a) (the first writes a checkpoint when the length is a multiple of 10).
// 3. OPTIMIZE. A table of 1,000 Table::Append of 1,000 time-series rows (ts increasing, price,
//    qty, symbol) is compacted by Table::Optimize() against DuckDB copying the same files into
//    one Parquet file (COPY (SELECT * FROM read_parquet([...])) TO ...). Each repetition works
//    on a fresh hard-linked copy of the table, so each compacts the same input; the sides
//    alternate which goes first. Checks: one file, every row, ts in order, on both sides.
//    OPTIMIZE is split into phases like an append.
//
// Defaults: 300 appends, 10,000 versions, 1,000 files (about 4 minutes on 2 busy cores, mostly
// building the 1,000-file table); --quick (the ctest smoke run): 20 appends, 200 versions, 50
// files. Caches are warm throughout (the files were just written); figures are per operation.
// Targets: opening the latest version with a checkpoint every 10 versions >= 5x faster than JSON
// replay; OPTIMIZE <= 2x DuckDB's copy of the same files.
//
// Usage: delta_bench [--quick] [--parts 123] [--appends N] [--versions N] [--files N]
//                    [--reps N] [--optimize-reps N] [--all-checkpoints] [--threads N]
//                    [--memory-limit S] [--keep]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "delta/actions.h"
#include "delta/checkpoint.h"
#include "delta/log_files.h"
#include "delta/snapshot.h"
#include "dlake/common/env.h"
#include "dlake/delta/table.h"
#include "duck/duck.h"

namespace dlake::bench {
namespace {

namespace fs = std::filesystem;
using delta::Table;

constexpr int64_t kAppendRows = 100;
constexpr int64_t kTemplateVersions = 20;  // real files the generated log's adds link to
constexpr double kOpenSpeedupTarget = 5.0;
constexpr double kOptimizeRatioTarget = 2.0;

struct Config {
  std::string parts = "123";
  int64_t appends = 300;        // part 1
  int64_t versions = 10'000;    // part 2
  int64_t time_travel = 5'000;  // part 2: versions / 2
  int64_t files = 1'000;        // part 3
  int64_t rows_per_file = 1'000;
  int64_t open_reps = 7;
  int64_t optimize_reps = 3;
  int threads = 0;
  std::string memory_limit = "512MB";
  bool all_checkpoints = false;  // part 2: write every checkpoint, not only those read
  bool keep = false;
};

// Forwards to the default Env. kRecord keeps each call's span (to split an append into phases);
// kNoSync skips fsyncs, for generating inputs quickly (nothing measured runs on it).
class BenchEnv : public Env {
 public:
  enum class Mode { kRecord, kNoSync };
  struct Call {
    std::string op;    // mkdir, rename, remove, rmdir, fsync, fsyncdir, write, link, mtime
    std::string path;  // the file or folder (link: the new name)
    double start = 0, end = 0;
  };

  explicit BenchEnv(Mode mode) : base_(Env::Default()), mode_(mode) {}

  Status CreateDirs(const std::string& p) override {
    return Run("mkdir", p, [&] { return base_->CreateDirs(p); });
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return Run("rename", to, [&] { return base_->RenameFile(from, to); });
  }
  Status RemoveFile(const std::string& p) override {
    return Run("remove", p, [&] { return base_->RemoveFile(p); });
  }
  Status RemoveEmptyDir(const std::string& p) override {
    return Run("rmdir", p, [&] { return base_->RemoveEmptyDir(p); });
  }
  Status SyncFile(const std::string& p) override {
    return Run("fsync", p, [&] { return Durable() ? base_->SyncFile(p) : Status::Ok(); });
  }
  Status SyncDir(const std::string& p) override {
    return Run("fsyncdir", p, [&] { return Durable() ? base_->SyncDir(p) : Status::Ok(); });
  }
  Status WriteFileAtomic(const std::string& p, const std::string& contents) override {
    return Run("write", p, [&] {
      return Durable() ? base_->WriteFileAtomic(p, contents) : WriteAndRename(p, contents);
    });
  }
  Status LinkFile(const std::string& from, const std::string& to) override {
    return Run("link", to, [&] { return base_->LinkFile(from, to); });
  }
  Status AppendFile(const std::string& p, const std::string& contents) override {
    return Run("append", p, [&] { return base_->AppendFile(p, contents); });
  }
  Status SetModificationTime(const std::string& p, int64_t ms) override {
    return Run("mtime", p, [&] { return base_->SetModificationTime(p, ms); });
  }
  int64_t NowMs() override { return base_->NowMs(); }

  // The calls recorded since the last Take().
  std::vector<Call> Take() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

 private:
  bool Durable() const { return mode_ == Mode::kRecord; }

  template <typename F>
  Status Run(const char* op, const std::string& path, F&& f) {
    if (mode_ != Mode::kRecord) return f();
    const double start = NowSeconds();
    Status status = f();
    const double end = NowSeconds();
    std::lock_guard lock(mu_);
    calls_.push_back({op, path, start, end});
    return status;
  }

  Status WriteAndRename(const std::string& path, const std::string& contents) {
    const std::string tmp = path + ".bench-tmp";
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) return IoError("cannot write '", tmp, "'");
    return base_->RenameFile(tmp, path);
  }

  Env* base_;
  Mode mode_;
  std::mutex mu_;
  std::vector<Call> calls_;
};

// ---------------------------------------------------------------------------------------------
// Shared helpers

double Mean(const std::vector<double>& samples) {
  double sum = 0;
  for (double s : samples) sum += s;
  return samples.empty() ? 0 : sum / static_cast<double>(samples.size());
}

// `rows` one-minute bars from 2024-01-01 starting at bar `first`: ts (ms) increasing across
// calls, price, qty, symbol.
std::string BarsSql(int64_t first, int64_t rows) {
  const std::string n = "(" + std::to_string(first) + " + i)";
  return "SELECT CAST(1704067200000 + " + n + " * 60000 AS BIGINT) AS ts, CAST(100 + (" + n +
         " % 1000) * 0.01 AS DOUBLE) AS price, CAST(1 + (i % 7) * 0.5 AS DOUBLE) AS qty, "
         "'BTCUSDT' AS symbol FROM range(" +
         std::to_string(rows) + ") AS t(i)";
}

delta::TableOptions TableOptionsFor(const Config& config, Env* env) {
  RuntimeOptions runtime;
  runtime.env = env;
  runtime.flags = {{"memory_limit", config.memory_limit},
                   {"threads", std::to_string(config.threads)}};
  delta::TableOptions options;
  options.runtime = ValueOrDie(Runtime::Make(runtime), "Runtime::Make");
  return options;
}

// A DuckDB of its own with the tables' settings, for the baselines.
struct Duck {
  std::unique_ptr<duck::Database> db;
  std::unique_ptr<duck::Connection> conn;
};
Duck OpenDuck(const Config& config, const ScratchDir& scratch) {
  duck::DatabaseOptions options;
  options.memory_limit = config.memory_limit;
  options.threads = config.threads;
  options.temp_directory = scratch.Sub("duck-tmp");
  Duck duck;
  duck.db = ValueOrDie(duck::Database::Open("", options), "duck::Database::Open");
  duck.conn = ValueOrDie(duck::Connection::Open(*duck.db), "duck::Connection::Open");
  return duck;
}

void CopyToParquet(duck::Connection& conn, const std::string& select, const std::string& path) {
  CheckOk(conn.Execute("COPY (" + select + ") TO " + duck::QuoteLiteral(path) +
                           " (FORMAT parquet, COMPRESSION snappy)",
                       "baseline COPY to '" + path + "'"),
          "baseline COPY");
}

// Recreates the folder tree `from` at `to` with hard links to its files, leaving out temporary
// folders. The library never changes a file in place (it writes new names, links and renames),
// so the copy can be written to independently.
void LinkTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  fs::recursive_directory_iterator it(from, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string target = to + it->path().string().substr(from.size());
    if (it->is_directory()) {
      if (name == ".tmp" || name == "_dlake_tmp") {
        it.disable_recursion_pending();
        continue;
      }
      fs::create_directories(target, ec);
    } else if (it->is_regular_file()) {
      fs::create_hard_link(it->path(), target, ec);
    }
    if (ec) {
      throw Failure{"linking '" + it->path().string() + "' as '" + target + "': " + ec.message()};
    }
  }
  if (ec) throw Failure{"listing '" + from + "': " + ec.message()};
}

void PrintHeader() { std::printf("    %-54s %10s %10s %10s\n", "", "median", "p95", "mean"); }
void PrintMs(const std::string& what, const std::vector<double>& ms) {
  std::printf("    %-54s %7.2f ms %7.2f ms %7.2f ms\n", what.c_str(), Median(ms),
              Percentile(ms, 95), Mean(ms));
}

// ---------------------------------------------------------------------------------------------
// 1. Commit latency of small appends

struct AppendSplit {
  double prepare = 0;       // snapshot load, staging the rows, counting them
  double copy = 0;          // DuckDB's COPY of the data file
  double data_sync = 0;     // fsync of the data file and its folder
  double stats = 0;         // stats from the file's footer
  double commit = 0;        // serialising the actions and putting the log entry, of which
  double log_write = 0;     //   the entry written in _delta_log/.tmp (WriteFileAtomic: fsyncs)
  double log_dir_sync = 0;  // and the fsync of _delta_log after linking it
  double checkpoint = 0;    // after the commit: the checkpoint when one is due
};

bool InLog(const std::string& path) { return path.find("/_delta_log") != std::string::npos; }

// Splits one append (started at t0, returned at t1) at its Env calls: first those on the data
// file (mkdir of its folder, fsync after the COPY, fsync of the folder after the stats), then
// the commit's in _delta_log (the entry written and fsynced in .tmp, linked, the log folder
// fsynced), then a checkpoint's. nullopt when the calls do not have that shape.
std::optional<AppendSplit> SplitAppend(const std::vector<BenchEnv::Call>& calls, double t0,
                                       double t1) {
  const BenchEnv::Call *first = nullptr, *file_sync = nullptr, *last = nullptr;
  const BenchEnv::Call *link = nullptr, *committed = nullptr;
  double log_write = 0;
  for (const auto& call : calls) {
    if (!InLog(call.path)) {
      if (link) return std::nullopt;
      if (!first) first = &call;
      if (call.op == "fsync" && !file_sync) file_sync = &call;
      last = &call;
      continue;
    }
    if (committed) continue;  // a checkpoint's
    if (call.op == "write") log_write += call.end - call.start;
    if (call.op == "link") link = &call;
    if (link && call.op == "fsyncdir") committed = &call;
  }
  if (!first || !file_sync || !committed || last == file_sync) return std::nullopt;
  AppendSplit split;
  split.prepare = first->start - t0;
  split.copy = file_sync->start - first->end;
  split.data_sync = (file_sync->end - file_sync->start) + (last->end - last->start);
  split.stats = last->start - file_sync->end;
  split.commit = committed->end - last->end;
  split.log_write = log_write;
  split.log_dir_sync = committed->end - committed->start;
  split.checkpoint = t1 - committed->end;
  return split;
}

struct AppendSample {
  double ms = 0;
  bool checkpointed = false;
  std::optional<AppendSplit> split;
};

void PrintSplit(const std::vector<AppendSample>& samples) {
  std::vector<std::vector<double>> phase(8);
  for (const auto& s : samples) {
    if (!s.split) continue;
    const AppendSplit& p = *s.split;
    const double values[] = {p.prepare, p.copy,      p.data_sync,   p.stats,
                             p.commit,  p.log_write, p.log_dir_sync};
    for (int i = 0; i < 7; ++i) phase[i].push_back(values[i] * 1e3);
    if (s.checkpointed) phase[7].push_back(p.checkpoint * 1e3);
  }
  if (phase[0].empty()) {
    std::printf("    (no split: the appends' file operations had an unexpected shape)\n");
    return;
  }
  PrintMs("  prepare: snapshot load, staging rows", phase[0]);
  PrintMs("  data file: DuckDB COPY", phase[1]);
  PrintMs("  data file: fsync file + folder", phase[2]);
  PrintMs("  data file: stats", phase[3]);
  PrintMs("  commit: log entry put-if-absent", phase[4]);
  PrintMs("    of which temp entry: write, fsync, rename, fsync", phase[5]);
  PrintMs("    of which fsync of _delta_log after the link", phase[6]);
  if (!phase[7].empty()) {
    PrintMs("  checkpoint (" + std::to_string(phase[7].size()) + " appends that wrote one)",
            phase[7]);
  }
  if (phase[0].size() < samples.size()) {
    std::printf("    (%zu appends not split: unexpected file operations)\n",
                samples.size() - phase[0].size());
  }
}

// One Table::Append on a table opened with `env`, split into phases.
AppendSample TimedAppend(Table& table, BenchEnv& env, const std::string& sql) {
  env.Take();
  const double t0 = NowSeconds();
  delta::CommitResult result =
      ValueOrDie(table.Append(delta::WriteSource::Query(sql)), "Table::Append");
  const double t1 = NowSeconds();
  return {(t1 - t0) * 1e3, result.version % 10 == 0, SplitAppend(env.Take(), t0, t1)};
}

void CommitLatency(const Config& config, const ScratchDir& scratch) {
  std::printf(
      "1. Commit latency: %lld appends of %lld rows (Table::Append of a range() query; "
      "checkpoint every 10 versions)\n",
      static_cast<long long>(config.appends), static_cast<long long>(kAppendRows));
  BenchEnv env(BenchEnv::Mode::kRecord);
  const std::string root = scratch.Sub("append");
  auto table = ValueOrDie(Table::Create(root, delta::WriteSource::Query(BarsSql(0, kAppendRows)),
                                        {}, TableOptionsFor(config, &env)),
                          "Table::Create");
  Duck duck = OpenDuck(config, scratch);
  const std::string copy_dir = scratch.Sub("append-copies");
  fs::create_directories(copy_dir);

  std::vector<AppendSample> appends;
  std::vector<double> copy_ms, copy_sync_ms;
  for (int64_t i = 1; i <= config.appends; ++i) {
    const std::string sql = BarsSql(i * kAppendRows, kAppendRows);
    auto append = [&] { appends.push_back(TimedAppend(*table, env, sql)); };
    auto copy = [&] {
      const std::string path = copy_dir + "/" + std::to_string(i) + ".parquet";
      const double t0 = NowSeconds();
      CopyToParquet(*duck.conn, sql, path);
      const double t1 = NowSeconds();
      CheckOk(Env::Default()->SyncFile(path), "fsync of the baseline file");
      CheckOk(Env::Default()->SyncDir(copy_dir), "fsync of the baseline folder");
      copy_ms.push_back((t1 - t0) * 1e3);
      copy_sync_ms.push_back((NowSeconds() - t0) * 1e3);
    };
    if (i % 2) {
      append();
      copy();
    } else {
      copy();
      append();
    }
  }

  auto description = ValueOrDie(table->Describe(), "Table::Describe");
  const int64_t expected_rows = (config.appends + 1) * kAppendRows;
  if (description.num_files != config.appends + 1 || description.num_records != expected_rows) {
    throw Failure{"after the appends the table has " + std::to_string(description.num_files) +
                  " files and " + std::to_string(description.num_records.value_or(-1)) +
                  " rows; expected " + std::to_string(config.appends + 1) + " and " +
                  std::to_string(expected_rows)};
  }
  std::vector<double> all, plain, with_checkpoint;
  for (const auto& s : appends) {
    all.push_back(s.ms);
    (s.checkpointed ? with_checkpoint : plain).push_back(s.ms);
  }
  PrintHeader();
  PrintMs("Delta Table::Append, all", all);
  PrintMs("  appends without a checkpoint", plain);
  if (!with_checkpoint.empty()) PrintMs("  appends that wrote a checkpoint", with_checkpoint);
  PrintSplit(appends);
  PrintMs("DuckDB COPY TO parquet (baseline)", copy_ms);
  PrintMs("DuckDB COPY TO parquet + fsync file + folder", copy_sync_ms);
  std::printf("    ratio Delta/COPY: median %.1fx, p95 %.1fx;  Delta/(COPY+fsync): median %.1fx\n",
              Median(all) / Median(copy_ms), Percentile(all, 95) / Percentile(copy_ms, 95),
              Median(all) / Median(copy_sync_ms));
  std::printf("    Delta overhead per commit (median Append - median COPY): %.2f ms\n\n",
              Median(all) - Median(copy_ms));
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// 2. Opening a table with a long log

// What the generated log clones: a small real table's protocol, metaData, commitInfos and adds.
struct LogTemplates {
  std::string root;
  delta::Protocol protocol;
  delta::Metadata metadata;
  nlohmann::json create_info, write_info;
  std::vector<delta::AddFile> adds;  // one per version, with stats
};

LogTemplates MakeTemplates(const Config& config, const ScratchDir& scratch) {
  LogTemplates t;
  t.root = scratch.Sub("log-templates");
  auto table = ValueOrDie(Table::Create(t.root, delta::WriteSource::Query(BarsSql(0, kAppendRows)),
                                        {}, TableOptionsFor(config, nullptr)),
                          "Table::Create");
  for (int64_t v = 1; v < kTemplateVersions; ++v) {
    ValueOrDie(table->Append(delta::WriteSource::Query(BarsSql(v * kAppendRows, kAppendRows))),
               "Table::Append");
  }
  for (int64_t v = 0; v < kTemplateVersions; ++v) {
    for (auto& action : ValueOrDie(delta::ReadCommit(t.root, v), "ReadCommit")) {
      if (auto* add = std::get_if<delta::AddFile>(&action)) t.adds.push_back(std::move(*add));
      if (auto* p = std::get_if<delta::Protocol>(&action)) t.protocol = *p;
      if (auto* m = std::get_if<delta::Metadata>(&action)) t.metadata = *m;
      if (auto* info = std::get_if<delta::CommitInfo>(&action)) {
        (v == 0 ? t.create_info : t.write_info) = info->value;
      }
    }
  }
  if (static_cast<int64_t>(t.adds.size()) != kTemplateVersions) {
    throw Failure{"the template table's commits hold " + std::to_string(t.adds.size()) +
                  " adds; expected one per version"};
  }
  return t;
}

std::string GeneratedFileName(int64_t version) {
  char name[80];
  std::snprintf(name, sizeof(name),
                "part-00000-b3c0ffee-0000-4000-8000-%012lld-c000.snappy.parquet",
                static_cast<long long>(version));
  return name;
}

// Writes versions [0, versions) at `root`: commitInfo + one add per version (version 0 also
// protocol and metaData), each add a hard link to a template file. Returns the adds in order.
std::vector<delta::AddFile> WriteLog(const LogTemplates& t, const std::string& root,
                                     int64_t versions, Env& env) {
  CheckOk(env.CreateDirs(root), "creating the generated table's folder");
  const int64_t start_ms = env.NowMs() - (versions + 60) * 1000;
  std::vector<delta::AddFile> adds;
  for (int64_t v = 0; v < versions; ++v) {
    const int64_t ts = start_ms + v * 1000;
    const delta::AddFile& source = t.adds[static_cast<size_t>(v % kTemplateVersions)];
    delta::AddFile add = source;
    add.path = GeneratedFileName(v);
    add.modification_time = ts;
    std::error_code ec;
    fs::create_hard_link(t.root + "/" + source.path, root + "/" + add.path, ec);
    if (ec) throw Failure{"linking a data file into '" + root + "': " + ec.message()};
    nlohmann::json info = v == 0 ? t.create_info : t.write_info;
    info["timestamp"] = ts;
    if (v > 0) info["readVersion"] = v - 1;
    std::vector<delta::Action> actions{delta::CommitInfo{info}};
    if (v == 0) {
      actions.emplace_back(t.protocol);
      actions.emplace_back(t.metadata);
    }
    actions.emplace_back(add);
    CheckOk(delta::PutCommitIfAbsent(env, root, v, delta::SerializeCommit(actions), ts),
            "PutCommitIfAbsent");
    adds.push_back(std::move(add));
  }
  return adds;
}

struct Layout {
  std::string name;
  std::string root;
  int64_t interval = 0;  // checkpoint interval; 0 = none
};

// The checkpoint a reader of `version` starts from in `layout`, if any.
std::optional<int64_t> CheckpointFor(const Layout& layout, int64_t version) {
  if (layout.interval == 0 || version < layout.interval) return std::nullopt;
  return version / layout.interval * layout.interval;
}

struct CheckpointTiming {
  double total_s = 0;
  double last_ms = 0;  // the newest one written
  int64_t last_version = 0;
  int64_t last_bytes = 0;
  int64_t count = 0;
};

// Writes the layouts' checkpoints from the reconciled state (what Snapshot::StateActions gives:
// protocol, metaData, the adds with dataChange false): with `all`, one at every multiple of each
// layout's interval; otherwise only those the measured reads start from (a reader uses the newest
// checkpoint at or before its version and nothing older). A checkpoint two layouts share is
// written once and hard-linked. Each layout gets its _last_checkpoint.
CheckpointTiming WriteCheckpoints(const LogTemplates& t, const std::vector<delta::AddFile>& adds,
                                  const std::vector<Layout>& layouts,
                                  const std::vector<int64_t>& reads, bool all,
                                  duck::Connection& conn, Env& env) {
  std::map<int64_t, std::vector<const Layout*>> wanted;  // version -> layouts
  for (const Layout& layout : layouts) {
    if (layout.interval == 0) continue;
    if (all) {
      for (int64_t v = layout.interval; v < static_cast<int64_t>(adds.size());
           v += layout.interval) {
        wanted[v].push_back(&layout);
      }
      continue;
    }
    std::set<int64_t> versions;
    for (int64_t read : reads) {
      if (auto v = CheckpointFor(layout, read)) versions.insert(*v);
    }
    for (int64_t v : versions) wanted[v].push_back(&layout);
  }
  CheckpointTiming timing;
  std::map<const Layout*, delta::LastCheckpoint> last;
  std::vector<delta::Action> state{t.protocol, t.metadata};
  const double t0 = NowSeconds();
  for (size_t v = 0; v < adds.size(); ++v) {
    delta::AddFile add = adds[v];
    add.data_change = false;
    state.emplace_back(std::move(add));
    auto it = wanted.find(static_cast<int64_t>(v));
    if (it == wanted.end()) continue;
    const int64_t version = it->first;
    const double c0 = NowSeconds();
    auto written =
        ValueOrDie(delta::WriteCheckpoint(conn, env, it->second.front()->root, version, state),
                   "WriteCheckpoint");
    timing.last_ms = (NowSeconds() - c0) * 1e3;
    timing.last_version = version;
    timing.last_bytes = written.size_in_bytes;
    ++timing.count;
    for (const Layout* layout : it->second) {
      last[layout] = {
          version,
          written.actions,
          std::nullopt,
          {{"sizeInBytes", written.size_in_bytes}, {"numOfAddFiles", written.add_files}}};
      if (layout == it->second.front()) continue;
      std::error_code ec;
      fs::create_hard_link(written.path, delta::ClassicCheckpointPath(layout->root, version), ec);
      if (ec) throw Failure{"linking checkpoint '" + written.path + "': " + ec.message()};
    }
  }
  timing.total_s = NowSeconds() - t0;
  for (const auto& [layout, checkpoint] : last) {
    CheckOk(delta::WriteLastCheckpoint(env, layout->root, checkpoint), "_last_checkpoint");
  }
  return timing;
}

struct OpenSide {
  const Layout* layout = nullptr;
  delta::VersionSpec at;
  std::vector<double> ms;       // Open + Describe
  std::vector<double> open_ms;  // Open alone
};

void CheckDescription(const OpenSide& side, const delta::TableDescription& d, int64_t version) {
  const int64_t rows_per_file = kAppendRows;
  const auto expected_checkpoint = CheckpointFor(*side.layout, version);
  if (d.version != version || d.num_files != version + 1 ||
      d.num_records != (version + 1) * rows_per_file ||
      d.checkpoint_version != expected_checkpoint) {
    throw Failure{side.layout->name + ": Describe of version " + std::to_string(version) +
                  " gave version " + std::to_string(d.version) + ", " +
                  std::to_string(d.num_files) + " files, " +
                  std::to_string(d.num_records.value_or(-1)) + " rows, checkpoint " +
                  std::to_string(d.checkpoint_version.value_or(-1)) + "; expected " +
                  std::to_string(version + 1) + " files, checkpoint " +
                  std::to_string(expected_checkpoint.value_or(-1))};
  }
}

void MeasureOpens(const Config& config, std::vector<OpenSide>& sides) {
  for (int64_t round = 0; round < config.open_reps; ++round) {
    for (size_t k = 0; k < sides.size(); ++k) {
      OpenSide& side = sides[(static_cast<size_t>(round) + k) % sides.size()];
      const double t0 = NowSeconds();
      auto table = ValueOrDie(Table::Open(side.layout->root, TableOptionsFor(config, nullptr)),
                              "Table::Open");
      const double t1 = NowSeconds();
      auto d = ValueOrDie(table->Describe(side.at), "Table::Describe");
      const double t2 = NowSeconds();
      side.open_ms.push_back((t1 - t0) * 1e3);
      side.ms.push_back((t2 - t0) * 1e3);
      CheckDescription(side, d, side.at.version.value_or(config.versions - 1));
    }
  }
}

// What a commit costs at this length: appends of 100 rows to a copy of layout (a), the first of
// them at a version due for a checkpoint when the log length is a multiple of 10.
void AppendToLongLog(const Config& config, const ScratchDir& scratch, const Layout& layout) {
  constexpr int kAppends = 10;
  const std::string root = scratch.Sub("log-appends");
  LinkTree(layout.root, root);
  BenchEnv env(BenchEnv::Mode::kRecord);
  auto table = ValueOrDie(Table::Open(root, TableOptionsFor(config, &env)), "Table::Open");
  std::vector<double> plain, prepare, checkpointed, checkpoint;
  for (int i = 0; i < kAppends; ++i) {
    const AppendSample s = TimedAppend(*table, env, BarsSql(i * kAppendRows, kAppendRows));
    (s.checkpointed ? checkpointed : plain).push_back(s.ms);
    if (s.split) prepare.push_back(s.split->prepare * 1e3);
    if (s.split && s.checkpointed) checkpoint.push_back(s.split->checkpoint * 1e3);
  }
  std::printf(
      "  %d appends of %lld rows to a copy of (a): median %.1f ms (prepare, mostly the "
      "snapshot load: median %.1f ms)",
      kAppends, static_cast<long long>(kAppendRows), Median(plain), Median(prepare));
  if (!checkpointed.empty()) {
    std::printf(";\n    %zu of them wrote a checkpoint: %.1f ms, of which the checkpoint %.1f ms",
                checkpointed.size(), Median(checkpointed),
                checkpoint.empty() ? 0.0 : Median(checkpoint));
  }
  std::printf("\n");
}

// Returns the speedup (c)/(a) of opening the latest version.
double OpenLongLog(const Config& config, const ScratchDir& scratch) {
  std::printf(
      "2. Open a table of %s versions (each commitInfo + 1 add with stats): "
      "Table::Open + Describe(), fresh Open each time\n",
      Thousands(config.versions).c_str());
  BenchEnv no_sync(BenchEnv::Mode::kNoSync);
  const double g0 = NowSeconds();
  const LogTemplates templates = MakeTemplates(config, scratch);
  const std::vector<Layout> layouts = {
      {"(a) checkpoint every 10 versions", scratch.Sub("log-every-10"), 10},
      {"(b) checkpoint every 100 versions", scratch.Sub("log-every-100"), 100},
      {"(c) no checkpoint: JSON replay (baseline)", scratch.Sub("log-json"), 0},
  };
  const auto adds = WriteLog(templates, layouts[2].root, config.versions, no_sync);
  const double log_s = NowSeconds() - g0;
  LinkTree(layouts[2].root, layouts[0].root);
  LinkTree(layouts[2].root, layouts[1].root);
  Duck duck = OpenDuck(config, scratch);
  const int64_t latest = config.versions - 1;
  const CheckpointTiming timing =
      WriteCheckpoints(templates, adds, layouts, {latest, config.time_travel},
                       config.all_checkpoints, *duck.conn, no_sync);
  std::printf(
      "  generated in %.1f s (log %.1f s; %lld checkpoints %.1f s, %s; the one at "
      "v%lld: %.1f ms, %.0f KB)\n",
      NowSeconds() - g0, log_s, static_cast<long long>(timing.count), timing.total_s,
      config.all_checkpoints ? "all of them" : "only those the reads use (--all-checkpoints: all)",
      static_cast<long long>(timing.last_version), timing.last_ms,
      static_cast<double>(timing.last_bytes) / 1e3);
  std::vector<OpenSide> sides;
  for (const Layout& layout : layouts) sides.push_back({&layout, {}, {}, {}});
  for (const Layout& layout : layouts) {
    OpenSide side{&layout, {}, {}, {}};
    side.at.version = config.time_travel;
    sides.push_back(side);
  }
  MeasureOpens(config, sides);

  std::printf("    %-44s %9s %7s %11s %11s %11s\n", "", "checkpt", "JSONs", "median", "p95",
              "Open alone");
  auto print = [&](const OpenSide& side, int64_t version) {
    const auto checkpoint = CheckpointFor(*side.layout, version);
    const int64_t jsons = version - (checkpoint ? *checkpoint : -1);
    std::printf("    %-44s %9s %7lld %8.2f ms %8.2f ms %8.2f ms\n", side.layout->name.c_str(),
                checkpoint ? ("v" + std::to_string(*checkpoint)).c_str() : "-",
                static_cast<long long>(jsons), Median(side.ms), Percentile(side.ms, 95),
                Median(side.open_ms));
  };
  std::printf("  latest version (v%lld), %lld runs each:\n", static_cast<long long>(latest),
              static_cast<long long>(config.open_reps));
  for (size_t i = 0; i < 3; ++i) print(sides[i], latest);
  const double speedup_a = Median(sides[2].ms) / Median(sides[0].ms);
  std::printf("    ratio (c)/(a) %.1fx, (c)/(b) %.1fx\n", speedup_a,
              Median(sides[2].ms) / Median(sides[1].ms));
  std::printf("  time travel to v%lld:\n", static_cast<long long>(config.time_travel));
  for (size_t i = 3; i < 6; ++i) print(sides[i], config.time_travel);
  std::printf("    ratio (c)/(a) %.1fx, (c)/(b) %.1fx\n", Median(sides[5].ms) / Median(sides[3].ms),
              Median(sides[5].ms) / Median(sides[4].ms));
  AppendToLongLog(config, scratch, layouts[0]);
  std::printf("\n");
  std::fflush(stdout);
  return speedup_a;
}

// ---------------------------------------------------------------------------------------------
// 3. OPTIMIZE of many small files

struct OrderCheck {
  int64_t rows = 0;
  int64_t out_of_order = 0;
};

OrderCheck CheckTsOrder(const std::vector<int64_t>& ts) {
  OrderCheck check;
  check.rows = static_cast<int64_t>(ts.size());
  for (size_t i = 1; i < ts.size(); ++i) check.out_of_order += ts[i] < ts[i - 1];
  return check;
}

// The baseline's output file read back in stored order.
OrderCheck CheckParquet(duck::Connection& conn, const std::string& path) {
  auto result = ValueOrDie(
      conn.Query("SELECT ts FROM read_parquet(" + duck::QuoteLiteral(path) + ")", "reading back"),
      "reading the baseline output");
  std::vector<int64_t> ts;
  while (true) {
    duck::DataChunk chunk = ValueOrDie(result.NextChunk(), "fetching a chunk");
    if (!chunk) break;
    const int64_t* data = chunk.Data<int64_t>(0);
    ts.insert(ts.end(), data, data + chunk.size());
  }
  return CheckTsOrder(ts);
}

OrderCheck CheckTable(const Config& config, const std::string& root, int64_t* files) {
  auto table = ValueOrDie(Table::Open(root, TableOptionsFor(config, nullptr)), "Table::Open");
  *files = ValueOrDie(table->Describe(), "Table::Describe").num_files;
  delta::ScanOptions scan;
  scan.columns = {"ts"};
  RecordBatch batch = ValueOrDie(table->Read(scan), "Table::Read");
  const Column* ts = batch.Find("ts");
  if (ts == nullptr) throw Failure{"Table::Read returned no ts column"};
  return CheckTsOrder(ts->ints);
}

// Builds the table with real appends; returns the append latencies in ms.
std::vector<double> BuildSmallFiles(const Config& config, const std::string& root) {
  const delta::TableOptions options = TableOptionsFor(config, nullptr);
  std::vector<double> ms;
  double t0 = NowSeconds();
  auto table = ValueOrDie(
      Table::Create(root, delta::WriteSource::Query(BarsSql(0, config.rows_per_file)), {}, options),
      "Table::Create");
  ms.push_back((NowSeconds() - t0) * 1e3);
  for (int64_t i = 1; i < config.files; ++i) {
    t0 = NowSeconds();
    ValueOrDie(table->Append(delta::WriteSource::Query(
                   BarsSql(i * config.rows_per_file, config.rows_per_file))),
               "Table::Append");
    ms.push_back((NowSeconds() - t0) * 1e3);
  }
  return ms;
}

std::vector<std::string> DataFiles(duck::Connection& conn, const std::string& root) {
  auto snapshot = ValueOrDie(delta::LoadSnapshot(conn, root, {}), "LoadSnapshot");
  std::vector<std::string> paths;
  for (const auto& file : snapshot.files) paths.push_back(snapshot.FilePath(file.path));
  return paths;
}

// Returns Optimize's median time over DuckDB's.
double OptimizeSmallFiles(const Config& config, const ScratchDir& scratch) {
  const int64_t total_rows = config.files * config.rows_per_file;
  std::printf(
      "3. OPTIMIZE: %s files x %s rows (ts, price, qty, symbol) -> one file; %lld "
      "repetition(s), each on a fresh hard-linked copy\n",
      Thousands(config.files).c_str(), Thousands(config.rows_per_file).c_str(),
      static_cast<long long>(config.optimize_reps));
  const std::string root = scratch.Sub("small-files");
  const double b0 = NowSeconds();
  const std::vector<double> append_ms = BuildSmallFiles(config, root);
  const size_t window = std::min<size_t>(100, append_ms.size());
  std::printf(
      "  built by %s Table::Append in %.1f s; append median: first %zu %.1f ms, last %zu "
      "%.1f ms (snapshot load grows with the table)\n",
      Thousands(config.files).c_str(), NowSeconds() - b0, window,
      Median(std::vector<double>(append_ms.begin(), append_ms.begin() + window)), window,
      Median(std::vector<double>(append_ms.end() - window, append_ms.end())));
  Duck duck = OpenDuck(config, scratch);
  const std::vector<std::string> paths = DataFiles(*duck.conn, root);
  if (static_cast<int64_t>(paths.size()) != config.files) {
    throw Failure{"the small-file table has " + std::to_string(paths.size()) + " files"};
  }
  std::string list;
  for (const auto& path : paths) list += (list.empty() ? "" : ", ") + duck::QuoteLiteral(path);
  const std::string select = "SELECT * FROM read_parquet([" + list + "])";

  std::vector<double> optimize_s, copy_s;
  std::vector<AppendSplit> splits;
  BenchEnv env(BenchEnv::Mode::kRecord);
  for (int64_t rep = 0; rep < config.optimize_reps; ++rep) {
    const std::string copy = scratch.Sub("optimize-" + std::to_string(rep));
    LinkTree(root, copy);
    const std::string out = scratch.Sub("copy-" + std::to_string(rep) + ".parquet");
    auto optimize = [&] {
      auto table = ValueOrDie(Table::Open(copy, TableOptionsFor(config, &env)), "Table::Open");
      env.Take();
      const double t0 = NowSeconds();
      auto result = ValueOrDie(table->Optimize(), "Table::Optimize");
      const double t1 = NowSeconds();
      optimize_s.push_back(t1 - t0);
      if (auto split = SplitAppend(env.Take(), t0, t1)) splits.push_back(*split);
      if (result.files_removed != config.files || result.files_added != 1 ||
          result.rows_copied != total_rows) {
        throw Failure{"OPTIMIZE removed " + std::to_string(result.files_removed) +
                      " files, added " + std::to_string(result.files_added) + ", copied " +
                      std::to_string(result.rows_copied) + " rows"};
      }
    };
    auto baseline = [&] {
      const double t0 = NowSeconds();
      CopyToParquet(*duck.conn, select, out);
      copy_s.push_back(NowSeconds() - t0);
    };
    if (rep % 2 == 0) {
      optimize();
      baseline();
    } else {
      baseline();
      optimize();
    }
    int64_t files = 0;
    const OrderCheck table = CheckTable(config, copy, &files);
    const OrderCheck base = CheckParquet(*duck.conn, out);
    if (files != 1 || table.rows != total_rows || table.out_of_order != 0) {
      throw Failure{"the optimized table has " + std::to_string(files) + " file(s), " +
                    std::to_string(table.rows) + " rows, " + std::to_string(table.out_of_order) +
                    " rows out of ts order"};
    }
    if (base.rows != total_rows || base.out_of_order != 0) {
      throw Failure{"DuckDB's copy has " + std::to_string(base.rows) + " rows, " +
                    std::to_string(base.out_of_order) + " out of ts order"};
    }
  }
  std::printf("    %-44s %10s %10s %10s\n", "", "median", "min", "max");
  auto print = [](const char* what, const std::vector<double>& s) {
    std::printf("    %-44s %8.3f s %8.3f s %8.3f s\n", what, Median(s), Min(s),
                *std::max_element(s.begin(), s.end()));
  };
  print("Delta Table::Optimize()", optimize_s);
  print("DuckDB COPY of the same files (baseline)", copy_s);
  if (!splits.empty()) {
    std::vector<std::vector<double>> phase(6);
    for (const AppendSplit& p : splits) {
      const double values[] = {p.prepare, p.copy, p.data_sync, p.stats, p.commit, p.checkpoint};
      for (int i = 0; i < 6; ++i) phase[i].push_back(values[i]);
    }
    std::printf(
        "    Optimize split (medians): prepare %.3f s (snapshot load, file schemas, "
        "row count),\n      COPY %.3f s, fsync %.3f s, stats %.3f s, commit %.3f s, "
        "checkpoint (when due) %.3f s\n",
        Median(phase[0]), Median(phase[1]), Median(phase[2]), Median(phase[3]), Median(phase[4]),
        Median(phase[5]));
  }
  const double ratio = Median(optimize_s) / Median(copy_s);
  std::printf("    ratio Optimize/COPY: %.2f  (checked: 1 file, %s rows, in ts order, both)\n\n",
              ratio, Thousands(total_rows).c_str());
  std::fflush(stdout);
  return ratio;
}

int Run(const Config& config) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-delta-bench"), "scratch folder");
  if (config.keep) scratch.Keep();
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  std::printf("delta_bench: threads=%d memory_limit=%s  load average %.2f  folder %s\n\n",
              config.threads, config.memory_limit.c_str(), load[0], scratch.path().c_str());
  std::fflush(stdout);
  std::optional<double> open_speedup, optimize_ratio;
  if (config.parts.find('1') != std::string::npos) CommitLatency(config, scratch);
  if (config.parts.find('2') != std::string::npos) open_speedup = OpenLongLog(config, scratch);
  if (config.parts.find('3') != std::string::npos) {
    optimize_ratio = OptimizeSmallFiles(config, scratch);
  }
  if (!open_speedup && !optimize_ratio) return 0;
  std::printf("  targets (medians):\n");
  char what[200];
  if (open_speedup) {
    std::snprintf(what, sizeof(what),
                  "open latest: checkpoint every 10 is %.1fx faster than JSON replay (>= %.0fx)",
                  *open_speedup, kOpenSpeedupTarget);
    Target(*open_speedup >= kOpenSpeedupTarget, what);
  }
  if (optimize_ratio) {
    std::snprintf(what, sizeof(what), "OPTIMIZE/DuckDB copy %.2f <= %.1f", *optimize_ratio,
                  kOptimizeRatioTarget);
    Target(*optimize_ratio <= kOptimizeRatioTarget, what);
  }
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--all-checkpoints", "--keep", "--help"},
              {"--parts", "--appends", "--versions", "--files", "--reps", "--optimize-reps",
               "--threads", "--memory-limit"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: delta_bench [--quick] [--parts 123] [--appends N] [--versions N] "
                 "[--files N] [--reps N] [--optimize-reps N] [--all-checkpoints] [--threads N] "
                 "[--memory-limit S] [--keep]\n"
                 "  --reps: opens per layout and version (part 2); --optimize-reps: part 3\n"
                 "  default: 300 appends; a 10,000-version log; OPTIMIZE of 1,000 files x 3\n"
                 "  --quick: 20 appends; 200 versions; OPTIMIZE of 50 files once\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    Config config;
    if (flags.Has("--quick")) {
      config.appends = 20;
      config.versions = 200;
      config.files = 50;
      config.open_reps = 3;
      config.optimize_reps = 1;
    }
    config.parts = flags.Str("--parts", config.parts);
    config.appends = flags.Int("--appends", config.appends);
    config.versions = flags.Int("--versions", config.versions);
    config.time_travel = config.versions / 2;
    config.files = flags.Int("--files", config.files);
    config.open_reps = flags.Int("--reps", config.open_reps);
    config.optimize_reps = flags.Int("--optimize-reps", config.optimize_reps);
    config.threads =
        static_cast<int>(flags.Int("--threads", std::max(1u, std::thread::hardware_concurrency())));
    config.memory_limit = flags.Str("--memory-limit", config.memory_limit);
    config.all_checkpoints = flags.Has("--all-checkpoints");
    config.keep = flags.Has("--keep");
    if (config.appends < 1 || config.versions < 2 || config.files < 2 || config.open_reps < 1 ||
        config.optimize_reps < 1 || config.threads < 1) {
      std::fprintf(stderr,
                   "--appends and --reps must be >= 1, --versions and --files >= 2, "
                   "--threads positive\n");
      return 2;
    }
    return Run(config);
  } catch (const Failure& f) {
    std::fprintf(stderr, "delta_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
