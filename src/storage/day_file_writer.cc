#include "storage/day_file_writer.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "duck/duck.h"

namespace dlake::storage {
namespace {

const char* CompressionName(Compression c) { return c == Compression::kZstd ? "zstd" : "snappy"; }

Result<DayFile> WriteOne(duck::Connection& conn, const DayFileJob& job, Compression compression) {
  DLAKE_RETURN_IF_ERROR(
      conn.Execute("COPY (" + job.select_sql + ") TO " + duck::QuoteLiteral(job.tmp_path) +
                       " (FORMAT parquet, COMPRESSION " + CompressionName(compression) + ")",
                   "writing partition '" + job.partition + "'"));
  DayFile out;
  if (job.stats) {
    out.stats = *job.stats;
  } else {
    DLAKE_ASSIGN_OR_RETURN(auto q, conn.Query("SELECT count(*), coalesce(min(ts), 0), "
                                              "coalesce(max(ts), 0) FROM read_parquet(" +
                                                  duck::QuoteLiteral(job.tmp_path) + ")",
                                              "reading back '" + job.tmp_path + "'"));
    out.stats = FileStats{q.GetInt64(0, 0), q.GetInt64(1, 0), q.GetInt64(2, 0)};
  }
  if (out.stats.rows == 0) return out;
  DLAKE_ASSIGN_OR_RETURN(out.digest, Sha256File(job.tmp_path));
  DLAKE_ASSIGN_OR_RETURN(auto schema, conn.Query("SELECT column_name FROM (DESCRIBE SELECT * FROM "
                                                 "read_parquet(" +
                                                     duck::QuoteLiteral(job.tmp_path) + "))",
                                                 "reading the schema of '" + job.tmp_path + "'"));
  nlohmann::json names = nlohmann::json::array();
  for (size_t r = 0; r < schema.RowCount(); ++r) names.push_back(schema.GetString(0, r));
  out.columns = names.dump();
  return out;
}

}  // namespace

Result<std::vector<DayFile>> WriteDayFiles(duck::Database& db, const std::vector<DayFileJob>& jobs,
                                           Compression compression, int threads) {
  std::vector<DayFile> out(jobs.size());
  if (threads <= 0) {
    threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  }
  threads = std::min<int>(threads, static_cast<int>(jobs.size()));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  auto worker = [&] {
    auto conn = duck::Connection::Open(db);
    Status status = conn.status();
    while (status.ok() && !failed) {
      size_t i = next++;
      if (i >= jobs.size()) break;
      auto file = WriteOne(**conn, jobs[i], compression);
      if (file.ok()) {
        out[i] = std::move(file).value();
      } else {
        status = file.status();
      }
    }
    if (!status.ok()) {
      std::lock_guard lock(mu);
      if (first_error.ok()) first_error = status;
      failed = true;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  return out;
}

}  // namespace dlake::storage
