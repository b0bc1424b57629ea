#include "tests/process_test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dlake/common/time.h"
#include "dlake/lake.h"

extern char** environ;

namespace dlake::testing {
namespace fs = std::filesystem;

KlineOptions Klines(double from_day, double days, double base, uint64_t seed) {
  KlineOptions o;
  o.start_ms = kDay0 + static_cast<int64_t>(from_day * kMsPerDay);
  o.count = static_cast<int64_t>(days * 1440);
  o.base_price = base;
  o.seed = seed;
  return o;
}

// ---- Children ----

namespace {

// The command that runs `binary` with `args` under `options`' limits. The limits are set by
// util-linux's prlimit (RLIMIT_FSIZE) and setpriv (the unprivileged user), which exec the next
// word in turn, so that no code of ours runs between the spawn and dlake.
std::vector<std::string> ChildCommand(const std::string& binary,
                                      const std::vector<std::string>& args,
                                      const SpawnOptions& options) {
  std::vector<std::string> command;
  if (options.file_size_limit >= 0) {
    const std::string limit = std::to_string(options.file_size_limit);
    command.insert(command.end(), {"/usr/bin/prlimit", "--fsize=" + limit + ":" + limit, "--"});
  }
  if (options.as_nobody) {
    const std::string nobody = std::to_string(kNobody);
    command.insert(command.end(), {"/usr/bin/setpriv", "--reuid=" + nobody, "--regid=" + nobody,
                                   "--clear-groups", "--"});
  }
  command.push_back(binary);
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

// The environment of the test process with `options`' changes, as NAME=value strings.
std::vector<std::string> ChildEnvironment(const SpawnOptions& options) {
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& name : options.unset_env) env_map.erase(name);
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  return env_strings;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

// Children are started with posix_spawn, not fork. fork runs the pthread_atfork handlers of
// every library in the test process, and the jemalloc inside libduckdb locks all its arenas there:
// more mutexes at once than ThreadSanitizer's deadlock detector can hold, which aborts the test
// process under the tsan preset (and the unlocks that follow look unbalanced to it). posix_spawn
// runs no handlers and copies no address space; what used to run in the forked child (limits,
// privileges) is done by the programs ChildCommand puts in front of dlake.
std::unique_ptr<DlakeChild> DlakeChild::Start(const std::vector<std::string>& args,
                                              const SpawnOptions& options) {
  auto child = std::unique_ptr<DlakeChild>(new DlakeChild());
  child->output_dir_ = std::make_unique<TempDir>();
  const std::string out_path = child->output_dir_->Join("stdout");
  const std::string err_path = child->output_dir_->Join("stderr");

  std::vector<std::string> command =
      ChildCommand(options.binary.empty() ? DlakeBinary() : options.binary, args, options);
  std::vector<char*> argv = Pointers(command);
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> envp = Pointers(env_strings);

  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    ADD_FAILURE() << "cannot create output files in " << child->output_dir_->path();
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return child;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  // A write past RLIMIT_FSIZE must fail with EFBIG rather than kill dlake with SIGXFSZ. An
  // ignored disposition survives exec but cannot be set by posix_spawn, so this process ignores
  // SIGXFSZ (it has no file size limit itself) and other children get the default back.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  if (options.file_size_limit >= 0) {
    ::signal(SIGXFSZ, SIG_IGN);
  } else {
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGXFSZ);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  }
  pid_t pid = -1;
  const int error = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  ::close(err_fd);
  if (error != 0) {
    ADD_FAILURE() << "cannot start " << command.front() << ": " << std::strerror(error);
    return child;
  }
  child->pid_ = pid;
  return child;
}

DlakeChild::~DlakeChild() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

bool DlakeChild::Running() {
  if (pid_ <= 0 || reaped_) return false;
  pid_t r = ::waitpid(pid_, &status_, WNOHANG);
  if (r == pid_) reaped_ = true;
  return !reaped_;
}

void DlakeChild::Kill(int signal_number) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal_number);
}

ProcessResult DlakeChild::Wait() {
  ProcessResult result;
  if (pid_ <= 0) return result;
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (WIFEXITED(status_)) result.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) result.signal = WTERMSIG(status_);
  result.out = ReadFile(output_dir_->Join("stdout"));
  result.err = ReadFile(output_dir_->Join("stderr"));
  return result;
}

ProcessResult RunDlakeWith(const std::vector<std::string>& args, const SpawnOptions& options) {
  return DlakeChild::Start(args, options)->Wait();
}

ProcessResult Dlake(const std::string& lake, const std::vector<std::string>& args,
                    const SpawnOptions& options) {
  std::vector<std::string> all = {"--lake", lake};
  all.insert(all.end(), args.begin(), args.end());
  return RunDlakeWith(all, options);
}

std::string Describe(const ProcessResult& r) {
  std::ostringstream out;
  out << "exit " << r.exit_code;
  if (r.signal) out << " (signal " << r.signal << ")";
  out << "\n--- stdout ---\n"
      << r.out.substr(0, 4000) << "\n--- stderr ---\n"
      << r.err.substr(0, 4000);
  return out.str();
}

// ---- Lakes ----

void InitLake(const std::string& dir) {
  ProcessResult r = RunDlakeWith({"init", dir});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
}

std::vector<std::string> IngestArgs(const std::string& lake, const std::string& csv,
                                    const std::string& symbol) {
  return {"--lake", lake, "ingest", "--source", csv, "--exchange", kExchange, "--symbol", symbol};
}

void IngestCsv(const std::string& lake, const std::string& csv, const std::string& symbol) {
  ProcessResult r = RunDlakeWith(IngestArgs(lake, csv, symbol));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
}

std::string WriteKlines(const std::string& path, const KlineOptions& options) {
  WriteFile(path, MakeKlineCsv(options));
  return path;
}

void CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  fs::copy(from, to, fs::copy_options::recursive, ec);
  ASSERT_FALSE(ec) << "cannot copy " << from << " to " << to << ": " << ec.message();
}

std::map<std::string, std::string> LakeChecksums(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& [path, sum] : Checksums(dir)) {
    if (path.starts_with(".locks/") || path.starts_with(".tmp/")) continue;
    if (path.ends_with("-wal") || path.ends_with("-shm")) continue;
    out.emplace(path, sum);
  }
  return out;
}

std::vector<std::string> TempFilesUnder(const std::string& lake) {
  std::vector<std::string> out;
  for (const auto& rel : ListFilesRecursive(lake + "/data")) {
    if (fs::path(rel).filename().string().starts_with(".tmp-")) out.push_back(rel);
  }
  return out;
}

nlohmann::json VerifyJson(const std::string& lake, bool repair) {
  std::vector<std::string> args = {"--lake", lake, "--json", "verify"};
  if (repair) args.push_back("--repair");
  ProcessResult r = RunDlakeWith(args);
  nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "verify printed no JSON: " << Describe(r);
  if (parsed.is_discarded()) return nlohmann::json::object();
  // verify exits 1 exactly when it reports a problem.
  EXPECT_EQ(r.exit_code, parsed.value("ok", false) ? 0 : 1) << Describe(r);
  return parsed;
}

void ExpectNoDamage(const nlohmann::json& verify) {
  EXPECT_EQ(verify.value("checksum_mismatches", nlohmann::json::array()), nlohmann::json::array())
      << verify.dump(2);
  EXPECT_EQ(verify.value("missing_files", nlohmann::json::array()), nlohmann::json::array())
      << verify.dump(2);
  for (const auto& d : verify.value("datasets", nlohmann::json::array())) {
    EXPECT_EQ(d.value("duplicates", -1), 0) << d.dump(2);
    EXPECT_EQ(d.value("out_of_order", -1), 0) << d.dump(2);
    EXPECT_EQ(d.value("mismatches", nlohmann::json::array()), nlohmann::json::array()) << d.dump(2);
    EXPECT_EQ(d.value("gaps", nlohmann::json::array()), nlohmann::json::array()) << d.dump(2);
  }
}

// ---- Candles ----

Candles CandlesOf(const KlineOptions& options) {
  Candles out;
  for (int64_t i = 0; i < options.count; ++i) {
    std::string line = KlineLine(options, i);
    std::vector<double> fields;
    std::stringstream in(line);
    std::string field;
    while (std::getline(in, field, ',') && fields.size() < 6) {
      fields.push_back(std::strtod(field.c_str(), nullptr));
    }
    const int64_t ts = options.start_ms + i * options.step_ms;
    out[ts] = Candle{fields[1], fields[2], fields[3], fields[4], fields[5]};
  }
  return out;
}

Candles Merged(const Candles& base, const Candles& newer) {
  Candles out = base;
  for (const auto& [ts, c] : newer) out[ts] = c;
  return out;
}

Candles DayOfCandles(const Candles& all, int64_t day) {
  return Candles(all.lower_bound(day * kMsPerDay), all.lower_bound((day + 1) * kMsPerDay));
}

std::vector<int64_t> DaysOf(const Candles& a, const Candles& b) {
  std::vector<int64_t> days;
  for (const Candles* set : {&a, &b}) {
    for (const auto& [ts, c] : *set) {
      int64_t day = ts / kMsPerDay;
      if (std::find(days.begin(), days.end(), day) == days.end()) days.push_back(day);
    }
  }
  std::sort(days.begin(), days.end());
  return days;
}

Snapshot ReadSnapshot(Lake& lake, const std::string& symbol) {
  Snapshot snap;
  auto dataset = DatasetId::Make(kExchange, "FUTURES", symbol, "raw", "1m");
  if (!dataset.ok()) {
    snap.error = dataset.status().ToString();
    return snap;
  }
  ReadRequest request;
  request.dataset = *dataset;
  auto batch = lake.Read(request);
  if (!batch.ok()) {
    snap.error = batch.status().ToString();
    return snap;
  }
  if (batch->num_rows == 0) return snap;
  const char* names[] = {"ts", "open", "high", "low", "close", "volume"};
  const Column* cols[6];
  for (int i = 0; i < 6; ++i) {
    cols[i] = batch->Find(names[i]);
    if (cols[i] == nullptr) {
      snap.error = std::string("column ") + names[i] + " missing from the read";
      return snap;
    }
  }
  int64_t prev = INT64_MIN;
  for (size_t r = 0; r < batch->num_rows; ++r) {
    const int64_t ts = cols[0]->ints[r];
    ++snap.total_rows;
    if (ts < prev) ++snap.out_of_order;
    prev = ts;
    Candle c{cols[1]->doubles[r], cols[2]->doubles[r], cols[3]->doubles[r], cols[4]->doubles[r],
             cols[5]->doubles[r]};
    if (!snap.rows.emplace(ts, c).second) ++snap.repeated_ts;
  }
  return snap;
}

Snapshot ReadSnapshot(const std::string& lake, const std::string& symbol) {
  auto opened = Lake::Open(lake, LakeOptions{});
  if (!opened.ok()) {
    Snapshot snap;
    snap.error = opened.status().ToString();
    return snap;
  }
  return ReadSnapshot(**opened, symbol);
}

std::string Mismatch(const Snapshot& snap, const Candles& expected) {
  if (!snap.error.empty()) return "read failed: " + snap.error;
  std::ostringstream out;
  if (snap.repeated_ts) out << snap.repeated_ts << " rows repeat a ts; ";
  if (snap.out_of_order) out << snap.out_of_order << " rows out of order; ";
  if (snap.total_rows != static_cast<int64_t>(expected.size())) {
    out << snap.total_rows << " rows read, " << expected.size() << " expected; ";
  }
  int64_t missing = 0, unexpected = 0, wrong = 0;
  std::string first;
  for (const auto& [ts, c] : expected) {
    auto it = snap.rows.find(ts);
    if (it == snap.rows.end()) {
      if (missing++ == 0 && first.empty()) first = "missing " + FormatTimestamp(ts);
    } else if (it->second != c) {
      if (wrong++ == 0 && first.empty()) first = "other values at " + FormatTimestamp(ts);
    }
  }
  for (const auto& [ts, c] : snap.rows) {
    if (!expected.count(ts) && unexpected++ == 0 && first.empty()) {
      first = "unexpected " + FormatTimestamp(ts);
    }
  }
  if (missing + unexpected + wrong > 0) {
    out << missing << " rows missing, " << unexpected << " unexpected, " << wrong
        << " with other values (first: " << first << ")";
  }
  return out.str();
}

void ExpectHolds(const Snapshot& snap, const Candles& expected) {
  EXPECT_EQ(Mismatch(snap, expected), "");
}

// ---- Privileges ----

namespace {

// Can a user who is neither owner nor group member reach `path` (and run it)?
bool OthersCanRead(const fs::path& path, bool and_run = false) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !(st.st_mode & S_IROTH)) return false;
  if (and_run && !(st.st_mode & S_IXOTH)) return false;
  for (fs::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (::stat(dir.c_str(), &st) != 0 || !(st.st_mode & S_IXOTH)) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

// The file of the loaded libduckdb, from this process's memory map.
std::string LoadedDuckDbLibrary() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash);
    if (fs::path(path).filename().string().starts_with("libduckdb")) return path;
  }
  return "";
}

}  // namespace

// `file` placed in `dir`: a hard link when `link` and both sit on one file system, else a copy.
// MakeReadableByOthers then opens the copy (a link shares the original's mode) to others.
std::string PlaceCopy(const std::string& file, const fs::path& dir, bool link) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path target = dir / fs::path(file).filename();
  if (link) fs::create_hard_link(file, target, ec);
  if (!link || ec) {
    ec.clear();
    fs::copy_file(file, target, fs::copy_options::overwrite_existing, ec);
  }
  EXPECT_FALSE(ec) << "cannot place a copy of " << file << " in " << dir << ": " << ec.message();
  return target.string();
}

NobodyDlake PrepareDlakeForNobody(const TempDir& scratch) {
  NobodyDlake out;
  out.binary = DlakeBinary();
  // The binary is copied, so that opening it to others does not change the build's file.
  if (!OthersCanRead(out.binary, /*and_run=*/true))
    out.binary = PlaceCopy(out.binary, scratch.Join("bin"), false);
  const std::string lib = LoadedDuckDbLibrary();
  if (!lib.empty() && !OthersCanRead(lib)) {
    PlaceCopy(lib, scratch.Join("lib"), /*link=*/true);
    out.env["LD_LIBRARY_PATH"] = scratch.Join("lib");
  }
  return out;
}

void MakeReadableByOthers(const std::string& path) {
  std::error_code ec;
  const auto read_exec = fs::perms::others_read | fs::perms::others_exec | fs::perms::group_read |
                         fs::perms::group_exec;
  fs::permissions(path, read_exec, fs::perm_options::add, ec);
  for (auto it = fs::recursive_directory_iterator(path, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    auto add = fs::perms::others_read | fs::perms::group_read;
    if (it->is_directory() ||
        (it->status(ec).permissions() & fs::perms::owner_exec) != fs::perms::none) {
      add = read_exec;
    }
    fs::permissions(it->path(), add, fs::perm_options::add, ec);
  }
}

}  // namespace dlake::testing
