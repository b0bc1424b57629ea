// memory_bench: peak resident memory of ingesting a large CSV.
//
// Streams a ~2 GB Binance kline CSV (12 columns, no header) to disk: 1-second candles from
// 2020-01-01, so the ~14.5M rows span ~5.5 months and stay inside the lake's sane time range.
// A forked child then opens a fresh lake with the library's default options (LakeOptions{}:
// memory limit and threads untuned) and ingests the file as BINANCE/SPOT/BTCUSDT/raw/1s. The
// parent waits with wait4() and reports the child's peak RSS (ru_maxrss), so the figure covers
// the whole ingest and nothing of the generator. While waiting it also samples the size of the
// lake's spill folder.
//
// Target: peak RSS < 512 MB.
//
// Usage: memory_bench [--size-mb N] [--quick] [--keep]

#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_util.h"
#include "dlake/common/time.h"
#include "dlake/lake.h"

namespace dlake::bench {
namespace {

constexpr int64_t kStartMs = 1577836800000;  // 2020-01-01T00:00:00Z
constexpr int64_t kStepMs = 1000;
constexpr double kTargetMb = 512;

struct Sample {
  double t = 0;  // s since fork
  double rss_mb = 0;
  double spill_mb = 0;
};

// What the child reports through the pipe.
struct ChildReport {
  int64_t rows_read = 0;
  int64_t days_created = 0;
  double init_s = 0;
  double ingest_s = 0;
  char error[512] = {0};
};

// The current resident set of `pid` in MB from /proc (0 when unavailable).
double CurrentRssMb(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) return 0;
  char line[256];
  double mb = 0;
  while (std::fgets(line, sizeof(line), f)) {
    long long kb = 0;
    if (std::sscanf(line, "VmRSS: %lld kB", &kb) == 1) {
      mb = static_cast<double>(kb) / 1024.0;
      break;
    }
  }
  std::fclose(f);
  return mb;
}

// About 16 of the samples, evenly spaced, as "t s: RSS MB / spill MB".
void PrintTimeline(const std::vector<Sample>& samples) {
  if (samples.empty()) return;
  std::printf("  timeline (s: RSS MB / spill MB):");
  const size_t step = std::max<size_t>(1, samples.size() / 16);
  for (size_t i = 0; i < samples.size(); i += step) {
    if ((i / step) % 4 == 0) std::printf("\n   ");
    std::printf("  %5.1f: %4.0f / %5.0f", samples[i].t, samples[i].rss_mb, samples[i].spill_mb);
  }
  std::printf("\n");
}

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The child: opens the lake with default options and ingests. Never returns.
[[noreturn]] void ChildMain(int fd, const std::string& lake_dir, const std::string& csv) {
  ChildReport report;
  try {
    const double t0 = NowSeconds();
    auto lake = ValueOrDie(Lake::Init(lake_dir, LakeOptions{}), "Lake::Init");
    std::fflush(stdout);
    const double t1 = NowSeconds();
    IngestRequest request;
    request.sources = {csv};
    request.dataset =
        ValueOrDie(DatasetId::Make("BINANCE", "SPOT", "BTCUSDT", "raw", "1s"), "DatasetId::Make");
    IngestReport ingest = ValueOrDie(lake->Ingest(request), "Lake::Ingest");
    report.rows_read = ingest.rows_read;
    report.days_created = ingest.write.Count(DayAction::kCreated);
    report.init_s = t1 - t0;
    report.ingest_s = NowSeconds() - t1;
  } catch (const Failure& f) {
    std::snprintf(report.error, sizeof(report.error), "%s", f.message.c_str());
  } catch (const std::exception& e) {
    std::snprintf(report.error, sizeof(report.error), "exception: %s", e.what());
  }
  const bool sent = WriteAll(fd, &report, sizeof(report));
  // _exit: the parent's objects (the scratch folder) belong to the parent.
  ::_exit(sent && report.error[0] == '\0' ? 0 : 1);
}

int Run(int64_t size_mb, bool keep) {
  ScratchDir scratch = ValueOrDie(ScratchDir::Make("dlake-memory-bench"), "scratch folder");
  if (keep) scratch.Keep();
  const std::string csv = scratch.Sub("BTCUSDT-1s.csv");
  const std::string lake_dir = scratch.Sub("lake");
  double load[3] = {0, 0, 0};
  (void)getloadavg(load, 3);
  const char* env_limit = std::getenv("DLAKE_MEMORY_LIMIT");
  const char* env_threads = std::getenv("DLAKE_THREADS");
  std::printf(
      "memory_bench: ingest of a %lld MB kline CSV (1s candles) with LakeOptions{} "
      "(memory_limit %s, threads %s)\n",
      static_cast<long long>(size_mb), env_limit && *env_limit ? env_limit : "256MB default",
      env_threads && *env_threads ? env_threads : "one per core");
  std::printf("  load average %.2f  folder %s\n", load[0], scratch.path().c_str());

  double t = NowSeconds();
  CsvStats stats =
      ValueOrDie(WriteKlineCsv(csv, kStartMs, kStepMs, -1, size_mb << 20, 1), "writing CSV");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  if (stats.last_ts > now_ms) {
    throw Failure{"--size-mb too large: candles would run past now (" +
                  FormatTimestamp(stats.last_ts) + ")"};
  }
  const int64_t days = DayOf(stats.last_ts) - DayOf(stats.first_ts) + 1;
  std::printf("  CSV: %s rows, %.1f MB, %s .. %s (%lld days), generated in %.1f s\n",
              Thousands(stats.rows).c_str(), static_cast<double>(stats.bytes) / 1e6,
              FormatTimestamp(stats.first_ts).c_str(), FormatTimestamp(stats.last_ts).c_str(),
              static_cast<long long>(days), NowSeconds() - t);

  int fds[2];
  if (::pipe(fds) != 0) throw Failure{std::string("pipe: ") + std::strerror(errno)};
  std::fflush(stdout);
  std::fflush(stderr);
  t = NowSeconds();
  const pid_t pid = ::fork();
  if (pid < 0) throw Failure{std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    ::close(fds[0]);
    ChildMain(fds[1], lake_dir, csv);
  }
  ::close(fds[1]);

  // Sample RSS and the spill folder while the child works; the pipe tells when it is done.
  int64_t peak_spill = 0;
  std::vector<Sample> samples;
  ChildReport report;
  size_t got = 0;
  while (true) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    timeval timeout{0, 200'000};
    int ready = ::select(fds[0] + 1, &readable, nullptr, nullptr, &timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (ready > 0) {
      ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&report) + got, sizeof(report) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (got == sizeof(report)) break;
      continue;
    }
    const int64_t spill = SizeOfTree(lake_dir + "/.tmp").bytes;
    peak_spill = std::max(peak_spill, spill);
    samples.push_back({NowSeconds() - t, CurrentRssMb(pid), static_cast<double>(spill) / 1e6});
  }
  ::close(fds[0]);
  int wstatus = 0;
  rusage usage{};
  while (::wait4(pid, &wstatus, 0, &usage) < 0 && errno == EINTR) {
  }
  const double wall_s = NowSeconds() - t;

  char what[300];
  if (got != sizeof(report) || report.error[0] != '\0' || !WIFEXITED(wstatus) ||
      WEXITSTATUS(wstatus) != 0) {
    // The ingest itself failing (running out of memory, say) misses the target; it is what this
    // benchmark measures, so it is reported as a MISS rather than as a broken benchmark.
    std::string why =
        got != sizeof(report) ? "the child died without a report" : std::string(report.error);
    if (WIFSIGNALED(wstatus)) why += " (signal " + std::to_string(WTERMSIG(wstatus)) + ")";
    std::printf("\n  ingest FAILED after %.2f s: %s\n", wall_s, why.c_str());
    std::printf("  child peak RSS (ru_maxrss)   %9.1f MB at the failure\n",
                static_cast<double>(usage.ru_maxrss) / 1024.0);
    std::printf("  peak spill folder size       %9.1f MB (sampled every 0.2 s)\n",
                static_cast<double>(peak_spill) / 1e6);
    PrintTimeline(samples);
    std::snprintf(what, sizeof(what),
                  "ingest of %lld MB completes with peak RSS < %.0f MB "
                  "(it failed)",
                  static_cast<long long>(size_mb), kTargetMb);
    Target(false, what);
    return 0;
  }
  if (report.rows_read != stats.rows || report.days_created != days) {
    throw Failure{"ingest read " + std::to_string(report.rows_read) + " rows and created " +
                  std::to_string(report.days_created) + " days; expected " +
                  std::to_string(stats.rows) + " and " + std::to_string(days)};
  }
  const TreeSize lake_size = SizeOfTree(lake_dir + "/data");
  const double peak_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KB
  const auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  std::printf("\n  child peak RSS (ru_maxrss)   %9.1f MB\n", peak_mb);
  std::printf("  peak spill folder size       %9.1f MB (sampled every 0.2 s)\n",
              static_cast<double>(peak_spill) / 1e6);
  std::printf(
      "  ingest time                  %9.2f s  (Lake::Init %.3f s; child wall %.2f s; "
      "cpu user %.1f s, sys %.1f s)\n",
      report.ingest_s, report.init_s, wall_s, secs(usage.ru_utime), secs(usage.ru_stime));
  std::printf(
      "  throughput                   %9s rows/s, %.1f MB/s of CSV\n",
      Thousands(static_cast<int64_t>(static_cast<double>(stats.rows) / report.ingest_s)).c_str(),
      static_cast<double>(stats.bytes) / 1e6 / report.ingest_s);
  std::printf("  written                      %lld day files, %.1f MB of Parquet\n",
              static_cast<long long>(lake_size.files), static_cast<double>(lake_size.bytes) / 1e6);
  PrintTimeline(samples);
  std::snprintf(what, sizeof(what), "peak RSS %.1f MB < %.0f MB", peak_mb, kTargetMb);
  Target(peak_mb < kTargetMb, what);
  return 0;
}

}  // namespace
}  // namespace dlake::bench

int main(int argc, char** argv) {
  using namespace dlake::bench;
  Flags flags(argc, argv, {"--quick", "--keep", "--help"}, {"--size-mb"});
  if (!flags.ok() || flags.Has("--help")) {
    std::fprintf(flags.ok() ? stdout : stderr,
                 "%s%susage: memory_bench [--size-mb N] [--quick] [--keep]\n"
                 "  default: a 2048 MB CSV (~14.5M rows); --quick: 32 MB\n",
                 flags.error().c_str(), flags.ok() ? "" : "\n");
    return flags.ok() ? 0 : 2;
  }
  try {
    const int64_t size_mb = flags.Int("--size-mb", flags.Has("--quick") ? 32 : 2048);
    if (size_mb < 1) {
      std::fprintf(stderr, "--size-mb must be positive\n");
      return 2;
    }
    return Run(size_mb, flags.Has("--keep"));
  } catch (const Failure& f) {
    std::fprintf(stderr, "memory_bench: FAILED: %s\n", f.message.c_str());
    return 1;
  }
}
