#include "testing/delta_reference.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <utility>

namespace dlake::testing {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Run by `node -e`. argv[1]: a JSON array of SQL statements. Prints, as its last line, a JSON
// array holding per statement {"csv": CSVWithNames text} or {"error": chDB's message}.
// Exit 3: chDB does not load.
constexpr const char* kNodeProgram = R"js(
'use strict';
// chDB reads local files only below its working folder.
process.chdir('/');
let chdb;
try {
  chdb = require('chdb');
} catch (e) {
  process.stderr.write(String(e && e.message));
  process.exit(3);
}
const results = JSON.parse(process.argv[1]).map((sql) => {
  try {
    return {csv: chdb.query(sql, 'CSVWithNames')};
  } catch (e) {
    return {error: String(e && e.message)};
  }
});
process.stdout.write('\n' + JSON.stringify(results) + '\n');
)js";

constexpr int kExitChdbDoesNotLoad = 3;
constexpr int kExitCannotExec = 127;
// Linux limits one argument to 128 KiB; the statements travel as one.
constexpr size_t kMaxStatementsBytes = 100 * 1024;

constexpr const char* kSetupHint = "run scripts/setup.sh";

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Status MakePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return IoErrorFromErrno("cannot create a pipe for", "node", errno);
  }
  *read_end = Fd(fds[0]);
  *write_end = Fd(fds[1]);
  return Status::Ok();
}

std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct ProcessOutput {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// The current environment with `overrides` replacing or adding variables; built before fork so
// the child only calls async-signal-safe functions.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    const std::string entry = *var;
    if (!overrides.count(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [name, value] : overrides) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs `args` (args[0] looked up in PATH) with `env_overrides`, capturing stdout and stderr.
Result<ProcessOutput> RunProcess(std::vector<std::string> args,
                                 const std::map<std::string, std::string>& env_overrides) {
  std::vector<std::string> env = ChildEnvironment(env_overrides);
  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);
  Fd out_read, out_write, err_read, err_write;
  DLAKE_RETURN_IF_ERROR(MakePipe(&out_read, &out_write));
  DLAKE_RETURN_IF_ERROR(MakePipe(&err_read, &err_write));
  const pid_t pid = ::fork();
  if (pid < 0) return IoErrorFromErrno("cannot fork to run", args[0], errno);
  if (pid == 0) {
    ::dup2(out_write.get(), STDOUT_FILENO);
    ::dup2(err_write.get(), STDERR_FILENO);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(kExitCannotExec);
  }
  out_write.Reset();
  err_write.Reset();
  ProcessOutput result;
  std::thread err_reader([&] { result.err = Drain(err_read.get()); });
  result.out = Drain(out_read.get());
  err_reader.join();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::string LastLine(std::string_view text) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  const size_t newline = text.rfind('\n');
  return std::string(newline == std::string_view::npos ? text : text.substr(newline + 1));
}

// Turns the node program's output into one CSV text per statement.
Result<std::vector<std::string>> StatementResults(const ProcessOutput& run,
                                                  const std::vector<std::string>& sqls) {
  if (run.exit_code == kExitCannotExec) {
    return FailedPrecondition("cannot run node to query chDB: ", run.err, "; ", kSetupHint);
  }
  if (run.exit_code == kExitChdbDoesNotLoad) {
    return FailedPrecondition("chDB in '", ChdbDir(), "' does not load: ", run.err, "; ",
                              kSetupHint);
  }
  if (run.exit_code != 0) {
    return Internal("node running chDB failed (exit ", run.exit_code, ", signal ", run.signal,
                    "): ", run.err);
  }
  const json results = json::parse(LastLine(run.out), nullptr, /*allow_exceptions=*/false);
  if (!results.is_array() || results.size() != sqls.size()) {
    return Internal("unexpected output from node running chDB: ", run.out, run.err);
  }
  std::vector<std::string> csvs;
  for (size_t i = 0; i < sqls.size(); ++i) {
    const json& r = results[i];
    if (r.contains("error") && r["error"].is_string()) {
      return Internal("chDB query failed: ", sqls[i], ": ", r["error"].get<std::string>());
    }
    if (!r.contains("csv") || !r["csv"].is_string()) {
      return Internal("chDB returned no CSV for: ", sqls[i]);
    }
    csvs.push_back(r["csv"].get<std::string>());
  }
  return csvs;
}

// 'text' as a ClickHouse string literal (backslash escapes).
std::string ClickHouseLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string DeltaLakeLocal(const std::string& table_dir) {
  return "deltaLakeLocal(" +
         ClickHouseLiteral(fs::absolute(table_dir).lexically_normal().string()) + ")";
}

std::string ReadSettings(std::optional<int64_t> version) {
  std::string settings = " SETTINGS output_format_decimal_trailing_zeros = 1";
  if (version) settings += ", delta_lake_snapshot_version = " + std::to_string(*version);
  return settings;
}

}  // namespace

std::string ChdbDir() {
  const char* dir = std::getenv("DLAKE_CHDB_DIR");
  return dir != nullptr && *dir != '\0' ? dir : DLAKE_CHDB_DIR;
}

Status CheckChdb() {
  const std::string dir = ChdbDir();
  if (!fs::exists(dir + "/.verified") || !fs::exists(dir + "/node_modules/chdb/package.json")) {
    return FailedPrecondition(
        "chDB, the reference Delta reader of the Delta tests, is not installed in '", dir,
        "' (DLAKE_CHDB_DIR, or the folder the build was configured with): ", kSetupHint);
  }
  return Status::Ok();
}

Result<std::vector<RowSet>> ChdbQueries(const std::vector<std::string>& sqls) {
  DLAKE_RETURN_IF_ERROR(CheckChdb());
  const std::string statements = json(sqls).dump();
  if (statements.size() > kMaxStatementsBytes) {
    return InvalidArgument("chDB batch of ", sqls.size(), " statements is ", statements.size(),
                           " bytes; split it (one node argument holds ", kMaxStatementsBytes, ")");
  }
  DLAKE_ASSIGN_OR_RETURN(ProcessOutput run,
                         RunProcess({"node", "-e", kNodeProgram, statements},
                                    {{"NODE_PATH", ChdbDir() + "/node_modules"}, {"TZ", "UTC"}}));
  DLAKE_ASSIGN_OR_RETURN(std::vector<std::string> csvs, StatementResults(run, sqls));
  std::vector<RowSet> out;
  for (size_t i = 0; i < csvs.size(); ++i) {
    DLAKE_ASSIGN_OR_RETURN(RowSet rows,
                           ParseCsv(csvs[i], CsvNull::kBackslashN, "chDB result of " + sqls[i]));
    out.push_back(std::move(rows));
  }
  return out;
}

Result<RowSet> ChdbQuery(const std::string& sql) {
  DLAKE_ASSIGN_OR_RETURN(std::vector<RowSet> results, ChdbQueries({sql}));
  return std::move(results[0]);
}

std::string ChdbDeltaReadSql(const std::string& table_dir, std::optional<int64_t> version) {
  return "SELECT * FROM " + DeltaLakeLocal(table_dir) + ReadSettings(version);
}

std::string ChdbDeltaRowCountSql(const std::string& table_dir, std::optional<int64_t> version) {
  return "SELECT sum(1) AS row_count FROM (SELECT * FROM " + DeltaLakeLocal(table_dir) + ")" +
         ReadSettings(version);
}

Result<RowSet> ReadDeltaWithChdb(const std::string& table_dir, std::optional<int64_t> version) {
  return ChdbQuery(ChdbDeltaReadSql(table_dir, version));
}

Result<int64_t> ChdbRowCount(const std::string& table_dir, std::optional<int64_t> version) {
  const std::string sql = ChdbDeltaRowCountSql(table_dir, version);
  DLAKE_ASSIGN_OR_RETURN(RowSet result, ChdbQuery(sql));
  if (result.rows.size() != 1 || result.rows[0].size() != 1 || !result.rows[0][0]) {
    return Internal("chDB returned no single count for: ", sql);
  }
  const std::string& text = *result.rows[0][0];
  char* end = nullptr;
  const long long count = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') return Internal("chDB returned count '", text, "' for: ", sql);
  return static_cast<int64_t>(count);
}

}  // namespace dlake::testing
