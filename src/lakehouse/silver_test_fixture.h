#pragma once
// Test support for the silver transforms: a lake with a manifest, a runtime whose clock the test
// sets (and whose Delta commits or metadata appends can be made to fail by path), the bronze
// fixture writer, and readers for the silver tables and metadata files.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "dlake/catalog/manifest.h"
#include "dlake/common/time.h"
#include "dlake/delta/table.h"
#include "dlake/lakehouse/transform.h"
#include "lakehouse/bronze_fixture.h"
#include "testing/delta_golden.h"
#include "testing/test_util.h"

namespace dlake::lakehouse {

// The real file system, a clock the test sets (each reading 1 ms after the previous one, so
// durations are positive), and failures injected by path.
class ClockEnv : public Env {
 public:
  explicit ClockEnv(int64_t now_ms) : now_(now_ms) {}
  void SetNow(int64_t ms) { now_ = ms; }
  // LinkFile (the put-if-absent of a Delta commit) fails under paths containing `needle`.
  void FailCommitsUnder(std::string needle) {
    std::lock_guard lock(mu_);
    fail_commits_ = std::move(needle);
  }
  // AppendFile fails under paths containing `needle`.
  void FailAppendsUnder(std::string needle) {
    std::lock_guard lock(mu_);
    fail_appends_ = std::move(needle);
  }

  Status CreateDirs(const std::string& p) override { return base_->CreateDirs(p); }
  Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  Status RemoveFile(const std::string& p) override { return base_->RemoveFile(p); }
  Status RemoveEmptyDir(const std::string& p) override { return base_->RemoveEmptyDir(p); }
  Status SyncFile(const std::string& p) override { return base_->SyncFile(p); }
  Status SyncDir(const std::string& p) override { return base_->SyncDir(p); }
  Status WriteFileAtomic(const std::string& p, const std::string& c) override {
    return base_->WriteFileAtomic(p, c);
  }
  Status AppendFile(const std::string& p, const std::string& c) override {
    if (Matches(p, fail_appends_)) return IoErrorFromErrno("cannot append to", p, 5);
    return base_->AppendFile(p, c);
  }
  Status LinkFile(const std::string& a, const std::string& b) override {
    if (Matches(b, fail_commits_)) return IoErrorFromErrno("cannot link", b, 5);
    return base_->LinkFile(a, b);
  }
  Status SetModificationTime(const std::string& p, int64_t ms) override {
    return base_->SetModificationTime(p, ms);
  }
  int64_t NowMs() override { return now_.fetch_add(1); }

 private:
  bool Matches(const std::string& path, const std::string& needle) {
    std::lock_guard lock(mu_);
    return !needle.empty() && path.find(needle) != std::string::npos;
  }
  Env* base_ = Env::Default();
  std::atomic<int64_t> now_;
  std::mutex mu_;
  std::string fail_commits_, fail_appends_;
};

// A small scale whose row numbers reach every edge case of the fixture.
inline fixture::BronzeScale SmallScale() {
  fixture::BronzeScale scale;
  scale.exchanges = 20;
  scale.exchanges_with_assets = 3;  // exchanges 1 (spot volume), 8 (spot 0), 15 (spot NULL)
  scale.asset_rows = 30;
  scale.cryptos = 30;
  scale.listings = 50;
  scale.categories = 12;
  scale.links = 40;
  scale.fear_greed_days = 10;
  return scale;
}

// A fresh lake. Day numbers are relative to 20 days before today (UTC), so the clock stays
// near the files' real modification times.
class SilverLake {
 public:
  SilverLake() {
    base_day_ = DayOf(Env::Default()->NowMs()) - 20;
    env_ = std::make_unique<ClockEnv>(At(0, 0, 0));
    runtime_ = ::dlake::testing::TestRuntime(env_.get());
    auto manifest = Manifest::Open(dir_.Join("manifest.db"), Manifest::OpenOptions{.create = true});
    EXPECT_THAT(manifest.status(), ::dlake::testing::IsOk());
    if (manifest.ok()) manifest_ = std::move(manifest).value();
    auto writer = fixture::BronzeWriter::Make(dir_.path(), manifest_.get());
    EXPECT_THAT(writer.status(), ::dlake::testing::IsOk());
    if (writer.ok()) writer_ = std::move(writer).value();
  }

  const std::string& root() const { return dir_.path(); }
  ClockEnv& env() { return *env_; }
  fixture::BronzeWriter& bronze() { return *writer_; }
  Manifest& manifest() { return *manifest_; }
  SilverContext Context() { return SilverContext{dir_.path(), runtime_, manifest_.get()}; }

  // Epoch ms of day `day` at hh:mm, and the same as a bronze file stamp.
  int64_t At(int day, int hour, int minute) const {
    return DayStartMs(base_day_ + day) + hour * kMsPerHour + minute * kMsPerMinute;
  }
  std::string Stamp(int day, int hour, int minute) const {
    CivilDate c = CivilFromDay(base_day_ + day);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d_%02d-%02d-00", c.year, c.month, c.day, hour,
                  minute);
    return buf;
  }
  void SetClock(int day, int hour, int minute) { env_->SetNow(At(day, hour, minute)); }

  // Runs a group; fails the test when the run cannot start.
  TransformReport Run(const std::string& group) {
    auto report = TransformSilver(Context(), TransformRequest{group});
    EXPECT_THAT(report.status(), ::dlake::testing::IsOk());
    return report.ok() ? std::move(report).value() : TransformReport{};
  }

  std::unique_ptr<delta::Table> Open(const std::string& relative) {
    delta::TableOptions options;
    options.runtime = runtime_;
    auto table = delta::Table::Open(dir_.Join(relative), options);
    EXPECT_THAT(table.status(), ::dlake::testing::IsOk()) << relative;
    return table.ok() ? std::move(table).value() : nullptr;
  }

  // `select` over the silver table as `t`, every value rendered as text.
  ::dlake::testing::RowSet Rows(const std::string& relative, const std::string& select) {
    ::dlake::testing::RowSet rows;
    auto table = Open(relative);
    if (!table) return rows;
    auto scan = table->ScanSql({});
    EXPECT_THAT(scan.status(), ::dlake::testing::IsOk());
    if (!scan.ok()) return rows;
    std::string sql = select;
    const std::string marker = "FROM t";
    size_t at = sql.find(marker);
    if (at != std::string::npos) sql.replace(at, marker.size(), "FROM (" + *scan + ") AS t");
    auto batch = table->Query("SELECT COLUMNS(*)::VARCHAR FROM (" + sql + ")");
    EXPECT_THAT(batch.status(), ::dlake::testing::IsOk()) << sql;
    if (!batch.ok()) return rows;
    for (const auto& column : batch->columns) rows.columns.push_back(column.name);
    for (size_t r = 0; r < batch->num_rows; ++r) {
      ::dlake::testing::TextRow row;
      for (const auto& column : batch->columns) {
        row.push_back(column.IsNull(r) ? std::nullopt
                                       : std::optional<std::string>(column.ToString(r)));
      }
      rows.rows.push_back(std::move(row));
    }
    return rows;
  }

  int64_t Count(const std::string& relative, const std::string& where = "true") {
    auto rows = Rows(relative, "SELECT count(*) AS n FROM t WHERE " + where);
    return rows.rows.size() == 1 && rows.rows[0][0] ? std::stoll(*rows.rows[0][0]) : -1;
  }

  int64_t Version(const std::string& relative) {
    auto table = Open(relative);
    if (!table) return -2;
    auto description = table->Describe();
    return description.ok() ? description->version : -2;
  }

  std::string MetadataPath(const std::string& domain, const std::string& table) const {
    return dir_.Join("metadata/transform/" + domain + "/" + table + ".jsonl");
  }
  // The metadata file's lines (raw text), empty when it does not exist.
  std::vector<std::string> MetadataLines(const std::string& domain, const std::string& table) {
    std::vector<std::string> lines;
    std::ifstream in(MetadataPath(domain, table));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) lines.push_back(line);
    }
    return lines;
  }

 private:
  ::dlake::testing::TempDir dir_;
  int64_t base_day_ = 0;
  std::unique_ptr<ClockEnv> env_;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<Manifest> manifest_;
  std::unique_ptr<fixture::BronzeWriter> writer_;
};

// The entry of `table` in the report; nullptr (and a test failure) when absent.
inline const TableTransform* Entry(const TransformReport& report, const std::string& table) {
  for (const auto& entry : report.tables) {
    if (entry.table == table) return &entry;
  }
  ADD_FAILURE() << "no report entry for " << table;
  return nullptr;
}

}  // namespace dlake::lakehouse
