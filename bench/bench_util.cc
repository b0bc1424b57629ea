#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "dlake/common/env.h"
#include "dlake/common/time.h"

namespace dlake::bench {
namespace fs = std::filesystem;

// ---- Flags ----

Flags::Flags(int argc, char** argv, std::vector<std::string> known,
             std::vector<std::string> with_value) {
  auto contains = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (contains(with_value, arg)) {
      if (i + 1 >= argc) {
        error_ = arg + " needs a value";
        return;
      }
      value = argv[++i];
    }
    if (!contains(known, arg) && !contains(with_value, arg)) {
      error_ = "unknown flag '" + arg + "'";
      return;
    }
    values_.emplace_back(arg, value);
  }
}

bool Flags::Has(std::string_view name) const {
  return std::any_of(values_.begin(), values_.end(),
                     [&](const auto& kv) { return kv.first == name; });
}

std::string Flags::Str(std::string_view name, const std::string& fallback) const {
  for (auto it = values_.rbegin(); it != values_.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return fallback;
}

int64_t Flags::Int(std::string_view name, int64_t fallback) const {
  std::string text = Str(name, "");
  if (text.empty()) return fallback;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    throw Failure{"flag " + std::string(name) + " needs an integer, got '" + text + "'"};
  }
  return v;
}

// ---- time and statistics ----

double NowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

double Median(std::vector<double> samples) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

double Min(const std::vector<double>& samples) {
  return samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end());
}

// ---- folders ----

Result<ScratchDir> ScratchDir::Make(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp && *tmp ? tmp : "/tmp";
  std::string templ = base + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return IoErrorFromErrno("cannot create", templ, errno);
  return ScratchDir(std::string(buf.data()));
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  if (keep_) {
    std::printf("(kept %s)\n", path_.c_str());
    return;
  }
  RemoveTree(path_);
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
}

TreeSize SizeOfTree(const std::string& path) {
  TreeSize size;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      size.bytes += static_cast<int64_t>(it->file_size(ec));
      ++size.files;
    }
  }
  return size;
}

// ---- kline generator ----

namespace {

constexpr int64_t kBasePriceCents = 4'200'000;  // 42,000.00

char* PutInt(char* p, int64_t v) { return std::to_chars(p, p + 24, v).ptr; }

// `units` in 10^-8 as a decimal with 8 places: 123456789 -> "1.23456789".
char* PutE8(char* p, int64_t units) {
  p = PutInt(p, units / 100'000'000);
  *p++ = '.';
  int64_t frac = units % 100'000'000;
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  return p + 8;
}

char* PutCents(char* p, int64_t cents) { return PutE8(p, cents * 1'000'000); }

}  // namespace

KlineGenerator::KlineGenerator(int64_t start_ms, int64_t step_ms, uint64_t seed)
    : ts_(start_ms),
      step_ms_(step_ms),
      state_(seed * 0x9E3779B97F4A7C15ULL + 1),
      close_cents_(kBasePriceCents + static_cast<int64_t>(seed % 1000) * 100) {}

uint64_t KlineGenerator::Next() {
  // splitmix64: fast, deterministic across platforms.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void KlineGenerator::AppendLine(std::string& out) {
  const int64_t open = close_cents_;
  // A random walk pulled gently back to the base price, so years of steps stay positive.
  int64_t delta = static_cast<int64_t>(Next() % 4001) - 2000 + (kBasePriceCents - open) / 2000;
  const int64_t close = std::max<int64_t>(100, open + delta);
  const int64_t high = std::max(open, close) + static_cast<int64_t>(Next() % 500);
  const int64_t low =
      std::max<int64_t>(1, std::min(open, close) - static_cast<int64_t>(Next() % 500));
  const int64_t volume = static_cast<int64_t>(Next() % 5'000'000'000ULL);  // 1e-8 units
  const int64_t quote_volume = volume / 100 * close;                       // 1e-8 units
  const int64_t trades = static_cast<int64_t>(Next() % 2000) + 1;
  const int64_t taker_base = volume / 100 * static_cast<int64_t>(Next() % 101);
  const int64_t taker_quote = taker_base / 100 * close;
  close_cents_ = close;

  char buf[256];
  char* p = buf;
  p = PutInt(p, ts_);
  *p++ = ',';
  p = PutCents(p, open);
  *p++ = ',';
  p = PutCents(p, high);
  *p++ = ',';
  p = PutCents(p, low);
  *p++ = ',';
  p = PutCents(p, close);
  *p++ = ',';
  p = PutE8(p, volume);
  *p++ = ',';
  p = PutInt(p, ts_ + step_ms_ - 1);
  *p++ = ',';
  p = PutE8(p, quote_volume);
  *p++ = ',';
  p = PutInt(p, trades);
  *p++ = ',';
  p = PutE8(p, taker_base);
  *p++ = ',';
  p = PutE8(p, taker_quote);
  std::memcpy(p, ",0\n", 3);
  p += 3;
  out.append(buf, p);
  ts_ += step_ms_;
}

Result<CsvStats> WriteKlineCsv(const std::string& path, int64_t start_ms, int64_t step_ms,
                               int64_t rows, int64_t min_bytes, uint64_t seed) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot create", path, errno);
  KlineGenerator gen(start_ms, step_ms, seed);
  CsvStats stats;
  stats.first_ts = start_ms;
  std::string buf;
  buf.reserve(1 << 20);
  auto flush = [&]() -> Status {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoErrorFromErrno("cannot write", path, errno);
      done += static_cast<size_t>(n);
    }
    stats.bytes += static_cast<int64_t>(buf.size());
    buf.clear();
    return Status::Ok();
  };
  Status status;
  while (rows >= 0 ? stats.rows < rows
                   : stats.bytes + static_cast<int64_t>(buf.size()) < min_bytes) {
    stats.last_ts = gen.next_ts();
    gen.AppendLine(buf);
    ++stats.rows;
    if (buf.size() >= (1 << 20) - 256 && !(status = flush()).ok()) break;
  }
  if (status.ok()) status = flush();
  if (::close(fd) != 0 && status.ok()) status = IoErrorFromErrno("cannot close", path, errno);
  if (!status.ok()) return status;
  return stats;
}

// ---- printing ----

std::string BronzeStampForDay(int64_t day) {
  CivilDate c = CivilFromDay(DayOf(Env::Default()->NowMs()) + day);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d_08-20-00", c.year, c.month, c.day);
  return buf;
}

std::string Thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

bool Target(bool pass, const std::string& what) {
  std::printf("  [%s] %s\n", pass ? "PASS" : "MISS", what.c_str());
  return pass;
}

void CheckOk(const Status& status, std::string_view what) {
  if (!status.ok()) throw Failure{std::string(what) + ": " + status.ToString()};
}

void Measure(std::vector<Side>& sides, int64_t max_reps, double budget_s) {
  for (Side& side : sides) side.result = side.read();
  const double deadline = NowSeconds() + budget_s;
  for (int64_t i = 0; i < max_reps && (i < 5 || NowSeconds() < deadline); ++i) {
    for (size_t k = 0; k < sides.size(); ++k) {
      Side& side = sides[(static_cast<size_t>(i) + k) % sides.size()];
      const double t0 = NowSeconds();
      ReadResult r = side.read();
      side.ms.push_back((NowSeconds() - t0) * 1e3);
      if (!(r == side.result)) throw Failure{side.name + ": a repeated read returned other rows"};
    }
  }
}

}  // namespace dlake::bench
