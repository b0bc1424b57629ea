#include "testing/test_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/file_util.h"

namespace dlake::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/dlake-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed for " << pattern;
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  // Undo chmods tests may have made so the folder can be removed.
  for (auto it = fs::recursive_directory_iterator(path_, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

void SetFileAge(const std::string& path, int64_t age_ms) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() - age_ms;
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = ms / 1000;
  times[0].tv_nsec = times[1].tv_nsec = (ms % 1000) * 1000000;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

int ExitedPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return static_cast<int>(pid);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ListFilesRecursive(const std::string& dir, bool skip_hidden) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), dir).generic_string();
    if (skip_hidden) {
      bool hidden = false;
      for (const auto& part : fs::path(rel)) hidden |= part.string().starts_with(".");
      if (hidden) continue;
    }
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, std::string> Checksums(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& rel : ListFilesRecursive(dir)) {
    auto digest = Sha256File(dir + "/" + rel);
    out[rel] = digest.ok() ? digest->sha256 : "error";
  }
  return out;
}

std::string SharedPath(const std::string& relative) {
  return std::string(DLAKE_SHARED_DIR) + "/" + relative;
}

std::string KlineLine(const KlineOptions& o, int64_t i) {
  // A deterministic random walk: same options, same bytes.
  uint64_t x = o.seed * 6364136223846793005ULL + static_cast<uint64_t>(i) * 1442695040888963407ULL;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  const double wiggle = static_cast<double>(x % 2000) / 1000.0 - 1.0;  // [-1, 1)
  const double open = std::round((o.base_price + 50.0 * std::sin(i / 90.0) + 5 * wiggle) * 10) / 10;
  const double close = std::round((open + 3 * wiggle) * 10) / 10;
  const double high = std::max(open, close) + 1.5;
  const double low = std::min(open, close) - 1.5;
  const double volume = 10.0 + static_cast<double>(x % 1000) / 10.0;
  const int64_t ts = o.start_ms + i * o.step_ms;
  const int64_t scale = o.micros ? 1000 : 1;
  char buf[512];
  if (o.columns == 6) {
    std::snprintf(buf, sizeof(buf), "%lld,%.1f,%.1f,%.1f,%.1f,%.3f",
                  static_cast<long long>(ts * scale), open, high, low, close, volume);
  } else {
    const int64_t close_time = ts + o.step_ms - 1;
    std::snprintf(buf, sizeof(buf), "%lld,%.1f,%.1f,%.1f,%.1f,%.3f,%lld,%.4f,%llu,%.3f,%.4f,0",
                  static_cast<long long>(ts * scale), open, high, low, close, volume,
                  static_cast<long long>(close_time * scale + (o.micros ? 999 : 0)), volume * open,
                  static_cast<unsigned long long>(x % 500 + 1), volume / 2, volume * open / 2);
  }
  return buf;
}

std::string MakeKlineCsv(const KlineOptions& o) {
  std::string out;
  if (o.header) {
    out += o.columns == 6 ? "ts,open,high,low,close,volume\n"
                          : "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
                            "taker_buy_volume,taker_buy_quote_volume,ignore\n";
  }
  for (int64_t i = 0; i < o.count; ++i) {
    out += KlineLine(o, i);
    out += '\n';
  }
  return out;
}

std::string DlakeBinary() { return DLAKE_BINARY; }

namespace {
std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}
}  // namespace

ProcessResult RunDlake(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    std::string binary = DlakeBinary();
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    std::_Exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessResult result;
  std::thread err_reader([&] { result.err = Drain(err_pipe[0]); });
  result.out = Drain(out_pipe[0]);
  err_reader.join();
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

std::shared_ptr<Runtime> TestRuntime(Env* env, const std::string& lake) {
  RuntimeOptions options;
  options.env = env;
  options.lake = lake;
  options.flags = {{"threads", "1"}, {"memory_limit", "256MB"}};
  auto runtime = Runtime::Make(options);
  EXPECT_TRUE(runtime.ok()) << runtime.status().ToString();
  return runtime.ok() ? *runtime : nullptr;
}

}  // namespace dlake::testing
